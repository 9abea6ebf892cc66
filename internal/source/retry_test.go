package source

import (
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// device stands in for a bpf descriptor on a pflog interface: it yields
// its packets, then fails as a destroyed interface does.
type device struct {
	mu      sync.Mutex
	packets []int64
	fail    error
	closed  bool
	stats   Stats
}

func (d *device) Next(p *Packet) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return io.EOF
	}
	if len(d.packets) == 0 {
		return d.fail
	}
	p.Sec = d.packets[0]
	d.packets = d.packets[1:]
	return nil
}
func (d *device) Pending() bool         { return false }
func (d *device) Name() string          { return "pflog0" }
func (d *device) Close() error          { d.mu.Lock(); d.closed = true; d.mu.Unlock(); return nil }
func (d *device) Stats() (Stats, error) { return d.stats, nil }

func TestRetryingReopensAndReportsOnce(t *testing.T) {
	gone := errors.New("read: device not configured")
	first := &device{packets: []int64{1, 2}, fail: gone, stats: Stats{Received: 2, Dropped: 1}}
	attempts := 0
	var mu sync.Mutex
	var msgs []string
	open := func() (Source, error) {
		attempts++
		if attempts < 5 { // the interface is not back yet
			return nil, errors.New("BIOCSETIF: no such interface")
		}
		return &device{packets: []int64{3, 4}, fail: io.EOF, stats: Stats{Received: 2}}, nil
	}
	r := NewRetrying(first, open, func(msg string, err error) {
		mu.Lock()
		msgs = append(msgs, msg)
		mu.Unlock()
	})
	r.SetBackoff(time.Millisecond, 4*time.Millisecond)
	var got []int64
	var p Packet
	for {
		err := r.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Sec)
	}
	if len(got) != 4 || got[0] != 1 || got[3] != 4 {
		t.Fatalf("packets %v, want 1..4", got)
	}
	if attempts != 5 {
		t.Fatalf("%d open attempts, want 5", attempts)
	}
	if len(msgs) != 2 || msgs[0] != "capture stopped, retrying with backoff" || msgs[1] != "capturing again" {
		t.Fatalf("reports %q: want one stop and one recovery", msgs)
	}
	if st, _ := r.Stats(); st.Received != 4 || st.Dropped != 1 {
		t.Fatalf("stats %+v: want counters carried over", st)
	}
}

func TestRetryingCloseStopsWaiting(t *testing.T) {
	first := &device{fail: errors.New("gone")}
	r := NewRetrying(first, func() (Source, error) { return nil, errors.New("still gone") }, func(string, error) {})
	r.SetBackoff(time.Hour, time.Hour)
	done := make(chan error, 1)
	go func() { var p Packet; done <- r.Next(&p) }()
	time.Sleep(20 * time.Millisecond)
	r.Close()
	select {
	case err := <-done:
		if err != io.EOF {
			t.Fatalf("Next after Close: %v", err)
		}
	case <-time.After(testtool.HangBound):
		t.Fatal("Close did not end a Next waiting to reopen")
	}
}
