package pcapfile

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// ngHead reads the type and total length of the block at b (len(b) >=
// 12) and checks what can be checked without the whole block. For a
// section header it also returns the byte order the section declares.
func (p *parser) ngHead(b []byte) (typ uint32, length int, big bool, ok bool) {
	big = p.big
	typ = p.u32(b)
	if typ == ngSHB {
		switch {
		case binary.BigEndian.Uint32(b[8:]) == ngBOM:
			big = true
		case binary.LittleEndian.Uint32(b[8:]) == ngBOM:
			big = false
		default:
			return typ, 0, big, false
		}
	}
	var l uint32
	if big {
		l = binary.BigEndian.Uint32(b[4:])
	} else {
		l = binary.LittleEndian.Uint32(b[4:])
	}
	min := uint32(12)
	switch typ {
	case ngSHB:
		min = 28
	case ngIDB:
		min = 20
	case ngEPB, ngPB:
		min = 32
	case ngSPB:
		min = 16
	}
	if l < min || l%4 != 0 || l > maxBlock {
		return typ, 0, big, false
	}
	return typ, int(l), big, true
}

// ngTrailerOK checks the block's trailing copy of its length.
func ngTrailerOK(blk []byte, big bool) bool {
	t := blk[len(blk)-4:]
	if big {
		return binary.BigEndian.Uint32(t) == uint32(len(blk))
	}
	return binary.LittleEndian.Uint32(t) == uint32(len(blk))
}

// ngNext processes blocks up to the next packet (or, while p.inHeader,
// up to the first interface description).
func (p *parser) ngNext(pkt *source.Packet) error {
	for {
		if p.skipping {
			return p.scan()
		}
		a := p.w - p.r
		if a < 12 {
			if !p.final {
				return p.more(12)
			}
			if a == 0 {
				if p.inHeader {
					return notPcap("%s: pcapng file without an interface description block", p.name)
				}
				return io.EOF
			}
			return p.truncated("pcapng block:", a, 12)
		}
		b := p.buf[p.r:p.w]
		typ, length, big, ok := p.ngHead(b)
		if ok && a < length {
			if !p.final {
				return p.more(length)
			}
			if p.inHeader || !(a >= 24 && p.findCandidate(p.r+1)) {
				return p.truncated("pcapng block:", a, length)
			}
			ok = false
		}
		if ok && !ngTrailerOK(b[:length], big) {
			ok = false
		}
		if !ok {
			if p.inHeader {
				return p.headerErr(typ)
			}
			p.startSkip()
			continue
		}
		blk := b[:length]
		switch typ {
		case ngSHB:
			p.big = big
			if major := p.u16(blk[12:]); major != 1 {
				if p.inHeader {
					return notPcap("%s: unsupported pcapng version %d.%d", p.name, major, p.u16(blk[14:]))
				}
				p.startSkip() // the section cannot be read
				p.skipReason = fmt.Sprintf("pcapng section of unsupported version %d", major)
				continue
			}
			p.ifaces = p.ifaces[:0]
			p.r += length
		case ngIDB:
			p.r += length
			if len(p.ifaces) >= maxIfaces {
				if p.inHeader {
					return p.headerErr(typ)
				}
				return p.blockSkip(length, "too many interface descriptions")
			}
			p.ifaces = append(p.ifaces, p.ngIface(blk))
			if p.inHeader {
				p.inHeader = false
				p.haveHdr = true
				p.format = fmtNG
				p.linkType = p.ifaces[0].linkType
				p.snaplen = p.ifaces[0].snaplen
				return nil
			}
		case ngEPB, ngPB, ngSPB:
			if p.inHeader {
				return p.headerErr(typ)
			}
			return p.ngPacket(typ, blk, pkt)
		default:
			p.r += length
		}
	}
}

func (p *parser) headerErr(typ uint32) error {
	if p.off() == 0 {
		return notPcap("%s: pcapng section header is corrupt", p.name)
	}
	return notPcap("%s: offset %d: corrupt or unexpected pcapng block (type 0x%x) before the first interface description", p.name, p.off(), typ)
}

// blockSkip skips a well-framed block that cannot be used; p.r is
// already past it.
func (p *parser) blockSkip(length int, reason string) error {
	return &source.SkipError{Name: p.name, Offset: p.off() - int64(length), Skipped: int64(length), Reason: reason}
}

func (p *parser) ngIface(blk []byte) ngIface {
	f := ngIface{
		linkType: uint32(p.u16(blk[8:])),
		snaplen:  p.u32(blk[12:]),
		units:    1000000,
	}
	opts := blk[16 : len(blk)-4]
	for len(opts) >= 4 {
		code, l := p.u16(opts), int(p.u16(opts[2:]))
		if code == 0 || 4+l > len(opts) {
			break
		}
		v := opts[4 : 4+l]
		switch {
		case code == 9 && l >= 1: // if_tsresol
			e := uint(v[0] & 0x7f)
			if v[0]&0x80 != 0 {
				if e < 64 {
					f.units, f.shift = 0, e
				}
			} else if e <= 19 {
				f.units = 1
				for ; e > 0; e-- {
					f.units *= 10
				}
			}
		case code == 14 && l >= 8: // if_tsoffset
			if p.big {
				f.offset = int64(binary.BigEndian.Uint64(v))
			} else {
				f.offset = int64(binary.LittleEndian.Uint64(v))
			}
		}
		opts = opts[4+(l+3)&^3:]
	}
	return f
}

// ngTime converts a pcapng timestamp.
func (f *ngIface) time(ts uint64) (int64, int32) {
	var sec, nsec uint64
	if f.units == 0 {
		s := f.shift
		sec = ts >> s
		frac := ts & (1<<s - 1)
		if s > 30 {
			frac >>= s - 30
			s = 30
		}
		nsec = frac * 1000000000 >> s
	} else {
		sec = ts / f.units
		rem := ts % f.units
		if f.units <= 1000000000 {
			nsec = rem * (1000000000 / f.units)
		} else {
			nsec = rem / (f.units / 1000000000)
		}
	}
	return int64(sec) + f.offset, int32(nsec)
}

// ngPacket fills pkt from a packet block; p.r is at the block.
func (p *parser) ngPacket(typ uint32, blk []byte, pkt *source.Packet) error {
	length := len(blk)
	p.r += length
	var id int
	var ts uint64
	var cl, ol uint32
	var data []byte
	switch typ {
	case ngEPB:
		id = int(p.u32(blk[8:]))
		ts = uint64(p.u32(blk[12:]))<<32 | uint64(p.u32(blk[16:]))
		cl, ol = p.u32(blk[20:]), p.u32(blk[24:])
		data = blk[28 : length-4]
	case ngPB:
		id = int(p.u16(blk[8:]))
		ts = uint64(p.u32(blk[12:]))<<32 | uint64(p.u32(blk[16:]))
		cl, ol = p.u32(blk[20:]), p.u32(blk[24:])
		data = blk[28 : length-4]
	case ngSPB:
		ol = p.u32(blk[8:])
		data = blk[12 : length-4]
		cl = uint32(len(data))
		if ol < cl {
			cl = ol
		}
		if len(p.ifaces) > 0 && p.ifaces[0].snaplen > 0 && p.ifaces[0].snaplen < cl {
			cl = p.ifaces[0].snaplen
		}
	}
	if id >= len(p.ifaces) {
		return p.blockSkip(length, fmt.Sprintf("packet for undefined interface %d", id))
	}
	if uint64(cl) > uint64(len(data)) {
		return p.blockSkip(length, fmt.Sprintf("packet block with caplen %d in %d bytes", cl, len(data)))
	}
	f := &p.ifaces[id]
	if f.linkType != p.linkType {
		return p.blockSkip(length, fmt.Sprintf("packet on interface %d with link type %s, not %s", id, linkTypeName(f.linkType), linkTypeName(p.linkType)))
	}
	if typ == ngSPB {
		pkt.Sec, pkt.Nsec = 0, 0
	} else {
		pkt.Sec, pkt.Nsec = f.time(ts)
	}
	pkt.WireLen = int(ol)
	pkt.Data = data[:cl:cl]
	p.prevSec, p.havePrev = pkt.Sec, true
	return nil
}

// ngCandidate judges whether a block starts at buf[i].
func (p *parser) ngCandidate(i int) (need int, c int) {
	b := p.buf[i:p.w]
	if len(b) < 12 {
		return 12, cMore
	}
	typ, length, big, ok := p.ngHead(b)
	if !ok {
		return 0, cNo
	}
	switch typ {
	case ngSHB, ngIDB, ngPB, ngSPB, ngNRB, ngISB, ngEPB:
	default:
		return 0, cNo
	}
	if len(b) < length {
		return length, cMore
	}
	if !ngTrailerOK(b[:length], big) {
		return 0, cNo
	}
	if typ == ngEPB && int(p.u32(b[8:])) >= len(p.ifaces) {
		return 0, cNo
	}
	return 0, cYes
}

// ngReady reports whether a packet block is buffered, with only other
// whole blocks before it.
func (p *parser) ngReady() bool {
	for i := p.r; p.w-i >= 12; {
		b := p.buf[i:p.w]
		typ, length, big, ok := p.ngHead(b)
		if !ok || typ == ngSHB || len(b) < length || !ngTrailerOK(b[:length], big) {
			return false
		}
		switch typ {
		case ngEPB, ngPB, ngSPB:
			return true
		}
		i += length
	}
	return false
}
