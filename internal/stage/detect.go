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
	d     *detect.Detector
	probe detect.Probe
	ev    record.Event
	emit  Emitter
	// decisions, if set, counts the scan decisions reported (the
	// daemon's statistics).
	decisions *atomic.Uint64
	emitFn    func(*detect.Decision)
	minute    int64 // capture minute of the last record
}

// NewDetect returns a detection stage with its own detector. cfg must be
// valid (detect.Config.Validate); decisions, if not nil, is added one per
// scan decision.
func NewDetect(cfg detect.Config, decisions *atomic.Uint64) (*Detect, error) {
	d, err := detect.New(cfg)
	if err != nil {
		return nil, err
	}
	s := &Detect{d: d, decisions: decisions}
	s.emitFn = s.report
	return s, nil
}

// Detector returns the stage's detector (for its statistics).
func (s *Detect) Detector() *detect.Detector { return s.d }

func (s *Detect) report(dec *detect.Decision) {
	s.ev.Kind = record.KindScan
	if dec.Event == detect.EventLimit {
		s.ev.Kind = record.KindLimit
	} else if s.decisions != nil {
		s.decisions.Add(1)
	}
	s.ev.Scan = *dec
	s.emit.Emit(&s.ev)
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
	}
	detect.Classify(&s.probe, now, r.Hdr, sum, r.IP)
	if dec := s.d.Observe(&s.probe); dec != nil {
		s.emit = emit
		s.report(dec)
	}
	return true
}

// Tick implements Stage: decisions the per-minute limit held back are
// made once the minute has turned.
func (s *Detect) Tick(now int64, emit Emitter) {
	s.emit = emit
	s.d.Tick(now, s.emitFn)
}

// Flush implements Stage: decisions still held back by the limit are
// made at the following minutes' starts, so that the end of a file read
// with -r loses none.
func (s *Detect) Flush(now int64, emit Emitter) {
	s.emit = emit
	s.d.Flush(now, s.emitFn)
}
