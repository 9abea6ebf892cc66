// Package packettest builds real IP packets (with gopacket's layers) and a
// catalogue of pflog records around them, for the tests of the packet
// decoder, the structured formats and the sinks. It is test support only;
// the daemon never imports it.
package packettest

import (
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// Serialize builds a packet from layers with lengths and checksums fixed.
func Serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// V4 returns an IPv4 header from src to dst carrying proto.
func V4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0x1234, Flags: layers.IPv4DontFragment,
		Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

// V6 returns an IPv6 header from src to dst with next header nh.
func V6(src, dst string, nh layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: nh,
		SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

// TCPSyn returns a SYN from sport to dport with MSS, SACK-permitted,
// timestamp, NOP and window-scale options (a typical scanner/client SYN).
func TCPSyn(sport, dport uint16, ip interface{ gopacket.NetworkLayer }) *layers.TCP {
	t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 1000, SYN: true, Window: 65535,
		Options: []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{0, 0, 0, 1, 0, 0, 0, 0}},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}}
	_ = t.SetNetworkLayerForChecksum(ip)
	return t
}

// Case is one catalogue entry: a pflog record and what the packet is.
type Case struct {
	Name string
	Hdr  pflog.Header
	IP   []byte // the whole packet as on the wire
	Snap int    // capture length of the IP part; 0 = whole packet
}

// Captured returns the captured part of the packet (cut to Snap).
func (c *Case) Captured() []byte {
	if c.Snap > 0 && c.Snap < len(c.IP) {
		return c.IP[:c.Snap]
	}
	return c.IP
}

// Time is the capture time every catalogue record carries:
// 2025-11-21T10:16:42.123456 UTC.
const (
	Sec  = 1763720202
	Nsec = 123456789
)

// Packet returns the source.Packet for the case (its own copy).
func (c *Case) Packet() *source.Packet {
	data := c.Hdr.AppendEncoded(nil)
	data = append(data, c.Captured()...)
	return &source.Packet{Sec: Sec, Nsec: Nsec, WireLen: pflog.HeaderSize(c.Hdr.AppendEncoded(nil)[0]) + len(c.IP), Data: data}
}

// Catalogue returns the test records: every protocol the decoder knows,
// fragments, options, cut-short captures, anchors, uids, ridentifiers,
// every action and direction word, unknown values and hostile names.
func Catalogue() []Case {
	var cs []Case
	add := func(name string, h pflog.Header, ip []byte, snap int) {
		cs = append(cs, Case{Name: name, Hdr: h, IP: ip, Snap: snap})
	}
	h4 := gen.DefaultHeader(pflog.AFInet)
	h6 := gen.DefaultHeader(pflog.AFInet6)

	ip4 := V4("198.51.100.7", "192.0.2.1", layers.IPProtocolTCP)
	syn4 := Serialize(ip4, TCPSyn(54321, 22, ip4))
	add("tcp4-syn", h4, syn4, 0)
	add("tcp4-syn-snap116", h4, syn4, 116-72)
	add("tcp4-syn-snap30", h4, syn4, 30)
	add("tcp4-ip-only", h4, syn4, 20)
	add("tcp4-cut-ip", h4, syn4, 10)

	ip4b := V4("198.51.100.7", "192.0.2.1", layers.IPProtocolTCP)
	ip4b.TOS = 0x13
	t := &layers.TCP{SrcPort: 443, DstPort: 40000, Seq: 7, Ack: 99, ACK: true, PSH: true, URG: true, Urgent: 3, Window: 512}
	_ = t.SetNetworkLayerForChecksum(ip4b)
	add("tcp4-push-ack-data", h4, Serialize(ip4b, t, gopacket.Payload("hello, world")), 0)

	u4 := V4("203.0.113.9", "192.0.2.1", layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 5353, DstPort: 53}
	_ = u.SetNetworkLayerForChecksum(u4)
	add("udp4-dns", h4, Serialize(u4, u, gopacket.Payload("0123456789abcdef")), 0)

	i4 := V4("203.0.113.9", "192.0.2.1", layers.IPProtocolICMPv4)
	add("icmp4-echo", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 77, Seq: 3}, gopacket.Payload("pingpingpingping")), 0)
	add("icmp4-echo-reply", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(0, 0), Id: 77, Seq: 3}), 0)
	// Port unreachable quoting a UDP packet.
	qi := V4("192.0.2.1", "203.0.113.9", layers.IPProtocolUDP)
	qu := &layers.UDP{SrcPort: 53, DstPort: 33434}
	_ = qu.SetNetworkLayerForChecksum(qi)
	quoted := Serialize(qi, qu)
	add("icmp4-unreach-port", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(quoted)), 0)
	add("icmp4-unreach-proto", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 2)}, gopacket.Payload(quoted)), 0)
	add("icmp4-unreach-host", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 1)}, gopacket.Payload(quoted)), 0)
	add("icmp4-needfrag", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 4), Seq: 1400}, gopacket.Payload(quoted)), 0)
	add("icmp4-timex", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(11, 0)}, gopacket.Payload(quoted)), 0)
	add("icmp4-paramprob", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(12, 0), Id: 0x0500}, gopacket.Payload(quoted)), 0)
	add("icmp4-redirect", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(5, 1), Id: 0xc000, Seq: 0x0201}, gopacket.Payload(quoted)), 0)
	add("icmp4-tstamp", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(13, 0), Id: 5, Seq: 6}, gopacket.Payload(make([]byte, 12))), 0)
	add("icmp4-tstampreply", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(14, 0), Id: 5, Seq: 6},
		gopacket.Payload([]byte{0, 0x36, 0xee, 0x80, 0, 0, 0, 1, 0x05, 0x26, 0x5c, 0x00})), 0)
	add("icmp4-unknown-type", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(42, 7)}), 0)
	add("icmp4-echo-cut", h4, Serialize(i4, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 77, Seq: 3}), 24)

	// Fragments.
	f1 := V4("198.51.100.8", "192.0.2.1", layers.IPProtocolUDP)
	f1.Flags = layers.IPv4MoreFragments
	fu := &layers.UDP{SrcPort: 1000, DstPort: 2000}
	_ = fu.SetNetworkLayerForChecksum(f1)
	add("udp4-first-fragment", h4, Serialize(f1, fu, gopacket.Payload(make([]byte, 32))), 0)
	f2 := V4("198.51.100.8", "192.0.2.1", layers.IPProtocolUDP)
	f2.Flags = 0
	f2.FragOffset = 5
	add("udp4-last-fragment", h4, Serialize(f2, gopacket.Payload(make([]byte, 16))), 0)

	// IP options (router alert) and other protocols.
	o4 := V4("198.51.100.9", "224.0.0.22", layers.IPProtocolIGMP)
	o4.Options = []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}
	add("igmp4-ipopts", h4, Serialize(o4, gopacket.Payload([]byte{0x22, 0, 0xfa, 0x01, 0, 0, 0, 0})), 0)
	g4 := V4("198.51.100.9", "192.0.2.1", layers.IPProtocolGRE)
	add("gre4", h4, Serialize(g4, gopacket.Payload([]byte{0, 0, 0x08, 0})), 0)
	// AH in IPv4: tcpdump prints it and the TCP SYN it protects.
	a4 := V4("198.51.100.10", "192.0.2.1", layers.IPProtocolAH)
	add("ah4-tcp-syn", h4, Serialize(a4, gopacket.Payload(append([]byte{6, 4, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
		0x9c, 0x40, 0, 22, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0))), 0)
	c4 := V4("192.0.2.2", "224.0.0.18", 112)
	c4.TTL = 255
	add("carp4", h4, Serialize(c4, gopacket.Payload([]byte{0x21, 5, 0, 1, 0, 1, 0, 0, 1, 2, 3, 4})), 0)

	// IPv6.
	ip6 := V6("2001:db8::7", "2001:db8::1", layers.IPProtocolTCP)
	ip6.TrafficClass = 0x2e
	ip6.FlowLabel = 0x12345
	syn6 := Serialize(ip6, TCPSyn(40000, 443, ip6))
	add("tcp6-syn", h6, syn6, 0)
	add("tcp6-syn-snap116", h6, syn6, 116-72)
	u6 := V6("2001:db8::9", "2001:db8::1", layers.IPProtocolUDP)
	uu := &layers.UDP{SrcPort: 123, DstPort: 123}
	_ = uu.SetNetworkLayerForChecksum(u6)
	add("udp6-ntp", h6, Serialize(u6, uu, gopacket.Payload(make([]byte, 48))), 0)
	e6 := V6("2001:db8::9", "2001:db8::1", layers.IPProtocolICMPv6)
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}
	_ = ic.SetNetworkLayerForChecksum(e6)
	add("icmp6-echo", h6, Serialize(e6, ic, &layers.ICMPv6Echo{Identifier: 9, SeqNumber: 1}, gopacket.Payload("abcd")), 0)
	ns := V6("fe80::1", "ff02::1:ff00:1", layers.IPProtocolICMPv6)
	ns.HopLimit = 255
	ic2 := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(135, 0)}
	_ = ic2.SetNetworkLayerForChecksum(ns)
	add("icmp6-neighbor-solicit", h6, Serialize(ns, ic2, gopacket.Payload(make([]byte, 20))), 0)
	// Hop-by-hop options then ICMPv6 (an MLD report).
	hb := V6("fe80::2", "ff02::16", layers.IPProtocolIPv6HopByHop)
	hbh := []byte{58, 0, 5, 2, 0, 0, 1, 0}
	mld := []byte{143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb}
	add("icmp6-hopbyhop-mld", h6, Serialize(hb, gopacket.Payload(append(hbh, mld...))), 0)
	// Fragment header, first fragment of TCP, and a later fragment.
	fr := V6("2001:db8::7", "2001:db8::1", layers.IPProtocolIPv6Fragment)
	tcpb := Serialize(ip6, TCPSyn(40000, 8080, ip6))[40:]
	add("tcp6-first-fragment", h6, Serialize(fr, gopacket.Payload(append([]byte{6, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef}, tcpb...))), 0)
	add("tcp6-later-fragment", h6, Serialize(fr, gopacket.Payload(append([]byte{6, 0, 0, 0x18, 0xde, 0xad, 0xbe, 0xef}, make([]byte, 16)...))), 0)

	// Header variations on one packet.
	with := func(name string, f func(h *pflog.Header)) {
		h := h4
		f(&h)
		add(name, h, syn4, 0)
	}
	with("anchor", func(h *pflog.Header) { h.SetRuleset("sshguard"); h.SubRuleNr = 3 })
	with("anchor-comma-quote", func(h *pflog.Header) { h.SetRuleset("a,b\"c\\d"); h.SubRuleNr = 0 })
	with("anchor-control-bytes", func(h *pflog.Header) { copy(h.Ruleset[:], "x\n\ty\x01\x7f\xff\xc3"); h.SubRuleNr = 9 })
	with("ifname-hostile", func(h *pflog.Header) { copy(h.IfName[:], "em0\"},\n\x00") })
	with("ifname-utf8", func(h *pflog.Header) { h.SetIfName("wlän0") })
	with("ifname-full-16", func(h *pflog.Header) { copy(h.IfName[:], "abcdefghijklmnop") })
	with("uid-ridentifier", func(h *pflog.Header) { h.UID = 1001; h.RIdentifier = 1000000103 })
	with("pass-out", func(h *pflog.Header) { h.Action = pflog.ActionPass; h.Dir = pflog.DirOut })
	with("match-inout", func(h *pflog.Header) { h.Action = pflog.ActionMatch; h.Dir = pflog.DirInOut })
	with("action-unknown", func(h *pflog.Header) { h.Action = 13; h.Reason = 99; h.Dir = 7 })
	with("reason-state-mismatch", func(h *pflog.Header) { h.Reason = pflog.ReasonBadState })
	with("rdr-legacy", func(h *pflog.Header) { h.Layout = pflog.LayoutLegacy; h.Action = pflog.ActionRDR })
	with("openbsd-fwd", func(h *pflog.Header) { h.Layout = pflog.LayoutOpenBSD; h.Dir = pflog.DirFwd; h.Action = 13 })

	// Not IP at all, and empty.
	add("not-ip", h4, []byte{0x00, 0x01, 0x02, 0x03, 0x04}, 0)
	add("empty", h4, []byte{}, 0)
	return cs
}
