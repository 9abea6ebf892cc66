package tcpdump

// The packet printer: what tcpdump 4.99 prints with -n -e -S (no -v) for
// the IP packet inside a pflog record.
//
// The printer follows tcpdump's control flow closely, because the text of
// malformed and truncated packets depends on it. tcpdump stops at the
// first read past the captured data (a longjmp) and prints " [|proto]",
// proto being the protocol whose printer was running; here every step
// returns false instead and AppendPacket appends that marker.
//
// Helpers shared with the ICMP and ICMPv6 printers (icmp.go, icmp6.go):
//
//	appendAddr4(dst, b []byte) []byte
//		appends the IPv4 address in b[0:4] in dotted-quad form.
//	appendAddr6(dst, b []byte) []byte
//		appends the IPv6 address in b[0:16] the way tcpdump prints it:
//		RFC 5952 compression ("2001:db8::1"), except that an address
//		with exactly six leading zero words ("::1.2.3.4") or an
//		IPv4-mapped one ("::ffff:1.2.3.4") ends in dotted-quad form.
//	num.AppendUint, num.AppendHex, num.AppendDec (internal/num)
//		decimal, lower-case hexadecimal and two-digit hex, no allocation.
//	appendIPPacket(dst, b []byte, length int) ([]byte, bool)
//		prints a quoted (embedded) IPv4 or IPv6 packet as tcpdump's
//		ip_print/ip6_print do; false means the capture ended, and the
//		caller appends its own " [|proto]" marker.
//
// None of them allocate; callers pass slices of the captured bytes and
// must make sure b is long enough for the addresses.

import (
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/pfasciilogd/pfasciilogd/internal/num"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
)

// AppendPacket appends what tcpdump -n -e -S prints for the IP packet of
// a pflog record, after "rule ...: block in on IF: ". ip is the packet as
// captured (it may be cut short by the snapshot length); wireLen is its
// length on the wire. IPv4 and IPv6 are told apart by the version nibble.
// It never allocates beyond growing dst and never panics.
func AppendPacket(dst []byte, ip []byte, wireLen int) []byte {
	if wireLen < 0 {
		wireLen = 0
	}
	p := printer{b: dst}
	if !p.ipN(ip, wireLen) {
		p.trunc()
	}
	return p.b
}

// appendIPPacket prints an embedded IPv4 or IPv6 packet (the version
// nibble decides). It reports false when the captured bytes ran out; the
// caller then prints its own truncation marker.
func appendIPPacket(dst []byte, b []byte, length int) ([]byte, bool) {
	p := printer{b: dst}
	ok := p.ipN(b, length)
	return p.b, ok
}

// printer is the state of one packet print: the output and the name of
// the protocol being printed, which a truncation marker names.
type printer struct {
	b     []byte
	proto string
}

// trunc appends tcpdump's truncation marker " [|proto]".
func (p *printer) trunc() {
	p.b = append(p.b, " [|"...)
	p.b = append(p.b, p.proto...)
	p.b = append(p.b, ']')
}

func (p *printer) s(s string) { p.b = append(p.b, s...) }

func (p *printer) u(v uint64) { p.b = num.AppendUint(p.b, v) }

func (p *printer) invalid() { p.b = append(p.b, " (invalid)"...) }

// versionIs reports whether the IP version is want; if not it prints
// tcpdump's complaint (a protocol that only the other version carries).
func (p *printer) versionIs(ver, want int, complaint string) bool {
	if ver == want {
		return true
	}
	p.s(complaint)
	p.invalid()
	return false
}

// ipN dispatches on the version nibble.
func (p *printer) ipN(b []byte, length int) bool {
	p.proto = "ip"
	if len(b) == 0 {
		return false
	}
	switch b[0] >> 4 {
	case 4:
		return p.ip4(b, length)
	case 6:
		return p.ip6(b, length)
	}
	p.s("IP")
	p.u(uint64(b[0] >> 4))
	p.invalid()
	return true
}

func rd16(b []byte) int    { return int(num.BE16(b)) }
func rd32(b []byte) uint32 { return num.BE32(b) }
func rd64(b []byte) uint64 { return num.BE64(b) }

// isL4 reports whether tcpdump leaves printing the addresses to the
// transport printer (which prints them with ports).
func isL4(proto byte) bool {
	return proto == packet.ProtoTCP || proto == packet.ProtoUDP || proto == packet.ProtoSCTP || proto == packet.ProtoDCCP
}

// ip4 is tcpdump's ip_print with -e (no "IP " prefix) and without -v.
func (p *printer) ip4(b []byte, length int) bool {
	p.proto = "ip"
	if len(b) < 20 {
		return false
	}
	if length < 20 {
		p.s("truncated-ip ")
		p.u(uint64(length))
		return true
	}
	hlen := int(b[0]&0x0f) * 4
	if hlen < 20 {
		p.s("bad-hlen ")
		p.u(uint64(hlen))
		return true
	}
	total := rd16(b[2:])
	if length < total {
		p.s("truncated-ip - ")
		p.u(uint64(total - length))
		p.s(" bytes missing! ")
	}
	if total < hlen {
		p.s("bad-len ")
		p.u(uint64(total))
		return true
	}
	if len(b) > total {
		b = b[:total] // the snapshot ends with the IP datagram
	}
	off := rd16(b[6:])
	proto := b[9]
	if off&0x1fff != 0 {
		p.addrs4(b)
		p.s(": ip-proto-")
		p.u(uint64(proto))
		return true
	}
	if !isL4(proto) {
		p.addrs4(b)
		p.s(": ")
	}
	if len(b) < hlen {
		return p.shortCaplen(len(b), hlen)
	}
	return p.demux(b[hlen:], total-hlen, 4, off&0x2000 != 0, b, proto)
}

// shortCaplen prints tcpdump's marker for a header longer than what was
// captured (ND_BYTES_AVAILABLE_AFTER < header length) and ends the line.
func (p *printer) shortCaplen(caplen, hlen int) bool {
	p.s(" [remaining caplen(")
	p.u(uint64(caplen))
	p.s(") < header length(")
	p.u(uint64(hlen))
	p.s(")]")
	return false
}

// addrs4 appends "SRC > DST" of an IPv4 header (b has at least 20 bytes).
func (p *printer) addrs4(b []byte) {
	p.b = appendAddr4(p.b, b[12:16])
	p.s(" > ")
	p.b = appendAddr4(p.b, b[16:20])
}

// addrs6 appends "SRC > DST" of an IPv6 header (b has at least 40 bytes).
func (p *printer) addrs6(b []byte) {
	p.b = appendAddr6(p.b, b[8:24])
	p.s(" > ")
	p.b = appendAddr6(p.b, b[24:40])
}

// ip6 is tcpdump's ip6_print with -e and without -v.
func (p *printer) ip6(b []byte, length int) bool {
	p.proto = "ip6"
	if len(b) < 40 {
		return false
	}
	if length < 40 {
		p.s("truncated-ip6 ")
		p.u(uint64(length))
		return true
	}
	payloadLen := rd16(b[4:])
	var total int
	if payloadLen != 0 {
		total = payloadLen + 40
		if length < total {
			p.s("truncated-ip6 - ")
			p.u(uint64(total - length))
			p.s(" bytes missing!")
		}
	} else {
		total = length + 40 // tcpdump's (odd) arithmetic, kept
	}
	if len(b) > total {
		b = b[:total]
	}
	nh := b[6]
	ph := 255
	cp, advance := 0, 40
	left := total
	totalAdvance := 0
	foundExt, foundHBH, fragmented := false, false, false
	for cp < len(b) && advance > 0 {
		if left < advance {
			return false
		}
		cp += advance
		left -= advance
		totalAdvance += advance
		if cp == 40 && !isL4(nh) {
			p.addrs6(b)
			p.s(": ")
		}
		rest := b[min(cp, len(b)):]
		switch nh {
		case packet.ProtoHopOpts:
			if foundHBH {
				p.s("[The Hop-by-Hop Options header was already found]")
				p.invalid()
				return true
			}
			if ph != 255 {
				p.s("[The Hop-by-Hop Options header don't follow the IPv6 header]")
				p.invalid()
				return true
			}
			adv, ok := p.hbh(rest)
			if !ok {
				return false
			}
			if payloadLen == 0 {
				// Jumbograms are not printed; tcpdump demands one here.
				p.s("[No valid Jumbo Payload Hop-by-Hop option found]")
				p.invalid()
				return true
			}
			if adv < 0 {
				return true
			}
			advance = adv
			foundExt, foundHBH = true, true
			nh = rest[0]
		case packet.ProtoDstOpts:
			adv, ok := p.dstopts(rest)
			if !ok {
				return false
			}
			if adv < 0 {
				return true
			}
			advance = adv
			foundExt = true
			nh = rest[0]
		case packet.ProtoFragment:
			adv, ok := p.frag6(rest, cp, payloadLen)
			if !ok {
				return false
			}
			if adv < 0 || len(b) <= cp+adv {
				return true
			}
			advance = adv
			foundExt, fragmented = true, true
			nh = rest[0]
		case packet.ProtoMobility, packet.ProtoMobOld:
			return p.mobility(rest)
		case packet.ProtoRouting:
			if len(rest) < 1 {
				return false
			}
			adv, ok := p.rt6(rest)
			if !ok {
				return false
			}
			if adv < 0 {
				return true
			}
			advance = adv
			foundExt = true
			nh = rest[0]
		default:
			plen := left
			if payloadLen == 0 {
				if foundExt {
					return false
				}
				b = b[:40]
				plen = 0
				rest = b[40:]
			}
			return p.demux(rest, plen, 6, fragmented, b, nh)
		}
		ph = int(nh)
		p.proto = "ip6"
	}
	return true
}

// hbh prints a hop-by-hop options header ("HBH "). adv < 0 means tcpdump
// stopped after printing a marker.
func (p *printer) hbh(b []byte) (adv int, ok bool) {
	p.proto = "hbhopt"
	if len(b) < 2 {
		return 0, false
	}
	n := (int(b[1]) + 1) << 3
	if len(b) < n {
		p.trunc()
		return -1, true
	}
	p.s("HBH ")
	if !p.ip6opts(b[2:n]) {
		p.trunc()
		return -1, true
	}
	return n, true
}

// dstopts prints a destination options header ("DSTOPT ").
func (p *printer) dstopts(b []byte) (adv int, ok bool) {
	p.proto = "dstopt"
	if len(b) < 2 {
		return 0, false
	}
	n := (int(b[1]) + 1) << 3
	if len(b) < n {
		p.trunc()
		return -1, true
	}
	p.s("DSTOPT ")
	return n, true
}

// ip6opts checks hop-by-hop options the way tcpdump does without -v: it
// prints only what is wrong. False means a bad option ended the header.
func (p *printer) ip6opts(b []byte) bool {
	f, typ, length := packet.IP6Opts(b)
	if f == packet.OptOK || f == packet.OptCut {
		return f == packet.OptOK
	}
	p.s("(")
	switch typ {
	case 0x05:
		p.s("rtalert")
	case 0xc2:
		p.s("jumbo")
	default:
		p.s("homeaddr")
	}
	if f == packet.OptTrunc {
		p.s(": trunc)")
		return false
	}
	p.s(": invalid len ")
	p.u(uint64(length))
	p.s(")")
	return false
}

// frag6 prints a fragment header: "frag (OFF|LEN) " for a first fragment
// (adv 8), "frag (OFF|LEN)" and adv -1 for a later one. cp is the
// header's offset in the IPv6 packet.
func (p *printer) frag6(b []byte, cp, payloadLen int) (adv int, ok bool) {
	p.proto = "frag6"
	if len(b) < 4 {
		return 0, false
	}
	off := rd16(b[2:]) & 0xfff8
	p.s("frag (")
	p.u(uint64(off))
	p.s("|")
	// size_t arithmetic in tcpdump: a negative result wraps.
	p.u(uint64(40+payloadLen) - uint64(cp) - 8)
	p.s(")")
	if off != 0 {
		return -1, true
	}
	p.s(" ")
	return 8, true
}

// rt6 prints a routing header.
func (p *printer) rt6(b []byte) (adv int, ok bool) {
	p.proto = "rt6"
	p.s("RT6")
	if len(b) < 2 {
		return 0, false
	}
	n := int(b[1])
	p.s(" (len=")
	p.u(uint64(n))
	if len(b) < 3 {
		return 0, false
	}
	typ := b[2]
	p.s(", type=")
	p.u(uint64(typ))
	if typ == 0 {
		p.s(" [Deprecated]")
	}
	if len(b) < 4 {
		return 0, false
	}
	p.s(", segleft=")
	p.u(uint64(b[3]))
	switch typ {
	case 0, 2:
		if len(b) < 8 {
			return 0, false
		}
		if r := rd32(b[4:]); r != 0 {
			p.s(", rsv=0x")
			p.b = num.AppendHex(p.b, uint64(r), 0)
		}
	case 4:
		if len(b) < 5 {
			return 0, false
		}
		p.s(", last-entry=")
		p.u(uint64(b[4]))
		if len(b) < 6 {
			return 0, false
		}
		if b[5] != 0 {
			p.s(", flags=0x")
			p.b = num.AppendHex(p.b, uint64(b[5]), 0)
		}
		if len(b) < 8 {
			return 0, false
		}
		p.s(", tag=")
		p.b = num.AppendHex(p.b, uint64(rd16(b[6:])), 0)
	default:
		p.s(" (unknown type)")
		p.invalid()
		return -1, true
	}
	if n%2 == 1 {
		p.s(" (invalid length ")
		p.u(uint64(n))
		p.s(")")
		p.invalid()
		return -1, true
	}
	for i := 0; i < n/2; i++ {
		a := 8 + 16*i
		if len(b) < a+16 {
			return 0, false
		}
		p.s(", [")
		p.u(uint64(i))
		p.s("]")
		p.b = appendAddr6(p.b, b[a:a+16])
	}
	p.s(") ")
	return (n + 1) << 3, true
}

// demux is tcpdump's ip_demux_print: the payload of an IPv4 or IPv6
// packet. b is the captured payload, length its length from the IP header,
// iph the IP header (for the addresses), nh the protocol.
func (p *printer) demux(b []byte, length, ver int, fragmented bool, iph []byte, nh byte) bool {
	for {
		switch nh {
		case packet.ProtoAH:
			if len(b) < 1 {
				p.proto = "ah"
				p.trunc()
				return true
			}
			nh = b[0]
			adv, ok := p.ah(b)
			if !ok {
				return false
			}
			if adv <= 0 {
				return true
			}
			b = b[min(adv, len(b)):]
			length -= adv
			continue
		case packet.ProtoESP:
			return p.esp(b, length)
		case packet.ProtoIPComp:
			return p.ipcomp(b)
		case packet.ProtoTCP:
			return p.tcp(b, length, iph, ver)
		case packet.ProtoUDP:
			return p.udp(b, length, iph, ver, fragmented)
		case packet.ProtoSCTP:
			return p.sctp(b, length, iph, ver)
		case packet.ProtoDCCP:
			return p.dccp(b, length, iph, ver)
		case packet.ProtoICMP:
			if p.versionIs(ver, 4, "[ICMP requires IPv4]") {
				p.b = appendICMP(p.b, b, length)
			}
			return true
		case packet.ProtoICMPv6:
			if p.versionIs(ver, 6, "[ICMPv6 requires IPv6]") {
				p.b = appendICMP6(p.b, b, length)
			}
			return true
		case packet.ProtoIGMP:
			if !p.versionIs(ver, 4, "[IGMP requires IPv4]") {
				return true
			}
			return p.igmp(b, length)
		case packet.ProtoND:
			p.s(" nd ")
			p.u(uint64(uint32(length)))
			return true
		case packet.ProtoIPIP:
			return p.ip4(b, length)
		case packet.ProtoIPv6:
			return p.ip6(b, length)
		case packet.ProtoGRE:
			return p.gre(b, length)
		case packet.ProtoPIM:
			return p.pim(b, length)
		case packet.ProtoVRRP:
			return p.vrrp(b, length, iph, ver)
		case packet.ProtoOSPF:
			if ver == 4 {
				return p.ospf(b, length)
			}
			return p.ospf6(b, length)
		case packet.ProtoEther:
			if !p.versionIs(ver, 6, "[Ethernet requires IPv6]") {
				return true
			}
			return p.other(nh, length)
		case packet.ProtoNoNext:
			p.s("no next header")
			return true
		default:
			return p.other(nh, length)
		}
	}
}

// other prints a protocol this printer does not decode the way tcpdump
// prints one it does not know: " ip-proto-N LEN". For the protocols
// tcpdump does decode (SCTP, OSPFv3, RSVP, ...) the text differs.
func (p *printer) other(nh byte, length int) bool {
	p.s(" ip-proto-")
	p.u(uint64(nh))
	p.s(" ")
	p.u(uint64(uint32(length)))
	return true
}

// appendAddr4 appends the IPv4 address in b[0:4] in dotted-quad form.
func appendAddr4(dst, b []byte) []byte {
	dst = appendAddr4Dot(dst, b)
	return dst[:len(dst)-1]
}

// appendAddr4Dot appends the address and a dot, as "SRC.PORT" begins.
// Each octet is one 4-byte store of its digits and a dot (octetText),
// into room reserved once: the printer's hottest helper after the digits.
func appendAddr4Dot(dst, b []byte) []byte {
	_ = b[3]
	n := len(dst)
	if cap(dst)-n < 32 {
		dst = slices.Grow(dst, 32)
	}
	d := (*[32]byte)(dst[n : n+32])
	o := b[0]
	binary.LittleEndian.PutUint32(d[0:4], octetText[o])
	j := uint(octetLen[o])
	o = b[1]
	binary.LittleEndian.PutUint32(d[j&15:j&15+4], octetText[o])
	j += uint(octetLen[o])
	o = b[2]
	binary.LittleEndian.PutUint32(d[j&15:j&15+4], octetText[o])
	j += uint(octetLen[o])
	o = b[3]
	binary.LittleEndian.PutUint32(d[j&15:j&15+4], octetText[o])
	j += uint(octetLen[o])
	return dst[:n+int(j)]
}

// octetText[i] holds the decimal digits of i followed by a dot (little
// endian, padded with zeros), octetLen[i] their count with the dot.
var octetText, octetLen = func() (t [256]uint32, l [256]uint8) {
	for i := range t {
		s := strconv.Itoa(i) + "."
		var w [4]byte
		copy(w[:], s)
		t[i], l[i] = binary.LittleEndian.Uint32(w[:]), uint8(len(s))
	}
	return t, l
}()

// appendAddr6 appends the IPv6 address in b[0:16] as tcpdump's
// addrtostr6 does (see the comment at the top of this file).
func appendAddr6(dst, b []byte) []byte {
	_ = b[15]
	var w [8]uint16
	zeros := 0 // bit i: word i is zero
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		if w[i] == 0 {
			zeros |= 1 << i
		}
	}
	// The longest run of two or more zero words, the first of equals.
	run := zeroRuns[zeros]
	base, end := int(run>>4), int(run&15) // end == base: no run
	if base == 0 && (end == 6 || (end == 5 && w[5] == 0xffff)) {
		if end == 6 {
			dst = append(dst, "::"...)
		} else {
			dst = append(dst, "::ffff:"...)
		}
		return appendAddr4(dst, b[12:16])
	}
	// At most 8 words of 4 digits and 7 colons: written in place into
	// room reserved once.
	n := len(dst)
	if cap(dst)-n < 40 {
		dst = slices.Grow(dst, 40)
	}
	d := dst[n : n+40]
	j := 0
	for i := 0; i < 8; i++ {
		if i == base && end > base {
			d[j] = ':'
			j++
			i = end - 1
			if end == 8 {
				d[j] = ':'
				j++
			}
			continue
		}
		if i != 0 {
			d[j] = ':'
			j++
		}
		j += putHex16(d[j:], w[i])
	}
	return dst[:n+j]
}

// zeroRuns[m] is, for the zero words m marks (bit i: word i), the longest
// run of at least two of them, the first of equally long ones, as
// start<<4 | end; start == end when there is none.
var zeroRuns = func() (t [256]uint8) {
	for m := range t {
		best, bestLen := 0, 0
		for i := 0; i < 8; {
			if m>>i&1 == 0 {
				i++
				continue
			}
			j := i
			for j < 8 && m>>j&1 != 0 {
				j++
			}
			if j-i > bestLen {
				best, bestLen = i, j-i
			}
			i = j
		}
		if bestLen < 2 {
			best, bestLen = 0, 0
		}
		t[m] = uint8(best<<4 | (best + bestLen))
	}
	return t
}()

// putHex16 writes v in lower-case hexadecimal without leading zeros to
// d[:4] and returns the number of digits.
func putHex16(d []byte, v uint16) int {
	_ = d[3]
	const h = num.HexDigits
	switch {
	case v >= 0x1000:
		d[0], d[1], d[2], d[3] = h[v>>12], h[v>>8&15], h[v>>4&15], h[v&15]
		return 4
	case v >= 0x100:
		d[0], d[1], d[2] = h[v>>8], h[v>>4&15], h[v&15]
		return 3
	case v >= 0x10:
		d[0], d[1] = h[v>>4], h[v&15]
		return 2
	}
	d[0] = h[v]
	return 1
}
