package tcpdump

import (
	"encoding/binary"
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// This file is the catalogue of ICMP and ICMPv6 messages the printers are
// checked with, against tcpdump (icmp_test.go) and the golden file. Every
// case is a whole message as sent; the tests also cut each one at every
// length, as a short snapshot length does.

// icmpCase is one ICMP (V6 false) or ICMPv6 (V6 true) message.
type icmpCase struct {
	Name string
	V6   bool
	Msg  []byte // the message; its checksum is filled in by the packet builders
}

// Addresses of the outer packets.
var (
	icmpTestSrc4 = net.IPv4(192, 0, 2, 1).To4()
	icmpTestDst4 = net.IPv4(198, 51, 100, 2).To4()
	icmpTestSrc6 = net.ParseIP("2001:db8::1")
	icmpTestDst6 = net.ParseIP("2001:db8:0:1::2")
)

// icmpMsg returns type, code, a zero checksum, the 4-byte word after it
// and the rest.
func icmpMsg(typ, code byte, word uint32, rest ...[]byte) []byte {
	b := []byte{typ, code, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[4:], word)
	for _, r := range rest {
		b = append(b, r...)
	}
	return b
}

func idSeq(id, seq uint16) uint32 { return uint32(id)<<16 | uint32(seq) }

func icmpBytes(n int, fill byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = fill + byte(i)
	}
	return b
}

func be16b(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32b(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// inner4 returns an IPv4 header (with options opts) from 10.0.0.1 to dst
// carrying proto, followed by payload, as an ICMP error quotes it.
func inner4(proto byte, dst string, opts []byte, payload []byte) []byte {
	hl := 20 + len(opts)
	h := make([]byte, hl)
	h[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(h[2:], uint16(hl+len(payload)+100))
	binary.BigEndian.PutUint16(h[4:], 0x1234)
	h[8] = 1
	h[9] = proto
	copy(h[12:], net.IPv4(10, 0, 0, 1).To4())
	copy(h[16:], net.ParseIP(dst).To4())
	copy(h[20:], opts)
	var sum uint32
	for i := 0; i < hl; i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	return append(h, payload...)
}

// ports returns the first 8 bytes of a TCP or UDP header.
func ports(sport, dport uint16) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint16(b, sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], 0x20)
	return b
}

// inner6 returns an IPv6 header from 2001:db8::99 to dst with next header
// nh, followed by payload (extension headers and upper layer).
func inner6(nh byte, dst string, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)+200))
	h[6] = nh
	h[7] = 64
	copy(h[8:], net.ParseIP("2001:db8::99"))
	copy(h[24:], net.ParseIP(dst))
	return append(h, payload...)
}

func ip6(s string) []byte { return net.ParseIP(s).To16() }
func ip4(s string) []byte { return net.ParseIP(s).To4() }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// icmpCases returns the ICMP and ICMPv6 catalogue.
func icmpCases() []icmpCase {
	var cs []icmpCase
	add4 := func(name string, msg []byte) { cs = append(cs, icmpCase{Name: name, Msg: msg}) }
	add6 := func(name string, msg []byte) { cs = append(cs, icmpCase{Name: name, V6: true, Msg: msg}) }

	// ---- ICMP ----
	udp53 := inner4(17, "10.0.0.53", nil, ports(40000, 53))
	tcp22 := inner4(6, "10.0.0.22", nil, ports(50000, 22))
	add4("echo-request", icmpMsg(8, 0, idSeq(1, 2), icmpBytes(56, 0x10)))
	add4("echo-reply", icmpMsg(0, 0, idSeq(65535, 65535), icmpBytes(56, 0x10)))
	add4("echo-request-empty", icmpMsg(8, 0, idSeq(0x1234, 7)))
	add4("echo-request-code9", icmpMsg(8, 9, idSeq(3, 4), icmpBytes(8, 1)))
	for code := 0; code <= 16; code++ {
		add4("unreach-udp-code"+itoa(code), icmpMsg(3, byte(code), 0, udp53))
	}
	add4("unreach-code255", icmpMsg(3, 255, 0, udp53))
	add4("unreach-port-tcp", icmpMsg(3, 3, 0, tcp22))
	add4("unreach-port-gre", icmpMsg(3, 3, 0, inner4(47, "10.9.8.7", nil, []byte{0, 0, 8, 0, 1, 2, 3, 4})))
	add4("unreach-port-icmp", icmpMsg(3, 3, 0, inner4(1, "10.9.8.7", nil, icmpMsg(8, 0, idSeq(1, 1)))))
	add4("unreach-port-udp-ipopts", icmpMsg(3, 3, 0, inner4(17, "10.1.1.1", []byte{1, 1, 1, 0}, ports(1, 161))))
	add4("unreach-port-udp-60byte-hdr", icmpMsg(3, 3, 0, inner4(17, "10.1.1.1", icmpBytes(40, 0), ports(1, 514))))
	bad := inner4(17, "10.2.2.2", nil, ports(7, 9))
	bad[0] = 0x40 // header length 0: tcpdump reads the "port" from the IP header
	add4("unreach-port-hlen0", icmpMsg(3, 3, 0, bad))
	add4("unreach-port-full-udp", icmpMsg(3, 3, 0, inner4(17, "10.0.0.53", nil, cat(ports(40000, 53), icmpBytes(40, 0x61)))))
	add4("unreach-needfrag-mtu", icmpMsg(3, 4, 1400, tcp22))
	add4("unreach-needfrag-nomtu", icmpMsg(3, 4, 0, tcp22))
	add4("unreach-needfrag-mtu65535", icmpMsg(3, 4, 0xabcdffff, tcp22))
	add4("unreach-net-short-quote", icmpMsg(3, 0, 0, inner4(17, "10.0.0.53", nil, nil)))
	for code := 0; code <= 4; code++ {
		add4("redirect-code"+itoa(code), icmpMsg(5, byte(code), 0xc0000201, tcp22))
	}
	add4("redirect-code200", icmpMsg(5, 200, 0x0a000001, udp53))
	add4("source-quench", icmpMsg(4, 0, 0, udp53))
	add4("router-advert", icmpMsg(9, 0, 0x02021800|0, cat(ip4("192.0.2.254"), be32b(0), ip4("192.0.2.253"), be32b(0xffffffff))))
	add4("router-advert-lifetime0", icmpMsg(9, 0, 0x01020000, cat(ip4("10.0.0.1"), be32b(5))))
	add4("router-advert-lifetime59", icmpMsg(9, 0, 0x0102003b, cat(ip4("10.0.0.1"), be32b(5))))
	add4("router-advert-lifetime60", icmpMsg(9, 0, 0x0102003c, cat(ip4("10.0.0.1"), be32b(5))))
	add4("router-advert-lifetime3599", icmpMsg(9, 0, 0x01020e0f, cat(ip4("10.0.0.1"), be32b(5))))
	add4("router-advert-lifetime3600", icmpMsg(9, 0, 0x01020e10, cat(ip4("10.0.0.1"), be32b(5))))
	add4("router-advert-lifetime65535", icmpMsg(9, 0, 0x0102ffff, cat(ip4("10.0.0.1"), be32b(5))))
	var many []byte
	for i := 0; i < 20; i++ {
		many = append(many, 192, 168, byte(100+i), byte(200+i))
		many = append(many, be32b(uint32(1000000+i))...)
	}
	add4("router-advert-long-text", icmpMsg(9, 0, 0x14020708, many))
	add4("router-advert-none", icmpMsg(9, 0, 0x00020708))
	add4("router-advert-size3", icmpMsg(9, 0, 0x01030708, icmpBytes(12, 0)))
	add4("router-advert-num-too-big", icmpMsg(9, 0, 0x05020708, cat(ip4("10.0.0.1"), be32b(5))))
	add4("router-solicit", icmpMsg(10, 0, 0))
	add4("time-exceeded-transit", icmpMsg(11, 0, 0, udp53))
	add4("time-exceeded-reass", icmpMsg(11, 1, 0, udp53))
	add4("time-exceeded-code7", icmpMsg(11, 7, 0, udp53))
	add4("paramprob-octet", icmpMsg(12, 0, 20<<24, udp53))
	add4("paramprob-optabsent", icmpMsg(12, 1, 0, udp53))
	add4("paramprob-code2", icmpMsg(12, 2, 0, udp53))
	add4("tstamp-request", icmpMsg(13, 0, idSeq(10, 11), be32b(45296789), be32b(0), be32b(0)))
	add4("tstamp-reply", icmpMsg(14, 0, idSeq(10, 11), be32b(45296789), be32b(45296790), be32b(86399999)))
	add4("tstamp-reply-huge", icmpMsg(14, 0, idSeq(0, 0), be32b(0xffffffff), be32b(0x80000000), be32b(999)))
	add4("info-request", icmpMsg(15, 0, idSeq(1, 1)))
	add4("info-reply", icmpMsg(16, 0, idSeq(1, 1)))
	add4("mask-request", icmpMsg(17, 0, idSeq(1, 1), be32b(0)))
	add4("mask-reply", icmpMsg(18, 0, idSeq(1, 1), be32b(0xffffff00)))
	add4("mask-reply-small", icmpMsg(18, 0, idSeq(1, 1), be32b(0xf)))
	for _, t := range []byte{1, 2, 6, 7, 19, 30, 37, 40, 42, 43, 127, 255} {
		add4("type"+itoa(int(t)), icmpMsg(t, 0, 0, icmpBytes(8, 0)))
	}
	add4("two-bytes", []byte{8, 0})
	add4("one-byte", []byte{8})
	add4("empty", []byte{})

	// ---- ICMPv6 ----
	in6udp := inner6(17, "2001:db8:1::53", ports(40000, 53))
	in6tcp := inner6(6, "2001:db8:1::22", ports(50000, 22))
	add6("echo-request", icmpMsg(128, 0, idSeq(1, 2), icmpBytes(56, 0x10)))
	add6("echo-reply", icmpMsg(129, 0, idSeq(0xffff, 0), icmpBytes(8, 0x10)))
	add6("echo-request-empty", icmpMsg(128, 0, idSeq(9, 9)))
	for code := 0; code <= 7; code++ {
		add6("unreach-udp-code"+itoa(code), icmpMsg(1, byte(code), 0, in6udp))
	}
	add6("unreach-code255", icmpMsg(1, 255, 0, in6udp))
	add6("unreach-port-tcp", icmpMsg(1, 4, 0, in6tcp))
	add6("unreach-port-icmp6", icmpMsg(1, 4, 0, inner6(58, "2001:db8:1::1", icmpMsg(128, 0, 0))))
	add6("unreach-port-hbh-udp", icmpMsg(1, 4, 0, inner6(0, "2001:db8:1::1", cat([]byte{17, 0, 1, 4, 0, 0, 0, 0}, ports(5, 514)))))
	add6("unreach-port-dst-rt-udp", icmpMsg(1, 4, 0, inner6(60, "2001:db8:1::1", cat([]byte{43, 1}, icmpBytes(14, 0), []byte{17, 0, 0, 0, 0, 0, 0, 0}, ports(5, 123)))))
	add6("unreach-port-frag0-tcp", icmpMsg(1, 4, 0, inner6(44, "2001:db8:1::1", cat([]byte{6, 0, 0, 1, 0, 0, 0, 1}, ports(5, 443)))))
	add6("unreach-port-frag8-tcp", icmpMsg(1, 4, 0, inner6(44, "2001:db8:1::1", cat([]byte{6, 0, 0, 8, 0, 0, 0, 1}, ports(5, 443)))))
	add6("unreach-port-ah-udp", icmpMsg(1, 4, 0, inner6(51, "2001:db8:1::1", cat([]byte{17, 4}, icmpBytes(22, 0), ports(5, 500)))))
	add6("unreach-port-esp", icmpMsg(1, 4, 0, inner6(50, "2001:db8:1::1", icmpBytes(16, 0))))
	add6("unreach-addr-mapped", icmpMsg(1, 3, 0, inner6(17, "::ffff:10.1.2.3", ports(1, 2))))
	add6("unreach-addr-compat", icmpMsg(1, 0, 0, inner6(17, "::10.1.2.3", ports(1, 2))))
	add6("unreach-addr-zeros", icmpMsg(1, 1, 0, inner6(17, "::", ports(1, 2))))
	add6("unreach-addr-long-run", icmpMsg(1, 1, 0, inner6(17, "1:0:0:2:0:0:0:3", ports(1, 2))))
	add6("unreach-addr-tie-run", icmpMsg(1, 1, 0, inner6(17, "1:0:0:2:3:0:0:4", ports(1, 2))))
	add6("unreach-addr-single-zero", icmpMsg(1, 1, 0, inner6(17, "1:0:2:3:4:5:6:7", ports(1, 2))))
	add6("unreach-addr-trailing", icmpMsg(1, 1, 0, inner6(17, "fe80::", ports(1, 2))))
	add6("packet-too-big", icmpMsg(2, 0, 1280, in6tcp))
	add6("packet-too-big-huge", icmpMsg(2, 0, 0xffffffff, in6tcp))
	add6("time-exceeded-transit", icmpMsg(3, 0, 0, in6udp))
	add6("time-exceeded-reass", icmpMsg(3, 1, 0, in6udp))
	add6("time-exceeded-code2", icmpMsg(3, 2, 0, in6udp))
	for code := 0; code <= 4; code++ {
		add6("paramprob-code"+itoa(code), icmpMsg(4, byte(code), 6, in6udp))
	}
	add6("paramprob-short", icmpMsg(4, 0, 6, icmpBytes(20, 0)))
	add6("mld-query", icmpMsg(130, 0, 1000<<16, ip6("::")))
	add6("mld-query-group", icmpMsg(130, 0, 0, ip6("ff02::1:3")))
	add6("mld-query-bad-len", icmpMsg(130, 0, 0, ip6("ff02::1:3"), []byte{1, 2}))
	add6("mldv2-query", icmpMsg(130, 0, 10000<<16, ip6("::"), []byte{2, 125, 0, 0}))
	add6("mldv2-query-sources", icmpMsg(130, 0, 0x8000<<16, ip6("ff05::2"), []byte{0x0a, 200, 0, 2}, ip6("2001:db8::5"), ip6("2001:db8::6")))
	add6("mldv2-query-too-many-sources", icmpMsg(130, 0, 0, ip6("ff05::2"), []byte{0, 0, 0, 3}, ip6("2001:db8::5")))
	add6("mld-report", icmpMsg(131, 0, 0, ip6("ff02::fb")))
	add6("mld-done", icmpMsg(132, 0, 0, ip6("ff02::fb")))
	add6("mld-report-short", icmpMsg(131, 0, 0, ip6("ff02::fb")[:8]))
	add6("mldv2-report", icmpMsg(143, 0, 2,
		[]byte{4, 0, 0, 0}, ip6("ff02::fb"),
		[]byte{1, 0, 0, 1}, ip6("ff05::1:3"), ip6("2001:db8::7")))
	add6("mldv2-report-no-groups", icmpMsg(143, 0, 0))
	add6("mldv2-report-short", []byte{143, 0, 0, 0, 0, 0})
	add6("router-solicit", icmpMsg(133, 0, 0, []byte{1, 1, 0, 0x11, 0x22, 0x33, 0x44, 0x55}))
	add6("router-advert", icmpMsg(134, 0, 0x40c00708, be32b(0), be32b(0), []byte{1, 1, 0, 0x11, 0x22, 0x33, 0x44, 0x55},
		[]byte{3, 4, 64, 0xc0}, be32b(86400), be32b(14400), be32b(0), ip6("2001:db8:5::")))
	add6("neighbor-solicit", icmpMsg(135, 0, 0, ip6("fe80::1"), []byte{1, 1, 2, 0, 0, 0, 0, 1}))
	add6("neighbor-advert", icmpMsg(136, 0, 0xe0000000, ip6("2001:db8::1"), []byte{2, 1, 2, 0, 0, 0, 0, 1}))
	add6("neighbor-solicit-dad", icmpMsg(135, 0, 0, ip6("fe80::a00:27ff:fe4e:66a1")))
	add6("redirect", icmpMsg(137, 0, 0, ip6("fe80::1"), ip6("2001:db8:9::9")))
	add6("router-renum-command", icmpMsg(138, 0, 77,
		[]byte{1, 0x18, 0, 0}, be32b(0),
		[]byte{1, 7, 2, 48, 48, 64, 0, 0}, ip6("2001:db8::"),
		[]byte{64, 48, 0xff, 0xc0}, be32b(3600), be32b(1800), be32b(0xc0000000), ip6("2001:db8:1::")))
	add6("router-renum-command-noflags", icmpMsg(138, 0, 1,
		[]byte{2, 0, 0, 0}, be32b(0),
		[]byte{9, 3, 0, 64, 0, 128, 0, 0}, ip6("fe80::")))
	add6("router-renum-command-two-uses", icmpMsg(138, 0, 5,
		[]byte{0, 0, 0, 0}, be32b(0),
		[]byte{3, 11, 0, 64, 0, 128, 0, 0}, ip6("2001:db8::"),
		[]byte{64, 48, 0, 0}, be32b(1), be32b(2), be32b(0x80000000), ip6("2001:db8:1::"),
		[]byte{64, 48, 0, 0}, be32b(1), be32b(2), be32b(0x40000000), ip6("2001:db8:2::")))
	add6("router-renum-command-badlen", icmpMsg(138, 0, 5,
		[]byte{0, 0, 0, 0}, be32b(0),
		[]byte{3, 5, 0, 64, 0, 128, 0, 0}, ip6("2001:db8::")))
	add6("router-renum-command-lenzero", icmpMsg(138, 0, 5,
		[]byte{0, 0, 0, 0}, be32b(0),
		[]byte{3, 0, 0, 64, 0, 128, 0, 0}, ip6("2001:db8::")))
	add6("router-renum-result", icmpMsg(138, 1, 2, []byte{0, 0, 0, 0}, be32b(0)))
	add6("router-renum-reset", icmpMsg(138, 255, 3, []byte{0, 0, 0, 0}, be32b(0)))
	add6("router-renum-code9", icmpMsg(138, 9, 4, []byte{0, 0, 0, 0}, be32b(0)))
	nonce := icmpBytes(8, 0xa0)
	add6("ni-who-are-you", icmpMsg(139, 0, 0, []byte{1, 2, 3, 4}))
	add6("ni-query-noop", icmpMsg(139, 1, 0, nonce))
	add6("ni-query-supported", icmpMsg(139, 1, 1<<16|1, nonce))
	add6("ni-query-supported-noflag", icmpMsg(139, 1, 1<<16|2, nonce))
	add6("ni-query-name-ipv6", icmpMsg(139, 0, 2<<16, nonce, ip6("2001:db8::1")))
	add6("ni-query-name-ipv6-badlen", icmpMsg(139, 0, 2<<16, nonce, ip6("2001:db8::1"), []byte{0, 0}))
	add6("ni-query-name-fqdn", icmpMsg(139, 1, 2<<16, nonce, []byte("\x03www\x07example\x03com\x00")))
	add6("ni-query-name-fqdn-partial", icmpMsg(139, 1, 2<<16, nonce, []byte("\x03www\x07example\x00\x00")))
	add6("ni-query-name-fqdn-junk", icmpMsg(139, 1, 2<<16, nonce, []byte("\x03w\x01w\x00\x01\x02")))
	add6("ni-query-name-fqdn-overrun", icmpMsg(139, 1, 2<<16, nonce, []byte("\x03www\x20abc")))
	add6("ni-query-name-fqdn-ctrl", icmpMsg(139, 1, 2<<16, nonce, []byte("\x04a\x01\xff\x7f\x00")))
	add6("ni-query-name-pascal", icmpMsg(139, 1, 2<<16, nonce, []byte("\x0bhost.domain")))
	add6("ni-query-addrs-ipv4", icmpMsg(139, 2, 3<<16|0x3e, nonce, ip4("192.0.2.7")))
	add6("ni-query-addrs-ipv4-badlen", icmpMsg(139, 2, 3<<16|0x01, nonce, ip4("192.0.2.7"), []byte{0}))
	add6("ni-query-subject-unknown", icmpMsg(139, 9, 3<<16|0x7f, nonce, []byte{0, 0, 0, 0}))
	add6("ni-query-03-draft", icmpMsg(139, 0, 2<<16, nonce))
	add6("ni-query-qtype4", icmpMsg(139, 0, 4<<16, nonce, ip6("2001:db8::1")))
	add6("ni-reply-noop", icmpMsg(140, 0, 0, nonce))
	add6("ni-reply-supported", icmpMsg(140, 0, 1<<16|1, nonce, []byte{0, 0, 0, 0x1f}))
	add6("ni-reply-name", icmpMsg(140, 0, 2<<16|1, nonce, be32b(300), []byte("\x04host\x07example\x00")))
	add6("ni-reply-name-pascal", icmpMsg(140, 0, 2<<16, nonce, be32b(0), []byte("\x04host")))
	add6("ni-reply-name-empty", icmpMsg(140, 0, 2<<16, nonce, be32b(0)))
	add6("ni-reply-addrs", icmpMsg(140, 0, 3<<16|0x7f, nonce, be32b(60), ip6("2001:db8::1"), be32b(0xffffffff), ip6("fe80::1"), []byte{1, 2, 3}))
	add6("ni-reply-refused", icmpMsg(140, 1, 3<<16, nonce))
	add6("ni-reply-unknown", icmpMsg(140, 2, 3<<16, nonce, []byte{0}))
	add6("ni-reply-code7", icmpMsg(140, 7, 3<<16, nonce))
	add6("ni-reply-qtype9", icmpMsg(140, 0, 9<<16, nonce))
	add6("ni-reply-short", icmpMsg(140, 0, 0, []byte{1, 2}))
	add6("ind-solicit", icmpMsg(141, 0, 0, icmpBytes(8, 0)))
	add6("ind-advert", icmpMsg(142, 0, 0, icmpBytes(8, 0)))
	add6("ha-discovery-request", icmpMsg(144, 0, 0xbeef0000))
	add6("ha-discovery-reply", icmpMsg(145, 0, 0xbeef0000, ip6("2001:db8::1")))
	add6("mobile-prefix-solicit", icmpMsg(146, 0, 0x00420000))
	add6("mobile-prefix-advert", icmpMsg(147, 0, 0x0042c000))
	for _, code := range []byte{0, 1, 2, 3, 4, 0x7f, 0x80, 0x81} {
		add6("rpl-code"+itoa(int(code)), icmpMsg(155, code, 0, icmpBytes(24, 0)))
	}
	for _, t := range []byte{0, 5, 127, 148, 151, 160, 200, 201, 255} {
		add6("type"+itoa(int(t)), icmpMsg(t, 0, 0, icmpBytes(8, 0)))
	}
	add6("one-byte", []byte{128})
	add6("two-bytes", []byte{128, 0})
	add6("empty", []byte{})
	return cs
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// icmpChecksum fills in the checksum of an ICMP message (ICMPv6 with the
// pseudo-header of the outer test addresses).
func icmpChecksum(c icmpCase) []byte {
	m := append([]byte(nil), c.Msg...)
	if len(m) < 4 {
		return m
	}
	m[2], m[3] = 0, 0
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	if c.V6 {
		add(icmpTestSrc6)
		add(icmpTestDst6)
		add(be32b(uint32(len(m))))
		add([]byte{0, 0, 0, 58})
	}
	add(m)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(m[2:], ^uint16(sum))
	return m
}

// icmpPacket returns the whole IP packet around a case, built with
// gopacket, and the length of the IP header(s) before the message.
func icmpPacket(c icmpCase) ([]byte, int) {
	msg := icmpChecksum(c)
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	hl := 20
	if c.V6 {
		hl = 40
		err = gopacket.SerializeLayers(buf, opts, &layers.IPv6{
			Version: 6, HopLimit: 255, NextHeader: layers.IPProtocolICMPv6,
			SrcIP: icmpTestSrc6, DstIP: icmpTestDst6,
		}, gopacket.Payload(msg))
	} else {
		err = gopacket.SerializeLayers(buf, opts, &layers.IPv4{
			Version: 4, IHL: 5, TTL: 64, Id: 4321, Protocol: layers.IPProtocolICMPv4,
			SrcIP: icmpTestSrc4, DstIP: icmpTestDst4,
		}, gopacket.Payload(msg))
	}
	if err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...), hl
}
