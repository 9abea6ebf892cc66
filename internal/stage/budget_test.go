package stage

import (
	"testing"
	"unsafe"

	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// from makes an inbound SYN from 10.a.b.c at capture time ns.
func from(src uint32, ns int64) *record.Record {
	ip := ipv4TCP(0x02, 20)
	ip[12], ip[13], ip[14], ip[15] = 10, byte(src>>16), byte(src>>8), byte(src)
	r := rec(ip, ns/1e9)
	r.Pkt.Nsec = int32(ns % 1e9)
	return r
}

// TestBudgetStage: table of traffic shapes, with the lines written and
// the withheld counts the summaries report.
func TestBudgetStage(t *testing.T) {
	type pkt struct {
		src uint32
		ns  int64
	}
	spread := func(n int, src func(i int) uint32, per int64) []pkt {
		p := make([]pkt, n)
		for i := range p {
			p[i] = pkt{src(i), int64(i) * per}
		}
		return p
	}
	tests := []struct {
		name     string
		rate     int
		pkts     []pkt
		written  int
		withheld uint64
		firsts   uint64
	}{
		{"under budget", 10, spread(20, func(i int) uint32 { return uint32(i) }, 2e8), 20, 0, 0},
		{"burst then one-offs", 10, spread(100, func(i int) uint32 { return uint32(i) }, 1e6),
			20, 80, 80}, // burst 30, one-offs stop at the 1 s reserve: 20
		{"repeated source uses the reserve", 10, spread(100, func(i int) uint32 { return 7 }, 1e6),
			30, 70, 0 + 0},
		{"same source repeats at the budget", 10, spread(50, func(i int) uint32 { return 7 }, 1e8), 50, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := budget.New(tc.rate, nil)
			s := NewBudget(b, BudgetConfig{TableSize: 64})
			var ev events
			n := 0
			for _, p := range tc.pkts {
				if s.Record(from(p.src, p.ns), false, &ev) {
					n++
				}
			}
			s.Flush(tc.pkts[len(tc.pkts)-1].ns, &ev)
			var w, f uint64
			for _, e := range ev {
				if e.Kind != record.KindBudget {
					t.Fatalf("event %+v", e)
				}
				w += e.Budget.Withheld
				f += e.Budget.Firsts
			}
			if n != tc.written || w != tc.withheld || f != tc.firsts {
				t.Errorf("written %d withheld %d firsts %d, want %d %d %d", n, w, f, tc.written, tc.withheld, tc.firsts)
			}
			if uint64(n)+w != uint64(len(tc.pkts)) {
				t.Errorf("%d written + %d withheld != %d records", n, w, len(tc.pkts))
			}
			if got := b.Counters().Withheld.Load(); got != w {
				t.Errorf("counter %d, summaries %d", got, w)
			}
		})
	}
}

// TestBudgetFloodBound: a simulated 60 s flood of one-off spoofed sources
// at 20,000 records/s with a scanner sending 10 records/s inside writes
// at most budget*60 + burst lines, and every scanner line survives.
func TestBudgetFloodBound(t *testing.T) {
	const rate, secs, flood = 2000, 60, 20000
	b := budget.New(rate, nil)
	s := NewBudget(b, BudgetConfig{})
	var ev events
	written, scanner, scannerWritten := 0, 0, 0
	src := uint32(1 << 20)
	for i := 0; i < secs*flood; i++ {
		ns := int64(1e12) + int64(i)*(1e9/flood)
		id := src + uint32(i)
		if i%(flood/10) == 0 {
			id, scanner = 5, scanner+1
		}
		if s.Record(from(id, ns), false, &ev) {
			written++
			if id == 5 {
				scannerWritten++
			}
		}
	}
	s.Flush(int64(1e12)+secs*1e9, &ev)
	if max := rate*secs + b.Burst(); written > max {
		t.Errorf("%d lines written, bound %d", written, max)
	}
	if scannerWritten < scanner-1 {
		t.Errorf("scanner: %d of %d lines written", scannerWritten, scanner)
	}
	if len(ev) > secs+1 {
		t.Errorf("%d summaries for %d s", len(ev), secs)
	}
	var w uint64
	for _, e := range ev {
		w += e.Budget.Withheld
	}
	if int(w)+written != secs*flood {
		t.Errorf("withheld %d + written %d != %d", w, written, secs*flood)
	}
	t.Logf("%d lines written of %d, %d summaries, scanner %d/%d", written, secs*flood, len(ev), scannerWritten, scanner)
}

// TestBudgetSuppressedDrawsNothing: lines flood control kept out take no
// token.
func TestBudgetSuppressedDrawsNothing(t *testing.T) {
	b := budget.New(1, nil)
	s := NewBudget(b, BudgetConfig{})
	var ev events
	for i := range 100 {
		s.Record(from(1, int64(i)), true, &ev)
	}
	if !s.Record(from(1, 100), false, &ev) {
		t.Fatal("the bucket was drawn by suppressed records")
	}
}

// TestBudgetTick: a quiet live source's summary comes from the ticker.
func TestBudgetTick(t *testing.T) {
	s := NewBudget(budget.New(1, nil), BudgetConfig{})
	var ev events
	for i := range 10 {
		s.Record(from(uint32(i), 5e9), false, &ev)
	}
	s.Tick(5.5e9, &ev)
	if len(ev) != 0 {
		t.Fatal("summary before the window ended")
	}
	s.Tick(6e9, &ev)
	if len(ev) != 1 || ev[0].Budget.At != 6e9 || ev[0].Budget.Withheld == 0 {
		t.Fatalf("events %+v", ev)
	}
}

// BenchmarkBudgetStage: cost per record under a one-off flood (the
// table lookup and the bucket), 0 allocations.
func BenchmarkBudgetStage(b *testing.B) {
	s := NewBudget(budget.New(budget.DefaultRate, nil), BudgetConfig{})
	var ev events
	recs := make([]*record.Record, 4096)
	for i := range recs {
		recs[i] = from(uint32(i*7919), 0)
		recs[i].Summary()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := recs[i&4095]
		r.Pkt.Sec, r.Pkt.Nsec = int64(i/20000), int32(i%20000)*50000
		s.Record(r, false, &ev)
		if len(ev) > 1000 {
			ev = ev[:0]
		}
	}
}

// FuzzBudgetStage: any packet bytes and times through the stage never
// panic, and every record is written or reported withheld exactly once.
func FuzzBudgetStage(f *testing.F) {
	f.Add(ipv4TCP(0x02, 20), []byte{0, 1, 2, 200, 3})
	f.Fuzz(func(t *testing.T, ip []byte, times []byte) {
		s := NewBudget(budget.New(2, nil), BudgetConfig{TableSize: 8})
		var ev events
		written, n := 0, 0
		var last int64
		for i, d := range times {
			if i >= 64 {
				break
			}
			p := append([]byte(nil), ip...)
			if len(p) >= 16 {
				p[15] ^= d & 3
			}
			last += int64(d) * 1e7
			r := rec(p, 0)
			r.Pkt.Sec, r.Pkt.Nsec = last/1e9, int32(last%1e9)
			n++
			if s.Record(r, false, &ev) {
				written++
			}
		}
		s.Flush(last, &ev)
		var w uint64
		for _, e := range ev {
			w += e.Budget.Withheld
			if e.Budget.At < e.Budget.Start {
				t.Fatalf("summary ends before it starts: %+v", e.Budget)
			}
		}
		if int(w)+written != n {
			t.Fatalf("written %d + withheld %d != %d", written, w, n)
		}
	})
}

// TestBudgetMemory: the table is fixed at NewBudget: 32 bytes a source,
// 512 KiB per input by default.
func TestBudgetMemory(t *testing.T) {
	if n := unsafe.Sizeof(budgetSlot{}); n != 32 {
		t.Errorf("slot of %d bytes", n)
	}
	s := NewBudget(budget.New(10, nil), BudgetConfig{})
	if len(s.tab) != DefaultBudgetTable {
		t.Errorf("%d slots", len(s.tab))
	}
	for i := range 100000 {
		s.Record(from(uint32(i), int64(i)*1e4), false, &events{})
	}
	if len(s.tab) != DefaultBudgetTable {
		t.Errorf("table grew to %d", len(s.tab))
	}
}
