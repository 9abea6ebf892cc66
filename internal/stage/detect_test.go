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
