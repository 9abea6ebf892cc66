package detect

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// refPick is the victim choice as victim made it before the side slots,
// kept as the reference: it reads the bucket's entries themselves and
// counts every candidate's ports with windowPorts.
func refPick(d *Detector, base int, now int64) (best, bestN int, empty bool) {
	bucket := d.tab[base : base+ways]
	b := -1
	for i := range bucket {
		e := &bucket[i]
		if d.tags[base+i] == 0 {
			return base + i, 0, true
		}
		n := MaxPorts + 1
		if !e.pending && e.hold <= now {
			n = d.windowPorts(e, now, d.slow)
		}
		if b < 0 || n < bestN || (n == bestN && n > 0 && e.born > bucket[b].born) ||
			(n == bestN && n == 0 && e.last < bucket[b].last) {
			b, bestN = i, n
		}
	}
	return base + b, bestN, false
}

// pickCases counts which branches of the choice a check saw.
type pickCases struct{ empty, stale, tieBorn, tieLast, full int }

// checkSlots fails unless every used slot holds its entry's copies (and
// a cached count equal to windowPorts), and pick chooses what refPick
// chooses in every bucket at every one of nows.
func checkSlots(t testing.TB, d *Detector, seen *pickCases, nows ...int64) {
	t.Helper()
	for i, tag := range d.tags {
		if tag == 0 {
			continue
		}
		e, m := &d.tab[i], &d.slots[i]
		if m.last != e.last || m.born != e.born || m.hold != e.hold || m.pending != e.pending {
			t.Fatalf("slot %d: %+v, entry last %d born %d hold %d pending %v", i, *m, e.last, e.born, e.hold, e.pending)
		}
		if w := d.windowPorts(e, 0, d.slow); m.slowOK && int(m.slowN) != w {
			t.Fatalf("slot %d caches %d ports in the slow window, entry has %d", i, m.slowN, w)
		}
	}
	for base := 0; base < len(d.tab); base += ways {
		for _, now := range nows {
			wi, wn, we := refPick(d, base, now)
			gi, gn, ge := d.pick(base, now)
			if gi != wi || gn != wn || ge != we {
				t.Fatalf("bucket %d at %d: pick %d (%d ports, empty %v), reference %d (%d, %v)", base/ways, now, gi, gn, ge, wi, wn, we)
			}
			if seen == nil {
				continue
			}
			if we {
				seen.empty++
				continue
			}
			// Which tie-breaks decided: another candidate with as many ports.
			for i := base; i < base+ways; i++ {
				if i == wi {
					continue
				}
				if _, n, _ := refPickOne(d, i, now); n == wn {
					if wn == 0 {
						seen.tieLast++
					} else {
						seen.tieBorn++
					}
				}
			}
			switch {
			case wn == 0:
				seen.stale++
			case wn > MaxPorts:
				seen.full++
			}
		}
	}
}

// refPickOne is refPick's count for the single slot i.
func refPickOne(d *Detector, i int, now int64) (int, int, bool) {
	e := &d.tab[i]
	if e.pending || e.hold > now {
		return i, MaxPorts + 1, false
	}
	return i, d.windowPorts(e, now, d.slow), false
}

// TestVictimMatchesReference drives small detectors with random probes
// (fixed seeds) from a few dozen sources, with time jumps that end holds
// and slow windows, Ticks and a tight per-minute limit, and after every
// step requires the side slots to match the entries and the victim
// choice of every bucket to be the reference's, now and later. It also
// requires that every branch of the choice (empty slot, stale entry,
// held or pending entry, both tie-breaks) was taken.
func TestVictimMatchesReference(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 99))
		c := DefaultConfig()
		c.TableSize, c.ProbationSize, c.MaxPerMinute, c.Seed = 16, 8, 2, seed
		c.Fast = Window{time.Second, 4}
		c.Slow = Window{10 * time.Second, 6}
		c.Hold = 5 * time.Second
		d := mustNew(t, c)
		srcs := make([]netip.Addr, 48)
		for i := range srcs {
			if i%3 == 0 {
				srcs[i] = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(i), 6: 0, 15: byte(r.IntN(4) + 1)})
			} else {
				srcs[i] = netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
			}
		}
		var seen pickCases
		now := t0
		slow, hold := int64(c.Slow.Span), int64(c.Hold)
		for step := range 20000 {
			switch x := r.IntN(100); {
			case x < 2:
				now += slow + int64(r.IntN(3))*int64(time.Second)
			case x < 5:
				now -= int64(r.IntN(2000)) * int64(time.Millisecond) // out of order
			default:
				now += int64(r.IntN(400)) * int64(time.Millisecond)
			}
			p := Probe{Time: now, Kind: KindProbe, Src: srcs[r.IntN(len(srcs))], Proto: 6, Port: uint16(1 + r.IntN(12)), Rule: 1}
			if r.IntN(4) == 0 {
				p.Port = uint16(1000 + r.IntN(40))
			}
			d.Observe(&p)
			if r.IntN(50) == 0 {
				d.Tick(now, func(*Decision) {})
			}
			if r.IntN(500) == 0 {
				d.Flush(now, func(*Decision) {})
			}
			checkSlots(t, d, &seen, d.now, d.now+slow/2, d.now+hold+1, d.now+slow+1)
			if t.Failed() {
				t.Fatalf("seed %d step %d", seed, step)
			}
		}
		if seen.empty == 0 || seen.stale == 0 || seen.full == 0 || seen.tieBorn == 0 || seen.tieLast == 0 {
			t.Fatalf("seed %d: the probes missed a branch of the choice: %+v", seed, seen)
		}
		if st := d.Stats(); st.Evictions == 0 || st.Limited == 0 {
			t.Fatalf("seed %d: no evictions or no pending decisions: %+v", seed, st)
		}
	}
}
