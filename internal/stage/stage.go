// Package stage defines the per-source stages of the pipeline: each sees
// every decoded record of its source in input order, may keep its line
// from being written, and may report events (flood-control summaries,
// later scan decisions) that the formats render and the sinks receive like
// lines. Timers run from the daemon's one ticker through Tick.
//
// A stage belongs to one source's pipeline and is never called from two
// goroutines at once; it must not allocate per record.
package stage

import (
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// Emitter takes the events a stage reports. Emit copies *e; the pointer
// is not kept.
type Emitter interface {
	Emit(e *record.Event)
}

// Stage is one per-source step between decoding and formatting.
type Stage interface {
	// Record sees r (decoded; r.Summary() decodes the packet once for all
	// stages and formats) and reports whether its line is written. Every
	// stage sees every record, also those an earlier stage suppressed
	// (suppressed tells), so that a detector still counts what flood
	// control keeps out of the log.
	Record(r *record.Record, suppressed bool, emit Emitter) (keep bool)
	// Tick runs timers at capture time now (ns since the epoch): the
	// newest record's time plus the wall time since it was read. The
	// daemon calls it from its ticker for live sources only, so a file
	// read with -r gives the same output however it is read.
	Tick(now int64, emit Emitter)
	// Flush reports everything still held at the end of the input or at
	// shutdown; now is the last record's capture time.
	Flush(now int64, emit Emitter)
}

// Run passes r through stages in order and reports whether its line is
// written.
func Run(stages []Stage, r *record.Record, emit Emitter) bool {
	keep := true
	for _, s := range stages {
		if !s.Record(r, !keep, emit) {
			keep = false
		}
	}
	return keep
}
