package state

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m, err := s.Load(); err != nil || len(m) != 0 {
		t.Fatalf("missing file: %v %v", m, err)
	}
	want := map[string]pcapfile.Position{
		"/var/log/pflog":         {Dev: 1, Ino: 2, Offset: 3},
		"/var/log/host/pf log 2": {Dev: 18446744073709551615, Ino: 7, Offset: 1 << 40},
	}
	if err := s.SavePositions(want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v, want %v", got, err, want)
	}
	if err := s.SavePositions(map[string]pcapfile.Position{"/x": {Offset: 1}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "0 0 1 /x\n" {
		t.Fatalf("shorter save left %q", b)
	}
}

// TestSaveIsAtomic: a save replaces the file by rename, so a reader (or
// a crash) sees the old content or the new, and the old inode is never
// truncated; no temporary file is left behind.
func TestSaveIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Save([]byte("1 2 3 /a\n")); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := s.Save([]byte("4 5 6 /b\n")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := old.ReadAt(b, 0)
	if string(b[:n]) != "1 2 3 /a\n" {
		t.Fatalf("the old file was rewritten in place: %q", b[:n])
	}
	if b, _ := os.ReadFile(path); string(b) != "4 5 6 /b\n" {
		t.Fatalf("new content %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory holds %v", ents)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

// TestSaveThroughDirectoryDescriptor: the directory is reached through
// the descriptor opened at start, not by path.
func TestSaveThroughDirectoryDescriptor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	os.Mkdir(dir, 0o700)
	s, err := OpenStore(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	moved := dir + ".moved"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if err := s.Save([]byte("1 1 1 /f\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(moved, "state")); string(b) != "1 1 1 /f\n" {
		t.Fatalf("%q", b)
	}
}

func TestCorruptIsAnError(t *testing.T) {
	for _, content := range []string{
		"junk\n",
		"1 2 x /a\n",
		"1 2 -5 /b\n",
		"1 2 3\n",
		"4 5 6 /ok\n\x00\x00\x00\x00\n",
	} {
		_, err := ParseFile("/var/db/pfasciilogd.state", []byte(content))
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Errorf("%q: err = %v, want a CorruptError", content, err)
			continue
		}
		for _, w := range []string{"/var/db/pfasciilogd.state", "line", "remove it"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: message %q lacks %q", content, err, w)
			}
		}
	}
	got, err := ParseFile("s", []byte("4 5 6 /ok\n\n1 1 1 relative/path\n"))
	if err != nil || len(got) != 2 || got["/ok"] != (pcapfile.Position{Dev: 4, Ino: 5, Offset: 6}) {
		t.Fatalf("%v %v", got, err)
	}
}
