// Package gen builds pflog captures: pflog records around real IP packets,
// written as pcap files with link type PFLOG. Tests use it to make the
// cases they compare against tcpdump; the benchmark generator uses it to
// make large, varied captures.
package gen

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// LinkTypePFLOG is DLT_PFLOG / LINKTYPE_PFLOG.
const LinkTypePFLOG = 117

// Record is one pflog record to write.
type Record struct {
	Sec, Nsec int64
	Hdr       pflog.Header
	Packet    []byte // the IP packet (full length on the wire)
	Snap      int    // cut the record (pflog header included) to this many bytes; 0 = no cut
}

// Writer writes pcap files with microsecond timestamps and link type PFLOG.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter writes the pcap file header and returns a Writer. snaplen goes
// into the file header (pflogd writes 116 by default; 0 means 262144).
func NewWriter(w io.Writer, snaplen int) (*Writer, error) {
	if snaplen == 0 {
		snaplen = 262144
	}
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], uint32(snaplen))
	binary.LittleEndian.PutUint32(h[20:], LinkTypePFLOG)
	if _, err := w.Write(h[:]); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	return &Writer{w: w}, nil
}

// Encode appends the pcap record for r (record header and data) to dst.
func Encode(dst []byte, r *Record) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, 16)...)
	dst = r.Hdr.AppendEncoded(dst)
	dst = append(dst, r.Packet...)
	wire := len(dst) - start - 16
	capLen := wire
	if r.Snap > 0 && r.Snap < capLen {
		capLen = r.Snap
		dst = dst[:start+16+capLen]
	}
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[0:], uint32(r.Sec))
	binary.LittleEndian.PutUint32(h[4:], uint32(r.Nsec/1000))
	binary.LittleEndian.PutUint32(h[8:], uint32(capLen))
	binary.LittleEndian.PutUint32(h[12:], uint32(wire))
	return dst
}

// Write writes one record.
func (w *Writer) Write(r *Record) error {
	w.buf = Encode(w.buf[:0], r)
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	return nil
}

// DefaultHeader returns a FreeBSD >= 13.1 header for an inbound block by
// rule 1 on vtnet0 with no anchor, no uid and no ridentifier; af is
// pflog.AFInet or pflog.AFInet6.
func DefaultHeader(af uint8) pflog.Header {
	h := pflog.Header{
		Layout:    pflog.LayoutFreeBSD,
		AF:        af,
		Action:    pflog.ActionDrop,
		Reason:    pflog.ReasonMatch,
		Dir:       pflog.DirIn,
		RuleNr:    1,
		SubRuleNr: pflog.NoAnchor,
		UID:       pflog.NoUID,
		PID:       0xffffffff,
		RuleUID:   pflog.NoUID,
		RulePID:   0xffffffff,
	}
	h.SetIfName("vtnet0")
	return h
}

// WriteFile writes recs as a pcap file at path (snaplen as in NewWriter).
func WriteFile(path string, snaplen int, recs ...*Record) error {
	var b bytes.Buffer
	w, err := NewWriter(&b, snaplen)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
