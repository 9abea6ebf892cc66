package capture

import (
	"encoding/binary"
	"fmt"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// Layout of one record in a buffer read(2) from a FreeBSD bpf(4) device
// whose time stamp type is BPF_T_NANOTIME (set with BIOCSTSTAMP; see
// Open). For every format but BPF_T_MICROTIME the kernel's catchpacket()
// writes a struct bpf_xhdr (sys/net/bpf.h):
//
//	struct bpf_ts   { bpf_int64 bt_sec; bpf_u_int64 bt_frac; };
//	struct bpf_xhdr {
//		struct bpf_ts bh_tstamp;   //  0: seconds;  8: bt_frac = nanoseconds
//		bpf_u_int32   bh_caplen;   // 16: bytes captured
//		bpf_u_int32   bh_datalen;  // 20: original length of the packet
//		u_short       bh_hdrlen;   // 24: this header plus alignment padding
//	};
//
// catchpacket() zeroes a whole struct bpf_xhdr and copies sizeof(hdr)
// bytes of it: 32 on 64-bit FreeBSD (26 bytes of fields, then padding to
// the 8-byte alignment of bt_sec), then the captured bytes at bh_hdrlen.
// bh_hdrlen itself is computed from SIZEOF_BPF_HDR = offsetof(bh_hdrlen)
// + 2 = 26 (bpf_hdrlen() in sys/net/bpf.c):
// BPF_WORDALIGN(26 + link header length) - link header length, so that
// the network header behind the link header is aligned: for pflog0 (link
// header PFLOG_HDRLEN = 72 on FreeBSD >= 13.1, 64 before) it is 32 on
// amd64 and arm64. The next record starts at
// BPF_WORDALIGN(start + bh_hdrlen + bh_caplen), BPF_ALIGNMENT being
// sizeof(long): 8 on 64-bit FreeBSD.
//
// We use bpf_xhdr rather than the default struct bpf_hdr (BPF_T_MICROTIME,
// struct timeval) because its field offsets are the same on every
// architecture (timeval's size follows time_t and long) and it carries
// nanoseconds. On amd64 and arm64 both headers happen to have the same
// offsets; only the unit of the second field differs, which is why Open
// checks with BIOCGTSTAMP that the kernel took the format.
const (
	xhdrLen    = 26 // SIZEOF_BPF_HDR(struct bpf_xhdr): the fields, no padding
	offSec     = 0
	offFrac    = 8
	offCaplen  = 16
	offDatalen = 20
	offHdrlen  = 24

	// Alignment is BPF_ALIGNMENT (sizeof(long)) on 64-bit FreeBSD.
	Alignment = 8

	// PflogHdrLen is the bh_hdrlen the kernel writes for pflog
	// interfaces on 64-bit FreeBSD with BPF_T_NANOTIME.
	PflogHdrLen = 32
)

// BufferParser walks the records in one buffer read from a bpf device,
// in place: Next points Packet.Data into the buffer and never allocates.
// The zero value is ready to use with Alignment 8.
//
// A record whose framing is broken (a header length or capture length
// that cannot be right) makes Next return a *source.SkipError for the
// rest of the buffer: the records before it were delivered, the bytes
// after it cannot be trusted. A record whose framing is intact but whose
// content is impossible (nanoseconds >= 1e9, capture length above the
// original length) is skipped alone and parsing goes on behind it.
type BufferParser struct {
	// Name names the source in SkipErrors, e.g. "bpf pflog0".
	Name string
	// Align is BPF_ALIGNMENT; 0 means Alignment (8). 32-bit FreeBSD
	// uses 4.
	Align int

	buf  []byte
	off  int
	base int64 // stream offset of buf[0]: bytes of earlier buffers
}

// Reset makes p walk buf (the bytes one read returned). Offsets in
// SkipErrors count bytes across all buffers given to Reset.
func (p *BufferParser) Reset(buf []byte) {
	p.base += int64(len(p.buf))
	p.buf = buf
	p.off = 0
}

// Pending reports whether bytes of the current buffer are left, that is
// whether Next can return without new input.
func (p *BufferParser) Pending() bool { return p.off < len(p.buf) }

func (p *BufferParser) align() int {
	if p.Align <= 0 {
		return Alignment
	}
	return p.Align
}

// Next fills pkt with the next record and returns true. At the end of the
// buffer it returns false and nil. After skipping corrupt input it
// returns false and a *source.SkipError; call Next again (Pending tells
// whether anything is left).
func (p *BufferParser) Next(pkt *source.Packet) (bool, error) {
	rest := len(p.buf) - p.off
	if rest <= 0 {
		p.off = len(p.buf)
		return false, nil
	}
	b := p.buf[p.off:]
	if rest < xhdrLen {
		return false, p.skipRest(fmt.Sprintf("%d bytes left, too few for a bpf header", rest))
	}
	align := p.align()
	hdrlen := int(binary.NativeEndian.Uint16(b[offHdrlen:]))
	// The kernel pads the 26 header bytes to alignment and no more.
	if hdrlen < xhdrLen || hdrlen >= xhdrLen+align {
		return false, p.skipRest(fmt.Sprintf("bpf header length %d outside %d..%d", hdrlen, xhdrLen, xhdrLen+align-1))
	}
	if hdrlen > rest {
		return false, p.skipRest(fmt.Sprintf("bpf header length %d beyond the %d bytes left", hdrlen, rest))
	}
	caplen := binary.NativeEndian.Uint32(b[offCaplen:])
	if uint64(caplen) > uint64(rest-hdrlen) {
		return false, p.skipRest(fmt.Sprintf("capture length %d beyond the %d bytes left", caplen, rest-hdrlen))
	}
	end := hdrlen + int(caplen)
	next := p.off + end
	if r := next % align; r != 0 {
		next += align - r
	}
	if next > len(p.buf) {
		next = len(p.buf)
	}
	datalen := binary.NativeEndian.Uint32(b[offDatalen:])
	frac := binary.NativeEndian.Uint64(b[offFrac:])
	switch {
	case frac >= 1e9:
		return false, p.skipTo(next, fmt.Sprintf("time stamp fraction %d is not nanoseconds", frac))
	case datalen < caplen:
		return false, p.skipTo(next, fmt.Sprintf("capture length %d above original length %d", caplen, datalen))
	}
	pkt.Sec = int64(binary.NativeEndian.Uint64(b[offSec:]))
	pkt.Nsec = int32(frac)
	pkt.WireLen = int(datalen)
	pkt.Data = b[hdrlen:end:end]
	p.off = next
	return true, nil
}

func (p *BufferParser) skipRest(reason string) error {
	return p.skipTo(len(p.buf), reason)
}

func (p *BufferParser) skipTo(next int, reason string) error {
	e := &source.SkipError{
		Name:    p.Name,
		Offset:  p.base + int64(p.off),
		Skipped: int64(next - p.off),
		Reason:  reason,
	}
	p.off = next
	return e
}

// Record is one capture record for AppendRecord.
type Record struct {
	Sec     int64
	Nsec    int32
	WireLen int // 0 means len(Data)
	Data    []byte
}

// AppendRecord appends r to dst laid out as the kernel's catchpacket()
// does on 64-bit FreeBSD for a pflog interface with BPF_T_NANOTIME:
// zero padding up to the next 8-byte boundary of dst (dst must start at
// the beginning of the buffer), the 26 header bytes, zero padding to
// bh_hdrlen 32, the data. It lets tests build what read(2) returns.
func AppendRecord(dst []byte, r Record) []byte {
	return appendRecord(dst, r, PflogHdrLen, Alignment, 0)
}

// appendRecord is AppendRecord with the header length, alignment and
// padding byte chosen (the kernel leaves stale bytes in the padding).
func appendRecord(dst []byte, r Record, hdrlen, align int, pad byte) []byte {
	for len(dst)%align != 0 {
		dst = append(dst, pad)
	}
	wire := r.WireLen
	if wire == 0 {
		wire = len(r.Data)
	}
	var h [xhdrLen]byte
	binary.NativeEndian.PutUint64(h[offSec:], uint64(r.Sec))
	binary.NativeEndian.PutUint64(h[offFrac:], uint64(r.Nsec))
	binary.NativeEndian.PutUint32(h[offCaplen:], uint32(len(r.Data)))
	binary.NativeEndian.PutUint32(h[offDatalen:], uint32(wire))
	binary.NativeEndian.PutUint16(h[offHdrlen:], uint16(hdrlen))
	dst = append(dst, h[:]...)
	for i := xhdrLen; i < hdrlen; i++ {
		dst = append(dst, pad)
	}
	return append(dst, r.Data...)
}

// HdrLen returns the bh_hdrlen the kernel writes for an interface whose
// link header is linkHdrLen bytes long, with BPF_ALIGNMENT align:
// BPF_WORDALIGN(26 + linkHdrLen) - linkHdrLen (bpf_hdrlen() in
// sys/net/bpf.c).
func HdrLen(linkHdrLen, align int) int {
	n := xhdrLen + linkHdrLen
	if r := n % align; r != 0 {
		n += align - r
	}
	return n - linkHdrLen
}
