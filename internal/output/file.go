package output

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// FileMode is the mode a missing log file is created with.
const FileMode = 0o640

// File appends batches to a log file and reopens it after rotation.
//
// Every batch goes to the file in one write(2), so nothing is held back
// in a buffer: a reopen between two batches can neither lose nor
// duplicate a line. The file is opened relative to a descriptor of its
// directory (openat), so reopening keeps working after the process has
// given up root or entered Capsicum capability mode, and CheckRotated can
// notice a log that was renamed or deleted without a signal.
//
// When a write fails (disk full, I/O error), the part of a line that did
// reach the file is cut off again, so the log never holds a torn line that
// a reader such as fail2ban could misread; the lost lines are reported
// through a *ShortWriteError and the next batch simply tries again.
type File struct {
	mu   sync.Mutex
	path string
	dir  int    // descriptor of the directory, -1 when closed
	base string // file name inside dir
	f    *os.File
	dev  uint64
	ino  uint64
}

// ShortWriteError reports a batch that reached the log only in part:
// Written whole lines are in the file, Lost lines are not.
type ShortWriteError struct {
	Path    string
	Written int
	Lost    int
	Err     error
}

func (e *ShortWriteError) Error() string {
	err := e.Err
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err // "write PATH: " would name the file twice
	}
	return fmt.Sprintf("write log %s: %v (%d lines lost)", e.Path, err, e.Lost)
}

func (e *ShortWriteError) Unwrap() error { return e.Err }

// OpenFile opens (creating it with mode 0640 if needed) path for appending.
func OpenFile(path string) (*File, error) {
	dir := filepath.Dir(path)
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open log directory %s: %w", dir, err)
	}
	s := &File{path: path, dir: dfd, base: filepath.Base(path)}
	if err := s.open(); err != nil {
		unix.Close(dfd)
		return nil, err
	}
	return s, nil
}

// open opens the file anew and replaces the current descriptor; on error
// the current descriptor stays. Callers hold mu (or own s exclusively).
func (s *File) open() error {
	fd, err := unix.Openat(s.dir, s.base, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, FileMode)
	if err != nil {
		return fmt.Errorf("open log %s: %w", s.path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return fmt.Errorf("stat log %s: %w", s.path, err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f = os.NewFile(uintptr(fd), s.path)
	s.dev, s.ino = uint64(st.Dev), uint64(st.Ino)
	return nil
}

// Fd returns the descriptors the sink holds (directory, file), for
// limiting their rights under Capsicum.
func (s *File) Fd() (dir, file int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return s.dir, -1
	}
	return s.dir, int(s.f.Fd())
}

// Write implements Sink.
func (s *File) Write(batch []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return &ShortWriteError{Path: s.path, Lost: bytes.Count(batch, newline), Err: os.ErrClosed}
	}
	n, err := s.f.Write(batch)
	if err == nil {
		return nil
	}
	// Keep whole lines, cut a torn one off again.
	whole := bytes.LastIndexByte(batch[:n], '\n') + 1
	if torn := n - whole; torn > 0 {
		var st unix.Stat_t
		if ferr := unix.Fstat(int(s.f.Fd()), &st); ferr == nil && st.Size >= int64(torn) {
			unix.Ftruncate(int(s.f.Fd()), st.Size-int64(torn))
		}
	}
	written := bytes.Count(batch[:whole], newline)
	return &ShortWriteError{Path: s.path, Written: written, Lost: bytes.Count(batch, newline) - written, Err: err}
}

// Reopen implements Sink: it opens the path anew (creating the file if
// newsyslog has not) and only then closes the old descriptor, so a failed
// reopen keeps writing to the old file.
func (s *File) Reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir < 0 {
		return fmt.Errorf("reopen log %s: closed", s.path)
	}
	return s.open()
}

// CheckRotated reopens the log when its path no longer names the file
// being written (renamed or deleted without a signal). It reports whether
// it reopened.
func (s *File) CheckRotated() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir < 0 {
		return false, nil
	}
	var st unix.Stat_t
	err := unix.Fstatat(s.dir, s.base, &st, 0)
	if err == nil && uint64(st.Dev) == s.dev && uint64(st.Ino) == s.ino {
		return false, nil
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return false, fmt.Errorf("stat log %s: %w", s.path, err)
	}
	if err := s.open(); err != nil {
		return false, err
	}
	return true, nil
}

// Close implements Sink.
func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	if s.dir >= 0 {
		unix.Close(s.dir)
		s.dir = -1
	}
	if err != nil {
		return fmt.Errorf("close log %s: %w", s.path, err)
	}
	return nil
}

// Stream writes batches to an already open file such as standard output.
// Reopen does nothing; Close does not close the descriptor.
type Stream struct {
	mu   sync.Mutex
	name string
	f    *os.File
}

// NewStream returns a sink writing to f, named name in messages.
func NewStream(name string, f *os.File) *Stream { return &Stream{name: name, f: f} }

// Write implements Sink.
func (s *Stream) Write(batch []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(batch); err != nil {
		return fmt.Errorf("write %s: %w", s.name, err)
	}
	return nil
}

// Reopen implements Sink.
func (s *Stream) Reopen() error { return nil }

// Close implements Sink.
func (s *Stream) Close() error { return nil }

// Multi fans every batch out to several sinks.
type Multi []Sink

// Write implements Sink; it writes to every sink and returns the first error.
func (m Multi) Write(batch []byte) error {
	var first error
	for _, s := range m {
		if err := s.Write(batch); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Reopen implements Sink.
func (m Multi) Reopen() error {
	var first error
	for _, s := range m {
		if err := s.Reopen(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// CheckRotated checks every member that can be checked.
func (m Multi) CheckRotated() (bool, error) {
	var any bool
	var first error
	for _, s := range m {
		if c, ok := s.(RotationChecker); ok {
			r, err := c.CheckRotated()
			any = any || r
			if err != nil && first == nil {
				first = err
			}
		}
	}
	return any, first
}

// Close implements Sink.
func (m Multi) Close() error {
	var first error
	for _, s := range m {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// RotationChecker is implemented by sinks that can notice their file was
// renamed or deleted without a signal.
type RotationChecker interface {
	CheckRotated() (bool, error)
}
