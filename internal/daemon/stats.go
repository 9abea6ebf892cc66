package daemon

import (
	"fmt"
	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"sync/atomic"

	"github.com/pfasciilogd/pfasciilogd/internal/flood"
)

// Stats are the daemon's counters, readable at any time.
type Stats struct {
	Read      atomic.Uint64 // records read from all sources
	Written   atomic.Uint64 // lines handed to the output without error
	Malformed atomic.Uint64 // records skipped: bad pflog header
	Skipped   atomic.Uint64 // corrupt input regions skipped by a source
	Lost      atomic.Uint64 // lines the output refused (write errors)
	Received  atomic.Uint64 // kernel: packets seen by bpf (live capture)
	Dropped   atomic.Uint64 // kernel: packets bpf dropped (live capture)

	Suppressed atomic.Uint64 // flood control: records counted, not written
	Summaries  atomic.Uint64 // flood control: summary lines written
	Evictions  atomic.Uint64 // flood control: sources evicted from the full table

	// Budget counts the global line budget's withheld lines and summaries
	// (the budget stages add to it: pass &Stats.Budget to budget.New).
	Budget budget.Counters

	Decisions       atomic.Uint64 // detection: scan decisions made (the detector stage adds to it)
	DetectLimited   atomic.Uint64 // detection: decisions the per-minute limit made wait
	DetectEvictions atomic.Uint64 // detection: sources with evidence evicted from the full table
	DetectEntries   atomic.Int64  // detection: sources tracked with evidence
}

// String renders the counters for a log message.
func (s *Stats) String() string {
	msg := fmt.Sprintf("records read %d, lines written %d, malformed records skipped %d, corrupt input skipped %d, lines lost on output %d, kernel received %d, kernel dropped %d",
		s.Read.Load(), s.Written.Load(), s.Malformed.Load(), s.Skipped.Load(), s.Lost.Load(), s.Received.Load(), s.Dropped.Load())
	if n := s.Decisions.Load(); n > 0 || s.DetectLimited.Load() > 0 || s.DetectEntries.Load() > 0 {
		msg += fmt.Sprintf(", scan decisions %d (held by the limit %d), detector: sources tracked %d, evicted %d",
			n, s.DetectLimited.Load(), s.DetectEntries.Load(), s.DetectEvictions.Load())
	}
	if sup, sum, ev := s.Suppressed.Load(), s.Summaries.Load(), s.Evictions.Load(); sup+sum+ev > 0 {
		msg += fmt.Sprintf(", flood control: records suppressed %d, summaries %d, sources evicted %d", sup, sum, ev)
	}
	if w, n := s.Budget.Withheld.Load(), s.Budget.Summaries.Load(); w+n > 0 {
		msg += fmt.Sprintf(", line budget: lines withheld %d, summaries %d", w, n)
	}
	return msg
}

// addFlood adds what a flood-control stage counted since its last report.
func (s *Stats) addFlood(n flood.Stats) {
	s.Suppressed.Add(n.Suppressed)
	s.Summaries.Add(n.Summaries)
	s.Evictions.Add(n.Evictions)
}
