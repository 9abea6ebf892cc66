// Package packet summarises the IP packet that follows a pflog header:
// addresses, protocol, the IP header fields and the first transport
// header (TCP, UDP, SCTP, DCCP, ICMP, ICMPv6; the ports of UDP-Lite), as
// the structured output formats (JSON, pfSense filterlog), the journald
// sink, flood control and the scan detector need them.
//
// It is a summary decoder, not a printer: Decode fills a caller-owned
// Summary without allocating, never panics on bad or cut-short input, and
// marks with Truncated every record whose captured bytes stop before a
// field it needed (pflogd's default snapshot length of 116 bytes cuts most
// records).
package packet

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers (IANA), the one list every package uses.
const (
	ProtoHopOpts  = 0
	ProtoICMP     = 1
	ProtoIGMP     = 2
	ProtoIPIP     = 4
	ProtoTCP      = 6
	ProtoEGP      = 8
	ProtoPIGP     = 9
	ProtoUDP      = 17
	ProtoDCCP     = 33
	ProtoIPv6     = 41
	ProtoRouting  = 43
	ProtoFragment = 44
	ProtoRSVP     = 46
	ProtoGRE      = 47
	ProtoESP      = 50
	ProtoAH       = 51
	ProtoMobile   = 55
	ProtoICMPv6   = 58
	ProtoNoNext   = 59
	ProtoDstOpts  = 60
	ProtoMobOld   = 62
	ProtoND       = 77
	ProtoEIGRP    = 88
	ProtoOSPF     = 89
	ProtoPIM      = 103
	ProtoIPComp   = 108
	ProtoCARP     = 112 // also VRRP
	ProtoVRRP     = 112
	ProtoPGM      = 113
	ProtoSCTP     = 132
	ProtoMobility = 135
	ProtoUDPLite  = 136
	ProtoEther    = 143
)

// TCP flag bits as in the TCP header's flags byte.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
	TCPUrg = 0x20
	TCPEce = 0x40
	TCPCwr = 0x80
)

// SCTP chunk types and DCCP packet types the stages look at.
const (
	SCTPInit     = 1
	SCTPInitAck  = 2
	DCCPRequest  = 0
	DCCPResponse = 1
)

// IPv4 flag bits (the top three bits of the fragment field).
const (
	FlagReserved = 0x4
	FlagDF       = 0x2
	FlagMF       = 0x1
)

// Summary is what Decode learned about one packet. Fields that the packet
// does not have, or that were not captured, are zero; the Has* fields and
// Truncated tell the two apart.
type Summary struct {
	Version uint8 // 4 or 6; 0 when the IP header could not be read

	// IP header.
	HdrLen int // IPv4 header length with options; 40 for IPv6 (without extension headers)
	ExtLen int // IPv6 extension headers (or IPv4 AH) skipped to reach Proto, in bytes
	// ExtPlain: the IPv6 extension headers (ExtLen > 0) pass tcpdump's
	// checks, so the text printer prints each of them and goes on to
	// the transport header (hop-by-hop first and once with valid
	// options, routing type 0, 2 or 4 with its addresses, AH last).
	ExtPlain  bool
	TotalLen  int        // IPv4 total length; IPv6 40 + payload length (as the header says)
	TOS       uint8      // IPv4 type of service / IPv6 traffic class (ECN in the low two bits)
	TTL       uint8      // IPv4 time to live / IPv6 hop limit
	ID        uint32     // IPv4 identification; IPv6 fragment header identification
	Flags     uint8      // IPv4 flags: FlagReserved, FlagDF, FlagMF (MF also set from an IPv6 fragment header)
	FragOff   uint32     // fragment offset in bytes
	Fragment  bool       // the packet is a fragment (offset > 0 or more fragments follow)
	FlowLabel uint32     // IPv6 flow label
	Options   bool       // IPv4 header has options / IPv6 has hop-by-hop, routing or destination options
	NextHdr   uint8      // IPv4 protocol / IPv6 next header of the fixed header (before extension headers)
	Proto     uint8      // transport protocol after any IPv6 extension headers
	Src, Dst  netip.Addr // invalid (zero) when not captured

	// Transport header. L4Off is the offset of the transport header in
	// the ip slice passed to Decode, 0 when there is none (a later
	// fragment, an unknown protocol, or not captured).
	L4Off   int
	L4Cap   int // bytes of the transport header and payload that were captured
	L4Len   int // transport header and payload length as the IP header says
	HasL4   bool
	HasPort bool // SrcPort/DstPort are valid (TCP, UDP, UDP-Lite, SCTP, DCCP)
	SrcPort uint16
	DstPort uint16

	// TCP.
	TCPFlags   uint8
	HasTCPHdr  bool // flags, seq, ack, window and urgent pointer were captured
	Seq, Ack   uint32
	Window     uint16
	Urgent     uint16
	TCPHdrLen  int // data offset * 4
	TCPOptLen  int // option bytes (TCPHdrLen - 20)
	PayloadLen int // TCP data / UDP payload / ICMP data length, from the IP lengths

	// UDP.
	UDPLen uint16 // the UDP length field

	// SCTP: the verification tag of the common header and the type
	// and length field of the first chunk (SCTPInit = 1 for INIT),
	// valid when HasSCTPChunk (the common header and the chunk header
	// were captured).
	HasSCTPChunk bool
	SCTPVTag     uint32
	SCTPChunk    uint8
	SCTPChunkLen uint16
	// DCCP: the packet type (DCCPRequest = 0 ...) and the X bit (48-bit
	// sequence numbers, a 16-byte generic header), valid when
	// HasDCCPType (the byte holding them was captured).
	HasDCCPType bool
	DCCPType    uint8
	DCCPExt     bool

	// ICMP and ICMPv6.
	HasICMP  bool
	ICMPType uint8
	ICMPCode uint8
	HasEcho  bool // echo request or reply: ICMPID and ICMPSeq are valid
	ICMPID   uint16
	ICMPSeq  uint16
	ICMPRest uint32 // bytes 4..7 of the ICMP header (id/seq, MTU, gateway, pointer)
	// The packet an ICMP error quotes (IPv4 or IPv6), when captured.
	HasInner   bool
	InnerDst   netip.Addr
	InnerProto uint8
	InnerDPort uint16 // 0 unless the quoted TCP/UDP ports were captured

	WireLen   int  // the packet's length on the wire, as given to Decode
	CapLen    int  // bytes captured (len(ip))
	Truncated bool // the capture stops before a field Decode needed
}

// Decode summarises the IP packet ip (as captured, possibly cut short)
// whose length on the wire was wireLen. It never allocates and never
// panics; it sets s.Truncated when ip ends before a field it needs.
func Decode(ip []byte, wireLen int, s *Summary) {
	*s = Summary{WireLen: wireLen, CapLen: len(ip)}
	if len(ip) < 1 {
		s.Truncated = true
		return
	}
	switch ip[0] >> 4 {
	case 4:
		decode4(ip, s)
	case 6:
		decode6(ip, s)
	}
}

func decode4(ip []byte, s *Summary) {
	if len(ip) < 20 {
		s.Truncated = true
		return
	}
	s.Version = 4
	hl := int(ip[0]&0x0f) * 4
	s.HdrLen = hl
	s.TOS = ip[1]
	s.TotalLen = int(binary.BigEndian.Uint16(ip[2:]))
	s.ID = uint32(binary.BigEndian.Uint16(ip[4:]))
	off := binary.BigEndian.Uint16(ip[6:])
	s.Flags = uint8(off >> 13)
	s.FragOff = uint32(off&0x1fff) * 8
	s.Fragment = s.FragOff != 0 || s.Flags&FlagMF != 0
	s.TTL = ip[8]
	s.NextHdr = ip[9]
	s.Proto = ip[9]
	s.Src = netip.AddrFrom4([4]byte(ip[12:16]))
	s.Dst = netip.AddrFrom4([4]byte(ip[16:20]))
	if hl < 20 {
		return // bad header length: nothing after it can be trusted
	}
	s.Options = hl > 20
	if len(ip) < hl {
		s.Truncated = true
		return
	}
	if s.FragOff != 0 {
		return // later fragments carry no transport header
	}
	l4len := s.TotalLen - hl
	if s.TotalLen == 0 || l4len < 0 {
		// TSO or a bogus length: fall back to what the wire had.
		l4len = max(s.WireLen, len(ip)) - hl
	}
	at := hl
	// AH: tcpdump prints it and goes on with the protocol it protects
	// (ip_demux_print), so Proto is that protocol, as after IPv6's
	// extension headers, and ExtLen the AH bytes. Only a whole AH header
	// (12 bytes and its ICV) is printed through; otherwise Proto stays AH.
	for range 16 {
		if s.Proto != ProtoAH {
			break
		}
		if len(ip) < at+2 {
			s.Truncated = true
			return
		}
		n := (int(ip[at+1]) + 2) * 4
		if len(ip) < at+max(12, n) {
			s.Truncated = true
			return
		}
		s.Proto = ip[at]
		at += n
		l4len -= n
		s.ExtLen = at - hl
		s.ExtPlain = true
	}
	if s.Proto == ProtoAH {
		return // a chain longer than any real packet has: not followed
	}
	transport(ip, at, l4len, s)
}

func decode6(ip []byte, s *Summary) {
	if len(ip) < 40 {
		s.Truncated = true
		return
	}
	s.Version = 6
	s.HdrLen = 40
	v := binary.BigEndian.Uint32(ip)
	s.TOS = uint8(v >> 20)
	s.FlowLabel = v & 0xfffff
	plen := int(binary.BigEndian.Uint16(ip[4:]))
	s.TotalLen = 40 + plen
	s.NextHdr = ip[6]
	s.TTL = ip[7]
	s.Src = netip.AddrFrom16([16]byte(ip[8:24]))
	s.Dst = netip.AddrFrom16([16]byte(ip[24:40]))
	if plen == 0 {
		// Jumbogram or TSO: use the wire length.
		plen = max(s.WireLen, len(ip)) - 40
	}
	nh := ip[6]
	off := 40
	plain, ah := binary.BigEndian.Uint16(ip[4:]) != 0, false
	for range 16 { // bound the chain; real packets have a handful
		switch nh {
		case ProtoHopOpts, ProtoRouting, ProtoDstOpts, ProtoFragment, ProtoAH:
		default:
			s.Proto = nh
			s.ExtLen = off - 40
			s.ExtPlain = plain && s.ExtLen > 0 && off <= s.TotalLen
			if s.Fragment && s.FragOff != 0 {
				return
			}
			transport(ip, off, 40+plen-off, s)
			return
		}
		if len(ip) < off+8 {
			s.Proto = nh
			s.ExtLen = off - 40
			s.Truncated = true
			return
		}
		next := ip[off]
		var size int
		if ah && nh != ProtoAH {
			plain = false // tcpdump prints no IPv6 header after AH
		}
		switch nh {
		case ProtoFragment:
			size = 8
			if len(ip) <= off+8 {
				plain = false
			}
			fo := binary.BigEndian.Uint16(ip[off+2:])
			s.FragOff = uint32(fo &^ 7)
			if fo&1 != 0 {
				s.Flags |= FlagMF
			}
			s.Fragment = s.FragOff != 0 || fo&1 != 0
			s.ID = binary.BigEndian.Uint32(ip[off+4:])
		case ProtoAH:
			size = (int(ip[off+1]) + 2) * 4
			ah = true
		default:
			size = (int(ip[off+1]) + 1) * 8
			s.Options = true
			if len(ip) < off+size {
				plain = false
			} else if nh == ProtoHopOpts {
				plain = plain && off == 40 && optsOK(ip[off+2:off+size])
			} else if nh == ProtoRouting {
				n := int(ip[off+1])
				t := ip[off+2]
				plain = plain && (t == 0 || t == 2 || t == 4) && n%2 == 0
			}
		}
		if len(ip) < off+size {
			plain = false
		}
		nh = next
		off += size
	}
	s.Proto = nh
	s.ExtLen = off - 40
}

func optsOK(b []byte) bool { f, _, _ := IP6Opts(b); return f == OptOK }

// OptFault is what is wrong with IPv6 hop-by-hop options, as tcpdump's
// ip6_opt_print sees it (it ends the printed line at the first bad one).
type OptFault uint8

// The values of OptFault.
const (
	OptOK     OptFault = iota // every option passes
	OptCut                    // an option runs past the header (printed as nothing)
	OptTrunc                  // a known option shorter than it must be: "(NAME: trunc)"
	OptBadLen                 // a known option with the wrong length: "(NAME: invalid len N)"
)

// IP6Opts checks the options b (a hop-by-hop header after its first two
// bytes) as tcpdump does. For a fault in a known option it also returns
// the option's type and length byte. The text printer prints from it
// and the decoder sets Summary.ExtPlain from it, so the two agree.
func IP6Opts(b []byte) (f OptFault, typ, length byte) {
	n := len(b)
	for i := 0; i < n; {
		optlen := 1
		if b[i] != 0 {
			if i+1 >= n {
				return OptCut, 0, 0
			}
			optlen = int(b[i+1]) + 2
		}
		if i+optlen > n {
			return OptCut, 0, 0
		}
		var need, want int // bytes the option needs; its length byte (0: any of at least need-2)
		switch b[i] {
		case 0x05: // router alert
			need, want = 4, 2
		case 0xc2: // jumbo payload
			need, want = 6, 4
		case 0xc9: // home address
			need = 18
		}
		switch {
		case need == 0:
		case n-i < need:
			return OptTrunc, b[i], b[i+1]
		case (want != 0 && int(b[i+1]) != want) || (want == 0 && int(b[i+1]) < need-2):
			return OptBadLen, b[i], b[i+1]
		}
		i += optlen
	}
	return OptOK, 0, 0
}

// transport decodes the transport header at ip[off:], whose length with
// payload is l4len according to the IP header.
func transport(ip []byte, off, l4len int, s *Summary) {
	if l4len < 0 {
		l4len = 0
	}
	s.L4Len = l4len
	if off > len(ip) {
		s.Truncated = true
		return
	}
	b := ip[off:]
	s.L4Cap = len(b)
	switch s.Proto {
	case ProtoTCP:
		if !ports(b, off, s) {
			return
		}
		if len(b) < 14 {
			s.Truncated = true
			return
		}
		s.Seq = binary.BigEndian.Uint32(b[4:])
		s.Ack = binary.BigEndian.Uint32(b[8:])
		s.TCPHdrLen = int(b[12]>>4) * 4
		s.TCPFlags = b[13]
		s.PayloadLen = max(l4len-s.TCPHdrLen, 0)
		if s.TCPHdrLen > 20 {
			s.TCPOptLen = s.TCPHdrLen - 20
		}
		if len(b) < 20 {
			s.Truncated = true
			return
		}
		s.HasTCPHdr = true
		s.Window = binary.BigEndian.Uint16(b[14:])
		s.Urgent = binary.BigEndian.Uint16(b[18:])
		if len(b) < s.TCPHdrLen {
			s.Truncated = true
		}
	case ProtoUDP:
		if !ports(b, off, s) {
			return
		}
		if len(b) < 8 {
			s.Truncated = true
			return
		}
		s.UDPLen = binary.BigEndian.Uint16(b[4:])
		s.PayloadLen = max(int(s.UDPLen)-8, 0)
	case ProtoUDPLite:
		ports(b, off, s) // the rest of the header is UDP's with a checksum coverage
	case ProtoSCTP, ProtoDCCP:
		if !ports(b, off, s) {
			return
		}
		if s.Proto == ProtoSCTP {
			if len(b) < 16 {
				s.Truncated = true
				return
			}
			s.HasSCTPChunk = true
			s.SCTPVTag = binary.BigEndian.Uint32(b[4:])
			s.SCTPChunk = b[12]
			s.SCTPChunkLen = binary.BigEndian.Uint16(b[14:])
			return
		}
		if len(b) < 9 {
			s.Truncated = true
			return
		}
		s.HasDCCPType = true
		s.DCCPType = (b[8] >> 1) & 0xf
		s.DCCPExt = b[8]&1 != 0
	case ProtoICMP, ProtoICMPv6:
		s.L4Off = off
		if len(b) < 2 {
			s.Truncated = true
			return
		}
		s.HasL4 = true
		s.HasICMP = true
		s.ICMPType = b[0]
		s.ICMPCode = b[1]
		s.PayloadLen = max(l4len-8, 0)
		if len(b) < 8 {
			s.Truncated = true
			return
		}
		s.ICMPRest = binary.BigEndian.Uint32(b[4:])
		if isEcho(s.Proto, s.ICMPType) {
			s.HasEcho = true
			s.ICMPID = binary.BigEndian.Uint16(b[4:])
			s.ICMPSeq = binary.BigEndian.Uint16(b[6:])
		}
		if isError(s.Proto, s.ICMPType) {
			inner(b[8:], s)
		}
	default:
		if len(b) > 0 || l4len > 0 {
			s.L4Off = off
		}
	}
}

// ports decodes the source and destination ports that TCP, UDP,
// UDP-Lite, SCTP and DCCP all start with, from b, the transport header at
// offset off of the packet. It reports false (and marks s truncated) when
// they were not captured.
func ports(b []byte, off int, s *Summary) bool {
	s.L4Off = off
	if len(b) < 4 {
		s.Truncated = true
		return false
	}
	s.HasL4 = true
	s.HasPort = true
	s.SrcPort = binary.BigEndian.Uint16(b)
	s.DstPort = binary.BigEndian.Uint16(b[2:])
	return true
}

// inner decodes the start of the packet an ICMP error quotes.
func inner(b []byte, s *Summary) {
	if len(b) < 1 {
		s.Truncated = true
		return
	}
	var p []byte
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			s.Truncated = true
			return
		}
		s.HasInner = true
		s.InnerDst = netip.AddrFrom4([4]byte(b[16:20]))
		s.InnerProto = b[9]
		hl := int(b[0]&0x0f) * 4
		if hl < 20 || len(b) < hl {
			return
		}
		p = b[hl:]
	case 6:
		if len(b) < 40 {
			s.Truncated = true
			return
		}
		s.HasInner = true
		s.InnerDst = netip.AddrFrom16([16]byte(b[24:40]))
		s.InnerProto = b[6]
		p = b[40:]
	default:
		return
	}
	if s.InnerProto == ProtoTCP || s.InnerProto == ProtoUDP {
		if len(p) >= 4 {
			s.InnerDPort = binary.BigEndian.Uint16(p[2:])
		}
	}
}

func isEcho(proto, typ uint8) bool {
	if proto == ProtoICMP {
		return typ == 0 || typ == 8 || typ == 13 || typ == 14
	}
	return typ == 128 || typ == 129
}

func isError(proto, typ uint8) bool {
	if proto == ProtoICMP {
		return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12
	}
	return typ >= 1 && typ <= 4
}

// AppendTCPFlags appends the TCP flags the way tcpdump prints them inside
// its brackets: "S", "S.", "P.", "F.", "R", "." for a bare ACK, "none" for
// no flag at all. The order is tcpdump's: F S R P . U E W.
func AppendTCPFlags(dst []byte, f uint8) []byte {
	return append(dst, tcpFlagText[f]...)
}

// tcpFlagText holds the text of every flag byte, rendered once.
var tcpFlagText = func() (t [256]string) {
	t[0] = "none"
	for f := 1; f < 256; f++ {
		var b []byte
		for i := range tcpFlagOrder {
			if uint8(f)&tcpFlagOrder[i].bit != 0 {
				b = append(b, tcpFlagOrder[i].c)
			}
		}
		t[f] = string(b)
	}
	return t
}()

var tcpFlagOrder = [...]struct {
	bit uint8
	c   byte
}{
	{TCPFin, 'F'}, {TCPSyn, 'S'}, {TCPRst, 'R'}, {TCPPsh, 'P'},
	{TCPAck, '.'}, {TCPUrg, 'U'}, {TCPEce, 'E'}, {TCPCwr, 'W'},
}

// ProtoName returns a short lower-case name for an IP protocol number, as
// FreeBSD's /etc/protocols spells it (ICMPv6 as "icmp6", like tcpdump and
// pf.conf), or "" for a number without one here.
func ProtoName(p uint8) string {
	return protoNames[p]
}

var protoNames = [256]string{
	0: "hopopt", 1: "icmp", 2: "igmp", 3: "ggp", 4: "ipencap", 5: "st2", 6: "tcp", 8: "egp",
	9: "igp", 17: "udp", 27: "rdp", 29: "iso-tp4", 33: "dccp", 41: "ipv6", 43: "ipv6-route",
	44: "ipv6-frag", 46: "rsvp", 47: "gre", 50: "esp", 51: "ah", 58: "icmp6", 59: "ipv6-nonxt",
	60: "ipv6-opts", 88: "eigrp", 89: "ospf", 94: "ipip", 97: "etherip", 98: "encap", 103: "pim",
	108: "ipcomp", 112: "carp", 113: "pgm", 115: "l2tp", 124: "isis", 132: "sctp", 135: "mobility-header",
	136: "udplite", 137: "mpls-in-ip", 139: "hip", 140: "shim6", 240: "pfsync",
}
