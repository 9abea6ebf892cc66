package pcapfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// DefaultPoll is how often a Follower looks for new data when idle.
const DefaultPoll = 250 * time.Millisecond

// FollowOptions tune a Follower.
type FollowOptions struct {
	// Poll is how often to look for new data, truncation and rotation
	// while idle; 0 means DefaultPoll. An idle Follower costs one read
	// and one stat per interval.
	Poll time.Duration
	// FromEnd skips the records that are complete in the file when
	// Follow is called, for a daemon restarting on a file it has already
	// logged; a record the file ends inside is still returned once
	// complete. Files that appear later (rotation) and a file truncated
	// later are read from their beginning.
	FromEnd bool
	// Resume, when set, continues after a restart where a previous
	// Follower stopped: if the file at the path is still the one Resume
	// names (same device and inode) and is at least that long, records
	// ending at or before Resume.Offset are skipped. Otherwise (the file
	// was rotated meanwhile) the file is read from its beginning.
	// FromEnd is ignored when Resume applies.
	Resume *Position
	// LinkType, when not 0, is the only link type accepted. Follow fails
	// with a *LinkTypeError if the file there has another; a file that
	// replaces it later with another link type is skipped with a
	// *source.SkipError and the Follower waits for the next file.
	LinkType uint32
	// Open opens the path for reading; nil means os.Open. An unprivileged
	// daemon passes a function that asks its privileged parent, since
	// pflogd's file and the one newsyslog creates in its place are
	// root 0600 (see internal/privsep). A missing file must be reported
	// as an error matching os.ErrNotExist.
	Open func(path string) (*os.File, error)
}

// Follower reads a pcap (or pcapng) file that another program (pflogd)
// appends to, like tail -F: it waits for new records, never returns a
// record before all of it is written, notices when the file is renamed
// or deleted and a new one created at the path (it reads the old file
// to its end first, then the new one from its beginning), notices
// truncation (and starts again from the file header), and waits for the
// file when it does not exist. It implements source.Source. Next, Pending
// and the accessors belong to one goroutine; Close may be called from
// another and makes a waiting Next return io.EOF promptly.
type Follower struct {
	path string
	opts FollowOptions

	mu       sync.Mutex
	file     *os.File
	fi       os.FileInfo // of file, when opened
	p        parser
	dead     bool  // current file unusable: wait for another at the path
	draining bool  // a new file is at the path: read this one to its end
	skipTo   int64 // FromEnd: drop records ending at or before this offset
	lastErr  string

	closed   chan struct{}
	isClosed atomic.Bool
	once     sync.Once
	timer    *time.Timer

	event func(string) // test hook: "open", "truncate", "replace", "switch"
}

var _ source.Source = (*Follower)(nil)

// Follow starts following path. A missing file is not an error (the
// Follower waits for it); a file that exists but cannot be opened, or
// whose header is already there and is not pcap/pcapng or (with
// opts.LinkType) not of that link type, is.
func Follow(path string, opts FollowOptions) (*Follower, error) {
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	f := &Follower{path: path, opts: opts, closed: make(chan struct{})}
	f.p.init(path, initBuf)
	f.timer = time.NewTimer(time.Hour)
	f.timer.Stop()
	ok, err := f.open()
	if err != nil {
		return nil, fmt.Errorf("follow %s: %w", path, err)
	}
	if !ok {
		return f, nil
	}
	size := f.fi.Size()
	for {
		err := f.header()
		if err == errMore {
			n, rerr := f.fill()
			if rerr != nil {
				f.file.Close()
				return nil, rerr
			}
			if n > 0 {
				continue
			}
			break // header not complete yet
		}
		if err != nil {
			f.file.Close()
			return nil, err
		}
		break
	}
	if opts.FromEnd {
		f.skipTo = size
	}
	if r := opts.Resume; r != nil {
		if dev, ino := fileID(f.fi); dev == r.Dev && ino == r.Ino && size >= r.Offset {
			f.skipTo = r.Offset
		}
	}
	return f, nil
}

// Position says how far a Follower has read: the end of the last record
// it returned, in the file with device Dev and inode Ino.
type Position struct {
	Dev, Ino uint64
	Offset   int64
}

// Position returns how far the Follower has read, for FollowOptions.Resume
// after a restart; ok is false when no file is open.
func (f *Follower) Position() (pos Position, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fi == nil {
		return Position{}, false
	}
	dev, ino := fileID(f.fi)
	off := f.p.off()
	if f.skipTo > off {
		off = f.skipTo // still skipping what a previous run returned
	}
	return Position{Dev: dev, Ino: ino, Offset: off}, true
}

// fileID returns a file's device and inode numbers.
func fileID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

func (f *Follower) emit(ev string) {
	if f.event != nil {
		f.event(ev)
	}
}

// open opens the path; ok is false when it does not exist.
func (f *Follower) open() (ok bool, err error) {
	open := f.opts.Open
	if open == nil {
		open = os.Open
	}
	fh, err := open(f.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return false, err
	}
	f.file, f.fi = fh, fi
	f.p.reset()
	f.dead, f.draining = false, false
	f.emit("open")
	return true, nil
}

// header reads the file header and checks the link type.
func (f *Follower) header() error {
	if err := f.p.header(); err != nil {
		return err
	}
	if f.opts.LinkType != 0 {
		return checkLinkType(f.path, f.p.linkType, f.opts.LinkType)
	}
	return nil
}

// fill reads once from the current file into the parser's buffer.
func (f *Follower) fill() (int, error) {
	n, err := f.file.Read(f.p.space())
	f.p.w += n
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("read %s: %w", f.path, err)
	}
	return n, nil
}

// wait sleeps one poll interval or until Close.
func (f *Follower) wait() {
	f.mu.Unlock()
	f.timer.Reset(f.opts.Poll)
	select {
	case <-f.timer.C:
	case <-f.closed:
	}
	f.mu.Lock()
}

// report turns a problem with the path into a SkipError, once per
// distinct message.
func (f *Follower) report(err error) error {
	msg := err.Error()
	if msg == f.lastErr {
		return nil
	}
	f.lastErr = msg
	return &source.SkipError{Name: f.path, Offset: -1, Reason: msg}
}

// closeFile drops the current file.
func (f *Follower) closeFile() {
	if f.file != nil {
		f.file.Close()
	}
	f.file, f.fi = nil, nil
	f.skipTo = 0
	f.dead, f.draining = false, false
}

// path states seen by check
const (
	pathSame = iota
	pathGrew
	pathTruncated
	pathReplaced
)

// check compares the path with the open file.
func (f *Follower) check() int {
	fi, err := os.Stat(f.path)
	if err != nil {
		return pathSame // gone (renamed, deleted): keep reading what we have
	}
	if !os.SameFile(fi, f.fi) {
		return pathReplaced
	}
	switch size := fi.Size(); {
	case size < f.p.readOff():
		return pathTruncated
	case size > f.p.readOff():
		return pathGrew
	}
	return pathSame
}

// Next fills pkt with the next record, waiting for one as long as it
// takes. pkt.Data is valid until the next call. It returns io.EOF only
// after Close, a *source.SkipError for skipped corrupt input, a foreign
// file at the path, an incomplete record left at the end of a rotated
// file or a file truncated under an incomplete record (call again to go
// on), and other errors when reading an open file fails.
func (f *Follower) Next(pkt *source.Packet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	grew := false
	for {
		if f.isClosed.Load() {
			return io.EOF
		}
		if f.file == nil {
			ok, err := f.open()
			if err != nil {
				if e := f.report(err); e != nil {
					return e
				}
			}
			if !ok {
				f.wait()
				continue
			}
			f.lastErr = ""
		}
		if f.dead {
			if f.check() == pathReplaced {
				f.closeFile()
				f.emit("switch")
				continue
			}
			f.wait()
			continue
		}
		var err error
		if !f.p.haveHdr {
			err = f.header()
		}
		if err == nil {
			err = f.p.next(pkt)
		}
		switch {
		case err == nil:
			if f.skipTo > 0 {
				if f.p.off() <= f.skipTo {
					continue
				}
				f.skipTo = 0
			}
			return nil
		case err == errMore:
			n, rerr := f.fill()
			if rerr != nil {
				return rerr
			}
			if n > 0 {
				grew = false
				continue
			}
			if f.draining {
				f.p.final = true
				continue
			}
			switch f.check() {
			case pathGrew:
				if !grew {
					grew = true
					continue
				}
			case pathTruncated:
				f.emit("truncate")
				if e := f.restart(); e != nil {
					return e
				}
				continue
			case pathReplaced:
				// Read once more: the writer may have written its last
				// bytes between our read and the stat.
				f.emit("replace")
				f.draining = true
				continue
			}
			grew = false
			f.wait()
		case err == io.EOF:
			// only when final: the rotated file is done
			f.closeFile()
			f.emit("switch")
		case errors.Is(err, ErrTruncated) && f.p.final:
			f.closeFile()
			f.emit("switch")
			return &source.SkipError{Name: f.path, Offset: -1, Reason: "rotated file ends inside a record: " + err.Error()}
		case f.p.final && f.p.readOff() == 0:
			// an empty file was renamed away: nothing to read
			f.closeFile()
			f.emit("switch")
		case source.IsSkip(err):
			var se *source.SkipError
			errors.As(err, &se)
			if f.skipTo > 0 && se.Offset < f.skipTo {
				continue
			}
			return err
		default:
			// not pcap, wrong link type, unreadable header: wait for
			// the writer to replace the file
			f.dead = true
			return &source.SkipError{Name: f.path, Offset: -1, Reason: err.Error() + "; waiting for a new file at the path"}
		}
	}
}

// restart goes back to the beginning of a truncated file.
func (f *Follower) restart() error {
	off := f.p.off()
	left := int64(f.p.w - f.p.r)
	if f.p.skipping {
		left += off - f.p.skipOff
		off = f.p.skipOff
	}
	if _, err := f.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", f.path, err)
	}
	f.p.reset()
	f.skipTo = 0
	if left > 0 {
		return &source.SkipError{Name: f.path, Offset: off, Skipped: left, Reason: "file truncated under an incomplete record"}
	}
	return nil
}

// Pending reports whether a whole next record is already buffered.
func (f *Follower) Pending() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.file != nil && !f.dead && f.p.ready()
}

// Name is the followed path.
func (f *Follower) Name() string { return f.path }

// LinkType is the link type of the file being read, 0 before its header
// has been read.
func (f *Follower) LinkType() uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.p.linkType
}

// Close stops the Follower; a Next waiting in another goroutine returns
// io.EOF promptly.
func (f *Follower) Close() error {
	f.once.Do(func() {
		f.isClosed.Store(true)
		close(f.closed)
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	if f.file != nil {
		err = f.file.Close()
		f.file = nil
	}
	f.timer.Stop()
	return err
}
