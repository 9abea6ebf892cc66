package output

import (
	"fmt"
	"os"
	"sync"
)

// FileMode is the mode a missing log file is created with.
const FileMode = 0o640

// File appends batches to a log file and reopens it on request, for
// newsyslog(8) rotation. Every batch goes to the file in one write(2), so
// nothing is held back in a buffer: a reopen between two batches can
// neither lose nor duplicate a line.
type File struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// OpenFile opens (creating it with mode 0640 if needed) path for appending.
func OpenFile(path string) (*File, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &File{path: path, f: f}, nil
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, FileMode)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	return f, nil
}

// Path returns the file's path.
func (s *File) Path() string { return s.path }

// Write implements Sink.
func (s *File) Write(batch []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("write log %s: closed", s.path)
	}
	if _, err := s.f.Write(batch); err != nil {
		return fmt.Errorf("write log %s: %w", s.path, err)
	}
	return nil
}

// Reopen implements Sink: it opens the path anew (creating the file
// newsyslog may not have created yet) and only then closes the old
// descriptor, so a failed reopen keeps writing to the old file.
func (s *File) Reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := openAppend(s.path)
	if err != nil {
		return err
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f = f
	return nil
}

// Close implements Sink.
func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
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
