// Package state keeps, across restarts, how far the daemon has read each
// file it follows (-F), so that a restarted daemon neither writes the
// lines of the file's older records a second time nor misses the records
// pflogd wrote while it was stopped.
//
// The file is opened once at start-up, before the daemon gives up root,
// and rewritten through that descriptor at exit. One line per followed
// file: "DEV INO OFFSET PATH". A stale or missing entry only makes the
// daemon read a file from its beginning: it can cause duplicates, never
// loss.
package state

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
)

// File is an open state file.
type File struct {
	path string
	f    *os.File
}

// Open opens (creating it, mode 0600) the state file at path.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	return &File{path: path, f: f}, nil
}

// Load returns the positions recorded per followed path. Lines it cannot
// read are ignored.
func (s *File) Load() (map[string]pcapfile.Position, error) {
	var buf bytes.Buffer
	if _, err := s.f.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("state file %s: %w", s.path, err)
	}
	if _, err := buf.ReadFrom(s.f); err != nil {
		return nil, fmt.Errorf("state file %s: %w", s.path, err)
	}
	return Parse(buf.Bytes()), nil
}

// Parse reads state file content.
func Parse(b []byte) map[string]pcapfile.Position {
	m := map[string]pcapfile.Position{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 4)
		if len(f) != 4 || f[3] == "" {
			continue
		}
		dev, e1 := strconv.ParseUint(f[0], 10, 64)
		ino, e2 := strconv.ParseUint(f[1], 10, 64)
		off, e3 := strconv.ParseInt(f[2], 10, 64)
		if e1 != nil || e2 != nil || e3 != nil || off < 0 {
			continue
		}
		m[f[3]] = pcapfile.Position{Dev: dev, Ino: ino, Offset: off}
	}
	return m
}

// Format renders positions as state file content.
func Format(m map[string]pcapfile.Position) []byte {
	var b bytes.Buffer
	for path, p := range m {
		if strings.ContainsAny(path, "\n") {
			continue
		}
		fmt.Fprintf(&b, "%d %d %d %s\n", p.Dev, p.Ino, p.Offset, path)
	}
	return b.Bytes()
}

// Save replaces the file's content with m.
func (s *File) Save(m map[string]pcapfile.Position) error {
	b := Format(m)
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("state file %s: %w", s.path, err)
	}
	if _, err := s.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("state file %s: %w", s.path, err)
	}
	return nil
}

// Close closes the file.
func (s *File) Close() error { return s.f.Close() }
