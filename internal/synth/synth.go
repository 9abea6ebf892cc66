// Package synth generates large pflog captures fast, for benchmarks, the
// flood-control proof and the README demo. It builds a few dozen packet
// templates once with gopacket's layers, then for every record copies a
// template and patches addresses, ports, sequence numbers, IP ids and TCP
// timestamps in place (recomputing the IPv4 header checksum), so that a
// million records take well under a second; internal/gen writes them.
//
// Three mixes exist: Realistic (what a busy FreeBSD firewall logs: TCP
// with options and every common flag combination, UDP, ICMP, IPv6, rules
// in anchors, several interfaces, all three pflog layouts), Flood (port
// scanners with thousands of packets each, spoofed random-source noise and
// some legitimate traffic) and Sample (a fixed, hand-picked capture of
// about 40 records covering every kind of line).
package synth

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// Mix selects what kind of traffic Generate makes.
type Mix int

// The mixes.
const (
	Realistic Mix = iota
	Flood
	Sample
)

// ParseMix parses "realistic", "flood" or "sample".
func ParseMix(s string) (Mix, error) {
	switch s {
	case "realistic":
		return Realistic, nil
	case "flood":
		return Flood, nil
	case "sample":
		return Sample, nil
	}
	return 0, fmt.Errorf("unknown mix %q: want realistic, flood or sample", s)
}

// SampleStart is the fixed start of the Sample mix when Options.Start is
// zero, so that the README demo is reproducible.
var SampleStart = time.Date(2026, 11, 21, 0, 48, 13, 748353000, time.UTC)

// Options control Generate.
type Options struct {
	N    int    // records (ignored by Sample)
	Seed uint64 // random seed; the same seed gives the same capture
	// Snap cuts every record (pflog header included) to this many bytes,
	// as pflogd does (116 by default there); 0 keeps whole packets.
	Snap int
	Mix  Mix
	// Start is the first record's time. Zero means: end the capture now,
	// so that every timestamp is recent (fail2ban ignores lines older
	// than findtime); Sample uses SampleStart.
	Start time.Time
	// Rate is records per second of capture time (default 10000,
	// 100000 for Flood).
	Rate float64

	// Flood only: number of scanners (default N/4000, at least 1), and
	// the share of spoofed random-source noise and of legitimate traffic
	// in per mille (defaults 5 and 10).
	Scanners      int
	NoisePermille int
	LegitPermille int
}

// Generate writes a pcap file with link type PFLOG to w.
func Generate(w io.Writer, o Options) error {
	snap := o.Snap
	bw := bufio.NewWriterSize(w, 1<<20)
	pw, err := gen.NewWriter(bw, snap)
	if err != nil {
		return err
	}
	g := newGenerator(o)
	if o.Mix == Sample {
		err = g.sample(pw)
	} else {
		err = g.stream(func(r *gen.Record) error {
			g.out = gen.Encode(g.out[:0], r)
			if _, err := bw.Write(g.out); err != nil {
				return fmt.Errorf("write capture: %w", err)
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write capture: %w", err)
	}
	return nil
}

// kind names a packet template.
type kind int

const (
	kSyn kind = iota
	kSynAck
	kRst
	kRstAck
	kAck
	kFinAck
	kPshAck
	kUDP
	kDNS
	kEcho
	kEchoReply
	kUnreach
	kSyn6
	kAck6
	kUDP6
	kEcho6
	kSynNoOpts
	numKinds
)

// template is a prebuilt packet and where to patch it.
type template struct {
	pkt  []byte
	v6   bool
	l4   int // offset of the transport header
	tsv  int // offset of the TCP timestamp value, 0 if none
	ack  bool
	icmp bool // patch ICMP echo id/seq instead of ports
	quot int  // offset of a quoted IPv4 packet (ICMP error), 0 if none
}

type generator struct {
	o     Options
	rng   *rand.Rand
	tpl   [numKinds]template
	buf   []byte // packet being patched
	out   []byte // encoded records
	rec   gen.Record
	pool4 [][4]byte
	pool6 [][16]byte
	local [][4]byte
	loc6  [][16]byte
	start int64 // ns
	step  int64 // ns per record
}

func newGenerator(o Options) *generator {
	g := &generator{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
	g.buildTemplates()
	g.pool4 = make([][4]byte, 20000)
	for i := range g.pool4 {
		g.pool4[i] = g.public4()
	}
	g.pool6 = make([][16]byte, 4000)
	for i := range g.pool6 {
		var a [16]byte
		binary.BigEndian.PutUint64(a[0:], 0x2001_0db8_0000_0000|uint64(g.rng.Uint32()&0xffff)<<16|uint64(g.rng.IntN(16)))
		binary.BigEndian.PutUint64(a[8:], g.rng.Uint64()>>g.rng.UintN(64))
		g.pool6[i] = a
	}
	g.local = [][4]byte{{46, 38, 233, 77}, {46, 38, 233, 78}, {46, 38, 233, 80}, {10, 0, 0, 2}}
	g.loc6 = [][16]byte{ip6("2001:db8:1::1"), ip6("2001:db8:1::80"), ip6("2001:db8:1:2::25")}
	rate := o.Rate
	if rate <= 0 {
		rate = 10000
		if o.Mix == Flood {
			rate = 100000
		}
	}
	g.step = int64(1e9 / rate)
	if g.step < 1 {
		g.step = 1
	}
	switch {
	case !o.Start.IsZero():
		g.start = o.Start.UnixNano()
	case o.Mix == Sample:
		g.start = SampleStart.UnixNano()
	default:
		g.start = time.Now().UnixNano() - int64(o.N)*g.step
	}
	g.buf = make([]byte, 0, 2048)
	g.out = make([]byte, 0, 4096)
	return g
}

func ip6(s string) [16]byte { return [16]byte(net.ParseIP(s).To16()) }

// public4 returns a random unicast address outside private and reserved
// ranges.
func (g *generator) public4() [4]byte {
	for {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], g.rng.Uint32())
		switch {
		case a[0] == 0, a[0] == 10, a[0] == 127, a[0] >= 224,
			a[0] == 100 && a[1]&0xc0 == 64, a[0] == 169 && a[1] == 254,
			a[0] == 172 && a[1]&0xf0 == 16, a[0] == 192 && a[1] == 168:
			continue
		}
		return a
	}
}

var serOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	b := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(b, serOpts, ls...); err != nil {
		panic("synth: build template: " + err.Error())
	}
	return append([]byte(nil), b.Bytes()...)
}

func (g *generator) buildTemplates() {
	src4, dst4 := net.IP{198, 51, 100, 7}, net.IP{46, 38, 233, 77}
	src6, dst6 := net.ParseIP("2001:db8:99::7"), net.ParseIP("2001:db8:1::1")
	ip4 := func(p layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 52, Id: 1, Flags: layers.IPv4DontFragment, Protocol: p, SrcIP: src4, DstIP: dst4}
	}
	ip6l := func(p layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 55, NextHeader: p, SrcIP: src6, DstIP: dst6}
	}
	synOpts := []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
		{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{0, 0, 0, 1, 0, 0, 0, 0}},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
	}
	tsOpts := []layers.TCPOption{
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{0, 0, 0, 1, 0, 0, 0, 2}},
	}
	tcp := func(ip gopacket.NetworkLayer, t *layers.TCP, payload []byte) []byte {
		t.SetNetworkLayerForChecksum(ip)
		if payload != nil {
			return serialize(ip.(gopacket.SerializableLayer), t, gopacket.Payload(payload))
		}
		return serialize(ip.(gopacket.SerializableLayer), t)
	}
	// TS val sits 2 bytes into the option; synOpts put it at 20+4+2+2,
	// tsOpts at 20+1+1+2.
	const synTS, ackTS = 28, 24
	mk := func(k kind, v6 bool, t *layers.TCP, payload []byte, ts int) {
		var ip gopacket.NetworkLayer = ip4(layers.IPProtocolTCP)
		l4 := 20
		if v6 {
			ip, l4 = ip6l(layers.IPProtocolTCP), 40
		}
		g.tpl[k] = template{pkt: tcp(ip, t, payload), v6: v6, l4: l4, ack: t.ACK}
		if ts > 0 {
			g.tpl[k].tsv = l4 + ts
		}
	}
	mk(kSyn, false, &layers.TCP{SrcPort: 41854, DstPort: 22, Seq: 1, SYN: true, Window: 64240, Options: synOpts}, nil, synTS)
	mk(kSynNoOpts, false, &layers.TCP{SrcPort: 41854, DstPort: 23, Seq: 1, SYN: true, Window: 1024}, nil, 0)
	mk(kSynAck, false, &layers.TCP{SrcPort: 443, DstPort: 51000, Seq: 1, Ack: 2, SYN: true, ACK: true, Window: 65160, Options: synOpts}, nil, synTS)
	mk(kRst, false, &layers.TCP{SrcPort: 41854, DstPort: 443, Seq: 1, RST: true}, nil, 0)
	mk(kRstAck, false, &layers.TCP{SrcPort: 41854, DstPort: 443, Seq: 1, Ack: 2, RST: true, ACK: true}, nil, 0)
	mk(kAck, false, &layers.TCP{SrcPort: 41854, DstPort: 443, Seq: 1, Ack: 2, ACK: true, Window: 501, Options: tsOpts}, nil, ackTS)
	mk(kFinAck, false, &layers.TCP{SrcPort: 41854, DstPort: 443, Seq: 1, Ack: 2, FIN: true, ACK: true, Window: 501, Options: tsOpts}, nil, ackTS)
	payload := make([]byte, 517)
	for i := range payload {
		payload[i] = byte(i*7 + 3)
	}
	payload[0], payload[1], payload[2] = 0x16, 0x03, 0x01 // a TLS record header
	mk(kPshAck, false, &layers.TCP{SrcPort: 41854, DstPort: 443, Seq: 1, Ack: 2, PSH: true, ACK: true, Window: 502, Options: tsOpts}, payload, ackTS)
	mk(kSyn6, true, &layers.TCP{SrcPort: 40000, DstPort: 22, Seq: 1, SYN: true, Window: 64800, Options: synOpts}, nil, synTS)
	mk(kAck6, true, &layers.TCP{SrcPort: 40000, DstPort: 443, Seq: 1, Ack: 2, ACK: true, Window: 501, Options: tsOpts}, nil, ackTS)

	udp := func(v6 bool, sport, dport layers.UDPPort, payload []byte) template {
		u := &layers.UDP{SrcPort: sport, DstPort: dport}
		if v6 {
			ip := ip6l(layers.IPProtocolUDP)
			u.SetNetworkLayerForChecksum(ip)
			return template{pkt: serialize(ip, u, gopacket.Payload(payload)), v6: true, l4: 40}
		}
		ip := ip4(layers.IPProtocolUDP)
		u.SetNetworkLayerForChecksum(ip)
		return template{pkt: serialize(ip, u, gopacket.Payload(payload)), l4: 20}
	}
	g.tpl[kUDP] = udp(false, 53211, 33434, make([]byte, 32))
	g.tpl[kUDP6] = udp(true, 53211, 5353+1, make([]byte, 24))
	dns := &layers.DNS{ID: 0x1234, RD: true, Questions: []layers.DNSQuestion{{Name: []byte("example.com"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	{
		ip := ip4(layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: 40123, DstPort: 53}
		u.SetNetworkLayerForChecksum(ip)
		g.tpl[kDNS] = template{pkt: serialize(ip, u, dns), l4: 20}
	}
	echoData := make([]byte, 56)
	g.tpl[kEcho] = template{pkt: serialize(ip4(layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}, gopacket.Payload(echoData)), l4: 20, icmp: true}
	g.tpl[kEchoReply] = template{pkt: serialize(ip4(layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0), Id: 1, Seq: 1}, gopacket.Payload(echoData)), l4: 20, icmp: true}
	// Port unreachable quoting the UDP datagram it answers.
	qip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 7, Protocol: layers.IPProtocolUDP, SrcIP: dst4, DstIP: src4}
	qu := &layers.UDP{SrcPort: 33434, DstPort: 33435}
	qu.SetNetworkLayerForChecksum(qip)
	quoted := serialize(qip, qu, gopacket.Payload(make([]byte, 12)))
	g.tpl[kUnreach] = template{pkt: serialize(ip4(layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)},
		gopacket.Payload(quoted)), l4: 20, quot: 28}
	{
		ip := ip6l(layers.IPProtocolICMPv6)
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
		ic.SetNetworkLayerForChecksum(ip)
		g.tpl[kEcho6] = template{pkt: serialize(ip, ic, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}, gopacket.Payload(make([]byte, 16))), v6: true, l4: 40, icmp: true}
	}
}

// packet copies template k into g.buf and patches it. src and dst are 4
// or 16 bytes, matching the template.
func (g *generator) packet(k kind, src, dst []byte, sport, dport uint16) []byte {
	t := &g.tpl[k]
	b := append(g.buf[:0], t.pkt...)
	r := g.rng.Uint64()
	if t.v6 {
		copy(b[8:24], src)
		copy(b[24:40], dst)
	} else {
		copy(b[12:16], src)
		copy(b[16:20], dst)
		binary.BigEndian.PutUint16(b[4:], uint16(r>>48))
		if t.quot > 0 {
			q := b[t.quot:]
			copy(q[12:16], dst)
			copy(q[16:20], src)
			binary.BigEndian.PutUint16(q[20:], dport)
			binary.BigEndian.PutUint16(q[22:], sport)
		}
	}
	l4 := b[t.l4:]
	switch {
	case t.quot > 0:
	case t.icmp:
		binary.BigEndian.PutUint16(l4[4:], sport)
		binary.BigEndian.PutUint16(l4[6:], dport)
	default:
		binary.BigEndian.PutUint16(l4[0:], sport)
		binary.BigEndian.PutUint16(l4[2:], dport)
	}
	if b[9] == 6 || (t.v6 && b[6] == 6) {
		binary.BigEndian.PutUint32(l4[4:], uint32(r))
		if t.ack {
			binary.BigEndian.PutUint32(l4[8:], uint32(r>>32)^0x5bd1e995)
		}
	}
	if t.tsv > 0 {
		binary.BigEndian.PutUint32(b[t.tsv:], uint32(r>>16))
	}
	if !t.v6 {
		ipv4Checksum(b)
	}
	g.buf = b
	return b
}

// ipv4Checksum recomputes the header checksum of the IPv4 packet b.
func ipv4Checksum(b []byte) {
	n := int(b[0]&0x0f) * 4
	b[10], b[11] = 0, 0
	var s uint32
	for i := 0; i+1 < n; i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(s))
}

// header returns a pflog header; layout 0 means FreeBSD >= 13.1.
func header(layout pflog.Layout, v6 bool, action, dir uint8, rule uint32, iface string) pflog.Header {
	af := uint8(pflog.AFInet)
	if v6 {
		af = pflog.AFInet6
	}
	h := gen.DefaultHeader(af)
	if layout != pflog.LayoutUnknown {
		h.Layout = layout
	}
	if layout == pflog.LayoutOpenBSD && v6 {
		h.AF = pflog.AFInet6BSD
	}
	h.Action, h.Dir, h.RuleNr = action, dir, rule
	h.SetIfName(iface)
	return h
}

// at returns the capture time of record i (jittered, non-decreasing).
func (g *generator) at(i int) int64 {
	return g.start + int64(i)*g.step + g.rng.Int64N(g.step)
}

// Records calls fn with every record of the Realistic or Flood mix, in
// time order, so that a caller can merge in records of its own before
// writing them with gen.Writer. The record (and its Packet) is reused:
// fn must not keep it. Snap is already set from o.Snap.
func Records(o Options, fn func(*gen.Record) error) error {
	if o.Mix == Sample {
		return fmt.Errorf("synth.Records: the sample mix has no record stream")
	}
	return newGenerator(o).stream(fn)
}

func (g *generator) stream(fn func(*gen.Record) error) error {
	var fl *floodState
	if g.o.Mix == Flood {
		fl = g.newFlood()
	}
	for i := 0; i < g.o.N; i++ {
		if fl != nil {
			g.floodRecord(fl)
		} else {
			g.realisticRecord()
		}
		t := g.at(i)
		g.rec.Sec, g.rec.Nsec = t/1e9, t%1e9
		g.rec.Snap = snapFor(g.o.Snap, g.rec.Hdr.Layout)
		if err := fn(&g.rec); err != nil {
			return err
		}
	}
	return nil
}

var (
	ifaces  = []string{"vtnet0", "vtnet0", "vtnet0", "vtnet0", "em0", "igb1", "lagg0", "wg0"}
	anchors = []string{"f2b/sshd", "f2b/postfix", "blocklistd", "sshguard", "portscan"}
)

// pick4 returns a source from the pool, skewed so that a few addresses
// are heavy hitters.
func (g *generator) pick4() []byte {
	u := g.rng.Float64()
	return g.pool4[int(u*u*u*float64(len(g.pool4)))][:]
}

func (g *generator) pick6() []byte {
	u := g.rng.Float64()
	return g.pool6[int(u*u*float64(len(g.pool6)))][:]
}

// realisticRecord fills g.rec with the next record of the Realistic mix.
func (g *generator) realisticRecord() {
	r := g.rng.IntN(1000)
	var k kind
	switch {
	case r < 300:
		k = kSyn
	case r < 330:
		k = kSynNoOpts
	case r < 370:
		k = kSynAck
	case r < 420:
		k = kRst
	case r < 470:
		k = kRstAck
	case r < 530:
		k = kAck
	case r < 570:
		k = kFinAck
	case r < 640:
		k = kPshAck
	case r < 720:
		k = kUDP
	case r < 750:
		k = kDNS
	case r < 800:
		k = kEcho
	case r < 810:
		k = kEchoReply
	case r < 830:
		k = kUnreach
	case r < 920:
		k = kSyn6
	case r < 940:
		k = kAck6
	case r < 975:
		k = kUDP6
	default:
		k = kEcho6
	}
	t := &g.tpl[k]
	var src, dst []byte
	if t.v6 {
		src, dst = g.pick6(), g.loc6[g.rng.IntN(len(g.loc6))][:]
	} else {
		src, dst = g.pick4(), g.local[g.rng.IntN(len(g.local))][:]
	}
	// Ephemeral source ports (FreeBSD's range): tcpdump decodes UDP by
	// either port, and a random low port could pick a decoder.
	sport := uint16(49152 + g.rng.IntN(16384))
	dport := commonPorts[g.rng.IntN(len(commonPorts))]
	if k == kUDP {
		dport = uint16(33434 + g.rng.IntN(40))
	}
	if k == kDNS {
		dport = 53
	}
	action, dir := uint8(pflog.ActionDrop), uint8(pflog.DirIn)
	switch a := g.rng.IntN(100); {
	case a < 70:
	case a < 80:
		action = pflog.ActionPass
	case a < 92:
		action, dir = pflog.ActionPass, pflog.DirOut
		src, dst = dst, src
		sport, dport = dport, sport
	default:
		dir = pflog.DirOut
		src, dst = dst, src
		sport, dport = dport, sport
	}
	layout := pflog.LayoutFreeBSD
	switch l := g.rng.IntN(100); {
	case l < 7:
		layout = pflog.LayoutLegacy
	case l < 10:
		layout = pflog.LayoutOpenBSD
	}
	g.rec.Packet = g.packet(k, src, dst, sport, dport)
	rule, iface := g.realisticRule(action, dir)
	h := header(layout, t.v6, action, dir, rule, iface)
	if g.rng.IntN(10) == 0 {
		h.SetRuleset(anchors[g.rng.IntN(len(anchors))])
		h.SubRuleNr = uint32(g.rng.IntN(20))
	}
	if dir == pflog.DirOut && action == pflog.ActionPass && g.rng.IntN(10) == 0 {
		h.UID = uint32(g.rng.IntN(3)) * 1001
		h.PID = uint32(1000 + g.rng.IntN(60000))
	}
	if layout == pflog.LayoutFreeBSD && rule%16 == 9 {
		h.RIdentifier = 1000 + rule // a rule's ridentifier is part of the rule
	}
	if layout == pflog.LayoutOpenBSD {
		h.SAddr, h.DAddr = [16]byte{}, [16]byte{}
		copy(h.SAddr[:], src)
		copy(h.DAddr[:], dst)
		h.SPort, h.DPort = sport, dport
	}
	g.rec.Hdr = h
}

// realisticRule picks the rule and interface of a record as a real pf
// log has them: a firewall logs most of its records through one catch-all
// rule per action and direction on the outside interface, some through a
// handful of specific rules, and the rest spread over a long tail. The
// shares follow the real captures in ../shared/corpus (62,382 records: the
// commonest rule-and-interface prefix 68%, the two commonest 83%, 519
// distinct).
func (g *generator) realisticRule(action, dir uint8) (uint32, string) {
	switch r := g.rng.IntN(100); {
	case r < 70:
		base := uint32(1) // block in
		switch {
		case action == pflog.ActionPass && dir == pflog.DirIn:
			base = 2
		case action == pflog.ActionPass:
			base = 3
		case dir == pflog.DirOut:
			base = 4
		}
		return base, ifaces[0]
	case r < 88:
		return uint32(5 + g.rng.IntN(10)), ifaces[g.rng.IntN(len(ifaces))]
	}
	return uint32(1 + g.rng.IntN(500)), ifaces[g.rng.IntN(len(ifaces))]
}

var commonPorts = []uint16{22, 22, 22, 23, 25, 80, 80, 443, 443, 443, 445, 1433, 3306, 3389, 5060, 5432, 5900, 6379, 8080, 8443, 9200, 11211, 27017}

// floodState is the Flood mix's cast of sources.
type floodState struct {
	scanners   [][4]byte
	nextPort   []uint16
	legit      [][4]byte
	noise, leg int // per mille thresholds
}

func (g *generator) newFlood() *floodState {
	o := g.o
	n := o.Scanners
	if n <= 0 {
		n = max(1, o.N/4000)
	}
	noise, legit := o.NoisePermille, o.LegitPermille
	if noise == 0 {
		noise = 5
	}
	if legit == 0 {
		legit = 10
	}
	if noise < 0 {
		noise = 0
	}
	if legit < 0 {
		legit = 0
	}
	fl := &floodState{noise: noise, leg: noise + legit}
	for i := 0; i < n; i++ {
		fl.scanners = append(fl.scanners, g.public4())
		fl.nextPort = append(fl.nextPort, uint16(1+g.rng.IntN(1000)))
	}
	for i := 0; i < 30; i++ {
		fl.legit = append(fl.legit, g.public4())
	}
	return fl
}

// floodRecord fills g.rec with the next record of the Flood mix.
func (g *generator) floodRecord(fl *floodState) {
	dst := g.local[0][:]
	r := g.rng.IntN(1000)
	h := header(pflog.LayoutFreeBSD, false, pflog.ActionDrop, pflog.DirIn, 3, "vtnet0")
	switch {
	case r < fl.noise:
		// SYN flood from forged random sources.
		var src [4]byte
		binary.BigEndian.PutUint32(src[:], g.rng.Uint32())
		g.rec.Packet = g.packet(kSynNoOpts, src[:], dst, uint16(1024+g.rng.IntN(64511)), 80)
	case r < fl.leg:
		// Legitimate clients: logged passes, and late packets of
		// connections pf already forgot (blocked, not matched by
		// fail2ban's normal mode).
		src := fl.legit[g.rng.IntN(len(fl.legit))][:]
		k := []kind{kAck, kPshAck, kFinAck, kRstAck}[g.rng.IntN(4)]
		if g.rng.IntN(3) > 0 {
			h.Action, h.RuleNr = pflog.ActionPass, 7
		}
		g.rec.Packet = g.packet(k, src, dst, uint16(49152+g.rng.IntN(16384)), 443)
	default:
		// A port scan: SYNs to consecutive ports, a few UDP probes and
		// pings.
		i := g.rng.IntN(len(fl.scanners))
		src := fl.scanners[i][:]
		port := fl.nextPort[i]
		fl.nextPort[i]++
		if fl.nextPort[i] == 0 {
			fl.nextPort[i] = 1
		}
		switch p := g.rng.IntN(100); {
		case p < 90:
			g.rec.Packet = g.packet(kSyn, src, dst, uint16(40000+i), port)
		case p < 97:
			// UDP probes go to traceroute ports: tcpdump decodes the
			// payload of well-known UDP ports, some over several lines.
			g.rec.Packet = g.packet(kUDP, src, dst, uint16(40000+i), 33434+port%100)
		default:
			g.rec.Packet = g.packet(kEcho, src, dst, uint16(i), port)
		}
	}
	g.rec.Hdr = h
}

// snapFor returns the snap length for a record: OpenBSD's pflogd cuts at
// 160 bytes where FreeBSD's cuts at 116, so OpenBSD records keep as many
// packet bytes as FreeBSD ones do (a 100-byte header instead of 72).
func snapFor(snap int, l pflog.Layout) int {
	if snap > 0 && l == pflog.LayoutOpenBSD {
		return snap + 44
	}
	return snap
}
