package pcapfile

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

const (
	// maxCaplen is the largest record accepted whatever the file says
	// (libpcap's MAXIMUM_SNAPLEN).
	maxCaplen = 262144
	// maxSnapCaplen bounds caplen when a file's snaplen is bigger than
	// maxCaplen.
	maxSnapCaplen = 1 << 20
	// maxBlock is the largest pcapng block accepted.
	maxBlock = 1<<20 + 4096
	// maxBuf bounds the buffer: one largest record plus the header after
	// it, or one largest block.
	maxBuf = maxBlock + 64
	// initBuf is the buffer a parser starts with; reads fill it whole.
	initBuf = 256 << 10
	// minRead: compact the buffer before reading when less room is left.
	minRead = 16 << 10
	// caplenSlack is how much a record's caplen may exceed its original
	// length before the header counts as corrupt.
	caplenSlack = 256
	// backDay: a record more than this many seconds older than the one
	// before it is suspect (it must be confirmed by the record after it).
	backDay = 86400
	// maxIfaces bounds the pcapng interfaces kept per section.
	maxIfaces = 1024
)

const (
	fmtUnknown = iota
	fmtPcap
	fmtNG
)

// verdicts of the step functions
const (
	vReady   = iota // a whole record is buffered
	vMore           // more bytes are needed (and may come)
	vEOF            // clean end of input
	vCorrupt        // the header at p.r is corrupt
	vTrunc          // the input ends inside the record
)

// pcapng block types
const (
	ngSHB = 0x0A0D0D0A
	ngIDB = 1
	ngPB  = 2 // obsolete Packet Block
	ngSPB = 3
	ngNRB = 4
	ngISB = 5
	ngEPB = 6
	ngBOM = 0x1A2B3C4D
)

type ngIface struct {
	linkType uint32
	snaplen  uint32
	units    uint64 // decimal resolution: ticks per second; 0 when binary
	shift    uint   // binary resolution: ticks per second = 1<<shift
	offset   int64  // if_tsoffset, seconds
}

// parser turns buffered bytes into records. It decides only on bytes it
// has: when it needs more it returns errMore with p.need set, and its
// driver (Reader, Follower) reads into p.space() and calls again. When
// final is set no more bytes will come, so an incomplete record is
// reported as truncated instead.
type parser struct {
	name  string
	buf   []byte // len(buf) == cap(buf)
	r, w  int    // unread bytes are buf[r:w]
	base  int64  // input offset of buf[0]
	need  int    // bytes wanted at buf[r:] when errMore was returned
	final bool   // no more input will come

	haveHdr  bool
	format   int
	big      bool // big-endian file
	nano     bool // classic pcap with nanosecond timestamps
	snaplen  uint32
	linkType uint32
	limit    uint32 // largest caplen accepted

	prevSec  int64 // timestamp of the last record returned
	havePrev bool

	// ready's judgement of the record at readyAt-1 while w is readyW,
	// so that next does not judge it again (0: none).
	readyAt, readyW, readyN int

	skipping   bool // scanning for the next good record
	skipOff    int64
	jump       int64 // when > 0: try a record at skipOff+jump first
	skipReason string

	ifaces   []ngIface
	inHeader bool // pcapng: reading blocks up to the first IDB
}

func (p *parser) init(name string, size int) {
	p.name = name
	if len(p.buf) < size {
		p.buf = make([]byte, size)
	}
	p.reset()
}

// reset forgets the input but keeps the buffer, for a new file.
func (p *parser) reset() {
	p.r, p.w, p.base, p.need = 0, 0, 0, 0
	p.final = false
	p.readyAt = 0
	p.haveHdr, p.format, p.big, p.nano = false, fmtUnknown, false, false
	p.snaplen, p.linkType, p.limit = 0, 0, 0
	p.prevSec, p.havePrev = 0, false
	p.skipping, p.skipOff, p.skipReason, p.jump = false, 0, "", 0
	p.ifaces = p.ifaces[:0]
	p.inHeader = false
}

// off is the input offset of the next unread byte.
func (p *parser) off() int64 { return p.base + int64(p.r) }

// readOff is the input offset just past the buffered bytes.
func (p *parser) readOff() int64 { return p.base + int64(p.w) }

// space makes room for p.need bytes at buf[r:] and returns the free tail
// of the buffer to read into; the caller adds what it read to p.w.
func (p *parser) space() []byte {
	p.readyAt = 0
	need := p.need
	if need < 16 {
		need = 16
	}
	if need > maxBuf {
		need = maxBuf // cannot happen: every need is bounded
	}
	if p.r > 0 && (p.r == p.w || len(p.buf)-p.w < minRead || len(p.buf)-p.r < need) {
		copy(p.buf, p.buf[p.r:p.w])
		p.base += int64(p.r)
		p.w -= p.r
		p.r = 0
	}
	if len(p.buf)-p.r < need {
		n := 2 * len(p.buf)
		if n < need {
			n = need
		}
		if n > maxBuf {
			n = maxBuf
		}
		nb := make([]byte, n)
		copy(nb, p.buf[p.r:p.w])
		p.base += int64(p.r)
		p.w -= p.r
		p.r = 0
		p.buf = nb
	}
	return p.buf[p.w:]
}

func (p *parser) u16(b []byte) uint16 {
	if p.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (p *parser) u32(b []byte) uint32 {
	if p.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (p *parser) more(n int) error {
	p.need = n
	return errMore
}

func (p *parser) truncated(what string, have, want int) error {
	off := p.off()
	p.r = p.w
	return fmt.Errorf("%s: offset %d: %w: %s %d of %d bytes present", p.name, off, ErrTruncated, what, have, want)
}

// header reads the file header (pcapng: up to the first interface
// description).
func (p *parser) header() error {
	if p.haveHdr {
		return nil
	}
	if p.format == fmtNG {
		return p.ngNext(nil)
	}
	a := p.w - p.r
	if a < 4 {
		if !p.final {
			return p.more(4)
		}
		if a == 0 {
			return notPcap("%s: empty, %s", p.name, ErrNotPcap)
		}
		return notPcap("%s: only %d bytes, %s", p.name, a, ErrNotPcap)
	}
	b := p.buf[p.r:p.w]
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		p.big, p.nano = false, false
	case 0xd4c3b2a1:
		p.big, p.nano = true, false
	case 0xa1b23c4d:
		p.big, p.nano = false, true
	case 0x4d3cb2a1:
		p.big, p.nano = true, true
	case ngSHB:
		p.format = fmtNG
		p.inHeader = true
		return p.ngNext(nil)
	case 0xa1b2cd34, 0x34cdb2a1:
		return notPcap("%s: modified (Kuznetzov) pcap format is not supported", p.name)
	default:
		return notPcap("%s: %s (magic 0x%08x)", p.name, ErrNotPcap, binary.BigEndian.Uint32(b))
	}
	if a < 24 {
		if !p.final {
			return p.more(24)
		}
		return p.truncated("pcap file header:", a, 24)
	}
	if major, minor := p.u16(b[4:]), p.u16(b[6:]); major != 2 {
		return notPcap("%s: unsupported pcap version %d.%d", p.name, major, minor)
	}
	p.format = fmtPcap
	p.snaplen = p.u32(b[16:])
	p.linkType = p.u32(b[20:]) & 0x03FFFFFF
	p.limit = maxCaplen
	if p.snaplen > maxCaplen {
		p.limit = min(p.snaplen, maxSnapCaplen)
	}
	p.r += 24
	p.haveHdr = true
	return nil
}

// next fills pkt with the next record. It returns nil, errMore, io.EOF,
// a *source.SkipError, or an error that ends the input (truncated,
// unreadable header).
func (p *parser) next(pkt *source.Packet) error {
	if !p.haveHdr {
		if err := p.header(); err != nil {
			return err
		}
	}
	if p.format == fmtNG {
		return p.ngNext(pkt)
	}
	for {
		if p.skipping {
			return p.scan()
		}
		var n, v int
		if p.readyAt == p.r+1 && p.readyW == p.w {
			n, v = p.readyN, vReady // ready judged these very bytes
		} else {
			n, v = p.classicStep()
		}
		p.readyAt = 0
		switch v {
		case vReady:
			b := p.buf[p.r : p.r+n : p.r+n]
			sec := int64(p.u32(b[0:]))
			frac := p.u32(b[4:])
			if !p.nano {
				frac *= 1000
			}
			pkt.Sec = sec
			pkt.Nsec = int32(frac)
			pkt.WireLen = int(p.u32(b[12:]))
			pkt.Data = b[16:]
			p.r += n
			p.prevSec, p.havePrev = sec, true
			return nil
		case vMore:
			return p.more(n)
		case vEOF:
			return io.EOF
		case vCorrupt:
			p.startSkip()
		case vTrunc:
			// The input ends inside the record. If its header is valid,
			// the file was cut (pflogd stopped mid-write): the body is
			// packet bytes an attacker may have chosen, with forged
			// records inside, so it is never searched for records. Only
			// a suspicious header (caplen above the snaplen, time far
			// back) may be corruption with good records behind it.
			if p.w-p.r >= 32 {
				if _, soft, ok := p.hdrOK(p.buf[p.r:p.w]); ok && soft && p.findCandidate(p.r+1) {
					p.startSkip()
					continue
				}
			}
			what := "record"
			if n == 16 {
				what = "record header"
			}
			return p.truncated(what+":", p.w-p.r, n)
		}
	}
}

// classicStep judges the record at p.r without changing anything. For
// vReady and vTrunc n is the record length, for vMore the bytes needed.
func (p *parser) classicStep() (n int, v int) {
	a := p.w - p.r
	if a < 16 {
		if !p.final {
			return 16, vMore
		}
		if a == 0 {
			return 0, vEOF
		}
		return 16, vTrunc
	}
	b := p.buf[p.r:p.w]
	cl, soft, ok := p.hdrOK(b)
	if !ok {
		return 0, vCorrupt
	}
	n = 16 + cl
	if soft {
		// A suspicious header is believed only if the record after it
		// looks right (or the input ends right after it).
		switch {
		case a >= n+16:
			sec := int64(p.u32(b))
			if _, _, ok := p.hdrOK(b[n:]); !ok || int64(p.u32(b[n:])) < sec-backDay {
				return 0, vCorrupt
			}
		case !p.final:
			return n + 16, vMore
		}
	}
	if a < n {
		if !p.final {
			return n, vMore
		}
		return n, vTrunc
	}
	return n, vReady
}

// hdrOK checks the classic record header at b[:16]. ok false means it
// cannot be a record header; soft means it is unusual enough to need
// confirmation.
func (p *parser) hdrOK(b []byte) (caplen int, soft, ok bool) {
	sec := p.u32(b[0:])
	frac := p.u32(b[4:])
	cl := p.u32(b[8:])
	ol := p.u32(b[12:])
	if ol == 0 || cl > p.limit || uint64(cl) > uint64(ol)+caplenSlack {
		return 0, false, false
	}
	if frac >= 1000000 && (!p.nano || frac >= 1000000000) {
		return 0, false, false
	}
	soft = (p.snaplen > 0 && cl > p.snaplen) ||
		(p.havePrev && int64(sec) < p.prevSec-backDay)
	return int(cl), soft, true
}

// plausible is the strict check used when hunting for a record header
// after corrupt input.
func (p *parser) plausible(b []byte, prevSec int64, havePrev bool) (caplen int, sec int64, ok bool) {
	sec = int64(p.u32(b[0:]))
	frac := p.u32(b[4:])
	cl := p.u32(b[8:])
	ol := p.u32(b[12:])
	if cl == 0 || cl > p.limit || cl > ol || (p.snaplen > 0 && cl > p.snaplen) {
		return 0, 0, false
	}
	if frac >= 1000000 && (!p.nano || frac >= 1000000000) {
		return 0, 0, false
	}
	if havePrev && sec < prevSec-backDay {
		return 0, 0, false
	}
	return int(cl), sec, true
}

func (p *parser) startSkip() {
	p.skipping = true
	p.skipOff = p.off()
	if p.format == fmtNG {
		p.skipReason = "corrupt pcapng block"
	} else {
		b := p.buf[p.r:p.w]
		if len(b) >= 16 {
			p.skipReason = fmt.Sprintf("corrupt record header (caplen %d, len %d)", p.u32(b[8:]), p.u32(b[12:]))
		} else {
			p.skipReason = "corrupt record header"
		}
		// When the damaged header's length may still be right, first
		// try the record after it (scan): if the damage was elsewhere
		// (a time stamp), the record is skipped whole rather than its
		// body searched, which is packet bytes an attacker may have
		// filled with forged records.
		p.jump = 0
		if len(b) >= 16 {
			if cl := p.u32(b[8:]); cl <= p.limit {
				p.jump = 16 + int64(cl)
			}
		}
	}
	p.r++
}

func (p *parser) skipDone() error {
	e := &source.SkipError{Name: p.name, Offset: p.skipOff, Skipped: p.off() - p.skipOff, Reason: p.skipReason}
	p.skipping = false
	return e
}

// candidate results
const (
	cNo = iota
	cYes
	cMore
)

// candidate judges whether a record (block) starts at buf[i]; for cMore
// need is the bytes needed from i.
//
// After corrupt input, a classic pcap record is believed only when
// confirmChain headers in a row chain up (each record ends where the next
// plausible header starts) with time stamps that go forward as pflogd
// writes them (see chainSane), or when a shorter chain of at least two
// ends exactly at the end of the input. One plausible header is easy to
// find by chance, or to plant, in packet payload; a chain of them, in
// time order, is not found by chance.
func (p *parser) candidate(i int) (need int, c int) {
	if p.format == fmtNG {
		return p.ngCandidate(i)
	}
	b := p.buf[i:p.w]
	prev, havePrev := p.prevSec, p.havePrev
	off := 0
	for k := 0; k < confirmChain; k++ {
		if len(b)-off < 16 {
			switch {
			case p.final && len(b) == off && k >= 2:
				return 0, cYes
			case p.final:
				return 0, cNo
			}
			return off + 16, cMore
		}
		cl, sec, ok := p.plausible(b[off:], prev, havePrev)
		if !ok || k > 0 && !chainSane(prev, sec) {
			return 0, cNo
		}
		n := 16 + cl
		if len(b) < off+n {
			if p.final {
				return 0, cNo
			}
			if off+n+16 > maxBuf {
				// A chain of huge records cannot be buffered whole;
				// two confirmed headers have to do.
				if k >= 2 {
					return 0, cYes
				}
				return 0, cNo
			}
			return off + n + 16, cMore
		}
		off += n
		prev, havePrev = sec, true
	}
	return 0, cYes
}

// confirmChain is how many chained headers confirm a resync.
const confirmChain = 4

// chainSane: in a chain of records confirming a resync, a record is at
// most a minute older than the one before it (pflogd writes them in the
// order the kernel stamped them) and at most a day newer.
func chainSane(prev, sec int64) bool {
	return sec >= prev-60 && sec <= prev+backDay
}

// findCandidate reports whether a record starts anywhere in buf[from:w]
// with what is buffered (used only when final).
func (p *parser) findCandidate(from int) bool {
	for i := from; i < p.w; i++ {
		if _, c := p.candidate(i); c == cYes {
			return true
		}
	}
	return false
}

// scan moves p.r forward to the next good record; it returns the
// *source.SkipError for the bytes it skipped, or errMore.
func (p *parser) scan() error {
	if p.jump > 0 {
		idx := int(p.skipOff + p.jump - p.base)
		need, c := 0, cNo
		if idx <= p.w {
			need, c = p.candidate(idx)
		} else if !p.final {
			need, c = 16, cMore
		}
		switch {
		case c == cYes:
			p.jump = 0
			p.r = idx
			return p.skipDone()
		case c == cMore && !p.final && idx-p.r+need <= maxBuf:
			return p.more(idx - p.r + need)
		}
		p.jump = 0 // not a record there: search byte by byte
	}
	for p.r < p.w {
		need, c := p.candidate(p.r)
		switch {
		case c == cYes:
			return p.skipDone()
		case c == cMore && !p.final:
			return p.more(need)
		}
		p.r++
	}
	if !p.final {
		return p.more(16)
	}
	return p.skipDone()
}

// ready reports whether next would return a record from buffered bytes.
func (p *parser) ready() bool {
	if !p.haveHdr || p.skipping {
		return false
	}
	if p.format == fmtNG {
		return p.ngReady()
	}
	n, v := p.classicStep()
	if v != vReady {
		return false
	}
	// A ready record stays ready: more input or the end of it can only
	// confirm a record that was whole.
	p.readyAt, p.readyW, p.readyN = p.r+1, p.w, n
	return true
}
