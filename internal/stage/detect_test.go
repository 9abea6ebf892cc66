package stage

import (
	"encoding/binary"
	"sync/atomic"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/detect"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// TestDetectStage: records flood control suppressed still count, the
// decision comes as a KindScan event with the decision by value, the
// stage never keeps a line out, and the counters follow.
func TestDetectStage(t *testing.T) {
	var decisions, limited atomic.Uint64
	var entries atomic.Int64
	s, err := NewDetect(detect.DefaultConfig(), DetectCounters{Decisions: &decisions, Limited: &limited, Entries: &entries})
	if err != nil {
		t.Fatal(err)
	}
	var ev events
	for i := range 8 {
		ip := ipv4TCP(0x02, 20)
		binary.BigEndian.PutUint16(ip[22:], uint16(1+i))
		if !s.Record(rec(ip, 1000), i%2 == 1, &ev) {
			t.Fatal("the detector kept a line out")
		}
	}
	if len(ev) != 1 || ev[0].Kind != record.KindScan || ev[0].Scan.Ports != 8 ||
		ev[0].Scan.Source.String() != "203.0.113.9/32" || decisions.Load() != 1 {
		t.Fatalf("events %+v, decisions %d", ev, decisions.Load())
	}
	line := string(ev[0].Scan.AppendText(nil, func(d []byte, _ int64, _ int32) []byte { return append(d, "TS"...) }))
	if want := "TS pfasciilogd: scan from 203.0.113.9: 8 ports (tcp 8) in 0s, fast window, rule 0 on \n"; line != want {
		t.Fatalf("line %q, want %q", line, want)
	}
	s.Flush(1001e9, &ev)
	if entries.Load() != 1 || len(ev) != 1 {
		t.Fatalf("after Flush: entries %d, events %d", entries.Load(), len(ev))
	}
}

// FuzzDetectStage: any packet bytes through the stage (summary, Classify,
// detector) never panic and never keep a line out.
func FuzzDetectStage(f *testing.F) {
	f.Add(ipv4TCP(0x02, 20), uint8(9))
	f.Add(ipv4TCP(0x12, 14), uint8(2))
	f.Fuzz(func(t *testing.T, ip []byte, n uint8) {
		cfg := detect.DefaultConfig()
		cfg.TableSize, cfg.ProbationSize, cfg.MaxPerMinute = 16, 16, 1
		s, err := NewDetect(cfg, DetectCounters{})
		if err != nil {
			t.Fatal(err)
		}
		var ev events
		for i := range int(n%32) + 1 {
			b := append([]byte(nil), ip...)
			if len(b) > 23 {
				binary.BigEndian.PutUint16(b[22:], uint16(i))
			}
			if !s.Record(rec(b, int64(i)), false, &ev) {
				t.Fatal("the detector kept a line out")
			}
		}
		s.Flush(100e9, &ev)
	})
}

type discard struct{}

func (discard) Emit(*record.Event) {}

// TestDetectStatsPublished: a decision is published at once (a status
// file shows it before the minute turns), the other counters at latest
// after publishEvery records, and the per-minute limit, evictions and
// cut records show up in the stage's own counters.
func TestDetectStatsPublished(t *testing.T) {
	cfg := detect.DefaultConfig()
	cfg.TableSize, cfg.MaxPerMinute = 8, 1
	s, err := NewDetect(cfg, DetectCounters{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Load(); got.TableSize != 8 || got.Probes != 0 {
		t.Fatalf("at start: %+v", got)
	}
	var ev events
	scan := func(src byte, ports int, sec int64) {
		for i := range ports {
			ip := ipv4TCP(0x02, 20)
			ip[15] = src
			binary.BigEndian.PutUint16(ip[22:], uint16(1+i))
			s.Record(rec(ip, sec), false, &ev)
		}
	}
	scan(1, 8, 1000)
	if got := s.Stats().Load(); got.Decisions != 1 || got.Probes != 8 || got.Entries != 1 {
		t.Fatalf("after one scan: %+v", got)
	}
	// A second scanner in the same minute waits for the limit.
	scan(2, 8, 1001)
	// Sources with two ports each, more than the table holds: evictions.
	for src := byte(10); src < 40; src++ {
		scan(src, 2, 1002)
	}
	// A SYN cut before its flags.
	s.Record(rec(ipv4TCP(0x02, 12), 1003), false, &ev)
	// No decision, no minute turned: published after publishEvery records.
	for i := 0; i < publishEvery; i++ {
		s.Record(rec(ipv4TCP(0x12, 20), 1003), false, &ev)
	}
	got := s.Stats().Load()
	if got.Limited != 1 || got.Evictions == 0 || got.Cut != 1 || got.Decisions != 1 || got.Entries > 8 {
		t.Fatalf("within the minute: %+v", got)
	}
	s.Flush(1003e9, &ev)
	if got := s.Stats().Load(); got.Decisions != 2 {
		t.Fatalf("after Flush: %+v", got)
	}
}

// TestDetectStageAllocs: the stage's hot path, publishing included,
// allocates nothing per record.
func TestDetectStageAllocs(t *testing.T) {
	cfg := detect.DefaultConfig()
	cfg.TableSize = 64
	s, err := NewDetect(cfg, DetectCounters{Decisions: new(atomic.Uint64), Limited: new(atomic.Uint64),
		Evictions: new(atomic.Uint64), Entries: new(atomic.Int64)})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]*record.Record, 4096)
	for i := range recs {
		ip := ipv4TCP(0x02, 20)
		ip[14], ip[15] = byte(i>>8), byte(i)
		binary.BigEndian.PutUint16(ip[22:], uint16(1+i%3))
		recs[i] = rec(ip, 1000+int64(i/1000))
	}
	i := 0
	if a := testing.AllocsPerRun(20000, func() {
		s.Record(recs[i%len(recs)], false, discard{})
		i++
	}); a != 0 {
		t.Fatalf("%.2f allocations per record", a)
	}
}
