package flood

import (
	"testing"
	"time"
)

// FuzzLimiter drives a small Limiter with arbitrary records: it must not
// panic, the table must stay within its size, and every suppressed record
// must be reported by exactly one summary once everything is flushed.
//
// Each record takes 3 bytes: source (low 5 bits pick one of 32 addresses,
// bit 5 makes it IPv6), class, time step in 100 ms units (0x80 set: step
// back). The first byte sets MaxPerSource (1..8).
func FuzzLimiter(f *testing.F) {
	f.Add([]byte{2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 200, 2, 1, 0})
	f.Add([]byte{1, 0x21, 3, 0, 0x21, 3, 0, 0x21, 3, 0x90, 0x01, 7, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		l := New(Config{MaxPerSource: int(data[0]%8) + 1, Window: time.Second, TableSize: 16})
		data = data[1:]
		var reported uint64
		emit := func(s *Summary) {
			if s.Suppressed == 0 {
				t.Fatalf("empty summary %+v", s)
			}
			reported += s.Suppressed
		}
		var now int64 = 1e18
		var addr [16]byte
		n := 0
		for ; len(data) >= 3; data = data[3:] {
			s, c, d := data[0], data[1], data[2]
			step := int64(d&0x7f) * int64(100*time.Millisecond)
			if d&0x80 != 0 {
				step = -step
			}
			now += step
			addr[0], addr[15] = 0x20, s&0x1f
			src := addr[:]
			if s&0x20 == 0 {
				src = addr[12:16]
			}
			l.Allow(src, Class(c), now)
			n++
			if l.Pending() {
				l.Summaries(emit)
			}
			if c&0x40 != 0 {
				l.Expire(now, emit)
			}
			if st := l.Stats(); st.Entries > st.TableSize || len(l.open) >= cap(l.open) {
				t.Fatalf("table overgrown: %+v, open %d/%d", st, len(l.open), cap(l.open))
			}
		}
		l.Flush(now, emit)
		st := l.Stats()
		if st.Allowed+st.Suppressed != uint64(n) {
			t.Fatalf("allowed %d + suppressed %d != %d records", st.Allowed, st.Suppressed, n)
		}
		if reported != st.Suppressed {
			t.Fatalf("summaries report %d suppressed, stats %d", reported, st.Suppressed)
		}
	})
}
