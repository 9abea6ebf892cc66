package tcpdump

import (
	"math/rand/v2"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// TestPrefixCacheSameText: the cache renders exactly what
// AppendPflogPrefix renders, for headers that differ in any one field the
// prefix shows, colliding slots and names too long to cache included.
func TestPrefixCacheSameText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c PrefixCache
	base := pflog.Header{Layout: pflog.LayoutFreeBSD, Length: pflog.LenFreeBSD, AF: pflog.AFInet,
		Action: pflog.ActionDrop, Dir: pflog.DirIn, RuleNr: 7, SubRuleNr: pflog.NoAnchor, UID: pflog.NoUID}
	copy(base.IfName[:], "em0")
	var hs []pflog.Header
	for i := range 2000 {
		h := base
		switch i % 9 {
		case 0:
			h.RuleNr = uint32(rng.IntN(300))
		case 1:
			h.Action = uint8(rng.IntN(20))
		case 2:
			h.Dir = uint8(rng.IntN(4))
		case 3:
			h.Reason = uint8(rng.IntN(30))
		case 4:
			h.UID = uint32(rng.IntN(3))
		case 5:
			h.RIdentifier = uint32(rng.IntN(3))
		case 6:
			h.SubRuleNr = uint32(rng.IntN(3))
			copy(h.Ruleset[:], []string{"a", "b/c", "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"}[rng.IntN(3)])
		case 7:
			h.IfName = [16]byte{}
			copy(h.IfName[:], []string{"em0", "em1", "vtnet0", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1"}[rng.IntN(4)])
		case 8:
			h.Layout = pflog.LayoutOpenBSD
		}
		hs = append(hs, h)
	}
	for round := range 3 {
		for i := range hs {
			want := string(AppendPflogPrefix(nil, &hs[i]))
			if got := string(c.Append([]byte("x"), &hs[i])); got != "x"+want {
				t.Fatalf("round %d header %d: cache %q, want %q", round, i, got, want)
			}
		}
	}
}

func TestPrefixCacheNoAlloc(t *testing.T) {
	var c PrefixCache
	h := pflog.Header{Layout: pflog.LayoutFreeBSD, Action: pflog.ActionDrop, Dir: pflog.DirIn, RuleNr: 7, SubRuleNr: pflog.NoAnchor, UID: pflog.NoUID}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = c.Append(buf[:0], &h) }); n != 0 {
		t.Errorf("%v allocations per prefix", n)
	}
}
