package pcapfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// Reader reads a pcap or pcapng stream to its end. It implements
// source.Source. Next, Pending and the accessors belong to one goroutine;
// Close may be called from another.
type Reader struct {
	p      parser
	r      io.Reader
	closer io.Closer
	closed atomic.Bool
	err    error // sticky error that ended the input
	zero   int   // consecutive empty reads
}

var _ source.Source = (*Reader)(nil)

// Open opens a capture file; path "-" means standard input (named
// "standard input" in messages). It reads the file header: a file that is
// not pcap or pcapng fails here with an error matching ErrNotPcap.
//
// Prefer Open("-") to NewReader(name, os.Stdin): when standard input is
// a pipe or socket, Open puts it in non-blocking mode so that Close
// unblocks a Next waiting on it (a blocking os.Stdin read cannot be
// interrupted).
func Open(path string) (*Reader, error) {
	if path == "-" {
		return NewReader("standard input", stdin())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// NewReader reads a capture from r; name names it in messages. It blocks
// until the file header (pcapng: up to the first interface description)
// has been read. The Reader owns r: Close closes it if it is an
// io.Closer.
func NewReader(name string, r io.Reader) (*Reader, error) {
	rd := &Reader{r: r}
	rd.closer, _ = r.(io.Closer)
	rd.p.init(name, initBuf)
	for {
		err := rd.p.header()
		if err == nil {
			return rd, nil
		}
		if err != errMore {
			return nil, err
		}
		if err := rd.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads once into the parser's buffer.
func (rd *Reader) fill() error {
	if rd.closed.Load() {
		return io.EOF
	}
	n, err := rd.r.Read(rd.p.space())
	rd.p.w += n
	if n > 0 {
		rd.zero = 0
	}
	switch {
	case err == io.EOF:
		rd.p.final = true
	case err != nil:
		if rd.closed.Load() {
			return io.EOF
		}
		if pe, ok := err.(*os.PathError); ok && pe.Path == rd.p.name {
			return err // already "read NAME: reason"
		}
		return fmt.Errorf("read %s: %w", rd.p.name, err)
	case n == 0:
		if rd.zero++; rd.zero > 100 {
			return fmt.Errorf("read %s: %w", rd.p.name, io.ErrNoProgress)
		}
	}
	return nil
}

// Next fills pkt with the next record; pkt.Data is valid until the next
// call. It returns io.EOF at the end of the input (and after Close), a
// *source.SkipError after skipping corrupt input (call again to go on),
// an error matching ErrTruncated when the input ends inside a record
// (every complete record has been returned before it; io.EOF follows),
// and any other error when reading fails.
func (rd *Reader) Next(pkt *source.Packet) error {
	if rd.err != nil {
		return rd.err
	}
	for {
		if rd.closed.Load() {
			return io.EOF
		}
		err := rd.p.next(pkt)
		if err == nil {
			return nil
		}
		if err == errMore {
			if err := rd.fill(); err != nil {
				rd.err = err
				return err
			}
			continue
		}
		if !source.IsSkip(err) && !errors.Is(err, ErrTruncated) {
			rd.err = err
		}
		return err
	}
}

// Pending reports whether a whole next record is already buffered, so
// that Next returns it without reading.
func (rd *Reader) Pending() bool { return rd.p.ready() }

// Name is the name given to NewReader (the path for Open).
func (rd *Reader) Name() string { return rd.p.name }

// LinkType is the file's link type (pcapng: the first interface's);
// LinkTypePFLOG is what the daemon decodes.
func (rd *Reader) LinkType() uint32 { return rd.p.linkType }

// CheckLinkType returns a *LinkTypeError naming the file when its link
// type is not want.
func (rd *Reader) CheckLinkType(want uint32) error {
	return checkLinkType(rd.p.name, rd.p.linkType, want)
}

// SnapLen is the file's snapshot length (pcapng: the first interface's).
func (rd *Reader) SnapLen() uint32 { return rd.p.snaplen }

// IsPcapNG reports whether the input is pcapng rather than classic pcap.
func (rd *Reader) IsPcapNG() bool { return rd.p.format == fmtNG }

// Offset is the input offset just past the last record returned.
func (rd *Reader) Offset() int64 { return rd.p.off() }

// Close closes the underlying reader when it is an io.Closer; a Next
// blocked reading a pipe or a pollable file returns io.EOF. Standard
// input is made pollable when it is a pipe or socket (see Open).
func (rd *Reader) Close() error {
	if rd.closed.Swap(true) {
		return nil
	}
	if rd.closer != nil {
		return rd.closer.Close()
	}
	return nil
}
