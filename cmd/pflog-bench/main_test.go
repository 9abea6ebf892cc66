package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func TestBestMedian(t *testing.T) {
	rs := []result{{wall: 3 * time.Second}, {wall: time.Second}, {wall: 2 * time.Second}}
	b, m := bestMedian(rs, func(r result) time.Duration { return r.wall })
	if b != time.Second || m != 2*time.Second {
		t.Errorf("best %v median %v", b, m)
	}
	if got := rate(1000000, 500*time.Millisecond); got != "2000000" {
		t.Errorf("rate = %s", got)
	}
}

// The measuring helper reports a command's own peak RSS, not the
// benchmark's: a shell that allocates nothing stays small.
func TestMeasureChild(t *testing.T) {
	testtool.NeedFile(t, "/bin/sh", "dash", "/bin/sh")
	out := filepath.Join(t.TempDir(), "out")
	// The test binary is the helper here: TestMain runs measureChild.
	res, err := measure([]string{"/bin/sh", "-c", "echo hello"}, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "hello\n" {
		t.Errorf("stdout file has %q", b)
	}
	if res.rssKB <= 0 || res.rssKB > 8*1024 || res.wall <= 0 {
		t.Errorf("measured %+v; want a small positive peak RSS", res)
	}
}

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == childFlag {
		os.Exit(measureChild(os.Args[2:]))
	}
	os.Exit(m.Run())
}
