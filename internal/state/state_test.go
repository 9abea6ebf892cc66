package state

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.Load(); err != nil || len(m) != 0 {
		t.Fatalf("new file: %v %v", m, err)
	}
	want := map[string]pcapfile.Position{
		"/var/log/pflog":         {Dev: 1, Ino: 2, Offset: 3},
		"/var/log/host/pf log 2": {Dev: 18446744073709551615, Ino: 7, Offset: 1 << 40},
	}
	if err := s.Save(want); err != nil {
		t.Fatal(err)
	}
	// Saved through the descriptor: works after the path became
	// unwritable for the process.
	s.Close()
	s, _ = Open(path)
	got, err := s.Load()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v, want %v", got, err, want)
	}
	if err := s.Save(map[string]pcapfile.Position{"/x": {Offset: 1}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "0 0 1 /x\n" {
		t.Fatalf("shorter save left %q", b)
	}
}

func TestParseIgnoresJunk(t *testing.T) {
	got := Parse([]byte("junk\n1 2 x /a\n1 2 -5 /b\n1 2 3\n4 5 6 /ok\n"))
	if len(got) != 1 || got["/ok"] != (pcapfile.Position{Dev: 4, Ino: 5, Offset: 6}) {
		t.Fatalf("%v", got)
	}
}
