package scantest

import "time"

// The contract's windows and weights (man page, DETECTION; detect's
// defaults), written down here independently of internal/detect so that
// the labels are an oracle, not a copy of the code under test.
const (
	FastSpan      = 5 * time.Second
	FastThreshold = 24
	SlowSpan      = time.Hour
	SlowThreshold = 30
)

// Mark runs the oracle over s: for every group (IPv4 address, IPv6 /64)
// it remembers when each distinct key was last tried and marks the first
// record at which the weight of the keys tried within FastSpan reaches
// FastThreshold, or within SlowSpan reaches SlowThreshold. After a
// decision the group is held (for longer than any scenario lasts).
func Mark(s *Scenario) {
	type group struct {
		last    map[string]time.Duration
		weight  map[string]int
		decided bool
	}
	groups := map[string]*group{}
	for i := range s.Events {
		e := &s.Events[i]
		e.Crosses, e.Window, e.Ports = false, "", 0
		if !e.Probe {
			continue
		}
		g := groups[e.Group]
		if g == nil {
			g = &group{last: map[string]time.Duration{}, weight: map[string]int{}}
			groups[e.Group] = g
		}
		if g.decided {
			continue
		}
		g.last[e.Key], g.weight[e.Key] = e.At, e.Weight
		sum := func(span time.Duration) (w, n int) {
			for k, t := range g.last {
				if t >= e.At-span {
					w += g.weight[k]
					n++
				}
			}
			return w, n
		}
		if w, n := sum(FastSpan); w >= FastThreshold {
			e.Crosses, e.Window, e.Ports = true, "fast", n
		} else if w, n := sum(SlowSpan); w >= SlowThreshold {
			e.Crosses, e.Window, e.Ports = true, "slow", n
		}
		g.decided = e.Crosses
	}
}
