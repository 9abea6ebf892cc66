package tcpdump

import (
	"github.com/pfasciilogd/pfasciilogd/internal/num"
)

// This file prints ICMP (IPv4) messages the way tcpdump 4.99 does without
// -v: "ICMP <what>, length <n>". tcpdump builds the whole description
// before it prints anything, so a message cut short by the snapshot length
// prints nothing but " [|icmp]". The number helpers at the bottom (ICMPv6
// shares them) append without allocating; addresses are printed with the
// IP printer's appendAddr4 and appendAddr6.

// appendICMP appends tcpdump's text after "SRC > DST: " for an ICMP message.
// b is the captured ICMP bytes (may be truncated), length is the ICMP length
// from the IP header.
func appendICMP(dst []byte, b []byte, length int) []byte {
	if length < 0 {
		length = 0
	}
	// tcpdump never looks past the end the IP header announces.
	if len(b) > length {
		b = b[:length]
	}
	start := len(dst)
	dst, ok := appendICMPWhat(dst, b)
	if !ok {
		return append(dst[:start], " [|icmp]"...)
	}
	if what := start + len("ICMP "); len(dst)-what > icmpWhatMax {
		dst = dst[:what+icmpWhatMax]
	}
	dst = append(dst, ", length "...)
	return num.AppendUint(dst, uint64(length))
}

// icmpWhatMax is the most tcpdump prints between "ICMP " and ", length":
// it formats that part into a buffer of MAXHOSTNAMELEN+100 bytes, which
// is 355 characters on FreeBSD (and 163 with glibc's MAXHOSTNAMELEN of
// 64, which the tests use against a Linux tcpdump). Only a router
// advertisement with many addresses gets that long.
var icmpWhatMax = 256 + 100 - 1

// icmpUnreach holds the texts for destination unreachable codes that
// print the quoted packet's destination between a prefix and a suffix.
var icmpUnreach = [16]struct{ pre, post string }{
	0:  {"net ", " unreachable"},
	1:  {"host ", " unreachable"},
	5:  {"", " unreachable - source route failed"},
	6:  {"net ", " unreachable - unknown"},
	7:  {"host ", " unreachable - unknown"},
	8:  {"", " unreachable - source host isolated"},
	9:  {"net ", " unreachable - admin prohibited"},
	10: {"host ", " unreachable - admin prohibited"},
	11: {"net ", " unreachable - tos prohibited"},
	12: {"host ", " unreachable - tos prohibited"},
	13: {"host ", " unreachable - admin prohibited filter"},
	14: {"host ", " unreachable - host precedence violation"},
	15: {"host ", " unreachable - precedence cutoff"},
}

// icmpTypeNames are the types tcpdump names without looking further.
var icmpTypeNames = [19]string{
	4:  "source quench",
	10: "router solicitation",
	15: "information request",
	16: "information reply",
	17: "address mask request",
}

// Offsets into an ICMP message.
const (
	icmpInnerIP  = 8                // quoted IP header of an error message
	icmpInnerDst = icmpInnerIP + 16 // its destination address
)

// appendICMPWhat appends "ICMP <what>"; ok is false when the message is
// too short for what its type needs (tcpdump then prints only [|icmp]).
func appendICMPWhat(dst []byte, b []byte) ([]byte, bool) {
	if len(b) < 2 {
		return dst, false
	}
	typ, code := b[0], b[1]
	dst = append(dst, "ICMP "...)
	switch typ {
	case 0, 8:
		if len(b) < 8 {
			return dst, false
		}
		if typ == 8 {
			dst = append(dst, "echo request, id "...)
		} else {
			dst = append(dst, "echo reply, id "...)
		}
		dst = icmpU16(dst, b[4:])
		dst = append(dst, ", seq "...)
		dst = icmpU16(dst, b[6:])

	case 3:
		if len(b) < icmpInnerDst+4 {
			return dst, false
		}
		ipDst := b[icmpInnerDst:]
		switch code {
		case 2:
			dst = appendAddr4(dst, ipDst)
			dst = append(dst, " protocol "...)
			dst = num.AppendUint(dst, uint64(b[icmpInnerIP+9]))
			dst = append(dst, " unreachable"...)
		case 3:
			// The port sits after the quoted header as long as that
			// header claims to be, even when the claim is nonsense.
			hlen := int(b[icmpInnerIP]&0x0f) * 4
			ports := icmpInnerIP + hlen
			if len(b) < ports+4 {
				return dst, false
			}
			dst = appendAddr4(dst, ipDst)
			switch proto := b[icmpInnerIP+9]; proto {
			case 6:
				dst = append(dst, " tcp port "...)
				dst = icmpU16(dst, b[ports+2:])
			case 17:
				dst = append(dst, " udp port "...)
				dst = icmpU16(dst, b[ports+2:])
			default:
				dst = append(dst, " protocol "...)
				dst = num.AppendUint(dst, uint64(proto))
				dst = append(dst, " port "...)
				dst = icmpU16(dst, b[ports+2:])
			}
			dst = append(dst, " unreachable"...)
		case 4:
			dst = appendAddr4(dst, ipDst)
			dst = append(dst, " unreachable - need to frag"...)
			if mtu := num.BE16(b[6:]); mtu != 0 {
				dst = append(dst, " (mtu "...)
				dst = num.AppendUint(dst, uint64(mtu))
				dst = append(dst, ')')
			}
		default:
			if int(code) < len(icmpUnreach) {
				t := icmpUnreach[code]
				dst = append(dst, t.pre...)
				dst = appendAddr4(dst, ipDst)
				dst = append(dst, t.post...)
				break
			}
			dst = appendAddr4(dst, ipDst)
			dst = append(dst, " unreachable - #"...)
			dst = num.AppendUint(dst, uint64(code))
		}

	case 5:
		if len(b) < icmpInnerDst+4 {
			return dst, false
		}
		switch code {
		case 0, 1:
			dst = append(dst, "redirect "...)
		case 2, 3:
			dst = append(dst, "redirect-tos "...)
		default:
			dst = append(dst, "redirect-#"...)
			dst = num.AppendUint(dst, uint64(code))
			dst = append(dst, ' ')
		}
		dst = appendAddr4(dst, b[icmpInnerDst:])
		switch code {
		case 0, 2:
			dst = append(dst, " to net "...)
		case 1, 3:
			dst = append(dst, " to host "...)
		default:
			dst = append(dst, " to "...)
		}
		dst = appendAddr4(dst, b[4:])

	case 9:
		return appendICMPRouterAdvert(dst, b)

	case 11:
		if len(b) < icmpInnerDst+4 {
			return dst, false
		}
		switch code {
		case 0:
			dst = append(dst, "time exceeded in-transit"...)
		case 1:
			dst = append(dst, "ip reassembly time exceeded"...)
		default:
			dst = append(dst, "time exceeded-#"...)
			dst = num.AppendUint(dst, uint64(code))
		}

	case 12:
		if code != 0 {
			dst = append(dst, "parameter problem - code "...)
			dst = num.AppendUint(dst, uint64(code))
			break
		}
		if len(b) < 5 {
			return dst, false
		}
		dst = append(dst, "parameter problem - octet "...)
		dst = num.AppendUint(dst, uint64(b[4]))

	case 13:
		if len(b) < 8 {
			return dst, false
		}
		dst = append(dst, "time stamp query id "...)
		dst = icmpU16(dst, b[4:])
		dst = append(dst, " seq "...)
		dst = icmpU16(dst, b[6:])

	case 14:
		if len(b) < 20 {
			return dst, false
		}
		dst = append(dst, "time stamp reply id "...)
		dst = icmpU16(dst, b[4:])
		dst = append(dst, " seq "...)
		dst = icmpU16(dst, b[6:])
		dst = append(dst, ": org "...)
		dst = num.AppendMsTime(dst, num.BE32(b[8:]))
		dst = append(dst, ", recv "...)
		dst = num.AppendMsTime(dst, num.BE32(b[12:]))
		dst = append(dst, ", xmit "...)
		dst = num.AppendMsTime(dst, num.BE32(b[16:]))

	case 18:
		if len(b) < 12 {
			return dst, false
		}
		dst = append(dst, "address mask is 0x"...)
		dst = num.AppendHex(dst, uint64(num.BE32(b[8:])), 8)

	default:
		if int(typ) < len(icmpTypeNames) && icmpTypeNames[typ] != "" {
			dst = append(dst, icmpTypeNames[typ]...)
			break
		}
		dst = append(dst, "type-#"...)
		dst = num.AppendUint(dst, uint64(typ))
	}
	return dst, true
}

// appendICMPRouterAdvert appends an RFC 1256 router advertisement:
// "router advertisement lifetime 30:00 2: {10.0.0.1 0} {10.0.0.2 5}".
func appendICMPRouterAdvert(dst []byte, b []byte) ([]byte, bool) {
	if len(b) < 8 {
		return dst, false
	}
	dst = append(dst, "router advertisement lifetime "...)
	lt := uint64(num.BE16(b[6:]))
	switch {
	case lt < 60:
		dst = num.AppendUint(dst, lt)
	case lt < 3600:
		dst = num.AppendUint(dst, lt/60)
		dst = append(dst, ':')
		dst = num.AppendDec(dst, lt%60, 2)
	default:
		dst = num.AppendUint(dst, lt/3600)
		dst = append(dst, ':')
		dst = num.AppendDec(dst, lt%3600/60, 2)
		dst = append(dst, ':')
		dst = num.AppendDec(dst, lt%60, 2)
	}
	naddrs := int(b[4])
	dst = append(dst, ' ')
	dst = num.AppendUint(dst, uint64(naddrs))
	dst = append(dst, ':')
	if size := b[5]; size != 2 {
		dst = append(dst, " [size "...)
		dst = num.AppendUint(dst, uint64(size))
		return append(dst, ']'), true
	}
	for i, off := 0, 8; i < naddrs; i, off = i+1, off+8 {
		if len(b) < off+8 {
			return dst, false
		}
		dst = append(dst, " {"...)
		dst = appendAddr4(dst, b[off:])
		dst = append(dst, ' ')
		dst = num.AppendUint(dst, uint64(num.BE32(b[off+4:])))
		dst = append(dst, '}')
	}
	return dst, true
}

// appendU16 appends the big-endian 16-bit number at b[0:2] in decimal.
func icmpU16(dst []byte, b []byte) []byte {
	return num.AppendUint(dst, uint64(num.BE16(b)))
}

const icmpHexDigits = "0123456789abcdef"
