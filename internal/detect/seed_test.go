package detect

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestSeedReproducible: with a fixed Seed, the same probes give the same
// decisions even when the tables are full and evict (a file read twice,
// or with another -workers, gives the same lines); without one, the hash
// is keyed at random.
func TestSeedReproducible(t *testing.T) {
	run := func(seed uint64) []string {
		cfg := DefaultConfig()
		cfg.TableSize, cfg.ProbationSize, cfg.Seed = 64, 256, seed
		d, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		var out []string
		base := int64(1795258722e9)
		for i := range 200000 {
			a := netip.AddrFrom4([4]byte{198, 51, byte(r.IntN(4)), byte(r.IntN(256))})
			p := Probe{Time: base + int64(i)*int64(time.Millisecond), Kind: KindProbe, Src: a,
				Proto: 6, Port: uint16(1 + r.IntN(2000)), Rule: 1}
			if dec := d.Observe(&p); dec != nil {
				out = append(out, string(dec.AppendMessage(nil)))
			}
		}
		return out
	}
	a, b := run(42), run(42)
	if len(a) == 0 {
		t.Fatal("no decisions: the test makes no scanner")
	}
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different decisions: %d and %d", len(a), len(b))
	}
	if d, _ := New(DefaultConfig()); d.seed0 == 0 && d.seed1 == 0 {
		t.Fatal("no random seed without Config.Seed")
	}
}
