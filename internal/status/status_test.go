package status

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendTextGolden(t *testing.T) {
	s := Snapshot{
		Pid: 4242, Version: "1.2", Sequence: 7,
		Started:     time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
		Updated:     time.Date(2026, 11, 21, 10, 5, 0, 0, time.UTC),
		RecordsRead: 123, LinesWritten: 120, LinesLost: 3, Malformed: 1, CorruptSkipped: 2,
		KernelReceived: 130, KernelDropped: 7, Decisions: 4, Suppressed: 9, BudgetWithheld: 5,
		LastRecord: time.Date(2026, 11, 21, 10, 4, 59, 0, time.UTC),
		Outputs:    []Output{{Name: "tcp://192.0.2.1:514", Sent: 100, Dropped: 20, Reconnects: 2}},
		Missing:    []string{"/var/log/pflog\nx"},
	}
	want, err := os.ReadFile("testdata/full.golden")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.AppendText(nil)); got != string(want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestZeroSnapshot(t *testing.T) {
	var s Snapshot
	m, err := Parse(string(s.AppendText(nil)))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"last_record": "-", "started": "-", "records_read": "0", "missing_inputs": "0", "decisions": "0"} {
		if got := m[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %v, want %q", k, got, want)
		}
	}
	if _, ok := m["output"]; ok {
		t.Error("output line without outputs")
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
