package daemon

import (
	"fmt"
	"sync/atomic"
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
}

// String renders the counters for a log message.
func (s *Stats) String() string {
	return fmt.Sprintf("records read %d, lines written %d, malformed records skipped %d, corrupt input skipped %d, lines lost on output %d, kernel received %d, kernel dropped %d",
		s.Read.Load(), s.Written.Load(), s.Malformed.Load(), s.Skipped.Load(), s.Lost.Load(), s.Received.Load(), s.Dropped.Load())
}
