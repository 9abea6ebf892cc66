package output

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func lines(from, to int) []byte {
	var b bytes.Buffer
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line %06d 192.0.2.%d.4000 > 198.51.100.1.22: Flags [S], length 0\n", i, i%250)
	}
	return b.Bytes()
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFileCreatesWithModeAndAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pf.log")
	os.WriteFile(path+".other", nil, 0o600)
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := os.Stat(path)
	if st.Mode().Perm()&^FileMode != 0 {
		t.Errorf("mode %v wider than %o", st.Mode().Perm(), FileMode)
	}
	f.Write(lines(0, 2))
	f.Write(lines(2, 3))
	if got := read(t, path); got != string(lines(0, 3)) {
		t.Fatalf("got %q", got)
	}
}

func TestFileReopenAndCheckRotated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pf.log")
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(lines(0, 1))
	if r, err := f.CheckRotated(); r || err != nil {
		t.Fatalf("CheckRotated on untouched log: %v %v", r, err)
	}

	// newsyslog: rename, then signal.
	os.Rename(path, path+".0")
	f.Write(lines(1, 2)) // still goes to the renamed file
	if err := f.Reopen(); err != nil {
		t.Fatal(err)
	}
	f.Write(lines(2, 3))

	// Renamed without a signal.
	os.Rename(path, path+".1")
	if r, err := f.CheckRotated(); !r || err != nil {
		t.Fatalf("CheckRotated after rename: %v %v", r, err)
	}
	f.Write(lines(3, 4))

	// Deleted (line 3, written to the new log, goes with it).
	os.Remove(path)
	if r, err := f.CheckRotated(); !r || err != nil {
		t.Fatalf("CheckRotated after delete: %v %v", r, err)
	}
	f.Write(lines(4, 5))

	want := map[string]string{path + ".0": string(lines(0, 2)), path + ".1": string(lines(2, 3)), path: string(lines(4, 5))}
	for p, w := range want {
		if got := read(t, p); got != w {
			t.Errorf("%s: got %q want %q", p, got, w)
		}
	}
}

// TestFileDiskFull fills a small tmpfs: a failing write leaves only whole
// lines in the log, reports how many were lost, and writing resumes by
// itself once space is freed.
func TestFileDiskFull(t *testing.T) {
	testtool.NeedRoot(t, "mounting a small tmpfs to fill it")
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", mnt).Run()
	filler := filepath.Join(mnt, "filler")
	os.WriteFile(filler, make([]byte, 40<<10), 0o600)

	path := filepath.Join(mnt, "pf.log")
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	written, lost := 0, 0
	next := 0
	for i := 0; i < 100; i++ {
		batch := lines(next, next+37) // 37 lines do not fit a page evenly
		next += 37
		err := f.Write(batch)
		if err == nil {
			written += 37
			continue
		}
		var sw *ShortWriteError
		if !errors.As(err, &sw) || sw.Written+sw.Lost != 37 {
			t.Fatalf("write error %v: want a ShortWriteError accounting for 37 lines", err)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error does not name the log: %v", err)
		}
		written += sw.Written
		lost += sw.Lost
	}
	if lost == 0 {
		t.Fatal("the disk never filled up")
	}
	content := read(t, path)
	if !strings.HasSuffix(content, "\n") || strings.Count(content, "\n") != written {
		t.Fatalf("log holds %d lines (torn tail %v), %d reported written", strings.Count(content, "\n"), !strings.HasSuffix(content, "\n"), written)
	}
	for _, l := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		if !strings.HasSuffix(l, "length 0") {
			t.Fatalf("torn line in log: %q", l)
		}
	}
	os.Remove(filler)
	if err := f.Write(lines(next, next+10)); err != nil {
		t.Fatalf("write after space returned: %v", err)
	}
	if got := strings.Count(read(t, path), "\n"); got != written+10 {
		t.Fatalf("%d lines after recovery, want %d", got, written+10)
	}
}
