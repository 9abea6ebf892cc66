package source

import (
	"errors"
	"io"
	"sync"
	"time"
)

// Retrying keeps a live source going when its device goes away: the
// pflog interface destroyed and created again (pf reloaded, pflog(4)
// unloaded and loaded). When Next fails, it closes the source, reopens it
// with exponential backoff and goes on. It reports the failure once and
// the recovery once, not every attempt. Kernel counters of the closed
// sources are carried over, so Stats keeps counting.
type Retrying struct {
	name   string
	open   func() (Source, error)
	report func(msg string, err error)
	min    time.Duration
	max    time.Duration

	mu     sync.Mutex
	cur    Source
	base   Stats // counters of sources already closed
	closed chan struct{}
	once   sync.Once
}

// Backoff limits for NewRetrying.
const (
	RetryMin = time.Second
	RetryMax = 30 * time.Second
)

// NewRetrying wraps the already opened first, reopening with open after a
// failure. report receives one message when capture stops and one when it
// works again (err is nil then).
func NewRetrying(first Source, open func() (Source, error), report func(msg string, err error)) *Retrying {
	return &Retrying{name: first.Name(), cur: first, open: open, report: report,
		min: RetryMin, max: RetryMax, closed: make(chan struct{})}
}

// SetBackoff changes the backoff limits (tests use short ones).
func (r *Retrying) SetBackoff(min, max time.Duration) { r.min, r.max = min, max }

// Name implements Source.
func (r *Retrying) Name() string { return r.name }

// Pending implements Source.
func (r *Retrying) Pending() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur != nil && r.cur.Pending()
}

// Next implements Source.
func (r *Retrying) Next(p *Packet) error {
	for {
		r.mu.Lock()
		cur := r.cur
		r.mu.Unlock()
		if cur == nil {
			if err := r.reopen(); err != nil {
				return err
			}
			continue
		}
		err := cur.Next(p)
		if err == nil || err == io.EOF || IsSkip(err) {
			return err // io.EOF: the source was closed on purpose
		}
		if r.isClosed() {
			return io.EOF
		}
		r.report("capture stopped, retrying with backoff", err)
		r.drop(cur)
	}
}

// drop closes a failed source and keeps its counters.
func (r *Retrying) drop(s Source) {
	if ss, ok := s.(StatsSource); ok {
		if st, err := ss.Stats(); err == nil {
			r.mu.Lock()
			r.base.Received += st.Received
			r.base.Dropped += st.Dropped
			r.mu.Unlock()
		}
	}
	s.Close()
	r.mu.Lock()
	if r.cur == s {
		r.cur = nil
	}
	r.mu.Unlock()
}

// reopen tries until it succeeds or the source is closed (io.EOF).
func (r *Retrying) reopen() error {
	wait := r.min
	for attempt := 1; ; attempt++ {
		select {
		case <-r.closed:
			return io.EOF
		case <-time.After(wait):
		}
		s, err := r.open()
		if err == nil {
			r.mu.Lock()
			if r.isClosed() {
				r.mu.Unlock()
				s.Close()
				return io.EOF
			}
			r.cur = s
			r.mu.Unlock()
			r.report("capturing again", nil)
			return nil
		}
		if wait *= 2; wait > r.max {
			wait = r.max
		}
	}
}

func (r *Retrying) isClosed() bool {
	select {
	case <-r.closed:
		return true
	default:
		return false
	}
}

// Close implements Source.
func (r *Retrying) Close() error {
	r.once.Do(func() { close(r.closed) })
	r.mu.Lock()
	cur := r.cur
	r.mu.Unlock()
	if cur != nil {
		return cur.Close()
	}
	return nil
}

// Stats implements StatsSource: the counters of every source so far.
func (r *Retrying) Stats() (Stats, error) {
	r.mu.Lock()
	st, cur := r.base, r.cur
	r.mu.Unlock()
	if ss, ok := cur.(StatsSource); ok && cur != nil {
		now, err := ss.Stats()
		if err != nil && !errors.Is(err, io.EOF) {
			return st, nil
		}
		st.Received += now.Received
		st.Dropped += now.Dropped
	}
	return st, nil
}

// Fd returns the descriptor of the current source when it has one (for
// limiting its rights), else -1.
func (r *Retrying) Fd() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.cur.(interface{ Fd() int }); ok && r.cur != nil {
		return f.Fd()
	}
	return -1
}
