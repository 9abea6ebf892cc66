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
	prefixWays = 4
	prefixSets = 128
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
// a real firewall a few rules and interfaces log nearly everything, and
// a long tail the rest), so such records cost a hash, a tag comparison
// and a copy. It is four-way set associative over a hash of every field
// the prefix shows, least recently used out: one rule logged on two
// interfaces, or inside and outside an anchor, keeps both of its texts,
// and the tail does not push out the few that matter. It is not safe for
// concurrent use; the zero value is ready.
type PrefixCache struct {
	tags  [prefixSets * prefixWays]uint32 // hash of the slot's header, 0: empty
	used  [prefixSets * prefixWays]uint64 // when the slot was last used
	clock uint64
	slots [prefixSets * prefixWays]prefixSlot
}

// prefixHash hashes every field the prefix shows (the names by their
// first eight bytes, which tell nearly all real names apart); bit 0 is
// always set, so 0 marks an empty slot. Bits 1 to 7 pick the set, and the
// whole hash tells the ways apart before their fields are compared.
func prefixHash(h *pflog.Header) uint32 {
	x := uint64(h.RuleNr) | uint64(h.SubRuleNr)<<32
	x ^= uint64(h.Action) | uint64(h.Dir)<<8 | uint64(h.Reason)<<16 | uint64(h.Layout)<<24
	x ^= uint64(h.UID)<<29 ^ uint64(h.RIdentifier)<<13
	x ^= binary.LittleEndian.Uint64(h.IfName[:8]) * 0x9e3779b97f4a7c15
	if h.InAnchor() {
		x ^= binary.LittleEndian.Uint64(h.Ruleset[:8]) * 0xc2b2ae3d27d4eb4f
	}
	x *= 0xff51afd7ed558ccd
	return uint32(x>>32) | 1
}

// Append appends AppendPflogPrefix(h).
func (c *PrefixCache) Append(dst []byte, h *pflog.Header) []byte {
	tag := prefixHash(h)
	base := int(tag>>1) % prefixSets * prefixWays
	c.clock++
	victim := base
	for i := base; i < base+prefixWays; i++ {
		if c.tags[i] == tag && c.slots[i].matches(h) {
			c.used[i] = c.clock
			s := &c.slots[i]
			return append(dst, s.text[:s.n]...)
		}
		if c.used[i] < c.used[victim] {
			victim = i
		}
	}
	start := len(dst)
	dst = AppendPflogPrefix(dst, h)
	if n := len(dst) - start; n <= prefixMax {
		s := &c.slots[victim]
		c.tags[victim], c.used[victim] = tag, c.clock
		s.ruleNr, s.subRuleNr, s.uid, s.rid = h.RuleNr, h.SubRuleNr, h.UID, h.RIdentifier
		s.layout, s.action, s.reason, s.dir = h.Layout, h.Action, h.Reason, h.Dir
		s.ifName, s.ruleset, s.n = h.IfName, h.Ruleset, uint8(n)
		copy(s.text[:], dst[start:])
	}
	return dst
}
