// Package budget holds the daemon's global line budget: one token bucket
// that every source's pipeline draws from before it writes a per-packet
// line, so that the log grows by at most a fixed number of lines a second
// however many sources flood it; and the summary of the lines it kept out.
//
// The bucket is a GCRA (generic cell rate algorithm): its whole state is
// one atomic int64, the theoretical arrival time, updated by compare and
// swap, so sources in their own goroutines share it without a lock. Time
// is capture time (the records' timestamps), so a file read with -r gives
// the same output however it is read.
package budget

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/num"
	"github.com/pfasciilogd/pfasciilogd/internal/timestamp"
)

// DefaultRate is the default budget in lines per second: what
// fail2ban-server follows without falling behind on 2 cores (measured
// 1.5-8 k lines/s).
const DefaultRate = 2000

// BurstSeconds is how many seconds' worth of lines the bucket holds.
const BurstSeconds = 3

// Counters are the budget's statistics, shared by every source.
type Counters struct {
	Withheld  atomic.Uint64 // per-packet lines not written
	Summaries atomic.Uint64 // summary lines written
}

// Bucket is the shared token bucket. Its methods are safe for concurrent
// use.
type Bucket struct {
	rate     int64 // lines per second
	interval int64 // ns of capture time per line
	tol      int64 // burst: ns the arrival time may run ahead of now
	tat      atomic.Int64
	clock    atomic.Int64 // the newest time any source mapped (see Clock)
	c        *Counters
}

// New returns a bucket of rate lines per second holding BurstSeconds
// seconds' worth, full. c receives the counters (may be nil).
func New(rate int, c *Counters) *Bucket {
	if rate < 1 {
		rate = 1
	}
	if c == nil {
		c = new(Counters)
	}
	iv := max(int64(time.Second)/int64(rate), 1)
	return &Bucket{rate: int64(rate), interval: iv, tol: iv * int64(rate) * BurstSeconds, c: c}
}

// Rate returns the budget in lines per second.
func (b *Bucket) Rate() int { return int(b.rate) }

// Burst returns how many lines the full bucket holds.
func (b *Bucket) Burst() int { return int(b.tol / b.interval) }

// Counters returns where the budget counts.
func (b *Bucket) Counters() *Counters { return b.c }

// Take takes one line at time now if, after it, at least reserve lines'
// worth stay in the bucket, and reports whether it did.
func (b *Bucket) Take(now int64, reserve int) bool {
	limit := b.tol - int64(reserve)*b.interval
	for {
		tat := b.tat.Load()
		t := max(tat, now)
		nt := t + b.interval
		if nt-now > limit {
			return false
		}
		if b.tat.CompareAndSwap(tat, nt) {
			return true
		}
	}
}

// Clock maps one source's capture times onto the bucket's time line.
// Sources keep their own clocks (a file read with -r may be years old,
// the next file older than the last), so a source's first record is
// placed at the newest time any source has reached, and its clock never
// runs backwards after that. A Clock belongs to one source.
type Clock struct {
	off, last int64
	set       bool
}

// Now returns the bucket time of a record of c's source captured at t.
func (b *Bucket) Now(c *Clock, t int64) int64 {
	if !c.set {
		c.set = true
		if v := b.clock.Load(); v != 0 {
			c.off = v - t
		}
	}
	n := max(t+c.off, c.last)
	c.last = n
	// The shared clock only seeds new sources: a millisecond is precise
	// enough, and spares a write per record.
	for {
		v := b.clock.Load()
		if n-v < int64(time.Millisecond) || b.clock.CompareAndSwap(v, n) {
			break
		}
	}
	return n
}

// Summary reports the per-packet lines one source's pipeline withheld
// in one window.
type Summary struct {
	Withheld uint64 // lines not written
	Firsts   uint64 // of them, first lines of sources not seen before
	Start    int64  // capture time (ns) of the first withheld record
	At       int64  // capture time (ns) the window was closed
	Rate     int    // the budget, lines per second
}

// AppendSummary appends the summary as the daemon's own line, after a
// timestamp from ts:
//
//	<ts> pfasciilogd: line budget: 18234 lines not written in 1s, 18234 first lines of new sources (over 2000 lines/s)
//
// It names no address, so that no fail2ban filter mode can match it.
func AppendSummary(dst []byte, s *Summary, ts func(dst []byte, sec int64, nsec int32) []byte) []byte {
	sec, nsec := timestamp.Split(s.At)
	dst = ts(dst, sec, nsec)
	dst = append(dst, " pfasciilogd: line budget: "...)
	dst = num.AppendUint(dst, s.Withheld)
	dst = append(dst, " lines not written in "...)
	dst = AppendSeconds(dst, s.At-s.Start)
	dst = append(dst, "s, "...)
	dst = num.AppendUint(dst, s.Firsts)
	dst = append(dst, " first lines of new sources (over "...)
	dst = num.AppendUint(dst, uint64(s.Rate))
	return append(dst, " lines/s)\n"...)
}

// AppendSeconds appends ns as seconds with at most three decimals.
func AppendSeconds(dst []byte, ns int64) []byte {
	ms := max(ns, 0) / 1e6
	return strconv.AppendFloat(dst, float64(ms)/1000, 'f', -1, 64)
}
