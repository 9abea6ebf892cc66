package tcpdump

import (
	"strconv"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// AppendPflogPrefix appends what FreeBSD's tcpdump -e prints for a pflog
// header: "rule N/R(reason) [uid U] [ridentifier I]: action dir on IF: ".
// Anchor and interface names are printed with non-printable bytes escaped
// the way tcpdump does it, and spaces and backslashes vis(3) style
// (pflog.AppendSafeName), so a crafted name cannot forge a line.
func AppendPflogPrefix(dst []byte, h *pflog.Header) []byte {
	dst = append(dst, "rule "...)
	dst = strconv.AppendUint(dst, uint64(h.RuleNr), 10)
	if h.InAnchor() {
		dst = append(dst, '.')
		dst = pflog.AppendSafeName(dst, h.Anchor())
		dst = append(dst, '.')
		dst = strconv.AppendUint(dst, uint64(h.SubRuleNr), 10)
	}
	dst = append(dst, '/')
	dst = pflog.AppendReason(dst, h)
	if h.UID != pflog.NoUID {
		dst = append(dst, " [uid "...)
		dst = strconv.AppendUint(dst, uint64(h.UID), 10)
		dst = append(dst, ']')
	}
	if h.RIdentifier != 0 {
		dst = append(dst, " [ridentifier "...)
		dst = strconv.AppendUint(dst, uint64(h.RIdentifier), 10)
		dst = append(dst, ']')
	}
	dst = append(dst, ": "...)
	dst = pflog.AppendAction(dst, h)
	dst = append(dst, ' ')
	dst = pflog.AppendDir(dst, h)
	dst = append(dst, " on "...)
	dst = pflog.AppendSafeName(dst, h.Interface())
	return append(dst, ": "...)
}

// prefixKey is every header field AppendPflogPrefix reads.
type prefixKey struct {
	layout, action, reason, dir uint8
	ruleNr, subRuleNr, uid, rid uint32
	ifName                      [pflog.IfNameSize]byte
	ruleset                     [pflog.RulesetSize]byte
}

func keyOf(h *pflog.Header) prefixKey {
	k := prefixKey{layout: uint8(h.Layout), action: h.Action, reason: h.Reason, dir: h.Dir,
		ruleNr: h.RuleNr, subRuleNr: h.SubRuleNr, uid: h.UID, rid: h.RIdentifier, ifName: h.IfName}
	if h.InAnchor() {
		k.ruleset = h.Ruleset
	}
	return k
}

const (
	prefixSlots = 64
	prefixMax   = 200 // longer prefixes (escaped names) are not cached
)

type prefixSlot struct {
	key   prefixKey
	n     uint8
	valid bool
	text  [prefixMax]byte
}

// PrefixCache remembers the rendered prefixes of the rules seen last
// (a few rules and interfaces log nearly everything), so most records
// cost a key comparison and a copy. It is not safe for concurrent use;
// the zero value is ready.
type PrefixCache struct {
	slots [prefixSlots]prefixSlot
}

// Append appends AppendPflogPrefix(h).
func (c *PrefixCache) Append(dst []byte, h *pflog.Header) []byte {
	k := keyOf(h)
	i := (k.ruleNr*31 + uint32(k.action)*7 + uint32(k.dir)*3 + uint32(k.reason)*5 + uint32(k.ifName[0]) + uint32(k.ifName[len(k.ifName)/4])) % prefixSlots
	s := &c.slots[i]
	if s.valid && s.key == k {
		return append(dst, s.text[:s.n]...)
	}
	start := len(dst)
	dst = AppendPflogPrefix(dst, h)
	if n := len(dst) - start; n <= prefixMax {
		s.key, s.valid, s.n = k, true, uint8(n)
		copy(s.text[:], dst[start:])
	}
	return dst
}
