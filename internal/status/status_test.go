package status

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func TestAppendTextGolden(t *testing.T) {
	s := Snapshot{
		Pid: 4242, Version: "1.2", Sequence: 7,
		Started:     time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
		Updated:     time.Date(2026, 11, 21, 10, 5, 0, 0, time.UTC),
		RecordsRead: 123, LinesWritten: 120, LinesLost: 3, Malformed: 1, CorruptSkipped: 2,
		KernelReceived: 130, KernelDropped: 7, Decisions: 4, Limited: 2, DetectTracked: 11, DetectEvictions: 6,
		Suppressed: 9, FloodSummaries: 3, FloodEvictions: 1, BudgetRate: 2000, BudgetWithheld: 5, BudgetSummaries: 1,
		LastRecord: time.Date(2026, 11, 21, 10, 4, 59, 0, time.UTC),
		Outputs:    []Output{{Name: "tcp://192.0.2.1:514", Sent: 100, Dropped: 20, Reconnects: 2}},
		Detectors: []Detector{
			{Input: "pflog0", Tracked: 10, Table: 8192, Probation: 300, Probes: 900, Decisions: 3, Limited: 2,
				LimitMinutes: 1, Evicted: 6, ProbationEvicted: 40, Cut: 7, Ignored: 8, Bogus: 9},
			{Input: "/var/log/pf log\tb", Tracked: 1, Table: 8192, Decisions: 1},
		},
		Missing: []string{"/var/log/pflog\nx"},
	}
	got := s.AppendText(nil)
	if testtool.Update() {
		if err := os.WriteFile("testdata/full.golden", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/full.golden")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// The reader gets back what was written (names cleaned).
	m, err := Parse(string(got))
	if err != nil {
		t.Fatal(err)
	}
	if len(m["detector"]) != len(s.Detectors) {
		t.Fatalf("detector lines %q", m["detector"])
	}
	for i, v := range m["detector"] {
		d, err := ParseDetector(v)
		want := s.Detectors[i]
		want.Input = clean(want.Input)
		if err != nil || d != want {
			t.Errorf("ParseDetector(%q) = %+v, %v; want %+v", v, d, err, want)
		}
	}
}

func TestParseDetector(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want Detector
		err  string
	}{
		{v: "pflog0 tracked 3 table 8192 decisions 2 evicted 1",
			want: Detector{Input: "pflog0", Tracked: 3, Table: 8192, Decisions: 2, Evicted: 1}},
		// A name with spaces, and with a word that looks like a pair
		// before a field that is not one.
		{v: "/var/log/my pflog decisions 4", want: Detector{Input: "/var/log/my pflog", Decisions: 4}},
		{v: "a decisions x decisions 4", want: Detector{Input: "a decisions x", Decisions: 4}},
		// A newer daemon's counter is skipped, in any position.
		{v: "pflog1 future_count 12 decisions 5 limited 1",
			want: Detector{Input: "pflog1", Decisions: 5, Limited: 1}},
		{v: "pflog1", err: "is not"},
		{v: "decisions 5", err: "is not"},
		{v: "", err: "is not"},
		{v: "pflog0 decisions -1", err: "never negative"},
		{v: "pflog0 tracked -1", want: Detector{Input: "pflog0", Tracked: -1}},
	} {
		d, err := ParseDetector(tc.v)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDetector(%q) = %+v, %v; want error %q", tc.v, d, err, tc.err)
			}
			continue
		}
		if err != nil || d != tc.want {
			t.Errorf("ParseDetector(%q) = %+v, %v; want %+v", tc.v, d, err, tc.want)
		}
	}
}

func TestZeroSnapshot(t *testing.T) {
	var s Snapshot
	m, err := Parse(string(s.AppendText(nil)))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"last_record": "-", "started": "-", "records_read": "0", "missing_inputs": "0", "decisions": "0",
		"decisions_limited": "0", "detector_tracked": "0", "detector_evicted": "0", "budget_rate": "0", "budget_withheld": "0"} {
		if got := m[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %v, want %q", k, got, want)
		}
	}
	if _, ok := m["output"]; ok {
		t.Error("output line without outputs")
	}
	if _, ok := m["detector"]; ok {
		t.Error("detector line without detectors")
	}
}

func TestParseRejects(t *testing.T) {
	for _, text := range []string{"", "something else\n", Header + "\nno colon\n", Header + "\n: v\n"} {
		if _, err := Parse(text); err == nil {
			t.Errorf("Parse(%q) accepted", text)
		}
	}
	m, err := Parse(Header + "\noutput: a sent 1\noutput: b: c\n")
	if err != nil || strings.Join(m["output"], "|") != "a sent 1|b: c" {
		t.Fatalf("%v %v", m, err)
	}
}

// TestWriterAtomic: readers racing a writer always see one whole file.
func TestWriterAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "status")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	small := []byte(Header + "\nsequence: 1\n")
	big := []byte(Header + "\nsequence: 2\n" + strings.Repeat("output: x sent 1 dropped 0 reconnects 0\n", 2000))
	if err := w.Write(small); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b := small
			if i%2 == 1 {
				b = big
			}
			if err := w.Write(b); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(small) && string(b) != string(big) {
			t.Fatalf("read a partial status file (%d bytes)", len(b))
		}
	}
	close(stop)
	wg.Wait()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries, want only the status file", len(ents))
	}
	if err := w.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(dir, "missing", "status")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Open in a missing directory: %v", err)
	}
}
