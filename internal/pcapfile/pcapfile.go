// Package pcapfile reads capture files as a source.Source: classic pcap
// (either byte order, microsecond or nanosecond timestamps) and pcapng,
// from a file or a pipe (Open, NewReader), and follows a file that pflogd
// is still writing, the way tail -F does (Follow).
//
// Both formats are parsed by one small parser of our own over a big
// reused buffer (no allocation per record), not by gopacket/pcapgo:
// pcapgo.Reader reads ahead and cannot tail a growing file, and
// pcapgo.NgReader reads ahead through a bufio.Reader, trusts block and
// capture lengths (a corrupt one makes it allocate or discard up to 4
// GiB), gives up at the first bad block and cannot tell "record not
// complete yet" from "file cut". Our parser only ever decides on bytes it
// has, so the same code serves a finite file, a pipe with records
// arriving one at a time, and a file being appended to.
//
// A Reader reads to the end of its input; on a file pflogd is still
// writing, the last record may be incomplete and is then reported as
// truncated. Use a Follower for such a file.
//
// Corrupt record headers are skipped: the parser scans forward for the
// next plausible record (whose following record is plausible too, or
// which ends exactly at the end of the input) and reports what it
// skipped as a *source.SkipError. A header is corrupt when its caplen is
// above 256 KiB (or the file's snaplen, if that is larger, up to 1 MiB),
// exceeds the original length by more than 256 bytes, its original
// length is 0 or its sub-second field is out of range; a header with a
// caplen above the file's snaplen or a time more than a day before the
// previous record's is believed only if the header after it is sound.
// A corrupt caplen that is still below those limits (possible only in
// files with a large snaplen) yields one wrong record before the parser
// resynchronises. pcapng blocks are checked against their trailing
// length copy. A file cut inside a record yields all complete records and
// then an error matching ErrTruncated.
package pcapfile

import (
	"errors"
	"fmt"
)

// LinkTypePFLOG is LINKTYPE_PFLOG, the only link type the daemon decodes.
const LinkTypePFLOG = 117

// ErrNotPcap matches (errors.Is) errors for input that is not a pcap or
// pcapng file, or a version of one that cannot be read.
var ErrNotPcap = errors.New("not a pcap or pcapng file")

// ErrTruncated matches (errors.Is) the error for input that ends inside
// a record or inside the file header.
var ErrTruncated = errors.New("truncated record")

// errMore is the parser's "need more bytes" signal; it never leaves the
// package.
var errMore = errors.New("pcapfile: need more input")

// formatError is a message about unreadable input that matches
// ErrNotPcap.
type formatError struct{ msg string }

func (e *formatError) Error() string        { return e.msg }
func (e *formatError) Is(target error) bool { return target == ErrNotPcap }

func notPcap(format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...)}
}

// LinkTypeError reports a capture whose link type is not the wanted one.
type LinkTypeError struct {
	Name string // file name
	Got  uint32 // link type of the file
	Want uint32 // link type wanted
}

func (e *LinkTypeError) Error() string {
	return fmt.Sprintf("%s: link type %s, want %s", e.Name, linkTypeName(e.Got), linkTypeName(e.Want))
}

func linkTypeName(t uint32) string {
	var n string
	switch t {
	case 0:
		n = "NULL"
	case 1:
		n = "EN10MB"
	case 101:
		n = "RAW"
	case 113:
		n = "LINUX_SLL"
	case LinkTypePFLOG:
		n = "PFLOG"
	case 276:
		n = "LINUX_SLL2"
	default:
		return fmt.Sprint(t)
	}
	return fmt.Sprintf("%d (%s)", t, n)
}

// checkLinkType returns a *LinkTypeError when got is not want.
func checkLinkType(name string, got, want uint32) error {
	if got != want {
		return &LinkTypeError{Name: name, Got: got, Want: want}
	}
	return nil
}
