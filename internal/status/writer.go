package status

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Writer replaces one file atomically: it writes a temporary file next to
// it and renames it over the file, both relative to a directory
// descriptor opened once, so that it keeps working in capability mode
// and after a chroot. A reader sees the old file or the new one, never a
// part.
type Writer struct {
	dir  int
	base string
	tmp  string
	path string
}

// Open opens the directory of path for later writes.
func Open(path string) (*Writer, error) {
	dir, base := filepath.Split(path)
	if base == "" || base == "." || base == ".." {
		return nil, fmt.Errorf("status file %q: not a file name", path)
	}
	if dir == "" {
		dir = "."
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("status file %s: open directory %s: %w", path, dir, err)
	}
	return &Writer{dir: fd, base: base, tmp: "." + base + ".tmp", path: path}, nil
}

// Fd returns the directory descriptor, for limiting its rights.
func (w *Writer) Fd() int { return w.dir }

// Path is the file's path, for messages.
func (w *Writer) Path() string { return w.path }

// Write replaces the file's content with b (mode 0644: the counters are
// not secret, and rc.d reads them as root or as the user).
func (w *Writer) Write(b []byte) error {
	fd, err := unix.Openat(w.dir, w.tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("write status file %s: %w", w.path, err)
	}
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			unix.Close(fd)
			unix.Unlinkat(w.dir, w.tmp, 0)
			return fmt.Errorf("write status file %s: %w", w.path, err)
		}
		b = b[n:]
	}
	if err := unix.Close(fd); err != nil {
		unix.Unlinkat(w.dir, w.tmp, 0)
		return fmt.Errorf("write status file %s: %w", w.path, err)
	}
	if err := unix.Renameat(w.dir, w.tmp, w.dir, w.base); err != nil {
		unix.Unlinkat(w.dir, w.tmp, 0)
		return fmt.Errorf("write status file %s: rename: %w", w.path, err)
	}
	return nil
}

// Remove deletes the file (at a clean exit of a service).
func (w *Writer) Remove() error { return unix.Unlinkat(w.dir, w.base, 0) }

// Close releases the directory descriptor.
func (w *Writer) Close() error { return unix.Close(w.dir) }
