package daemon

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/detect"
	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/stage"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func TestThrottle(t *testing.T) {
	th := throttle{interval: 10 * time.Second}
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		at   time.Duration
		ok   bool
		held uint64
	}{{0, true, 0}, {time.Second, false, 0}, {2 * time.Second, false, 0}, {11 * time.Second, true, 2}, {12 * time.Second, false, 0}, {30 * time.Second, true, 1}} {
		ok, held := th.allow(t0.Add(tc.at))
		if ok != tc.ok || held != tc.held {
			t.Errorf("at %v: allow %v held %d, want %v %d", tc.at, ok, held, tc.ok, tc.held)
		}
	}
}

// memSink keeps every batch.
type memSink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	batches int
}

func (m *memSink) Write(b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf.Write(b)
	m.batches++
	return nil
}
func (m *memSink) Reopen() error { return nil }
func (m *memSink) Close() error  { return nil }

// capture builds a pcap of n SYN-like records (from the case catalogue's
// first IPv4 TCP case) with one record whose pflog header is broken.
func capture(t *testing.T, n, bad int) []byte {
	var c gen.Case
	for _, k := range gen.Cases() {
		if k.Record.Hdr.Layout == pflog.LayoutFreeBSD && k.Record.Snap == 0 && len(k.Record.Packet) > 40 && k.Record.Packet[0] == 0x45 && k.Record.Packet[9] == 6 {
			c = k
			break
		}
	}
	var b bytes.Buffer
	w, err := gen.NewWriter(&b, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		r := c.Record
		r.Sec = int64(1795258722 + i)
		if i == bad {
			r.Hdr.Layout = pflog.LayoutLegacy
			enc := gen.Encode(nil, &r)
			enc[16] = 50 // no such header length
			b.Write(enc)
			continue
		}
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestRunCountsAndSkips(t *testing.T) {
	for _, workers := range []int{1, 3} {
		data := capture(t, 5000, 1234)
		r, err := pcapfile.NewReader("mem", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		sink := &memSink{}
		var logBuf bytes.Buffer
		stats := &Stats{}
		err = Run(Config{
			Sources:      []source.Source{r},
			Sequential:   true,
			NewFormatter: func() format.Formatter { return format.NewText(time.UTC) },
			Sink:         sink,
			SinkName:     "memory",
			Log:          NewLogger(&logBuf),
			Stats:        stats,
			Workers:      workers,
			Quiet:        true,
		})
		if err != nil {
			t.Fatalf("workers %d: %v", workers, err)
		}
		if got := bytes.Count(sink.buf.Bytes(), []byte("\n")); got != 4999 {
			t.Errorf("workers %d: %d lines, want 4999", workers, got)
		}
		if stats.Read.Load() != 5000 || stats.Written.Load() != 4999 || stats.Malformed.Load() != 1 {
			t.Errorf("workers %d: %s", workers, stats)
		}
		if !strings.Contains(logBuf.String(), "malformed") || !strings.Contains(logBuf.String(), "records read 5000") {
			t.Errorf("workers %d: log lacks the malformed record or the closing statistics:\n%s", workers, logBuf.String())
		}
		// Batches, not a write per line.
		if sink.batches > 100 {
			t.Errorf("workers %d: %d writes for 4999 lines", workers, sink.batches)
		}
	}
}

// liveSource hands out its records, then waits like an idle pflog0 until
// it is closed.
type liveSource struct {
	recs   []source.Packet
	i      int
	closed chan struct{}
	once   sync.Once
}

func (s *liveSource) Next(p *source.Packet) error {
	if s.i < len(s.recs) {
		*p = s.recs[s.i]
		s.i++
		return nil
	}
	<-s.closed
	return io.EOF
}
func (s *liveSource) Pending() bool { return s.i < len(s.recs) }
func (s *liveSource) Name() string  { return "pflog0" }
func (s *liveSource) Close() error  { s.once.Do(func() { close(s.closed) }); return nil }

// synRecords returns n SYN records from one source, all at capture time sec.
func synRecords(t *testing.T, n int, sec int64) []source.Packet {
	var c gen.Case
	for _, k := range gen.Cases() {
		if k.Record.Hdr.Layout == pflog.LayoutFreeBSD && k.Record.Snap == 0 && len(k.Record.Packet) > 40 && k.Record.Packet[0] == 0x45 && k.Record.Packet[9] == 6 {
			c = k
			break
		}
	}
	var out []source.Packet
	for range n {
		r := c.Record
		data := gen.Encode(nil, &r)[16:]
		out = append(out, source.Packet{Sec: sec, WireLen: len(data), Data: data})
	}
	return out
}

// TestQuietSourceSummaryOnTick: a capped source that goes quiet gets its
// flood summary from the ticker, within one window plus one tick of
// capture time, with no further record; every worker count alike.
func TestQuietSourceSummaryOnTick(t *testing.T) {
	const window = 1500 * time.Millisecond
	for _, workers := range []int{1, 3} {
		start := time.Now().Unix()
		src := &liveSource{recs: synRecords(t, 20, start), closed: make(chan struct{})}
		sink := &memSink{}
		sigs := make(chan os.Signal, 1)
		done := make(chan error, 1)
		var logBuf bytes.Buffer
		go func() {
			done <- Run(Config{
				Sources:      []source.Source{src},
				NewFormatter: func() format.Formatter { return format.NewText(time.UTC) },
				Sink:         sink, SinkName: "memory", Log: NewLogger(&logBuf), Signals: sigs, Quiet: true,
				Flood:   flood.Config{MaxPerSource: 5, Window: window},
				Workers: workers,
			})
		}()
		var out string
		for {
			sink.mu.Lock()
			out = sink.buf.String()
			sink.mu.Unlock()
			if strings.Contains(out, "pfasciilogd: suppressed") {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		sigs <- syscall.SIGTERM
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 6 || !strings.Contains(lines[5], " pfasciilogd: suppressed 15 lines from ") {
			t.Fatalf("workers %d: want 5 packet lines and the summary, got:\n%s", workers, out)
		}
		at, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", strings.Fields(lines[5])[0])
		if err != nil {
			t.Fatal(err)
		}
		late := at.Sub(time.Unix(start, 0).Add(window))
		if late < 0 || late > Tick+time.Second {
			t.Errorf("workers %d: summary at %v, %v after the window ended; want within one tick (%v)", workers, at, late, Tick)
		}
		t.Logf("workers %d: summary %v after the window ended", workers, late)
	}
}

type discardSink struct{}

func (discardSink) Write([]byte) error { return nil }
func (discardSink) Reopen() error      { return nil }
func (discardSink) Close() error       { return nil }

// BenchmarkPipeline runs the whole pipeline (pcap reader, decode, flood
// control, text format, batching) over an in-memory capture; allocs/op is
// per record, and must stay 0 (the chunks are allocated once per run).
func BenchmarkPipeline(b *testing.B) {
	for _, bc := range []struct {
		name    string
		workers int
		flood   int
		detect  bool
	}{{"workers=1", 1, 0, false}, {"workers=1/flood", 1, 5, false}, {"workers=2", 2, 0, false},
		{"workers=1/detect", 1, 0, true}, {"workers=1/flood/detect", 1, 5, true}, {"workers=2/detect", 2, 0, true}} {
		b.Run(bc.name, func(b *testing.B) {
			const n = 200000
			data := capture(&testing.T{}, n, -1)
			b.ReportAllocs()
			b.ResetTimer()
			var stages func(string) []stage.Stage
			if bc.detect {
				stages = func(string) []stage.Stage {
					d, err := stage.NewDetect(detect.DefaultConfig(), stage.DetectCounters{})
					if err != nil {
						b.Fatal(err)
					}
					return []stage.Stage{d}
				}
			}
			for b.Loop() {
				r, _ := pcapfile.NewReader("mem", bytes.NewReader(data))
				Run(Config{Sources: []source.Source{r}, Sequential: true, Stages: stages,
					NewFormatter: func() format.Formatter { return format.NewText(time.UTC) },
					Sink:         discardSink{}, SinkName: "none", Log: NewLogger(io.Discard), Quiet: true,
					Workers: bc.workers, Flood: flood.Config{MaxPerSource: bc.flood, TableSize: 1024}})
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*n), "ns/record")
		})
	}
}

// TestDetectStatsWhileRunning: each pipeline's detection stage is made
// with its input's name, and its published counters can be read from
// another goroutine while the pipeline runs (go test -race): a live
// source's records are all counted, the last ones by the idle tick.
func TestDetectStatsWhileRunning(t *testing.T) {
	for _, workers := range []int{1, 3} {
		const n = 3000
		recs := synRecords(t, n, time.Now().Unix())
		for i := range recs {
			recs[i].Data = append([]byte(nil), recs[i].Data...)
			recs[i].Data[2] = pflog.ActionDrop // blocked: a probe the detector counts
		}
		src := &liveSource{recs: recs, closed: make(chan struct{})}
		made := make(chan *stage.DetectStats, 1)
		var input string
		sigs := make(chan os.Signal, 1)
		done := make(chan error, 1)
		go func() {
			done <- Run(Config{
				Sources: []source.Source{src},
				Stages: func(name string) []stage.Stage {
					d, err := stage.NewDetect(detect.DefaultConfig(), stage.DetectCounters{})
					if err != nil {
						panic(err)
					}
					input = name
					made <- d.Stats()
					return []stage.Stage{d}
				},
				NewFormatter: func() format.Formatter { return format.NewText(time.UTC) },
				Sink:         discardSink{}, SinkName: "none", Log: NewLogger(io.Discard), Signals: sigs, Quiet: true,
				Workers: workers,
			})
		}()
		st := <-made
		testtool.WaitFor(t, "every record counted by the detector", func() bool { return st.Load().Probes == n })
		sigs <- syscall.SIGTERM
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if input != "pflog0" {
			t.Errorf("workers %d: stages made for input %q, want pflog0", workers, input)
		}
	}
}
