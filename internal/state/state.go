// Package state keeps, across restarts, how far the daemon has read each
// file it follows (-F), so that a restarted daemon neither writes the
// lines of the file's older records a second time nor misses the records
// pflogd wrote while it was stopped.
//
// The daemon saves the state every couple of seconds while it runs, when
// it moves to a rotated file and at exit, recording only what reached the
// log. Each save writes a temporary file next to the state file, syncs it
// and renames it over the state file through a descriptor of the
// directory, so a crash at any moment leaves either the old state or the
// new one, never an empty or torn file. One line per followed file:
// "DEV INO OFFSET PATH". An entry for a file that has since been rotated
// away only makes the daemon read the file at the path from its
// beginning: duplicates, never loss. A file that is not in this format
// is an error with a message saying what to do, not a silent start from
// zero.
package state

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
)

// Store is a state file, reached through a descriptor of its directory.
type Store struct {
	path string
	dir  int
	base string
}

// OpenStore opens the directory of the state file at path. The file
// itself need not exist yet.
func OpenStore(path string) (*Store, error) {
	dir := filepath.Dir(path)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("state file %s: open directory %s: %w", path, dir, err)
	}
	return &Store{path: path, dir: fd, base: filepath.Base(path)}, nil
}

// Path is the state file's path.
func (s *Store) Path() string { return s.path }

// Read returns the state file's content; a missing file is empty.
func (s *Store) Read() ([]byte, error) {
	fd, err := unix.Openat(s.dir, s.base, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", s.path, err)
	}
	f := os.NewFile(uintptr(fd), s.path)
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("state file %s: %w", s.path, err)
	}
	return buf.Bytes(), nil
}

// Load reads and parses the state file.
func (s *Store) Load() (map[string]pcapfile.Position, error) {
	b, err := s.Read()
	if err != nil {
		return nil, err
	}
	return ParseFile(s.path, b)
}

// Save replaces the state file's content with b atomically: a temporary
// file in the same directory, fsync, rename over the state file, fsync of
// the directory.
func (s *Store) Save(b []byte) error {
	tmp := "." + s.base + ".tmp"
	fd, err := unix.Openat(s.dir, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("state file %s: create %s: %w", s.path, tmp, err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	_, werr := f.Write(b)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = unix.Renameat(s.dir, tmp, s.dir, s.base)
	}
	if werr != nil {
		unix.Unlinkat(s.dir, tmp, 0)
		return fmt.Errorf("state file %s: save: %w", s.path, werr)
	}
	if err := unix.Fsync(s.dir); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("state file %s: sync directory: %w", s.path, err)
	}
	return nil
}

// SavePositions saves m.
func (s *Store) SavePositions(m map[string]pcapfile.Position) error { return s.Save(Format(m)) }

// Close releases the directory descriptor.
func (s *Store) Close() error { return unix.Close(s.dir) }

// CorruptError is a state file that is not in the state format.
type CorruptError struct {
	Path string
	Line int
	Text string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("state file %s line %d is not \"DEV INO OFFSET PATH\" (%q): it was not written by pfasciilogd or is damaged; "+
		"remove it to read every followed file from its beginning (lines already logged are then written again), "+
		"or fix the line", e.Path, e.Line, e.Text)
}

// ParseFile reads state file content; name names it in errors. Every
// non-empty line must be an entry.
func ParseFile(name string, b []byte) (map[string]pcapfile.Position, error) {
	m := map[string]pcapfile.Position{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.SplitN(line, " ", 4)
		bad := len(f) != 4 || f[3] == ""
		var (
			dev, ino   uint64
			off        int64
			e1, e2, e3 error
		)
		if !bad {
			dev, e1 = strconv.ParseUint(f[0], 10, 64)
			ino, e2 = strconv.ParseUint(f[1], 10, 64)
			off, e3 = strconv.ParseInt(f[2], 10, 64)
			bad = e1 != nil || e2 != nil || e3 != nil || off < 0
		}
		if bad {
			if len(line) > 80 {
				line = line[:80] + "..."
			}
			return nil, &CorruptError{Path: name, Line: n, Text: line}
		}
		m[f[3]] = pcapfile.Position{Dev: dev, Ino: ino, Offset: off}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("state file %s: %w", name, err)
	}
	return m, nil
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
