// Package timestamp formats capture times the way every line of the
// daemon starts: "2006-01-02T15:04:05.000000-07:00", local time, cached
// per second so that most records cost a copy and six digits.
package timestamp

import (
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/num"
)

// Stamper formats capture times as
// "2006-01-02T15:04:05.000000-07:00" in a location, caching the formatted
// date, time and offset of the last second so that most records cost a
// copy and six digits. It is not safe for concurrent use.
type Stamper struct {
	Loc *time.Location

	lastSec int64
	valid   bool
	line    [32]byte // "2006-01-02T15:04:05.000000-07:00" of lastSec
}

// Append appends the timestamp for sec/nsec to dst.
func (t *Stamper) Append(dst []byte, sec int64, nsec int32) []byte {
	if !t.valid || sec != t.lastSec {
		t.fill(sec)
	}
	usec := uint32(nsec) / 1000
	if usec > 999999 {
		usec = 999999
	}
	l := t.line
	a, b := usec/10000, usec/100%100
	c := usec - usec/100*100
	l[20], l[21] = num.DigitPairs[2*a], num.DigitPairs[2*a+1]
	l[22], l[23] = num.DigitPairs[2*b], num.DigitPairs[2*b+1]
	l[24], l[25] = num.DigitPairs[2*c], num.DigitPairs[2*c+1]
	return append(dst, l[:]...)
}

func (t *Stamper) fill(sec int64) {
	loc := t.Loc
	if loc == nil {
		loc = time.Local
	}
	tm := time.Unix(sec, 0).In(loc)
	year, month, day := tm.Date()
	hour, min, s := tm.Clock()
	_, off := tm.Zone()
	b := t.line[:0]
	b = put(b, year, 4)
	b = append(b, '-')
	b = put(b, int(month), 2)
	b = append(b, '-')
	b = put(b, day, 2)
	b = append(b, 'T')
	b = put(b, hour, 2)
	b = append(b, ':')
	b = put(b, min, 2)
	b = append(b, ':')
	b = put(b, s, 2)
	b = append(b, ".000000"...)
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	b = append(b, sign)
	b = put(b, off/3600, 2)
	b = append(b, ':')
	put(b, off/60%60, 2)
	t.lastSec = sec
	t.valid = true
}

// put appends v as exactly n decimal digits (years outside 0..9999 are
// clamped so the layout never changes width).
func put(b []byte, v, n int) []byte {
	if v < 0 {
		v = 0
	}
	var d [4]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}

// Split splits a time in nanoseconds since the epoch into seconds and
// nanoseconds within the second (0 to 999999999, also before 1970), the
// form Stamper.Append takes.
func Split(ns int64) (sec int64, nsec int32) {
	sec, n := ns/1e9, ns%1e9
	if n < 0 {
		sec, n = sec-1, n+1e9
	}
	return sec, int32(n)
}
