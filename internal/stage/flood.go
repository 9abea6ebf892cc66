package stage

import (
	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// Flood is flood control (internal/flood) as a stage. Its classes come
// from the record's packet summary, the same decode the formats use.
type Flood struct {
	lim  *flood.Limiter
	ev   record.Event
	emit Emitter
	last flood.Stats // counters already reported by Delta
	// emitFn is f.emitSummary bound once, so passing it costs nothing.
	emitFn func(*flood.Summary)
}

// NewFlood returns a flood-control stage with its own limiter.
func NewFlood(cfg flood.Config) *Flood {
	f := &Flood{lim: flood.New(cfg), ev: record.Event{Kind: record.KindFlood}}
	f.emitFn = f.emitSummary
	return f
}

func (f *Flood) emitSummary(s *flood.Summary) {
	f.ev.Flood = *s
	f.emit.Emit(&f.ev)
}

// Record implements Stage.
func (f *Flood) Record(r *record.Record, suppressed bool, emit Emitter) bool {
	f.emit = emit
	now := r.Time()
	// Windows that ended before this record are closed first, so that
	// where summaries land depends only on the records, not on batching.
	f.lim.Expire(now, f.emitFn)
	allow := true
	s := r.Summary()
	if s.Version != 0 {
		blockIn := r.Hdr.Action == pflog.ActionDrop && r.Hdr.Dir == pflog.DirIn
		c := flood.ClassOf(blockIn, s)
		if s.Src.Is4() {
			a := s.Src.As4()
			allow = f.lim.Allow(a[:], c, now)
		} else {
			a := s.Src.As16()
			allow = f.lim.Allow(a[:], c, now)
		}
	}
	if f.lim.Pending() {
		f.lim.Summaries(f.emitFn)
	}
	return allow
}

// Tick implements Stage.
func (f *Flood) Tick(now int64, emit Emitter) {
	f.emit = emit
	f.lim.Expire(now, f.emitFn)
}

// Flush implements Stage.
func (f *Flood) Flush(now int64, emit Emitter) {
	f.emit = emit
	f.lim.Flush(now, f.emitFn)
}

// Delta returns what the limiter counted since the previous call.
func (f *Flood) Delta() (d flood.Stats) {
	n := f.lim.Stats()
	d = flood.Stats{Allowed: n.Allowed - f.last.Allowed, Suppressed: n.Suppressed - f.last.Suppressed,
		Summaries: n.Summaries - f.last.Summaries, Evictions: n.Evictions - f.last.Evictions,
		Entries: n.Entries, TableSize: n.TableSize}
	f.last = n
	return d
}
