package detect

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/synth"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// TestReplayGolden replays synth captures (the Realistic and Flood
// mixes, 200k records each) through the detector as the pipeline drives
// it (Tick at every new minute of capture time, Flush at the end) and
// compares every decision line and the final Stats with
// testdata/replay/NAME.golden. The goldens were recorded with the code
// before the victim side array (victim() read the eight entries of the
// bucket), so they pin that any change to how the tables are kept makes
// exactly the same decisions, evictions and counters. The "small" runs
// use a tiny table, short windows and a slow capture, so that victims,
// evictions, holds ending and Tick's freeing happen all the time.
func TestReplayGolden(t *testing.T) {
	start := time.Date(2026, 11, 21, 0, 46, 0, 0, time.UTC)
	small := func() Config {
		c := DefaultConfig()
		c.TableSize, c.ProbationSize = 64, 1024
		c.Fast = Window{2 * time.Second, 6}
		c.Slow = Window{2 * time.Minute, 10}
		c.Hold = 90 * time.Second
		c.MaxPerMinute = 20
		return c
	}
	for _, c := range []struct {
		name string
		mix  synth.Mix
		rate float64
		cfg  Config
	}{
		{"realistic-default", synth.Realistic, 0, DefaultConfig()},
		{"flood-default", synth.Flood, 0, DefaultConfig()},
		{"realistic-small", synth.Realistic, 50, small()},
		{"flood-small", synth.Flood, 200, small()},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Seed = 7
			d := mustNew(t, cfg)
			got := replay(t, d, synth.Options{N: 200000, Seed: 1, Snap: 116, Mix: c.mix, Start: start, Rate: c.rate})
			path := filepath.Join("testdata", "replay", c.name+".golden")
			if testtool.Update() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestReplayGolden -update to record it)", err)
			}
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("%d lines, want %d", len(gl), len(wl))
			}
		})
	}
}

// replay runs the records of o through d and returns every decision line
// (Observe's, Tick's and Flush's) and the final Stats, without Bytes
// (the memory the tables take is not a decision).
func replay(t *testing.T, d *Detector, o synth.Options) string {
	t.Helper()
	var (
		b      strings.Builder
		buf    []byte
		rec    []byte
		h      pflog.Header
		s      packet.Summary
		p      Probe
		minute int64
		now    int64
	)
	emit := func(dec *Decision) {
		buf = dec.AppendText(buf[:0], utcTS)
		b.Write(buf)
	}
	err := synth.Records(o, func(r *gen.Record) error {
		rec = r.Hdr.AppendEncoded(rec[:0])
		rec = append(rec, r.Packet...)
		if r.Snap > 0 && r.Snap < len(rec) {
			rec = rec[:r.Snap]
		}
		ip, err := pflog.Decode(rec, &h)
		if err != nil {
			return fmt.Errorf("record at %d.%09d: %w", r.Sec, r.Nsec, err)
		}
		packet.Decode(ip, len(r.Packet), &s)
		if s.Version == 0 {
			return nil
		}
		now = r.Sec*1e9 + r.Nsec
		if m := now / int64(time.Minute); m != minute {
			minute = m
			d.Tick(now, emit)
		}
		Classify(&p, now, &h, &s)
		if dec := d.Observe(&p); dec != nil {
			emit(dec)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Flush(now, emit)
	st := d.Stats()
	st.Bytes = 0
	fmt.Fprintf(&b, "stats %+v\n", st)
	return b.String()
}
