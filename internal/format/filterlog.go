package format

import (
	"encoding/binary"
	"github.com/pfasciilogd/pfasciilogd/internal/num"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// Filterlog is the -format filterlog formatter: the comma-separated line
// pfSense's filterlog(8) writes (Netgate's "Raw Filter Log Format"), so
// that parsers written for pfSense and OPNsense logs read our output.
//
// A line is "<timestamp> <host> filterlog: <CSV>", the layout Netgate
// documents for the log file ("<Timestamp> <Hostname> filterlog: <CSV
// data>"); the timestamp is ours (RFC 3339, local, µs). With Bare set the
// line is the CSV alone, for syslog sinks whose tag is "filterlog" (a
// syslog header then supplies time, host and tag, as on pfSense).
//
// The CSV fields, in order:
//
//	rule number, sub rule number, anchor, tracker, interface, reason, action, direction, IP version,
//	IPv4: TOS (0x%x), ECN ("", "0", "1", "CE"), TTL, ID, offset (bytes), flags (none|DF|+|rsvd), protocol id, protocol text (lower case)
//	IPv6: class (0x%02x), flow label (0x%05x), hop limit, protocol text (pfSense's names: TCP, UDP, ICMPv6, Options, ...), protocol id
//	length (IPv4 total length / IPv6 payload length), source, destination,
//	TCP: source port, destination port, data length, flags (FSRPAUEC letters), sequence ("s" or "s:e"), ack, window, urg, options ("mss;nop;wscale;sackOK;TS")
//	UDP: source port, destination port, data length (the UDP length field)
//	ICMP: request|reply,id,seq / unreachproto,dst,proto / unreachport,dst,TCP|UDP|proto,port / needfrag,dst,mtu /
//	      unreach,<text> / redirect,<text> / timexceed,<text> / paramprob,<text> / maskreply,<text> /
//	      tstamp,id,seq / tstampreply,id,seq,otime,rtime,ttime / <type text>
//	CARP/VRRP (112, IPv4): type, ttl, vhid, version, advskew, advbase
//	other IPv4 protocols: datalength=N
//
// As in pfSense, the sub rule number and anchor are empty outside anchors,
// the tracker is the rule's ridentifier (0 when none), IPv6 packets carry
// protocol data only when the fixed header's next header is TCP or UDP
// (nothing after the destination for ICMPv6, extension headers and others),
// and later IPv4 fragments carry none. Where pfSense would print a C
// placeholder (unkn(13), type-??) we print a word: "unknown". Fields the
// capture cut off are left empty, never guessed; the field count of a
// TCP/UDP line stays the same. Interface and anchor names have commas
// replaced by '_' and bytes outside printable ASCII by '?', so a name can
// never add a field or a line.
type Filterlog struct {
	// Bare drops the "<timestamp> <host> filterlog: " prefix.
	Bare bool

	ts   Timestamper
	host string
}

// NewFilterlog returns a filterlog formatter printing times in loc and
// host as the host name (os.Hostname's first label when empty).
func NewFilterlog(loc *time.Location, host string) *Filterlog {
	if host == "" {
		host, _ = os.Hostname()
		if i := strings.IndexByte(host, '.'); i > 0 {
			host = host[:i]
		}
		if host == "" {
			host = "localhost"
		}
	}
	return &Filterlog{ts: Timestamper{Loc: loc}, host: string(appendCSVName(nil, []byte(host)))}
}

// AppendEvent implements Formatter: events keep the text form (the
// daemon's own voice after the timestamp), as before; scan decisions too
// ("<ts> pfasciilogd: scan from ..."). The readers of filterlog files
// (CrowdSec's firewallservices/pf-logs, fail2ban's filterlog filters)
// match only "filterlog[...]: " lines after "TS HOST", so they ignore
// these lines; the shipped pfasciilogd filter and parser read them.
func (f *Filterlog) AppendEvent(dst []byte, e *record.Event) []byte {
	return appendEventText(dst, e, &f.ts)
}

// Append implements Formatter.
func (f *Filterlog) Append(dst []byte, r *Record) []byte {
	if !f.Bare {
		dst = f.ts.Append(dst, r.Pkt.Sec, r.Pkt.Nsec)
		dst = append(dst, ' ')
		dst = append(dst, f.host...)
		dst = append(dst, " filterlog: "...)
	}
	dst = AppendFilterlogCSV(dst, r)
	return append(dst, '\n')
}

// AppendFilterlogCSV appends the CSV part of a filterlog line (no
// newline).
func AppendFilterlogCSV(dst []byte, r *Record) []byte {
	h := r.Hdr
	s := r.Summary()
	dst = num.AppendUint(dst, uint64(h.RuleNr))
	dst = append(dst, ',')
	if h.InAnchor() {
		dst = num.AppendUint(dst, uint64(h.SubRuleNr))
		dst = append(dst, ',')
		dst = appendCSVName(dst, h.Anchor())
	} else {
		dst = append(dst, ',')
	}
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(h.RIdentifier))
	dst = append(dst, ',')
	dst = appendCSVName(dst, h.Interface())
	dst = append(dst, ',')
	dst = append(dst, orUnknown(pflog.ReasonWord(h.Layout, h.Reason))...)
	dst = append(dst, ',')
	dst = append(dst, orUnknown(pflog.ActionWord(h.Layout, h.Action))...)
	dst = append(dst, ',')
	dst = append(dst, orUnknown(pflog.DirWord(h.Layout, h.Dir))...)
	dst = append(dst, ',')
	switch s.Version {
	case 4:
		return appendFilterlog4(dst, r.IP, s)
	case 6:
		return appendFilterlog6(dst, r.IP, s)
	}
	// No IP header captured: the version from the header, then nothing.
	switch {
	case h.AF == pflog.AFInet:
		dst = append(dst, '4')
	case pflog.IsIPv6AF(h.AF):
		dst = append(dst, '6')
	}
	return dst
}

func appendFilterlog4(dst, ip []byte, s *packet.Summary) []byte {
	dst = append(dst, "4,0x"...)
	dst = strconv.AppendUint(dst, uint64(s.TOS), 16)
	dst = append(dst, ',')
	switch s.TOS & 3 {
	case 1:
		dst = append(dst, '1')
	case 2:
		dst = append(dst, '0')
	case 3:
		dst = append(dst, "CE"...)
	}
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(s.TTL))
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(s.ID))
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(s.FragOff))
	dst = append(dst, ',')
	dst = append(dst, ipv4FlagWord(s.Flags)...)
	dst = append(dst, ',')
	// The IP header's protocol: AH (which the summary looks through) is
	// what filterlog names, with its whole length as data.
	dst = num.AppendUint(dst, uint64(s.NextHdr))
	dst = append(dst, ',')
	if n := ProtoName(s.NextHdr); n != "" {
		if s.NextHdr == packet.ProtoICMPv6 {
			n = "ipv6-icmp" // /etc/protocols' keyword
		}
		dst = append(dst, n...)
	} else {
		dst = append(dst, "unknown"...)
	}
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(s.TotalLen))
	dst = appendAddrs(dst, s)
	if s.FragOff != 0 {
		return dst
	}
	if s.NextHdr != s.Proto {
		dst = append(dst, "datalength="...)
		return num.AppendUint(dst, uint64(s.L4Len+s.ExtLen))
	}
	switch s.Proto {
	case packet.ProtoTCP:
		return appendFilterlogTCP(dst, ip, s)
	case packet.ProtoUDP:
		return appendFilterlogUDP(dst, s)
	case packet.ProtoICMP:
		return appendFilterlogICMP(dst, ip, s)
	case packet.ProtoCARP:
		return appendFilterlogCARP(dst, ip, s)
	}
	dst = append(dst, "datalength="...)
	return num.AppendUint(dst, uint64(s.L4Len))
}

func appendFilterlog6(dst, ip []byte, s *packet.Summary) []byte {
	dst = append(dst, "6,0x"...)
	dst = num.AppendHex(dst, uint64(uint32(s.TOS)), 2)
	dst = append(dst, ",0x"...)
	dst = num.AppendHex(dst, uint64(s.FlowLabel), 5)
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(s.TTL))
	dst = append(dst, ',')
	dst = append(dst, ipv6ProtoText(s.NextHdr)...)
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(s.NextHdr))
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(max(s.TotalLen-40, 0)))
	dst = appendAddrs(dst, s)
	if s.NextHdr != s.Proto || s.ExtLen != 0 {
		return dst
	}
	switch s.Proto {
	case packet.ProtoTCP:
		return appendFilterlogTCP(dst, ip, s)
	case packet.ProtoUDP:
		return appendFilterlogUDP(dst, s)
	}
	return dst
}

func appendAddrs(dst []byte, s *packet.Summary) []byte {
	dst = append(dst, ',')
	dst = s.Src.AppendTo(dst)
	dst = append(dst, ',')
	dst = s.Dst.AppendTo(dst)
	return append(dst, ',')
}

// appendFilterlogTCP appends the nine TCP fields; those the capture cut
// off stay empty.
func appendFilterlogTCP(dst, ip []byte, s *packet.Summary) []byte {
	if !s.HasPort {
		return append(dst, ",,,,,,,,"...)
	}
	dst = num.AppendUint(dst, uint64(s.SrcPort))
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(s.DstPort))
	dst = append(dst, ',')
	if s.TCPHdrLen == 0 {
		return append(dst, ",,,,,,"...)
	}
	dst = num.AppendUint(dst, uint64(s.PayloadLen))
	dst = append(dst, ',')
	f := s.TCPFlags
	for i := range pfsenseTCPFlags {
		if f&pfsenseTCPFlags[i].bit != 0 {
			dst = append(dst, pfsenseTCPFlags[i].c)
		}
	}
	dst = append(dst, ',')
	if s.PayloadLen > 0 {
		dst = num.AppendUint(dst, uint64(s.Seq))
		dst = append(dst, ':')
		dst = num.AppendUint(dst, uint64(s.Seq+uint32(s.PayloadLen)))
	} else if f&(packet.TCPSyn|packet.TCPFin|packet.TCPRst) != 0 {
		dst = num.AppendUint(dst, uint64(s.Seq))
	}
	dst = append(dst, ',')
	if f&packet.TCPAck != 0 {
		dst = num.AppendUint(dst, uint64(s.Ack))
	}
	dst = append(dst, ',')
	if !s.HasTCPHdr {
		return append(dst, ",,"...)
	}
	dst = num.AppendUint(dst, uint64(s.Window))
	dst = append(dst, ',')
	if f&packet.TCPUrg != 0 {
		dst = num.AppendUint(dst, uint64(s.Urgent))
	}
	dst = append(dst, ',')
	return appendTCPOptions(dst, ip, s)
}

var pfsenseTCPFlags = [...]struct {
	bit uint8
	c   byte
}{
	{packet.TCPFin, 'F'}, {packet.TCPSyn, 'S'}, {packet.TCPRst, 'R'}, {packet.TCPPsh, 'P'},
	{packet.TCPAck, 'A'}, {packet.TCPUrg, 'U'}, {packet.TCPEce, 'E'}, {packet.TCPCwr, 'C'},
}

// appendTCPOptions appends the names of the captured TCP options joined by
// ';' (filterlog's "mss;nop;wscale;sackOK;TS").
func appendTCPOptions(dst, ip []byte, s *packet.Summary) []byte {
	start := s.L4Off + 20
	end := min(s.L4Off+s.TCPHdrLen, len(ip))
	if start >= end {
		return dst
	}
	o := ip[start:end]
	first := true
	for i := 0; i < len(o); {
		kind := o[i]
		if !first {
			dst = append(dst, ';')
		}
		first = false
		if name := tcpOptionNames[kind]; name != "" {
			dst = append(dst, name...)
		} else {
			dst = append(dst, "opt-"...)
			dst = num.AppendUint(dst, uint64(kind))
		}
		if kind == 0 {
			break
		}
		if kind == 1 {
			i++
			continue
		}
		if i+1 >= len(o) || o[i+1] < 2 {
			break
		}
		i += int(o[i+1])
	}
	return dst
}

var tcpOptionNames = [256]string{
	0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 6: "echo", 7: "echoreply",
	8: "TS", 11: "cc", 12: "ccnew", 13: "ccecho", 19: "md5", 20: "scps", 28: "uto", 29: "tcp-ao",
	30: "mptcp", 34: "tfo",
}

func appendFilterlogUDP(dst []byte, s *packet.Summary) []byte {
	if !s.HasPort {
		return append(dst, ",,"...)
	}
	dst = num.AppendUint(dst, uint64(s.SrcPort))
	dst = append(dst, ',')
	dst = num.AppendUint(dst, uint64(s.DstPort))
	dst = append(dst, ',')
	if s.UDPLen != 0 || s.L4Cap >= 8 {
		dst = num.AppendUint(dst, uint64(s.UDPLen))
	}
	return dst
}

func appendFilterlogCARP(dst, ip []byte, s *packet.Summary) []byte {
	if s.L4Off == 0 || len(ip) < s.L4Off+6 {
		return append(dst, ",,,,,"...)
	}
	b := ip[s.L4Off:]
	if b[0]&0x0f == 1 {
		dst = append(dst, "advertise,"...)
	} else {
		dst = append(dst, "unknown,"...)
	}
	dst = num.AppendUint(dst, uint64(s.TTL))
	for _, v := range [...]byte{b[1], b[0] >> 4, b[2], b[5]} {
		dst = append(dst, ',')
		dst = num.AppendUint(dst, uint64(v))
	}
	return dst
}

func appendFilterlogICMP(dst, ip []byte, s *packet.Summary) []byte {
	if !s.HasICMP {
		return dst
	}
	full := s.L4Cap >= 8
	idseq := func(dst []byte) []byte {
		if !full {
			return append(dst, ',')
		}
		dst = num.AppendUint(dst, uint64(s.ICMPRest>>16))
		dst = append(dst, ',')
		return num.AppendUint(dst, uint64(s.ICMPRest&0xffff))
	}
	innerDst := func(dst []byte) []byte {
		if s.HasInner {
			dst = s.InnerDst.AppendTo(dst)
		}
		return dst
	}
	switch s.ICMPType {
	case 0, 8:
		if s.ICMPType == 8 {
			dst = append(dst, "request,"...)
		} else {
			dst = append(dst, "reply,"...)
		}
		return idseq(dst)
	case 3:
		switch s.ICMPCode {
		case 2:
			dst = append(dst, "unreachproto,"...)
			dst = innerDst(dst)
			dst = append(dst, ',')
			if s.HasInner {
				dst = num.AppendUint(dst, uint64(s.InnerProto))
			}
			return dst
		case 3:
			dst = append(dst, "unreachport,"...)
			dst = innerDst(dst)
			dst = append(dst, ',')
			if s.HasInner {
				switch s.InnerProto {
				case packet.ProtoTCP:
					dst = append(dst, "TCP"...)
				case packet.ProtoUDP:
					dst = append(dst, "UDP"...)
				default:
					dst = num.AppendUint(dst, uint64(s.InnerProto))
				}
			}
			dst = append(dst, ',')
			if s.HasInner && s.InnerDPort != 0 {
				dst = num.AppendUint(dst, uint64(s.InnerDPort))
			}
			return dst
		case 4:
			dst = append(dst, "needfrag,"...)
			dst = innerDst(dst)
			dst = append(dst, ',')
			if full {
				dst = num.AppendUint(dst, uint64(s.ICMPRest&0xffff))
			}
			return dst
		}
		dst = append(dst, "unreach,"...)
		switch s.ICMPCode {
		case 0:
			dst = append(dst, "net "...)
		case 1:
			dst = append(dst, "host "...)
		}
		dst = innerDst(dst)
		dst = append(dst, " unreachable"...)
		if s.ICMPCode > 1 {
			dst = append(dst, " - "...)
			if int(s.ICMPCode) < len(unreachWords) {
				return append(dst, unreachWords[s.ICMPCode]...)
			}
			dst = append(dst, "code "...)
			dst = num.AppendUint(dst, uint64(s.ICMPCode))
		}
		return dst
	case 5:
		dst = append(dst, "redirect,redirect "...)
		dst = innerDst(dst)
		dst = append(dst, " to "...)
		if s.ICMPCode&1 == 0 {
			dst = append(dst, "net "...)
		} else {
			dst = append(dst, "host "...)
		}
		if full {
			var g [4]byte
			binary.BigEndian.PutUint32(g[:], s.ICMPRest)
			for i, b := range g {
				if i > 0 {
					dst = append(dst, '.')
				}
				dst = num.AppendUint(dst, uint64(b))
			}
		}
		return dst
	case 11:
		dst = append(dst, "timexceed,"...)
		switch s.ICMPCode {
		case 0:
			return append(dst, "time exceeded in-transit"...)
		case 1:
			return append(dst, "ip reassembly time exceeded"...)
		}
		dst = append(dst, "time exceeded code "...)
		return num.AppendUint(dst, uint64(s.ICMPCode))
	case 12:
		dst = append(dst, "paramprob,parameter problem - "...)
		if s.ICMPCode != 0 {
			dst = append(dst, "code "...)
			return num.AppendUint(dst, uint64(s.ICMPCode))
		}
		dst = append(dst, "octet "...)
		return num.AppendUint(dst, uint64(s.ICMPRest>>24))
	case 18:
		dst = append(dst, "maskreply,address mask is 0x"...)
		var m uint32
		if off := s.L4Off + 8; len(ip) >= off+4 {
			m = binary.BigEndian.Uint32(ip[off:])
		}
		return num.AppendHex(dst, uint64(m), 8)
	case 13:
		dst = append(dst, "tstamp,"...)
		return idseq(dst)
	case 14:
		dst = append(dst, "tstampreply,"...)
		dst = idseq(dst)
		for i := range 3 {
			dst = append(dst, ',')
			if off := s.L4Off + 8 + 4*i; len(ip) >= off+4 {
				dst = num.AppendMsTime(dst, binary.BigEndian.Uint32(ip[off:]))
			}
		}
		return dst
	case 9:
		return append(dst, "routeradv"...)
	}
	if int(s.ICMPType) < len(icmpTypeWords) && icmpTypeWords[s.ICMPType] != "" {
		return append(dst, icmpTypeWords[s.ICMPType]...)
	}
	return append(dst, "unknown"...)
}

var unreachWords = [...]string{
	5: "source route failed", 6: "net unknown", 7: "host unknown", 8: "source host isolated",
	9: "net admin prohibited", 10: "host admin prohibited", 11: "net tos prohibited",
	12: "host tos prohibited", 13: "admin prohibited filter", 14: "host precedence violation",
	15: "precedence cutoff",
}

var icmpTypeWords = [...]string{
	4: "source quench", 10: "router solicitation", 15: "information request",
	16: "information reply", 17: "address mask request",
}

func ipv4FlagWord(f uint8) string {
	switch f {
	case 0:
		return "none"
	case packet.FlagDF:
		return "DF"
	case packet.FlagMF:
		return "+"
	case packet.FlagReserved:
		return "rsvd"
	case packet.FlagDF | packet.FlagMF:
		return "DF+"
	}
	return "rsvd" // the reserved bit with others: malformed either way
}

// ipv6ProtoText returns the names pfSense's filterlog prints for an IPv6
// next header ("TCP", "UDP", "ICMPv6", "Options", ...).
func ipv6ProtoText(p uint8) string {
	switch p {
	case 0:
		return "Options"
	case 1:
		return "ICMP"
	case 2:
		return "IGMP"
	case 4:
		return "IPIP"
	case 6:
		return "TCP"
	case 8:
		return "EGP"
	case 9:
		return "IGRP"
	case 17:
		return "UDP"
	case 33:
		return "DCCP"
	case 41:
		return "IPv6"
	case 43:
		return "Routing"
	case 44:
		return "Fragment"
	case 46:
		return "RSVP"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 51:
		return "AH"
	case 55:
		return "Mobile IP"
	case 58:
		return "ICMPv6"
	case 62:
		return "Mobile IP (old)"
	case 88:
		return "EIGRP"
	case 89:
		return "OSPF"
	case 103:
		return "PIM"
	case 108:
		return "Compressed IP"
	case 112:
		return "VRRP"
	case 113:
		return "PGM"
	case 132:
		return "SCTP"
	case 135:
		return "Mobility"
	case 240:
		return "pfsync"
	}
	return "unknown"
}

// appendCSVName appends a name that cannot break the CSV or the line:
// printable ASCII as is, ',' as '_', every other byte as '?'.
func appendCSVName(dst, name []byte) []byte {
	for _, c := range name {
		switch {
		case c == ',':
			c = '_'
		case c < 0x20 || c >= 0x7f:
			c = '?'
		}
		dst = append(dst, c)
	}
	return dst
}
