package stage

import (
	"sync/atomic"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/detect"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// Detect is the scan detector (internal/detect) as a stage. It reads
// every record, also those flood control kept out of the log, through
// detect.Classify over what the record already decoded (its pflog
// header, its packet summary, its IP bytes and capture time), and reports
// each decision as an event: record.KindScan, or record.KindLimit for
// the "decision limit reached" notice. It never keeps a line out.
type Detect struct {
	d      *detect.Detector
	probe  detect.Probe
	ev     record.Event
	emit   Emitter
	c      DetectCounters
	last   detect.Stats // what publish already added
	emitFn func(*detect.Decision)
	minute int64  // capture minute of the last record
	n      uint32 // records since the last publish
	pub    DetectStats
}

// publishEvery is how many records may pass between two publishes of the
// detector's counters: the status file lags a live flood by at most that
// many records, not by a capture minute.
const publishEvery = 1024

// DetectCounters are where a detection stage adds its statistics (nil
// fields are not kept): scan decisions at once, the others at each
// capture minute, Tick and Flush. Several stages (one per source) may
// share them.
type DetectCounters struct {
	Decisions *atomic.Uint64 // scan decisions reported
	Limited   *atomic.Uint64 // decisions the per-minute limit made wait
	Evictions *atomic.Uint64 // sources with evidence evicted from the full table
	Entries   *atomic.Int64  // sources tracked with evidence now
}

// DetectStats is one detection stage's detector counters (detect.Stats),
// published for readers in other goroutines: the stage stores them at
// each decision, every publishEvery records, each capture minute, Tick
// and Flush. Each counter is atomic on its own; Load is not one instant
// across counters, which a status file does not need.
type DetectStats struct {
	probes, decisions, limited, limitHits, evictions, probation atomic.Uint64
	ignored, bogus, cut                                         atomic.Uint64
	entries, probations, tableSize                              atomic.Int64
}

// Load returns the counters last published (Bytes is not published).
func (p *DetectStats) Load() detect.Stats {
	return detect.Stats{
		Probes: p.probes.Load(), Decisions: p.decisions.Load(), Limited: p.limited.Load(),
		LimitHits: p.limitHits.Load(), Evictions: p.evictions.Load(), Probation: p.probation.Load(),
		Ignored: p.ignored.Load(), Bogus: p.bogus.Load(), Cut: p.cut.Load(),
		Entries: int(p.entries.Load()), Probations: int(p.probations.Load()), TableSize: int(p.tableSize.Load()),
	}
}

func (p *DetectStats) store(n *detect.Stats) {
	p.probes.Store(n.Probes)
	p.decisions.Store(n.Decisions)
	p.limited.Store(n.Limited)
	p.limitHits.Store(n.LimitHits)
	p.evictions.Store(n.Evictions)
	p.probation.Store(n.Probation)
	p.ignored.Store(n.Ignored)
	p.bogus.Store(n.Bogus)
	p.cut.Store(n.Cut)
	p.entries.Store(int64(n.Entries))
	p.probations.Store(int64(n.Probations))
	p.tableSize.Store(int64(n.TableSize))
}

// NewDetect returns a detection stage with its own detector. cfg must be
// valid (detect.Config.Validate).
func NewDetect(cfg detect.Config, c DetectCounters) (*Detect, error) {
	d, err := detect.New(cfg)
	if err != nil {
		return nil, err
	}
	s := &Detect{d: d, c: c}
	s.emitFn = s.report
	s.publish()
	return s, nil
}

// Detector returns the stage's detector, for the goroutine that runs the
// stage; other goroutines read Stats.
func (s *Detect) Detector() *detect.Detector { return s.d }

// Stats returns the stage's published counters, safe to read from any
// goroutine (a status file writer).
func (s *Detect) Stats() *DetectStats { return &s.pub }

func (s *Detect) report(dec *detect.Decision) {
	s.ev.Kind = record.KindScan
	if dec.Event == detect.EventLimit {
		s.ev.Kind = record.KindLimit
	} else if s.c.Decisions != nil {
		s.c.Decisions.Add(1)
	}
	s.ev.Scan = *dec
	s.emit.Emit(&s.ev)
	// Decisions are few (the per-minute limit): each one is published at
	// once, with whatever else the detector counted.
	s.publish()
}

// Record implements Stage. suppressed does not matter: the detector
// counts what flood control kept out of the log too.
func (s *Detect) Record(r *record.Record, suppressed bool, emit Emitter) bool {
	sum := r.Summary()
	if sum.Version == 0 {
		return true
	}
	now := r.Time()
	if m := now / int64(time.Minute); m != s.minute {
		// A new minute of capture time: the decisions the per-minute
		// limit held back are made now, before this record, from the
		// records alone (also for -r, which has no ticker).
		s.minute = m
		s.emit = emit
		s.d.Tick(now, s.emitFn)
		s.publish()
	}
	detect.Classify(&s.probe, now, r.Hdr, sum)
	if dec := s.d.Observe(&s.probe); dec != nil {
		s.emit = emit
		s.report(dec)
	} else if s.n++; s.n >= publishEvery {
		s.publish()
	}
	return true
}

// Tick implements Stage: decisions the per-minute limit held back are
// made once the minute has turned.
func (s *Detect) Tick(now int64, emit Emitter) {
	s.emit = emit
	s.d.Tick(now, s.emitFn)
	s.publish()
}

// Flush implements Stage: decisions still held back by the limit are
// made at the following minutes' starts, so that the end of a file read
// with -r loses none.
func (s *Detect) Flush(now int64, emit Emitter) {
	s.emit = emit
	s.d.Flush(now, s.emitFn)
	s.publish()
}

// publish adds what the detector counted since the last call to the
// shared counters and stores it in the stage's own.
func (s *Detect) publish() {
	s.n = 0
	n := s.d.Stats()
	s.pub.store(&n)
	if s.c.Limited != nil {
		s.c.Limited.Add(n.Limited - s.last.Limited)
	}
	if s.c.Evictions != nil {
		s.c.Evictions.Add(n.Evictions - s.last.Evictions)
	}
	if s.c.Entries != nil {
		s.c.Entries.Add(int64(n.Entries - s.last.Entries))
	}
	s.last = n
}
