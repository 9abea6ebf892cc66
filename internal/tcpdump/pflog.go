package tcpdump

import (
	"encoding/binary"

	"github.com/pfasciilogd/pfasciilogd/internal/num"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// AppendPflogPrefix appends what FreeBSD's tcpdump -e prints for a pflog
// header: "rule N/R(reason) [uid U] [ridentifier I]: action dir on IF: ".
// Anchor and interface names are printed with non-printable bytes escaped
// the way tcpdump does it, and spaces and backslashes vis(3) style
// (pflog.AppendSafeName), so a crafted name cannot forge a line.
func AppendPflogPrefix(dst []byte, h *pflog.Header) []byte {
	dst = appendRulePart(dst, h)
	dst = pflog.AppendSafeName(dst, h.Interface())
	return append(dst, ": "...)
}

// appendRulePart appends the prefix up to the interface name.
func appendRulePart(dst []byte, h *pflog.Header) []byte {
	dst = append(dst, "rule "...)
	dst = num.AppendUint(dst, uint64(h.RuleNr))
	if h.InAnchor() {
		dst = append(dst, '.')
		dst = pflog.AppendSafeName(dst, h.Anchor())
		dst = append(dst, '.')
		dst = num.AppendUint(dst, uint64(h.SubRuleNr))
	}
	dst = append(dst, '/')
	if w := pflog.ReasonWord(h.Layout, h.Reason); w != "" {
		dst = num.AppendUint(dst, uint64(h.Reason))
		dst = append(dst, '(')
		dst = append(dst, w...)
		dst = append(dst, ')')
	} else {
		dst = pflog.AppendReason(dst, h)
	}
	if h.UID != pflog.NoUID {
		dst = append(dst, " [uid "...)
		dst = num.AppendUint(dst, uint64(h.UID))
		dst = append(dst, ']')
	}
	if h.RIdentifier != 0 {
		dst = append(dst, " [ridentifier "...)
		dst = num.AppendUint(dst, uint64(h.RIdentifier))
		dst = append(dst, ']')
	}
	dst = append(dst, ": "...)
	dst = pflog.AppendAction(dst, h)
	dst = append(dst, ' ')
	dst = pflog.AppendDir(dst, h)
	return append(dst, " on "...)
}

const (
	prefixSets = 64  // two slots each
	prefixMax  = 120 // longer prefixes (escaped names) are not cached
)

// prefixSlot holds one rendered prefix and every header field it shows.
type prefixSlot struct {
	ruleNr, subRuleNr, uid, rid uint32
	layout                      pflog.Layout
	action, reason, dir         uint8
	n                           uint8 // 0: empty
	ifName                      [pflog.IfNameSize]byte
	ruleset                     [pflog.RulesetSize]byte
	text                        [prefixMax]byte
}

func (s *prefixSlot) matches(h *pflog.Header) bool {
	return s.n != 0 && s.ruleNr == h.RuleNr && s.action == h.Action && s.dir == h.Dir &&
		s.reason == h.Reason && s.uid == h.UID && s.rid == h.RIdentifier && s.layout == h.Layout &&
		s.subRuleNr == h.SubRuleNr && s.ifName == h.IfName && (!h.InAnchor() || s.ruleset == h.Ruleset)
}

// PrefixCache remembers the rendered prefixes of recently seen rules (on
// a real firewall a few rules and interfaces log nearly everything), so
// such records cost a few comparisons and a copy; a miss costs a
// comparison more than rendering. It is two-way set associative over a
// hash of every field the prefix shows: one rule logged on two
// interfaces, or inside and outside an anchor, keeps both of its texts.
// It is not safe for concurrent use; the zero value is ready.
type PrefixCache struct {
	slots [2 * prefixSets]prefixSlot
	older [prefixSets]uint8 // per set: the slot to replace next
	// The escaped interface name with ": " of the last interface.
	ifName [pflog.IfNameSize]byte
	ifText []byte
}

// prefixSet picks h's set from every field the prefix shows (the names by
// their first eight bytes, which tell nearly all real names apart).
func prefixSet(h *pflog.Header) uint32 {
	x := uint64(h.RuleNr) | uint64(h.SubRuleNr)<<32
	x ^= uint64(h.Action) | uint64(h.Dir)<<8 | uint64(h.Reason)<<16 | uint64(h.Layout)<<24
	x ^= uint64(h.UID)<<29 ^ uint64(h.RIdentifier)<<13
	x ^= binary.LittleEndian.Uint64(h.IfName[:8]) * 0x9e3779b97f4a7c15
	if h.InAnchor() {
		x ^= binary.LittleEndian.Uint64(h.Ruleset[:8]) * 0xc2b2ae3d27d4eb4f
	}
	x *= 0xff51afd7ed558ccd
	return uint32(x>>58) % prefixSets
}

// Append appends AppendPflogPrefix(h).
func (c *PrefixCache) Append(dst []byte, h *pflog.Header) []byte {
	set := prefixSet(h)
	s := &c.slots[2*set]
	if s.matches(h) {
		c.older[set] = 1
		return append(dst, s.text[:s.n]...)
	}
	if s1 := &c.slots[2*set+1]; s1.matches(h) {
		c.older[set] = 0
		return append(dst, s1.text[:s1.n]...)
	}
	start := len(dst)
	dst = appendRulePart(dst, h)
	if c.ifText == nil || c.ifName != h.IfName {
		c.ifName = h.IfName
		c.ifText = append(pflog.AppendSafeName(c.ifText[:0], h.Interface()), ": "...)
	}
	dst = append(dst, c.ifText...)
	if n := len(dst) - start; n <= prefixMax {
		victim := c.older[set]
		c.older[set] ^= 1
		s = &c.slots[2*set+uint32(victim)]
		s.ruleNr, s.subRuleNr, s.uid, s.rid = h.RuleNr, h.SubRuleNr, h.UID, h.RIdentifier
		s.layout, s.action, s.reason, s.dir = h.Layout, h.Action, h.Reason, h.Dir
		s.ifName, s.ruleset, s.n = h.IfName, h.Ruleset, uint8(n)
		copy(s.text[:], dst[start:])
	}
	return dst
}
