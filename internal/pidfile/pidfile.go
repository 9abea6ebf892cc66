// Package pidfile writes and locks a daemon's pid file the way FreeBSD's
// pidfile(3) does: the file stays locked while the daemon runs, so a
// second instance learns at once that one is running and with which pid,
// and a stale file left by a crash is simply taken over.
package pidfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrRunning is wrapped by the error Create returns when another process
// holds the lock.
var ErrRunning = errors.New("already running")

// File is a locked pid file.
type File struct {
	path string
	f    *os.File
}

// Create opens path, takes its lock without waiting and writes this
// process's pid into it.
func Create(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pidfile %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			buf := make([]byte, 32)
			n, _ := f.ReadAt(buf, 0)
			pid := strings.TrimSpace(string(buf[:n]))
			if _, perr := strconv.Atoi(pid); perr != nil {
				pid = "unknown"
			}
			return nil, fmt.Errorf("pidfile %s is locked: pfasciilogd %w (pid %s)", path, ErrRunning, pid)
		}
		return nil, fmt.Errorf("pidfile %s: lock: %w", path, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("pidfile %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("pidfile %s: %w", path, err)
	}
	return &File{path: path, f: f}, nil
}

// Fd returns the pid file's descriptor, for limiting its rights.
func (p *File) Fd() int { return int(p.f.Fd()) }

// Remove deletes the pid file and releases the lock. A daemon that gave
// up root usually may not delete it from /var/run any more; then the file
// is emptied through the descriptor still open, so no stale pid is left.
func (p *File) Remove() error {
	if p == nil || p.f == nil {
		return nil
	}
	err := os.Remove(p.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		if terr := p.f.Truncate(0); terr == nil {
			err = nil
		}
	}
	p.f.Close()
	p.f = nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pidfile %s: %w", p.path, err)
	}
	return nil
}
