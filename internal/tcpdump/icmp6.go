package tcpdump

import (
	"github.com/pfasciilogd/pfasciilogd/internal/num"
)

// This file prints ICMPv6 messages the way tcpdump 4.99.3 (and 4.99.4/5,
// which print the same without -v) does: "ICMP6, <type>[, <details>],
// length <n>". Unlike the ICMP printer, tcpdump prints ICMPv6 as it goes,
// so a message cut short keeps what was printed and ends in " [|icmp6]".
//
// Where tcpdump follows with a hex dump of an unknown message on extra
// lines ("\n\t0x0000: ..."), only the first line is kept: a log line is
// one line.

const icmp6Trunc = " [|icmp6]"

// icmp6TypeNames are tcpdump's names for ICMPv6 types (its icmp6_type_values;
// in 4.99.3 139 and 140 are named after the KAME who-are-you messages).
var icmp6TypeNames = [256]string{
	1:   "destination unreachable",
	2:   "packet too big",
	3:   "time exceeded in-transit",
	4:   "parameter problem",
	128: "echo request",
	129: "echo reply",
	130: "multicast listener query",
	131: "multicast listener report",
	132: "multicast listener done",
	133: "router solicitation",
	134: "router advertisement",
	135: "neighbor solicitation",
	136: "neighbor advertisement",
	137: "redirect",
	138: "router renumbering",
	139: "who-are-you request",
	140: "who-are-you reply",
	141: "inverse neighbor solicitation",
	142: "inverse neighbor advertisement",
	143: "multicast listener report v2",
	144: "ha discovery request",
	145: "ha discovery reply",
	146: "mobile router solicitation",
	147: "mobile router advertisement",
	155: "RPL",
	200: "mtrace response",
	201: "mtrace message",
}

var icmp6UnreachNames = [5]string{
	0: "unreachable route",
	1: " unreachable prohibited", // sic: tcpdump's table has the space
	2: "beyond scope",
	3: "unreachable address",
	4: "unreachable port",
}

var icmp6ParamProbNames = [4]string{
	0: ", erroneous - octet ",
	1: ", next header - octet ",
	2: ", option - octet ",
	3: ", incomplete header chain - octet ",
}

var icmp6RPLNames = [4]string{
	0: "DODAG Information Solicitation",
	1: "DODAG Information Object",
	2: "Destination Advertisement Object",
	3: "Destination Advertisement Object Ack",
}

// Offsets into an ICMPv6 error message's quoted IPv6 header.
const (
	icmp6InnerIP  = 8
	icmp6InnerSrc = icmp6InnerIP + 8
	icmp6InnerDst = icmp6InnerIP + 24
)

// appendICMP6 appends tcpdump's text after "SRC > DST: " for an ICMPv6
// message. b is the captured ICMPv6 bytes (may be truncated), length is the
// ICMPv6 length from the IPv6 payload length.
func appendICMP6(dst []byte, b []byte, length int) []byte {
	if length < 0 {
		length = 0
	}
	if len(b) > length {
		b = b[:length]
	}
	if length == 0 {
		return append(dst, "ICMP6, length 0 (invalid)"...)
	}
	if len(b) < 1 {
		return append(dst, icmp6Trunc...)
	}
	typ := b[0]
	dst = append(dst, "ICMP6, "...)
	if name := icmp6TypeNames[typ]; name != "" {
		dst = append(dst, name...)
	} else {
		dst = append(dst, "unknown icmp6 type ("...)
		dst = num.AppendUint(dst, uint64(typ))
		dst = append(dst, ')')
	}
	if len(b) < 2 {
		return append(dst, icmp6Trunc...)
	}
	code := b[1]

	// Each case either falls out of the switch to get ", length N",
	// or returns: after " [|icmp6]" or where tcpdump dumps hex.
	switch typ {
	case 1:
		dst = append(dst, ", "...)
		if int(code) < len(icmp6UnreachNames) {
			dst = append(dst, icmp6UnreachNames[code]...)
		} else {
			dst = append(dst, "unknown unreach code ("...)
			dst = num.AppendUint(dst, uint64(code))
			return append(dst, ')')
		}
		switch code {
		case 0, 1, 3:
			if len(b) < icmp6InnerDst+16 {
				return append(dst, icmp6Trunc...)
			}
			dst = append(dst, ' ')
			dst = appendAddr6(dst, b[icmp6InnerDst:])
		case 2:
			if len(b) < icmp6InnerDst+16 {
				return append(dst, icmp6Trunc...)
			}
			dst = append(dst, ' ')
			dst = appendAddr6(dst, b[icmp6InnerDst:])
			dst = append(dst, ", source address "...)
			dst = appendAddr6(dst, b[icmp6InnerSrc:])
		case 4:
			off, proto := icmp6UpperLayer(b, icmp6InnerIP)
			if off < 0 {
				return append(dst, icmp6Trunc...)
			}
			dst = append(dst, ", "...)
			dst = appendAddr6(dst, b[icmp6InnerDst:])
			if proto == 6 {
				dst = append(dst, " tcp port "...)
			} else {
				dst = append(dst, " udp port "...)
			}
			dst = icmpU16(dst, b[off+2:])
		}

	case 2:
		if len(b) < 8 {
			return append(dst, icmp6Trunc...)
		}
		dst = append(dst, ", mtu "...)
		dst = num.AppendUint(dst, uint64(num.BE32(b[4:])))

	case 3:
		switch code {
		case 0:
			if len(b) < icmp6InnerDst+16 {
				return append(dst, icmp6Trunc...)
			}
			dst = append(dst, " for "...)
			dst = appendAddr6(dst, b[icmp6InnerDst:])
		case 1:
			dst = append(dst, " (reassembly)"...)
		default:
			dst = append(dst, ", unknown code ("...)
			dst = num.AppendUint(dst, uint64(code))
			dst = append(dst, ')')
		}

	case 4:
		if len(b) < icmp6InnerDst+16 {
			return append(dst, icmp6Trunc...)
		}
		if int(code) < len(icmp6ParamProbNames) {
			dst = append(dst, icmp6ParamProbNames[code]...)
			dst = num.AppendUint(dst, uint64(num.BE32(b[4:])))
		} else {
			dst = append(dst, ", code-#"...)
			dst = num.AppendUint(dst, uint64(code))
		}

	case 128, 129:
		if len(b) < 8 {
			return append(dst, icmp6Trunc...)
		}
		dst = append(dst, ", id "...)
		dst = icmpU16(dst, b[4:])
		dst = append(dst, ", seq "...)
		dst = icmpU16(dst, b[6:])

	case 130:
		switch {
		case length == 24:
			dst = appendMLD(dst, b)
		case length >= 28:
			if len(b) < 28 {
				if len(b) >= 24 {
					dst = append(dst, " v2 [gaddr "...)
					dst = appendAddr6(dst, b[8:])
				} else {
					dst = append(dst, " v2"...)
				}
				return append(dst, icmp6Trunc...)
			}
			dst = append(dst, " v2 [gaddr "...)
			dst = appendAddr6(dst, b[8:])
			if nsrcs := int(num.BE16(b[26:])); nsrcs > 0 {
				if length < 28+nsrcs*16 {
					dst = append(dst, " [invalid number of sources]"...)
				} else {
					dst = append(dst, ", "...)
					dst = num.AppendUint(dst, uint64(nsrcs))
					dst = append(dst, " source(s)"...)
				}
			}
			dst = append(dst, ']')
		default:
			dst = append(dst, " unknown-version (len "...)
			dst = num.AppendUint(dst, uint64(length))
			dst = append(dst, ") "...)
		}

	case 131, 132:
		dst = appendMLD(dst, b)

	case 135, 136:
		if len(b) < 24 {
			return append(dst, icmp6Trunc...)
		}
		if typ == 135 {
			dst = append(dst, ", who has "...)
		} else {
			dst = append(dst, ", tgt is "...)
		}
		dst = appendAddr6(dst, b[8:])

	case 137:
		if len(b) < 40 {
			return append(dst, icmp6Trunc...)
		}
		dst = append(dst, ", "...)
		dst = appendAddr6(dst, b[24:])
		dst = append(dst, " to "...)
		dst = appendAddr6(dst, b[8:])

	case 138:
		dst = appendICMP6RouterRenum(dst, b)

	case 139, 140:
		var ok bool
		if dst, ok = appendICMP6NodeInfo(dst, b, length); !ok {
			return append(dst, icmp6Trunc...)
		}

	case 143:
		if length < 8 {
			dst = append(dst, " [invalid len "...)
			dst = num.AppendUint(dst, uint64(length))
			dst = append(dst, ']')
			break
		}
		if len(b) < 8 {
			return append(dst, icmp6Trunc...)
		}
		dst = append(dst, ", "...)
		dst = icmpU16(dst, b[6:])
		dst = append(dst, " group record(s)"...)

	case 144, 146:
		if len(b) < 6 {
			return append(dst, icmp6Trunc...)
		}
		dst = append(dst, ", id 0x"...)
		dst = num.AppendHex(dst, uint64(num.BE16(b[4:])), 4)

	case 133, 134, 141, 142, 145, 147:
		// Only -v shows more.

	case 155:
		if code&0x80 != 0 {
			dst = append(dst, ", (SEC) [worktodo]"...)
			break
		}
		dst = append(dst, ", (CLR)"...)
		if int(code) < len(icmp6RPLNames) {
			dst = append(dst, icmp6RPLNames[code]...)
		} else {
			dst = append(dst, "RPL message, unknown code "...)
			dst = num.AppendUint(dst, uint64(code))
		}

	default:
		// tcpdump adds a hex dump of the message on further lines.
		dst = append(dst, ", length "...)
		return num.AppendUint(dst, uint64(length))
	}
	dst = append(dst, ", length "...)
	return num.AppendUint(dst, uint64(length))
}

// appendMLD appends an MLDv1 message; tcpdump prints nothing at all, not
// even a truncation mark, when its 24 bytes are not all there, and puts
// no separator before it.
func appendMLD(dst []byte, b []byte) []byte {
	if len(b) < 24 {
		return dst
	}
	dst = append(dst, "max resp delay: "...)
	dst = icmpU16(dst, b[4:])
	dst = append(dst, " addr: "...)
	return appendAddr6(dst, b[8:])
}

// icmp6UpperLayer walks the IPv6 header quoted at b[off:] and the
// extension headers after it to the TCP or UDP header. It returns that
// header's offset and protocol once its ports are captured, or -1.
func icmp6UpperLayer(b []byte, off int) (int, byte) {
	if len(b) < off+7 {
		return -1, 0
	}
	nh := b[off+6]
	hlen := 40
	for off < len(b) {
		off += hlen
		switch nh {
		case 6, 17:
			if off+4 <= len(b) {
				return off, nh
			}
			return -1, 0
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if off+2 > len(b) {
				return -1, 0
			}
			nh = b[off]
			hlen = (int(b[off+1]) + 1) << 3
		case 44: // fragment: only a first fragment has the ports
			if off+4 > len(b) || num.BE16(b[off+2:])&0xfff8 != 0 {
				return -1, 0
			}
			nh = b[off]
			hlen = 8
		case 51: // AH
			if off+2 > len(b) {
				return -1, 0
			}
			nh = b[off]
			hlen = (int(b[off+1]) + 2) << 2
		default:
			return -1, 0
		}
	}
	return -1, 0
}

// appendICMP6RouterRenum appends a router renumbering message (RFC 2894).
// A short message gets " [|icmp6]" and the caller still adds the length,
// as tcpdump does.
func appendICMP6RouterRenum(dst []byte, b []byte) []byte {
	if len(b) < 16 {
		return append(dst, icmp6Trunc...)
	}
	code := b[1]
	switch code {
	case 0:
		dst = append(dst, ", command"...)
	case 1:
		dst = append(dst, ", result"...)
	case 255:
		dst = append(dst, ", sequence number reset"...)
	default:
		dst = append(dst, ", code-#"...)
		dst = num.AppendUint(dst, uint64(code))
	}
	dst = append(dst, ", seq="...)
	dst = num.AppendUint(dst, uint64(num.BE32(b[4:])))
	if code != 0 {
		return dst
	}
	// Match-Prefix part: code, len, ordinal, matchlen, minlen, maxlen,
	// reserved(2), prefix(16).
	if len(b) < 40 {
		return append(dst, icmp6Trunc...)
	}
	dst = append(dst, " match("...)
	switch c := b[16]; c {
	case 1:
		dst = append(dst, "add"...)
	case 2:
		dst = append(dst, "change"...)
	case 3:
		dst = append(dst, "setglobal"...)
	default:
		dst = append(dst, '#')
		dst = num.AppendUint(dst, uint64(c))
	}
	dst = append(dst, ',')
	dst = appendAddr6(dst, b[24:])
	dst = append(dst, '/')
	dst = num.AppendUint(dst, uint64(b[19]))
	dst = append(dst, ')')
	n := int(b[17]) - 3
	if n%4 != 0 {
		return append(dst, icmp6Trunc...)
	}
	// Use-Prefix parts: uselen, keeplen, ramask, raflags, vltime(4),
	// pltime(4), flags(4), prefix(16).
	for off := 40; n > 0; n, off = n-4, off+32 {
		if len(b) < off+32 {
			return append(dst, icmp6Trunc...)
		}
		dst = append(dst, " use("...)
		if f := b[off+12]; f != 0 {
			if f&0x80 != 0 {
				dst = append(dst, 'V')
			}
			if f&0x40 != 0 {
				dst = append(dst, 'P')
			}
			dst = append(dst, ',')
		}
		dst = appendAddr6(dst, b[off+16:])
		dst = append(dst, '/')
		dst = num.AppendUint(dst, uint64(b[off]))
		dst = append(dst, '/')
		dst = num.AppendUint(dst, uint64(b[off+1]))
		dst = append(dst, ')')
	}
	return dst
}

// appendICMP6NodeInfo appends a node information query or reply (RFC
// 4620) as tcpdump 4.99.3 does. ok is false when tcpdump would stop
// printing the packet at a field it could not read; a softer
// truncation, after which tcpdump still prints the length, is marked
// here.
func appendICMP6NodeInfo(dst []byte, b []byte, length int) ([]byte, bool) {
	siz := len(b)
	if b[0] == 139 {
		if siz == 12 {
			return append(dst, " who-are-you request"...), true
		}
		dst = append(dst, " node information query"...)
		if siz < 16 {
			return append(dst, icmp6Trunc...), true
		}
		dst = append(dst, " ("...)
		qtype, flags := num.BE16(b[4:]), num.BE16(b[6:])
		switch qtype {
		case 0:
			dst = append(dst, "noop"...)
		case 1:
			dst = append(dst, "supported qtypes"...)
			dst = appendNISupFlags(dst, flags)
		case 2:
			dst = append(dst, "DNS name"...)
		case 3:
			dst = append(dst, "node addresses"...)
			if flags != 0 {
				dst = appendNIAddrFlags(dst, flags&^1)
			}
		default:
			dst = append(dst, "unknown"...)
		}
		if qtype == 0 || qtype == 1 {
			return append(dst, ')'), true
		}
		if siz == 16 {
			return append(dst, ", 03 draft)"...), true
		}
		switch b[1] {
		case 0:
			if siz == 32 {
				dst = append(dst, ", subject="...)
				dst = appendAddr6(dst, b[16:])
			}
		case 1:
			dst = append(dst, ", subject=DNS name"...)
			dst = appendNIName(dst, b, 16)
		case 2:
			if siz == 20 {
				dst = append(dst, ", subject="...)
				dst = appendAddr4(dst, b[16:])
			}
		default:
			dst = append(dst, ", unknown subject"...)
		}
		return append(dst, ')'), true
	}

	if length > siz || siz < 16 {
		return append(dst, icmp6Trunc...), true
	}
	dst = append(dst, " node information reply ("...)
	switch b[1] {
	case 0:
	case 1:
		return append(dst, "refused)"...), true
	case 2:
		return append(dst, "unknown)"...), true
	default:
		return append(dst, ')'), true
	}
	flags := num.BE16(b[6:])
	switch num.BE16(b[4:]) {
	case 0:
		dst = append(dst, "noop"...)
	case 1:
		dst = append(dst, "supported qtypes"...)
		dst = appendNISupFlags(dst, flags)
	case 2:
		dst = append(dst, "DNS name"...)
		if siz <= 20 {
			return dst, false
		}
		dst = appendNIName(dst, b, 20)
		if flags&1 != 0 {
			dst = append(dst, " [TTL="...)
			dst = num.AppendUint(dst, uint64(num.BE32(b[16:])))
			dst = append(dst, ']')
		}
	case 3:
		dst = append(dst, "node addresses"...)
		for i := 16; i+20 <= siz; i += 20 {
			dst = append(dst, ' ')
			dst = appendAddr6(dst, b[i+4:])
			dst = append(dst, '(')
			dst = num.AppendUint(dst, uint64(num.BE32(b[i:])))
			dst = append(dst, ')')
		}
		if flags != 0 {
			dst = appendNIAddrFlags(dst, flags)
		}
	default:
		dst = append(dst, "unknown"...)
	}
	return append(dst, ')'), true
}

// appendNISupFlags appends the flags of a "supported qtypes" message.
func appendNISupFlags(dst []byte, flags uint16) []byte {
	if flags == 0 {
		return dst
	}
	dst = append(dst, " ["...)
	if flags&1 != 0 {
		dst = append(dst, 'C')
	}
	return append(dst, ']')
}

// appendNIAddrFlags appends node address flags as tcpdump 4.99.3 does.
func appendNIAddrFlags(dst []byte, flags uint16) []byte {
	dst = append(dst, " ["...)
	for _, f := range [...]struct {
		bit uint16
		c   byte
	}{{0x40, 'a'}, {0x20, 'G'}, {0x10, 'S'}, {0x08, 'L'}, {0x04, 'C'}, {0x02, 'A'}, {0x01, 'T'}} {
		if flags&f.bit != 0 {
			dst = append(dst, f.c)
		}
	}
	return append(dst, ']')
}

// appendNIName appends the name at b[cp:] as tcpdump does: a Pascal
// string when its length byte covers exactly the rest (an old draft),
// else DNS labels without compression.
func appendNIName(dst []byte, b []byte, cp int) []byte {
	ep := len(b)
	dst = append(dst, ", \""...)
	if int(b[cp]) == ep-cp-1 {
		for _, c := range b[cp+1:] {
			dst = appendICMPChar(dst, c)
		}
		return append(dst, '"')
	}
labels:
	for cp < ep {
		n := int(b[cp])
		cp++
		if n == 0 {
			switch {
			case cp == ep:
				dst = append(dst, '.')
			case cp+1 == ep && b[cp] == 0:
			default:
				dst = append(dst, "???"...)
			}
			break labels
		}
		if n > ep-cp {
			dst = append(dst, "???"...)
			break labels
		}
		for _, c := range b[cp : cp+n] {
			dst = appendICMPChar(dst, c)
		}
		cp += n
		if cp+1 < ep && b[cp] != 0 {
			dst = append(dst, '.')
		}
	}
	return append(dst, '"')
}

// appendICMPChar appends a byte from the packet as tcpdump's fn_print_char
// does: "M-" for the high bit, "^" and the byte xor 0x40 for controls.
func appendICMPChar(dst []byte, c byte) []byte {
	if c >= 0x80 {
		dst = append(dst, 'M', '-')
		c &= 0x7f
	}
	if c < 0x20 || c == 0x7f {
		return append(dst, '^', c^0x40)
	}
	return append(dst, c)
}
