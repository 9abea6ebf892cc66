package tcpdump

import "github.com/pfasciilogd/pfasciilogd/internal/num"

// The minimal (non -v) texts tcpdump prints for the other IP protocols pf
// commonly logs: AH, ESP, IPComp, IGMP, GRE, PIM, VRRP/CARP and OSPFv2.

// ah prints an AH header and returns its length (the caller goes on with
// the next header).
func (p *printer) ah(b []byte) (adv int, ok bool) {
	p.proto = "ah"
	p.s("AH")
	if len(b) < 2 {
		return 0, false
	}
	n := (int(b[1]) + 2) * 4
	p.s("(")
	if len(b) < 4 {
		return 0, false
	}
	if r := rd16(b[2:]); r != 0 {
		p.s("reserved=0x")
		p.b = num.AppendHex(p.b, uint64(r), 0)
		p.s("[MustBeZero],")
	}
	if len(b) < 8 {
		return 0, false
	}
	p.s("spi=0x")
	p.b = num.AppendHex(p.b, uint64(rd32(b[4:])), 8)
	p.s(",")
	if len(b) < 12 {
		return 0, false
	}
	p.s("seq=0x")
	p.b = num.AppendHex(p.b, uint64(rd32(b[8:])), 0)
	p.s(",icv=0x")
	for i := 12; i < n; i++ {
		if i >= len(b) {
			return 0, false
		}
		p.b = num.AppendHex(p.b, uint64(b[i]), 2)
	}
	p.s("): ")
	return n, true
}

// esp prints an ESP header.
func (p *printer) esp(b []byte, length int) bool {
	p.proto = "esp"
	if len(b) <= 8 {
		p.trunc()
		return true
	}
	p.s("ESP(spi=0x")
	p.b = num.AppendHex(p.b, uint64(rd32(b)), 8)
	p.s(",seq=0x")
	p.b = num.AppendHex(p.b, uint64(rd32(b[4:])), 0)
	p.s("), length ")
	p.u(uint64(uint32(length)))
	return true
}

// ipcomp prints an IPComp header.
func (p *printer) ipcomp(b []byte) bool {
	p.proto = "ipcomp"
	if len(b) < 4 {
		return false
	}
	p.s("IPComp(cpi=0x")
	p.b = num.AppendHex(p.b, uint64(uint16(rd16(b[2:]))), 4)
	p.s(")")
	return true
}

// igmp prints an IGMP message.
func (p *printer) igmp(b []byte, length int) bool {
	p.proto = "igmp"
	if len(b) < 1 {
		return false
	}
	ulen := uint64(uint32(length))
	switch b[0] {
	case 0x11:
		p.s("igmp query")
		if length >= 12 {
			return p.igmpV3Query(b, length)
		}
		if len(b) < 2 {
			return false
		}
		if b[1] != 0 {
			p.s(" v2")
			if b[1] != 100 {
				p.s(" [max resp time ")
				p.u(uint64(b[1]))
				p.s("]")
			}
		} else {
			p.s(" v1")
		}
		if len(b) < 8 {
			return false
		}
		if rd32(b[4:]) != 0 {
			p.s(" [gaddr ")
			p.b = appendAddr4(p.b, b[4:8])
			p.s("]")
		}
		if length != 8 {
			p.s(" [len ")
			p.u(ulen)
			p.s("]")
		}
	case 0x12, 0x16, 0x17:
		if len(b) < 8 {
			return false
		}
		switch b[0] {
		case 0x12:
			p.s("igmp v1 report ")
		case 0x16:
			p.s("igmp v2 report ")
		default:
			p.s("igmp leave ")
		}
		p.b = appendAddr4(p.b, b[4:8])
		if b[0] == 0x12 && length != 8 {
			p.s(" [len ")
			p.u(ulen)
			p.s("]")
		}
	case 0x22:
		p.s("igmp v3 report")
		if length < 16 || length&3 != 0 {
			p.s(" [invalid len ")
			p.u(ulen)
			p.s("]")
			return true
		}
		if len(b) < 8 {
			return false
		}
		p.s(", ")
		p.u(uint64(rd16(b[6:])))
		p.s(" group record(s)")
	default:
		// DVMRP, PIMv1 and mtrace are not decoded.
		p.s("igmp-")
		p.u(uint64(b[0]))
	}
	return true
}

func (p *printer) igmpV3Query(b []byte, length int) bool {
	p.s(" v3")
	if length < 12 || length&3 != 0 {
		p.s(" [invalid len ")
		p.u(uint64(uint32(length)))
		p.s("]")
		return true
	}
	if len(b) < 2 {
		return false
	}
	mrc := uint32(b[1])
	mrt := mrc
	if mrc >= 128 {
		mrt = ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3)
	}
	if mrc != 100 {
		p.s(" [max resp time ")
		if mrt < 600 {
			p.u(uint64(mrt / 10))
			p.s(".")
			p.u(uint64(mrt % 10))
			p.s("s")
		} else {
			p.relts(mrt / 10)
		}
		p.s("]")
	}
	if len(b) < 8 {
		return false
	}
	if rd32(b[4:]) == 0 {
		return true
	}
	p.s(" [gaddr ")
	p.b = appendAddr4(p.b, b[4:8])
	if len(b) < 12 {
		return false
	}
	if n := rd16(b[10:]); n > 0 {
		if length < 12+n<<2 {
			p.s(" [invalid number of sources]")
		} else {
			p.s(", ")
			p.u(uint64(n))
			p.s(" source(s)")
		}
	}
	p.s("]")
	return true
}

// relts prints a number of seconds as tcpdump's unsigned_relts_print.
func (p *printer) relts(secs uint32) {
	if secs == 0 {
		p.s("0s")
		return
	}
	units := [...]struct {
		n    uint32
		name string
	}{{31536000, "y"}, {604800, "w"}, {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}
	for _, u := range units {
		if secs >= u.n {
			p.u(uint64(secs / u.n))
			p.s(u.name)
			secs %= u.n
		}
	}
}

// greProtoName is tcpdump's ethertype name for a GRE protocol type.
func greProtoName(t int) string {
	switch t {
	case 0x0800:
		return "IPv4"
	case 0x86dd:
		return "IPv6"
	case 0x8847:
		return "MPLS unicast"
	case 0x8848:
		return "MPLS multicast"
	case 0x6558:
		return "Transparent Ethernet bridging"
	case 0x880b:
		return "PPP"
	case 0x0806:
		return "ARP"
	case 0x8100:
		return "802.1Q"
	}
	return "unknown"
}

// gre prints a GRE (version 0) packet and what it carries.
func (p *printer) gre(b []byte, length int) bool {
	p.proto = "gre"
	if len(b) < 2 {
		p.trunc()
		return true
	}
	if length < 2 {
		p.trunc()
		return true
	}
	flags := rd16(b)
	vers := flags & 7
	p.s("GREv")
	p.u(uint64(vers))
	if vers != 0 {
		if vers != 1 {
			p.s(" ERROR: unknown-version")
		}
		// GREv1 (PPTP) is not decoded further.
		return true
	}
	n := length - 2
	b = b[2:]
	take := func(k int) bool {
		if len(b) < k || n < k {
			p.trunc()
			return false
		}
		return true
	}
	if !take(2) {
		return true
	}
	prot := rd16(b)
	b, n = b[2:], n-2
	if flags&0xc000 != 0 { // checksum or routing present
		if !take(2) {
			return true
		}
		b, n = b[2:], n-2
		if !take(2) {
			return true
		}
		p.s(", off 0x")
		p.b = num.AppendHex(p.b, uint64(rd16(b)), 0)
		b, n = b[2:], n-2
	}
	if flags&0x2000 != 0 { // key
		if !take(4) {
			return true
		}
		p.s(", key=0x")
		p.b = num.AppendHex(p.b, uint64(rd32(b)), 0)
		b, n = b[4:], n-4
	}
	if flags&0x1000 != 0 { // sequence
		if !take(4) {
			return true
		}
		p.s(", seq ")
		p.u(uint64(rd32(b)))
		b, n = b[4:], n-4
	}
	if flags&0x4000 != 0 {
		// Source routing (obsolete) is not decoded.
		return true
	}
	p.s(", proto ")
	p.s(greProtoName(prot))
	p.s(" (0x")
	p.b = num.AppendHex(p.b, uint64(uint16(prot)), 4)
	p.s("), length ")
	p.u(uint64(uint32(length)))
	p.s(": ")
	switch prot {
	case 0x0800:
		return p.ip4(b, n)
	case 0x86dd:
		return p.ip6(b, n)
	case 0x8847, 0x8137, 0x809b, 0x00fe, 0x6558:
		// MPLS, IPX, AppleTalk, OSI and Ethernet are not decoded.
		return true
	}
	p.s("gre-proto-0x")
	p.b = num.AppendHex(p.b, uint64(prot), 0)
	return true
}

// pimTypes are tcpdump's names of PIMv2 message types.
var pimTypes = [16]string{
	"Hello", "Register", "Register Stop", "Join / Prune", "Bootstrap",
	"Assert", "Graft", "Graft Acknowledgement", "Candidate RP Advertisement",
	"Prune Refresh", "DF Election", "ECMP Redirect",
}

// pim prints a PIM message.
func (p *printer) pim(b []byte, length int) bool {
	p.proto = "pim"
	if len(b) < 1 {
		return false
	}
	p.s("PIMv")
	p.u(uint64(b[0] >> 4))
	if b[0]>>4 == 2 {
		p.s(", ")
		if t := pimTypes[b[0]&0xf]; t != "" {
			p.s(t)
		} else {
			p.s("Unknown Type")
		}
	}
	p.s(", length ")
	p.u(uint64(uint32(length)))
	return true
}

// vrrp prints a VRRP (or CARP, which shares its protocol number and
// layout) advertisement.
func (p *printer) vrrp(b []byte, length int, iph []byte, ver int) bool {
	p.proto = "vrrp"
	p.s("VRRP")
	if len(b) < 1 {
		return false
	}
	version, typ := b[0]>>4, b[0]&0xf
	p.s("v")
	p.u(uint64(version))
	p.s(", ")
	if typ == 1 {
		p.s("Advertisement")
	} else {
		p.s("unknown type (")
		p.u(uint64(typ))
		p.s(")")
	}
	ttl := iph[8]
	if ver == 6 {
		ttl = iph[7]
	}
	if ttl != 255 {
		p.s(", (ttl ")
		p.u(uint64(ttl))
		p.s(")")
	}
	if version < 2 || version > 3 || typ != 1 {
		return true
	}
	if len(b) < 3 {
		return false
	}
	p.s(", vrid ")
	p.u(uint64(b[1]))
	p.s(", prio ")
	p.u(uint64(b[2]))
	if len(b) < 6 {
		return false
	}
	if version == 2 {
		p.s(", authtype ")
		switch b[4] {
		case 0:
			p.s("none")
		case 1:
			p.s("simple")
		case 2:
			p.s("ah")
		default:
			p.s("#")
			p.u(uint64(b[4]))
		}
		p.s(", intvl ")
		p.u(uint64(b[5]))
		p.s("s, length ")
	} else {
		p.s(", intvl ")
		p.u(uint64(int(b[4]&0xf)<<8 | int(b[5])))
		p.s("cs, length ")
	}
	p.u(uint64(uint32(length)))
	return true
}

// ospfTypes are tcpdump's names of OSPF packet types.
var ospfTypes = [6]string{"", "Hello", "Database Description", "LS-Request", "LS-Update", "LS-Ack"}

// ospf prints an OSPFv2 packet header line.
func (p *printer) ospf(b []byte, length int) bool {
	p.proto = "ospf2"
	if len(b) < 16 {
		return false
	}
	if rd16(b[14:]) == 2 { // MD5 authentication: tcpdump strips the trailer
		length -= 16
	}
	if len(b) < 2 {
		return false
	}
	p.s("OSPFv")
	p.u(uint64(b[0]))
	p.s(", ")
	if int(b[1]) < len(ospfTypes) && b[1] != 0 {
		p.s(ospfTypes[b[1]])
	} else {
		p.s("unknown LS-type ")
		p.u(uint64(b[1]))
	}
	p.s(", length ")
	p.u(uint64(uint32(length)))
	return true
}

// ospf6 prints an OSPFv3 packet header line.
func (p *printer) ospf6(b []byte, length int) bool {
	p.proto = "ospf3"
	if len(b) < 2 {
		return false
	}
	p.s("OSPFv")
	p.u(uint64(b[0]))
	p.s(", ")
	if int(b[1]) < len(ospfTypes) && b[1] != 0 {
		p.s(ospfTypes[b[1]])
	} else {
		p.s("unknown packet type (")
		p.u(uint64(b[1]))
		p.s(")")
	}
	p.s(", length ")
	p.u(uint64(uint32(length)))
	return true
}

// mobilityTypes are tcpdump's names of mobility header types (RFC 6275),
// mobilityMin the smallest header each needs.
var (
	mobilityTypes = [8]string{"BRR", "HoTI", "CoTI", "HoT", "CoT", "BU", "BA", "BE"}
	mobilityMin   = [8]int{8, 16, 16, 24, 24, 12, 12, 24}
)

// mobField prints name and the 16-bit field at b[off:], shifted left by
// shift (lifetimes count 4 s units); false when it was not captured.
func (p *printer) mobField(b []byte, off int, name string, shift uint) bool {
	if len(b) < off+2 {
		return false
	}
	p.s(name)
	p.u(uint64(rd16(b[off:])) << shift)
	return true
}

// mobility prints an IPv6 mobility header as tcpdump 4.99 does without
// -v (print-mobility.c): the type and its fixed fields, no options; the
// payload protocol is not checked.
func (p *printer) mobility(b []byte) bool {
	p.proto = "mobility"
	if len(b) < 3 {
		return false
	}
	mhlen, typ := (int(b[1])+1)<<3, b[2]
	if int(typ) < len(mobilityMin) && mhlen < mobilityMin[typ] {
		p.s("(header length ")
		p.u(uint64(mhlen))
		p.s(" is too small for type ")
		p.u(uint64(typ))
		p.s(")")
		return false
	}
	p.s("mobility: ")
	if int(typ) < len(mobilityTypes) {
		p.s(mobilityTypes[typ])
	} else {
		p.s("type-#")
		p.u(uint64(typ))
	}
	switch typ {
	case 0, 1, 2: // nothing more without -v
	case 3, 4:
		if len(b) < 8 {
			return false
		}
		p.s(" nonce id=0x")
		p.b = num.AppendHex(p.b, uint64(rd16(b[6:])), 0)
	case 5:
		if !p.mobField(b, 6, " seq#=", 0) || len(b) < 10 {
			return false
		}
		if bits := b[8] >> 4; bits != 0 {
			p.s(" ")
			for i, c := range "AHLK" {
				if bits&(8>>i) != 0 {
					p.b = append(p.b, byte(c))
				}
			}
		}
		return p.mobField(b, 10, " lifetime=", 2)
	case 6:
		if len(b) < 8 {
			return false
		}
		p.s(" status=")
		p.u(uint64(b[6]))
		if b[7]&0x80 != 0 {
			p.s(" K")
		}
		return p.mobField(b, 8, " seq#=", 0) && p.mobField(b, 10, " lifetime=", 2)
	case 7:
		if len(b) < 7 {
			return false
		}
		p.s(" status=")
		p.u(uint64(b[6]))
		if len(b) < 24 {
			return false
		}
		p.s(" homeaddr ")
		p.b = appendAddr6(p.b, b[8:24])
	default:
		p.s(" len=")
		p.u(uint64(b[1]))
	}
	return true
}
