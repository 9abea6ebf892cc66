package gen

import (
	"encoding/binary"
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// Case is one named pflog record of the test catalogue.
type Case struct {
	Name   string
	Record Record
}

// SnapPflogd is pflogd's default snapshot length: a 72-byte FreeBSD
// header and 44 bytes of packet.
const SnapPflogd = 116

// CaseEpoch is the capture time of the first case; each next case is one
// second and 1001 microseconds later.
const CaseEpoch = 1700000000

var (
	src4 = net.IPv4(192, 0, 2, 10).To4()
	dst4 = net.IPv4(198, 51, 100, 7).To4()
	src6 = net.ParseIP("2001:db8::10")
	dst6 = net.ParseIP("2001:db8:0:1::7")
)

// Cases returns the catalogue of test records: every kind of packet the
// text printer handles (IPv4, IPv6, TCP, UDP, ICMP, ICMPv6, other
// protocols, fragments, malformed and truncated ones), spread over the
// three pflog header layouts, with anchors, uids and ridentifiers on some.
// The result is the same on every call.
func Cases() []Case {
	var cs []Case
	add := func(name string, pkt []byte, snap int) {
		cs = append(cs, Case{Name: name, Record: Record{Packet: pkt, Snap: snap}})
	}
	for _, v6 := range []bool{false, true} {
		fam := "ip4/"
		if v6 {
			fam = "ip6/"
		}
		ipx := func(proto byte, payload []byte) []byte {
			if v6 {
				return IPv6(proto, payload)
			}
			return IPv4(proto, payload)
		}
		// TCP through gopacket, with real checksums.
		for _, t := range tcpCases() {
			pkt := TCPPacket(v6, t.tcp, t.payload)
			add(fam+"tcp/"+t.name, pkt, 0)
			add(fam+"tcp/"+t.name+"/snap116", pkt, SnapPflogd)
		}
		// TCP option edge cases, built by hand.
		for _, t := range tcpOptCases() {
			seg := TCPRaw(40000, 22, 0x02, t.opts, nil)
			add(fam+"tcpopt/"+t.name, ipx(6, seg), 0)
		}
		// TCP cut at every length inside the header and options.
		full := ipx(6, TCPRaw(40000, 80, 0x12, []byte{2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 0}, nil))
		hl := 20
		if v6 {
			hl = 40
		}
		for cut := hl; cut <= len(full); cut += 3 {
			add(fam+"tcpcut/"+itoa(cut), full, 72+cut)
		}
		// Bad TCP data offsets.
		bad := TCPRaw(1, 2, 0x02, nil, nil)
		bad[12] = 4 << 4
		add(fam+"tcp/badoff-short", ipx(6, bad), 0)
		bad = TCPRaw(1, 2, 0x02, nil, nil)
		bad[12] = 15 << 4
		add(fam+"tcp/badoff-long", ipx(6, bad), 0)
		// Application payloads on well-known ports.
		for _, a := range appCases() {
			pkt := ipx(6, TCPRaw(a.sport, a.dport, 0x18, []byte{1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0}, []byte(a.payload)))
			add(fam+"app/"+a.name, pkt, 0)
			pkt = ipx(6, TCPRaw(a.sport, a.dport, 0x18, nil, []byte(a.payload)))
			add(fam+"app/"+a.name+"/noopt", pkt, 0)
			add(fam+"app/"+a.name+"/noopt/snap116", pkt, SnapPflogd)
			add(fam+"app/"+a.name+"/noopt/snap130", pkt, 130)
		}
		// UDP.
		for _, u := range udpCases() {
			add(fam+"udp/"+u.name, UDPPacket(v6, u.sport, u.dport, []byte(u.payload)), 0)
		}
		ud := UDPRaw(5000, 6000, make([]byte, 20))
		binary.BigEndian.PutUint16(ud[4:], 100)
		add(fam+"udp/badlen", ipx(17, ud), 0)
		ud = UDPRaw(5000, 6000, make([]byte, 20))
		binary.BigEndian.PutUint16(ud[4:], 4)
		add(fam+"udp/shortlen", ipx(17, ud), 0)
		add(fam+"udp/short", ipx(17, []byte{0x13, 0x88, 0x17}), 0)
		add(fam+"udp/hdronly6", ipx(17, []byte{0x13, 0x88, 0x17, 0x70, 0, 9}), 0)
		ud = UDPRaw(5000, 53, make([]byte, 20))
		binary.BigEndian.PutUint16(ud[4:], 100)
		add(fam+"udp/badlen-dns", ipx(17, ud), 0)
		// Other protocols.
		for _, o := range otherCases(v6) {
			add(fam+"proto/"+o.name, ipx(o.proto, o.payload), o.snap)
		}
		// Truncation of the IP header itself.
		base := ipx(6, TCPRaw(1, 2, 0x02, nil, nil))
		add(fam+"trunc/empty", base, 72)
		add(fam+"trunc/1", base, 73)
		add(fam+"trunc/hdr-1", base, 72+hl-1)
		add(fam+"trunc/hdr", base, 72+hl)
		add(fam+"trunc/ports", base, 72+hl+4)
	}
	cs = append(cs, ip4Cases()...)
	cs = append(cs, ip6Cases()...)
	cs = append(cs, ICMPCases()...)
	// SCTP and DCCP, whole and as pflogd's snap length cuts them (last,
	// so that the earlier cases keep their headers and times).
	for _, c := range SCTPDCCPCases() {
		if c.MultiLine {
			continue
		}
		add("ip4/"+c.Name, IPv4(c.Proto, c.Payload), 0)
		add("ip4/"+c.Name+"/snap116", IPv4(c.Proto, c.Payload), SnapPflogd)
		add("ip6/"+c.Name, IPv6(c.Proto, c.Payload), 0)
		add("ip6/"+c.Name+"/snap116", IPv6(c.Proto, c.Payload), SnapPflogd)
	}
	// Spread headers over layouts, anchors, uids and ridentifiers.
	for i := range cs {
		r := &cs[i].Record
		r.Sec = CaseEpoch + int64(i)
		r.Nsec = int64(i%1000) * 1001000
		af := uint8(pflog.AFInet)
		if len(r.Packet) > 0 && r.Packet[0]>>4 == 6 {
			af = pflog.AFInet6
		}
		r.Hdr = DefaultHeader(af)
		h := &r.Hdr
		h.RuleNr = uint32(i % 97)
		switch i % 3 {
		case 1:
			h.Layout = pflog.LayoutLegacy
		case 2:
			h.Layout = pflog.LayoutOpenBSD
			if af == pflog.AFInet6 {
				h.AF = pflog.AFInet6BSD
			}
		}
		if h.Layout != pflog.LayoutFreeBSD && r.Snap > 0 {
			// Keep the same number of packet bytes as with 72.
			r.Snap += pflog.HeaderSize(layoutLen(h.Layout)) - 72
		}
		switch i % 5 {
		case 1:
			h.SetRuleset("f2b/sshd")
			h.SubRuleNr = uint32(i % 7)
		case 3:
			h.UID = uint32(1000 + i)
		}
		if h.Layout == pflog.LayoutFreeBSD && i%4 == 0 {
			h.RIdentifier = uint32(100 + i)
		}
		h.Dir = uint8(1 + i%2)
		h.Action = uint8(i % 2)
		ifs := [...]string{"vtnet0", "em0", "lo0", "wg0"}
		h.SetIfName(ifs[i%len(ifs)])
	}
	return cs
}

func layoutLen(l pflog.Layout) uint8 {
	switch l {
	case pflog.LayoutLegacy:
		return pflog.LenLegacy
	case pflog.LayoutOpenBSD:
		return pflog.LenOpenBSD
	}
	return pflog.LenFreeBSD
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

type tcpCase struct {
	name    string
	tcp     layers.TCP
	payload []byte
}

func tcpCases() []tcpCase {
	ts := layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{0, 0, 0x30, 0x39, 0, 0, 0, 0}}
	mss := layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}
	nop := layers.TCPOption{OptionType: layers.TCPOptionKindNop, OptionLength: 1}
	ws := layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}}
	sok := layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2}
	sack := layers.TCPOption{OptionType: layers.TCPOptionKindSACK, OptionLength: 18, OptionData: []byte{0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x30, 0, 0, 0, 0x40, 0}}
	return []tcpCase{
		{"syn", layers.TCP{SrcPort: 58555, DstPort: 22, Seq: 1691621630, SYN: true, Window: 1024, Options: []layers.TCPOption{mss}}, nil},
		{"syn-full-opts", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 4000000000, SYN: true, Window: 64240, Options: []layers.TCPOption{mss, sok, ts, nop, ws}}, nil},
		{"synack", layers.TCP{SrcPort: 443, DstPort: 41000, Seq: 1, Ack: 4000000001, SYN: true, ACK: true, Window: 65160, Options: []layers.TCPOption{mss, sok, ts, nop, ws}}, nil},
		{"rst-ack", layers.TCP{SrcPort: 1720, DstPort: 58555, Ack: 1691621631, RST: true, ACK: true}, nil},
		{"rst", layers.TCP{SrcPort: 1720, DstPort: 58555, Seq: 77, RST: true}, nil},
		{"ack", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 5, Ack: 6, ACK: true, Window: 501, Options: []layers.TCPOption{nop, nop, ts}}, nil},
		{"psh-ack-data", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 4294967290, Ack: 6, ACK: true, PSH: true, Window: 501}, []byte("0123456789abcdef")},
		{"fin-ack", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 5, Ack: 6, ACK: true, FIN: true, Window: 501}, nil},
		{"xmas", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 5, FIN: true, SYN: true, PSH: true, URG: true, Urgent: 3, Window: 1}, nil},
		{"syn-ece-cwr", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 5, SYN: true, ECE: true, CWR: true, Window: 1}, nil},
		{"synack-ece", layers.TCP{SrcPort: 443, DstPort: 41000, Seq: 5, Ack: 9, SYN: true, ACK: true, ECE: true, Window: 1}, nil},
		{"null", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 5, Window: 1}, nil},
		{"all-flags", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 5, Ack: 1, FIN: true, SYN: true, RST: true, PSH: true, ACK: true, URG: true, ECE: true, CWR: true, Window: 1}, nil},
		{"fpu", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 5, FIN: true, PSH: true, URG: true, Window: 1, Urgent: 0}, nil},
		{"ack-sack", layers.TCP{SrcPort: 41000, DstPort: 443, Seq: 5, Ack: 6, ACK: true, Window: 501, Options: []layers.TCPOption{nop, nop, sack}}, nil},
		{"syn-ts-first", layers.TCP{SrcPort: 41000, DstPort: 25, Seq: 5, SYN: true, Window: 1, Options: []layers.TCPOption{ts, nop, nop, ws, nop, mss}}, nil},
	}
}

type optCase struct {
	name string
	opts []byte
}

func tcpOptCases() []optCase {
	return []optCase{
		{"md5", append([]byte{19, 18}, seqBytes(16)...)},
		{"mptcp-capable", []byte{30, 12, 0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"mptcp-capable4", []byte{30, 4, 0x00, 0x01}},
		{"mptcp-join", []byte{30, 12, 0x11, 0x05, 0, 0, 0, 1, 0, 0, 0, 2}},
		{"mptcp-bad", []byte{30, 3, 0x20, 0}},
		{"mptcp-unknown", []byte{30, 4, 0xf0, 0}},
		{"tfo-req", []byte{34, 2, 1, 1}},
		{"tfo-cookie", []byte{34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1}},
		{"tfo-bad", []byte{34, 5, 1, 2, 3, 1}},
		{"exp-tfo", []byte{254, 8, 0xf9, 0x89, 1, 2, 3, 4}},
		{"exp-other", []byte{254, 4, 0x12, 0x34}},
		{"exp-short", []byte{254, 3, 0x12, 1}},
		{"unknown", []byte{99, 4, 0xab, 0xcd}},
		{"unknown-empty", []byte{99, 2, 1, 1}},
		{"uto", []byte{28, 4, 0x01, 0x2d}},
		{"uto-min", []byte{28, 4, 0x01, 0x2c}},
		{"scps", []byte{20, 4, 0xab, 9}},
		{"tcp-ao", []byte{29, 8, 1, 2, 0xde, 0xad, 0xbe, 0xef}},
		{"tcp-ao-bad", []byte{29, 3, 1, 0}},
		{"echo", []byte{6, 6, 0, 0, 1, 0, 7, 6, 0, 0, 2, 0}},
		{"cc", []byte{11, 6, 0, 0, 1, 0, 12, 6, 0, 0, 2, 0, 13, 6, 0, 0, 3, 0}},
		{"sack-invalid", []byte{5, 7, 1, 2, 3, 4, 5, 1}},
		{"mss-long", []byte{2, 6, 5, 0xb4, 0, 0}},
		{"mss-len2", []byte{2, 2, 1, 1}},
		{"len0", []byte{2, 0, 0, 0}},
		{"len-too-long", []byte{1, 2, 40, 5, 1}},
		{"eol-first", []byte{0, 2, 4, 5, 0xb4}},
		{"wscale-bad-second", []byte{1, 3, 9}},
		{"ts-short", []byte{1, 1, 8, 6, 0, 0, 0, 1}},
	}
}

func seqBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0x10 + i*7)
	}
	return b
}

type appCase struct {
	name         string
	sport, dport uint16
	payload      string
}

func appCases() []appCase {
	return []appCase{
		{"http-get", 41000, 80, "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"},
		{"http-get-8080", 41000, 8080, "GET /index.html HTTP/1.0\r\n\r\n"},
		{"http-200", 80, 41000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"http-body", 80, 41000, "<html><body>hello</body></html>\n"},
		{"http-binary", 80, 41000, "\x16\x03\x01\x02\x00\x01"},
		{"http-nolf", 41000, 80, "POST /login HTTP/1.1"},
		{"http-cr-x", 41000, 80, "GET / HTTP/1.1\rX"},
		{"http-lower", 41000, 80, "get /x HTTP/1.1\n"},
		{"ssh", 41000, 22, "SSH-2.0-OpenSSH_9.6\r\n"},
		{"ssh-banner", 22, 41000, "SSH-2.0-OpenSSH_8.4p1 Debian-5\r\n"},
		{"ssh-binary", 41000, 22, "\x00\x00\x01\x2c\x06\x14abcdef"},
		{"smtp", 25, 41000, "220 mail.example.org ESMTP Postfix\r\n"},
		{"smtp-ehlo", 41000, 25, "EHLO client.example\r\n"},
		{"ftp", 41000, 21, "USER anonymous\r\n"},
		{"ftp-banner", 21, 41000, "220 (vsFTPd 3.0.3)\r\n"},
		{"https", 41000, 443, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"},
		{"bgp", 41000, 179, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x13\x04"},
		{"dns-tcp-bad", 41000, 53, "\x00\x05abc"},
		{"dns-tcp-short", 41000, 53, "\x00\x04abcd"},
		{"whois", 41000, 43, "example.org\r\n"},
		{"rtsp", 41000, 554, "OPTIONS rtsp://x/ RTSP/1.0\r\n"},
		{"telnet-data", 41000, 23, "login: "},
		{"telnet-iac", 23, 41000, "\xff\xfd\x18\xff\xfd\x20"},
		{"dns-tcp-query", 41000, 53, "\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03org\x00\x00\x01\x00\x01"},
		{"imap", 143, 41000, "* OK IMAP4rev1 ready\r\n"},
	}
}

type udpCase struct {
	name         string
	sport, dport uint16
	payload      string
}

func udpCases() []udpCase {
	return []udpCase{
		{"plain", 40000, 33434, "abcdefgh"},
		{"empty", 40000, 9999, ""},
		{"wireguard", 51820, 51820, "\x01\x00\x00\x00" + string(make([]byte, 40))},
		{"dns-query", 40000, 53, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03org\x00\x00\x01\x00\x01"},
		{"ntp", 123, 123, "\xe3\x00\x06\xec" + string(make([]byte, 44))},
		{"syslog", 514, 514, "<13>hello"},
		{"high", 65535, 1, "x"},
	}
}

type otherCase struct {
	name    string
	proto   byte
	payload []byte
	snap    int
}

func otherCases(v6 bool) []otherCase {
	inner4 := IPv4(6, TCPRaw(1000, 2000, 0x02, nil, nil))
	inner6 := IPv6(17, UDPRaw(1000, 2000, []byte("xy")))
	cs := []otherCase{
		{"gre-ip4", 47, append([]byte{0, 0, 8, 0}, inner4...), 0},
		{"gre-ip4-key-seq", 47, append([]byte{0x30, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 5}, inner4...), 0},
		{"gre-ip6", 47, append([]byte{0, 0, 0x86, 0xdd}, inner6...), 0},
		{"gre-other", 47, []byte{0, 0, 0x12, 0x34, 1, 2}, 0},
		{"gre-trunc", 47, append([]byte{0, 0, 8, 0}, inner4...), 116},
		{"esp", 50, append([]byte{0, 0, 0x10, 0, 0, 0, 0, 1}, seqBytes(40)...), 0},
		{"esp-trunc", 50, append([]byte{0, 0, 0x10, 0, 0, 0, 0, 1}, seqBytes(40)...), 116},
		{"ah-tcp", 51, append([]byte{6, 4, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, TCPRaw(1, 2, 0x02, nil, nil)...), 0},
		{"ah-esp", 51, append([]byte{50, 4, 0, 1, 0, 0, 0x20, 0, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, append([]byte{0, 0, 0x10, 0, 0, 0, 0, 1}, seqBytes(20)...)...), 0},
		{"ipcomp", 108, []byte{6, 0, 0x12, 0x34, 1, 2, 3, 4}, 0},
		{"pim-hello", 103, []byte{0x20, 0, 0, 0, 0, 1, 0, 2, 0, 0x69}, 0},
		{"pim-register", 103, []byte{0x21, 0, 0, 0, 0, 0, 0, 0}, 0},
		{"pim-v1", 103, []byte{0x10, 0, 0, 0}, 0},
		{"vrrp2", 112, []byte{0x21, 1, 100, 1, 1, 1, 0, 0, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0},
		{"vrrp3", 112, []byte{0x31, 7, 200, 1, 0, 100, 0, 0, 192, 0, 2, 1}, 0},
		{"carp", 112, append([]byte{0x21, 1, 0, 1, 0, 1, 0, 0}, make([]byte, 28)...), 0},
		{"ospf-hello", 89, []byte{2, 1, 0, 44, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 0, 0, 10, 2, 1, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0}, 0},
		{"ospf-unknown", 89, []byte{2, 9, 0, 24, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0},
		{"unknown-200", 200, []byte("abcd"), 0},
		{"ipip", 4, inner4, 0},
		{"6in4", 41, inner6, 0},
		{"no-next", 59, nil, 0},
		{"nd", 77, []byte("ab"), 0},
		{"rsvp", 46, []byte{0x10, 1, 0, 0, 64, 0, 0, 8}, 0},
	}
	if !v6 {
		cs = append(cs,
			otherCase{"igmp-v2-query", 2, []byte{0x11, 100, 0xee, 0x9b, 0, 0, 0, 0}, 0},
			otherCase{"igmp-v1-query", 2, []byte{0x11, 0, 0xee, 0x9b, 224, 0, 0, 1}, 0},
			otherCase{"igmp-v2-query-mrt", 2, []byte{0x11, 50, 0xee, 0x9b, 0, 0, 0, 0, 0, 0}, 0},
			otherCase{"igmp-v3-query", 2, []byte{0x11, 100, 0, 0, 224, 0, 0, 251, 0, 0, 0, 1, 10, 0, 0, 1}, 0},
			otherCase{"igmp-v3-query-mrt", 2, []byte{0x11, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0},
			otherCase{"igmp-v2-report", 2, []byte{0x16, 0, 0, 0, 239, 255, 255, 250}, 0},
			otherCase{"igmp-v1-report", 2, []byte{0x12, 0, 0, 0, 239, 255, 255, 250}, 0},
			otherCase{"igmp-leave", 2, []byte{0x17, 0, 0, 0, 239, 255, 255, 250}, 0},
			otherCase{"igmp-v3-report", 2, []byte{0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 239, 255, 255, 250}, 0},
			otherCase{"igmp-v3-report-bad", 2, []byte{0x22, 0, 0, 0, 0, 0, 0, 1, 4, 0}, 0},
			otherCase{"igmp-other", 2, []byte{0x42, 0, 0, 0, 0, 0, 0, 0}, 0},
			// Protocols only IPv6 carries, in IPv4: tcpdump complains.
			otherCase{"icmp6-in-v4", 58, []byte{128, 0, 0, 0, 0, 1, 0, 1}, 0},
			otherCase{"ether-in-v4", 143, []byte{0x30, 0, 1, 2, 3, 4}, 0},
		)
	} else {
		cs = append(cs, otherCase{"igmp-in-v6", 2, []byte{0x11, 100, 0xee, 0x9b, 0, 0, 0, 0}, 0},
			otherCase{"icmp-in-v6", 1, []byte{8, 0, 0, 0, 0, 1, 0, 1}, 0},
			otherCase{"ether-in-v6", 143, []byte{0x30, 0, 1, 2, 3, 4}, 0},
			otherCase{"udplite-in-v6", 136, UDPRaw(5000, 6000, []byte("xy")), 0},
			otherCase{"mobility-brr", 135, []byte{59, 0, 0, 0, 0, 0, 0, 0}, 0},
			otherCase{"mobility-bu", 135, []byte{59, 1, 5, 0, 0, 0, 0, 7, 0x80, 0, 0, 10, 1, 2, 3, 4}, 0},
			otherCase{"mobility-bu-hk", 135, []byte{59, 1, 5, 0, 0, 0, 1, 0, 0x50, 0, 0xff, 0xff, 1, 2, 3, 4}, 0},
			otherCase{"mobility-bu-cut", 135, []byte{59, 1, 5, 0, 0, 0, 0, 7, 0x80, 0, 0, 10, 1, 2, 3, 4}, 72 + 40 + 9},
			otherCase{"mobility-ba-k", 135, []byte{59, 1, 6, 0, 0, 0, 3, 0x80, 0, 9, 0, 20, 0, 0, 0, 0}, 0},
			otherCase{"mobility-be", 135, append([]byte{59, 2, 7, 0, 0, 0, 1, 0}, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9), 0},
			otherCase{"mobility-hot", 135, append([]byte{59, 2, 3, 0, 0, 0, 0x12, 0x34}, make([]byte, 16)...), 0},
			otherCase{"mobility-unknown", 135, []byte{59, 0, 9, 0, 0, 0, 0, 0}, 0},
			otherCase{"mobility-too-short", 135, []byte{59, 0, 5, 0, 0, 0, 0, 7}, 0},
			otherCase{"mobility-pproto", 135, []byte{6, 0, 0, 0, 0, 0, 0, 0}, 0},
			otherCase{"mobility-cut2", 135, []byte{59, 0, 0, 0, 0, 0, 0, 0}, 72 + 40 + 2})
	}
	return cs
}

// ip4Cases are IPv4 header cases: options, fragments, bad lengths.
func ip4Cases() []Case {
	var cs []Case
	add := func(name string, pkt []byte, snap int) {
		cs = append(cs, Case{Name: "ip4/hdr/" + name, Record: Record{Packet: pkt, Snap: snap}})
	}
	seg := TCPRaw(40000, 443, 0x02, nil, nil)
	p := IPv4Opts(6, seg, []byte{1, 1, 1, 0})
	add("options-nop", p, 0)
	p = IPv4Opts(6, seg, []byte{7, 7, 4, 10, 0, 0, 1, 0})
	add("options-rr", p, 0)
	p = IPv4Opts(17, UDPRaw(1, 2, []byte("x")), []byte{148, 4, 0, 0})
	add("options-ra-udp", p, 0)
	u := UDPRaw(5353, 5353, make([]byte, 100))
	f := IPv4(17, u[:48])
	binary.BigEndian.PutUint16(f[6:], 0x2000)
	fix4(f)
	add("frag-first-udp", f, 0)
	f = IPv4(17, u[48:])
	binary.BigEndian.PutUint16(f[6:], 6)
	fix4(f)
	add("frag-later-udp", f, 0)
	f = IPv4(6, seg)
	binary.BigEndian.PutUint16(f[6:], 0x2000|100)
	fix4(f)
	add("frag-later-tcp-mf", f, 0)
	f = IPv4(1, []byte{0, 0, 0, 0})
	binary.BigEndian.PutUint16(f[6:], 50)
	fix4(f)
	add("frag-later-icmp", f, 0)
	f = IPv4(6, TCPRaw(1, 2, 0x12, nil, []byte("abcdef")))
	binary.BigEndian.PutUint16(f[6:], 0x2000)
	add("frag-first-tcp", f, 0)
	f = IPv4(17, UDPRaw(1, 2, make([]byte, 40)))
	binary.BigEndian.PutUint16(f[6:], 0x2000)
	binary.BigEndian.PutUint16(f[24:], 200)
	add("frag-first-udp-badlen", f, 0)
	f = IPv4(6, seg)
	f[0] = 0x44
	add("bad-hlen", f, 0)
	f = IPv4(6, seg)
	binary.BigEndian.PutUint16(f[2:], 10)
	add("bad-len", f, 0)
	f = IPv4(6, seg)
	binary.BigEndian.PutUint16(f[2:], 0)
	add("zero-len", f, 0)
	f = IPv4(6, TCPRaw(1, 2, 0x18, nil, []byte("0123456789")))
	binary.BigEndian.PutUint16(f[2:], 45)
	add("len-shorter-than-capture", f, 0)
	f = IPv4(6, TCPRaw(1, 2, 0x18, nil, []byte("0123456789")))
	binary.BigEndian.PutUint16(f[2:], 80)
	add("len-longer-than-wire", f, 0)
	f = IPv4(6, seg)
	f[0] = 0x4f
	add("hlen-60-truncated", f, 0)
	f = IPv4Opts(6, seg, make([]byte, 40))
	add("hlen-60-snap", f, 72+44)
	add("short-wire", IPv4(6, seg)[:12], 0)
	f = IPv4(6, seg)
	f[0] = 0x55
	add("version5", f, 0)
	return cs
}

// ip6Cases are IPv6 extension header cases.
func ip6Cases() []Case {
	var cs []Case
	add := func(name string, pkt []byte, snap int) {
		cs = append(cs, Case{Name: "ip6/ext/" + name, Record: Record{Packet: pkt, Snap: snap}})
	}
	seg := TCPRaw(40000, 443, 0x02, nil, nil)
	udp := UDPRaw(5000, 53, []byte("abcdefgh"))
	hbh := func(nh byte) []byte { return []byte{nh, 0, 1, 4, 0, 0, 0, 0} }
	dst := func(nh byte) []byte { return []byte{nh, 0, 1, 4, 0, 0, 0, 0} }
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	add("hbh-tcp", IPv6(0, cat(hbh(6), seg)), 0)
	add("hbh-udp", IPv6(0, cat(hbh(17), udp)), 0)
	add("hbh-ra-icmp6", IPv6(0, cat([]byte{58, 0, 5, 2, 0, 0, 1, 0}, []byte{143, 0, 0, 0, 0, 0, 0, 0})), 0)
	add("hbh-rtalert-badlen", IPv6(0, cat([]byte{6, 0, 5, 3, 0, 0, 0, 1}, seg)), 0)
	add("hbh-jumbo", IPv6(0, cat([]byte{6, 0, 0xc2, 4, 0, 1, 0, 0}, seg)), 0)
	add("hbh-twice", IPv6(0, cat(hbh(0), hbh(6), seg)), 0)
	add("dst-tcp", IPv6(60, cat(dst(6), seg)), 0)
	add("hbh-dst-udp", IPv6(0, cat(hbh(60), dst(17), udp)), 0)
	add("dst-hbh", IPv6(60, cat(dst(0), hbh(6), seg)), 0)
	rt := []byte{6, 2, 0, 1, 0, 0, 0, 0}
	rt = append(rt, net.ParseIP("2001:db8::99")...)
	add("rt0-tcp", IPv6(43, cat(rt, seg)), 0)
	rt2 := []byte{6, 2, 2, 1, 0, 0, 0, 5}
	rt2 = append(rt2, net.ParseIP("2001:db8::98")...)
	add("rt2-rsv", IPv6(43, cat(rt2, seg)), 0)
	srh := []byte{17, 4, 4, 1, 1, 0, 0, 7}
	srh = append(srh, net.ParseIP("2001:db8::a")...)
	srh = append(srh, net.ParseIP("2001:db8::b")...)
	add("srh-udp", IPv6(43, cat(srh, udp)), 0)
	add("rt-unknown", IPv6(43, cat([]byte{6, 0, 9, 0, 0, 0, 0, 0}, seg)), 0)
	add("rt-oddlen", IPv6(43, cat([]byte{6, 1, 0, 0, 0, 0, 0, 0}, make([]byte, 8), seg)), 0)
	frag0 := []byte{17, 0, 0, 1, 0, 0, 0, 42}
	add("frag-first-udp", IPv6(44, cat(frag0, udp)), 0)
	add("frag-first-tcp", IPv6(44, cat([]byte{6, 0, 0, 1, 0, 0, 0, 42}, seg)), 0)
	add("frag-later", IPv6(44, cat([]byte{17, 0, 0x05, 0x08, 0, 0, 0, 42}, []byte("0123456789abcdef"))), 0)
	add("frag-only", IPv6(44, []byte{17, 0, 0, 1, 0, 0, 0, 42}), 0)
	add("frag-trunc", IPv6(44, cat(frag0, udp)), 72+42)
	add("hbh-frag-udp", IPv6(0, cat(hbh(44), frag0, udp)), 0)
	add("no-next", IPv6(59, nil), 0)
	add("hbh-no-next", IPv6(0, hbh(59)), 0)
	add("hbh-trunc", IPv6(0, cat(hbh(6), seg)), 72+44)
	add("hbh-trunc2", IPv6(0, cat(hbh(6), seg)), 72+41)
	add("hbh-tcp-snap", IPv6(0, cat(hbh(6), seg)), 116)
	add("dst-tcp-snap", IPv6(60, cat(dst(6), seg)), 116)
	add("rt0-snap", IPv6(43, cat(rt, seg)), 116)
	p := IPv6(6, seg)
	binary.BigEndian.PutUint16(p[4:], 0)
	add("plen-zero", p, 0)
	p = IPv6(0, cat(hbh(6), seg))
	binary.BigEndian.PutUint16(p[4:], 0)
	add("plen-zero-hbh", p, 0)
	p = IPv6(6, seg)
	binary.BigEndian.PutUint16(p[4:], 100)
	add("plen-long", p, 0)
	p = IPv6(6, seg)
	binary.BigEndian.PutUint16(p[4:], 10)
	add("plen-short", p, 0)
	add("short-wire", IPv6(6, seg)[:30], 0)
	p = IPv6(6, seg)
	copy(p[8:], net.ParseIP("::ffff:192.0.2.1"))
	copy(p[24:], net.ParseIP("::1"))
	add("addr-mapped-loopback", p, 0)
	p = IPv6(6, seg)
	copy(p[8:], net.ParseIP("::192.0.2.1"))
	copy(p[24:], net.ParseIP("fe80::1:0:0:1"))
	add("addr-compat", p, 0)
	p = IPv6(6, seg)
	copy(p[8:], net.ParseIP("2001:db8:0:0:1:0:0:1"))
	copy(p[24:], net.ParseIP("::"))
	add("addr-runs", p, 0)
	p = IPv6(6, seg)
	copy(p[8:], net.ParseIP("1:0:2:3:4:5:6:0"))
	copy(p[24:], net.ParseIP("::2"))
	add("addr-single-zero", p, 0)
	return cs
}

// ICMPCases are a few ICMP and ICMPv6 records, so that the catalogue
// covers every protocol the text printer dispatches.
func ICMPCases() []Case {
	echo := IPv4(1, []byte{8, 0, 0xf7, 0xfd, 0, 1, 0, 1})
	reply6 := IPv6(58, []byte{129, 0, 0, 0, 0, 7, 0, 1, 'a', 'b'})
	unreach := IPv4(1, append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, IPv4(17, UDPRaw(40000, 33434, []byte("x")))...))
	return []Case{
		{Name: "ip4/icmp/echo", Record: Record{Packet: echo}},
		{Name: "ip4/icmp/port-unreach", Record: Record{Packet: unreach}},
		{Name: "ip4/icmp/port-unreach/snap116", Record: Record{Packet: unreach, Snap: SnapPflogd}},
		{Name: "ip6/icmp6/echo-reply", Record: Record{Packet: reply6}},
	}
}

// TCPPacket builds an IPv4 or IPv6 packet around t and payload with
// gopacket, with correct lengths and checksums.
func TCPPacket(v6 bool, t layers.TCP, payload []byte) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	if v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src6, DstIP: dst6}
		_ = t.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, &t, gopacket.Payload(payload))
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 4660, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP, SrcIP: src4, DstIP: dst4}
		_ = t.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, &t, gopacket.Payload(payload))
	}
	if err != nil {
		panic("gen: serialize TCP: " + err.Error())
	}
	return append([]byte(nil), buf.Bytes()...)
}

// UDPPacket builds an IPv4 or IPv6 UDP packet with gopacket.
func UDPPacket(v6 bool, sport, dport uint16, payload []byte) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	var err error
	if v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: src6, DstIP: dst6}
		_ = u.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, u, gopacket.Payload(payload))
	} else {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src4, DstIP: dst4}
		_ = u.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, u, gopacket.Payload(payload))
	}
	if err != nil {
		panic("gen: serialize UDP: " + err.Error())
	}
	return append([]byte(nil), buf.Bytes()...)
}

// IPv4 builds an IPv4 packet by hand (header checksum included) around a
// payload, for cases gopacket cannot express.
func IPv4(proto byte, payload []byte) []byte {
	return IPv4Opts(proto, payload, nil)
}

// IPv4Opts is IPv4 with header options (len(opts) a multiple of 4).
func IPv4Opts(proto byte, payload, opts []byte) []byte {
	hl := 20 + len(opts)
	b := make([]byte, hl, hl+len(payload))
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+len(payload)))
	binary.BigEndian.PutUint16(b[4:], 4660)
	b[8] = 64
	b[9] = proto
	copy(b[12:], src4)
	copy(b[16:], dst4)
	copy(b[20:], opts)
	fix4(b)
	return append(b, payload...)
}

// fix4 recomputes an IPv4 header checksum.
func fix4(b []byte) {
	hl := int(b[0]&0xf) * 4
	if hl > len(b) {
		return
	}
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:], ^sum16(b[:hl], 0))
}

func sum16(b []byte, s uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// IPv6 builds an IPv6 packet by hand around a payload whose first header
// is nh.
func IPv6(nh byte, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = nh
	b[7] = 64
	copy(b[8:], src6)
	copy(b[24:], dst6)
	return append(b, payload...)
}

// TCPRaw builds a TCP segment by hand (checksum left zero; tcpdump does
// not check it without -v). opts is padded to a multiple of 4 with NOPs
// only if the caller did so; a length that is not a multiple of 4 is
// padded with zero (EOL) bytes.
func TCPRaw(sport, dport uint16, flags byte, opts, payload []byte) []byte {
	for len(opts)%4 != 0 {
		opts = append(opts[:len(opts):len(opts)], 0)
	}
	hl := 20 + len(opts)
	b := make([]byte, hl, hl+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], 123456789)
	if flags&0x10 != 0 {
		binary.BigEndian.PutUint32(b[8:], 987654321)
	}
	b[12] = byte(hl/4) << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	copy(b[20:], opts)
	return append(b, payload...)
}

// UDPRaw builds a UDP datagram by hand (checksum zero).
func UDPRaw(sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	return append(b, payload...)
}
