package pidfile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCreateLockRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.pid")
	p, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Fatalf("pidfile holds %q, want %q", got, want)
	}
	// flock locks belong to the open file description, so a second open
	// in the same process conflicts just as another process would.
	_, err = Create(path)
	if !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("second Create: %v, want ErrRunning naming pid", err)
	}
	if err := p.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("pidfile still there after Remove: %v", err)
	}
}

func TestStaleFileIsTakenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.pid")
	if err := os.WriteFile(path, []byte("999999999\njunk"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Remove()
	b, _ := os.ReadFile(path)
	if string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Fatalf("stale content not replaced: %q", b)
	}
}
