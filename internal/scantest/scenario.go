package scantest

import (
	"encoding/binary"
	"net/netip"
	"sort"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// Label says what a source is.
type Label uint8

// Labels.
const (
	Innocent Label = iota // must never be banned
	Scanner               // must be banned, once
)

// Source is one labelled source of a scenario.
type Source struct {
	Name  string
	Label Label
	// Ban is what fail2ban must ban for a scanner, as fail2ban-client
	// lists it: the address, or the network in CIDR form for an IPv6
	// scanner that used several addresses of its /64.
	Ban string
	// Never lists addresses and networks that must never be banned
	// because of this source (an innocent's addresses and /64; for an
	// IPv4-mapped source the IPv4 address it embeds).
	Never []string
	// Protos, when set, is the protocol list the decision line must show
	// ("tcp 8"): a TCP header with a bad data offset is TCP, not UDP.
	Protos string
	// Window is the window the decision must come from ("fast", "slow").
	Window string
}

// Event is one record of a scenario with its labels.
type Event struct {
	At     time.Duration // from the scenario's start
	Src    int           // index into Scenario.Sources
	Hdr    pflog.Header
	Packet []byte // the IP packet as on the wire
	Snap   int    // bytes captured, pflog header included (0 = all)

	// What the contract makes of the record (set by the builder from
	// what it built, not by asking the detector).
	Probe  bool   // evidence: inbound, blocked, tries to open something
	Key    string // the distinct "port": "tcp/22", "udp/53", "icmp/198.51.100.9", ...
	Weight int    // 3 for a port below 1024 of a port protocol, else 1
	Group  string // what evidence adds up in: the IPv4 address or the IPv6 /64
	Addr   string // the source address as the packet has it

	// Set by the oracle (Mark): this record crosses the threshold.
	Crosses bool
	Window  string // "fast" or "slow" when Crosses
	Ports   int    // distinct ports in that window when Crosses
}

// Scenario is a set of labelled sources and their records, in time order.
type Scenario struct {
	Sources []Source
	Events  []Event
}

// Span is the time of the last record.
func (s *Scenario) Span() time.Duration {
	if len(s.Events) == 0 {
		return 0
	}
	return s.Events[len(s.Events)-1].At
}

// Record returns event i as a pflog record, its time start + At.
func (s *Scenario) Record(i int, start time.Time) *gen.Record {
	e := &s.Events[i]
	t := start.Add(e.At).UnixNano()
	return &gen.Record{Sec: t / 1e9, Nsec: t % 1e9, Hdr: e.Hdr, Packet: e.Packet, Snap: e.Snap}
}

// Scanners returns the indexes of the scanners.
func (s *Scenario) Scanners() []int {
	var r []int
	for i, src := range s.Sources {
		if src.Label == Scanner {
			r = append(r, i)
		}
	}
	return r
}

// Crossing returns the index of the event where source src crosses its
// threshold, or -1.
func (s *Scenario) Crossing(src int) int {
	for i := range s.Events {
		if s.Events[i].Src == src && s.Events[i].Crosses {
			return i
		}
	}
	return -1
}

// Options shape the standard scenario.
type Options struct {
	// Scale multiplies the gaps between a slow scanner's ports (1 = the
	// issue's 10-20 s). Scaled gaps stay above 0.75 s, so that the fast
	// window (8 privileged ports within 5 s) never sees a slow scanner:
	// the slow window, whose span is an hour, decides either way.
	Scale float64
	// Long adds scenarios that take longer than 4 minutes at Scale 1 (a
	// slow scanner of 30 high ports, one per 15 s).
	Long bool
}

// Addresses of this host (the destination of every inbound record).
var (
	Host4 = netip.MustParseAddr("198.51.100.7")
	Host6 = netip.MustParseAddr("2001:db8:0:1::7")
)

var privPorts = []uint16{21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 465, 513, 514, 587, 993, 995}
var udpPorts = []uint16{53, 67, 69, 111, 123, 137, 138, 161, 162, 389, 500, 514, 520, 623}

// Standard is the labelled scenario of issue 12's test list: every kind
// of scanner (banned) and every innocent (never banned), including the
// ways the per-line filter was gamed, all at once in one capture.
func Standard(o Options) *Scenario {
	if o.Scale <= 0 {
		o.Scale = 1
	}
	b := &builder{}
	slow := func(d time.Duration) time.Duration {
		d = time.Duration(float64(d) * o.Scale)
		return max(d, 750*time.Millisecond)
	}
	gap := func(i int) time.Duration { return time.Duration(10+(i*7)%6) * time.Second } // 10-15 s
	v4 := netip.MustParseAddr

	// --- Scanners ---
	s := b.source(Source{Name: "slow-tcp", Label: Scanner, Ban: "203.0.113.10", Window: "slow"})
	at := 1 * time.Second
	for i := 0; i < 12; i++ {
		b.syn(s, at, v4("203.0.113.10"), Host4, 40000+uint16(i), privPorts[i])
		at += slow(gap(i))
	}
	s = b.source(Source{Name: "slow-udp", Label: Scanner, Ban: "203.0.113.11", Window: "slow"})
	at = 2 * time.Second
	for i := 0; i < 11; i++ {
		b.udp(s, at, v4("203.0.113.11"), Host4, 40000+uint16(i), udpPorts[i])
		at += slow(time.Duration(18+i%3) * time.Second) // 18-20 s
	}
	s = b.source(Source{Name: "slow-ipv6-rotating-64", Label: Scanner, Ban: "2001:db8:bad:7::/64", Window: "slow"})
	at = 3 * time.Second
	for i, p := 0, 0; p < 12; i++ {
		a := addr6("2001:db8:bad:7::", uint16(0x100+i*17))
		for k := 0; k <= i%2 && p < 12; k++ { // one or two probes per address
			b.syn(s, at, a, Host6, 50000+uint16(p), privPorts[p])
			p++
			at += slow(gap(p))
		}
	}
	if o.Long {
		s = b.source(Source{Name: "slow-tcp-high", Label: Scanner, Ban: "203.0.113.12", Window: "slow"})
		at = 4 * time.Second
		for i := 0; i < 32; i++ {
			b.syn(s, at, v4("203.0.113.12"), Host4, 40000, 8000+uint16(i)*7)
			at += slow(15 * time.Second)
		}
	}

	fast := func(name, ban string, start time.Duration, n int, step time.Duration, fn func(i int, at time.Duration)) {
		_ = name
		for i := 0; i < n; i++ {
			fn(i, start+time.Duration(i)*step)
		}
	}
	s = b.source(Source{Name: "fast-tcp", Label: Scanner, Ban: "203.0.113.20", Window: "fast"})
	fast("", "", 5*time.Second, 60, 8*time.Millisecond, func(i int, at time.Duration) {
		b.syn(s, at, v4("203.0.113.20"), Host4, 41000, uint16(1+i))
	})
	s1 := b.source(Source{Name: "fast-tcp-high", Label: Scanner, Ban: "203.0.113.21", Window: "fast"})
	fast("", "", 7*time.Second, 40, 30*time.Millisecond, func(i int, at time.Duration) {
		b.syn(s1, at, v4("203.0.113.21"), Host4, 41000, uint16(10000+i*3))
	})
	s2 := b.source(Source{Name: "fast-udp", Label: Scanner, Ban: "203.0.113.22", Window: "fast"})
	fast("", "", 9*time.Second, 14, 10*time.Millisecond, func(i int, at time.Duration) {
		b.udp(s2, at, v4("203.0.113.22"), Host4, 41000, udpPorts[i])
	})
	s3 := b.source(Source{Name: "icmp-echo-sweep", Label: Scanner, Ban: "203.0.113.23", Window: "fast"})
	fast("", "", 11*time.Second, 40, 40*time.Millisecond, func(i int, at time.Duration) {
		b.echo(s3, at, v4("203.0.113.23"), netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + i)}), 4)
	})
	s4 := b.source(Source{Name: "icmp6-echo-sweep", Label: Scanner, Ban: "2001:db8:bad:1::23", Window: "fast"})
	fast("", "", 13*time.Second, 40, 40*time.Millisecond, func(i int, at time.Duration) {
		b.echo(s4, at, netip.MustParseAddr("2001:db8:bad:1::23"), addr6("2001:db8:0:1::", uint16(0x10+i)), 8)
	})
	s5 := b.source(Source{Name: "ipv6-single-address", Label: Scanner, Ban: "2001:db8:bad:2::5", Window: "fast"})
	fast("", "", 15*time.Second, 16, 50*time.Millisecond, func(i int, at time.Duration) {
		b.syn(s5, at, netip.MustParseAddr("2001:db8:bad:2::5"), Host6, 41000, privPorts[i])
	})
	s6 := b.source(Source{Name: "ipv6-fast-rotating-64", Label: Scanner, Ban: "2001:db8:bad:9::/64", Window: "fast"})
	fast("", "", 17*time.Second, 16, 100*time.Millisecond, func(i int, at time.Duration) {
		b.syn(s6, at, addr6("2001:db8:bad:9::", uint16(0x1000+i*101)), Host6, 41000, privPorts[i])
	})
	s7 := b.source(Source{Name: "sctp-init", Label: Scanner, Ban: "203.0.113.30", Window: "fast", Protos: "sctp 8"})
	fast("", "", 19*time.Second, 16, 50*time.Millisecond, func(i int, at time.Duration) {
		b.sctpInit(s7, at, v4("203.0.113.30"), Host4, 41000, uint16(100+i))
	})
	s8 := b.source(Source{Name: "dccp-request", Label: Scanner, Ban: "2001:db8:bad:5::31", Window: "fast", Protos: "dccp 8"})
	fast("", "", 21*time.Second, 16, 50*time.Millisecond, func(i int, at time.Duration) {
		b.dccpRequest(s8, at, netip.MustParseAddr("2001:db8:bad:5::31"), Host6, 41000, uint16(100+i))
	})
	s9 := b.source(Source{Name: "ipv6-syn-behind-extension-headers", Label: Scanner, Ban: "2001:db8:bad:3::9", Window: "fast", Protos: "tcp 8"})
	fast("", "", 23*time.Second, 16, 50*time.Millisecond, func(i int, at time.Duration) {
		b.synExt(s9, at, netip.MustParseAddr("2001:db8:bad:3::9"), Host6, 41000, privPorts[i], i%4)
	})
	s10 := b.source(Source{Name: "ipv6-syn-cut-by-pflogd-snaplen", Label: Scanner, Ban: "2001:db8:bad:4::7", Window: "fast"})
	fast("", "", 25*time.Second, 16, 50*time.Millisecond, func(i int, at time.Duration) {
		b.add(s10, at, tcpPacket(netip.MustParseAddr("2001:db8:bad:4::7"), Host6, 41000, privPorts[i], 0x02), pflog.ActionDrop, pflog.DirIn,
			gen.SnapPflogd, probeLabel("tcp", privPorts[i]))
	})

	// --- Gamed (issue 12's list), each a regression ---
	// 20 spoofed SYNs with 14-19 bytes of TCP header from the scanner's
	// address used to fill flood control's "TCP SYN" quota; the daemon
	// runs with -max-per-source 20 in the end-to-end test.
	s11 := b.source(Source{Name: "gamed-short-tcp-headers-then-scan", Label: Scanner, Ban: "203.0.113.40", Window: "fast"})
	for i := 0; i < 20; i++ {
		seg := gen.TCPRaw(41000, 22, 0x02, nil, nil)[:14+i%6]
		b.add(s11, 27*time.Second+time.Duration(i)*20*time.Millisecond, ip(v4("203.0.113.40"), Host4, 6, seg), pflog.ActionDrop, pflog.DirIn, 0, probeLabel("tcp", 22))
	}
	fast("", "", 27500*time.Millisecond, 16, 50*time.Millisecond, func(i int, at time.Duration) {
		b.syn(s11, at, v4("203.0.113.40"), Host4, 41000, privPorts[2+i])
	})
	// ICMP echo requests carrying 4 bytes of ICMP, then a scan.
	s12 := b.source(Source{Name: "gamed-4-byte-echo-then-scan", Label: Scanner, Ban: "203.0.113.41", Window: "fast"})
	for i := 0; i < 20; i++ {
		b.echo(s12, 29*time.Second+time.Duration(i)*20*time.Millisecond, v4("203.0.113.41"), Host4, 0)
	}
	fast("", "", 29500*time.Millisecond, 16, 50*time.Millisecond, func(i int, at time.Duration) {
		b.syn(s12, at, v4("203.0.113.41"), Host4, 41000, privPorts[i])
	})
	// A TCP header with data offset < 5 is TCP, never UDP.
	s13 := b.source(Source{Name: "gamed-tcp-data-offset-below-5", Label: Scanner, Ban: "203.0.113.42", Window: "fast", Protos: "tcp 8"})
	fast("", "", 31*time.Second, 16, 50*time.Millisecond, func(i int, at time.Duration) {
		seg := gen.TCPRaw(41000, privPorts[i], 0x02, nil, nil)
		seg[12] = byte(i%5) << 4
		b.add(s13, at, ip(v4("203.0.113.42"), Host4, 6, seg), pflog.ActionDrop, pflog.DirIn, 0, probeLabel("tcp", privPorts[i]))
	})
	// An IPv4-mapped source: never counted, and 192.0.2.99 never banned.
	s14 := b.source(Source{Name: "gamed-ipv4-mapped-source", Label: Innocent, Never: []string{"192.0.2.99", "::ffff:192.0.2.99", "::ffff:c000:263"}})
	fast("", "", 33*time.Second, 60, 10*time.Millisecond, func(i int, at time.Duration) {
		b.add(s14, at, tcpPacket(netip.MustParseAddr("::ffff:192.0.2.99"), Host6, 41000, uint16(1+i), 0x02), pflog.ActionDrop, pflog.DirIn, 0, notProbe)
	})

	// --- Innocents ---
	end := b.latest() + 5*time.Second
	every := func(step time.Duration, fn func(i int, at time.Duration)) {
		for i, at := 0, 500*time.Millisecond; at < end; i, at = i+1, at+step {
			fn(i, at)
		}
	}
	n := b.source(Source{Name: "nat-office-two-blocked-ports", Label: Innocent, Never: []string{"192.0.2.77"}})
	every(300*time.Millisecond, func(i int, at time.Duration) {
		b.syn(n, at, v4("192.0.2.77"), Host4, uint16(20000+i*13), []uint16{143, 993}[i%2])
	})
	for k, mail := range []struct {
		addr  string
		ports []uint16
	}{{"192.0.2.78", []uint16{110, 143, 465, 587, 993}}, {"192.0.2.79", []uint16{25, 110, 143, 465, 587, 993, 995}}} {
		m := b.source(Source{Name: "mail-autoconfig-" + itoa(len(mail.ports)) + "-ports", Label: Innocent, Never: []string{mail.addr}})
		// The client tries every port within a second and retransmits
		// each SYN after 1, 3 and 7 s (TCP's backoff); it does it again
		// every minute.
		for round := time.Duration(0); round < end; round += time.Minute {
			for i, p := range mail.ports {
				for _, rt := range []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second} {
					b.syn(m, time.Duration(k)*time.Second+round+time.Duration(i)*120*time.Millisecond+rt, v4(mail.addr), Host4, uint16(30000+i)+uint16(round/time.Minute)*16, p)
				}
			}
		}
	}
	r := b.source(Source{Name: "replies-to-our-outbound-connections", Label: Innocent, Never: []string{"198.51.100.80"}})
	every(100*time.Millisecond, func(i int, at time.Duration) {
		b.add(r, at, tcpPacket(v4("198.51.100.80"), Host4, []uint16{443, 80, 22, 25}[i%4], uint16(10000+i), []byte{0x12, 0x10, 0x18, 0x11}[i%4]),
			pflog.ActionDrop, pflog.DirIn, 0, notProbe)
	})
	l := b.source(Source{Name: "late-fin-ack-rst-of-clients", Label: Innocent, Never: []string{"198.51.100.81"}})
	every(100*time.Millisecond, func(i int, at time.Duration) {
		b.add(l, at, tcpPacket(v4("198.51.100.81"), Host4, uint16(40000+i), privPorts[i%len(privPorts)], []byte{0x11, 0x04, 0x14, 0x10, 0x19}[i%5]),
			pflog.ActionDrop, pflog.DirIn, 0, notProbe)
	})
	u := b.source(Source{Name: "dns-ntp-replies", Label: Innocent, Never: []string{"198.51.100.82"}})
	every(150*time.Millisecond, func(i int, at time.Duration) {
		b.add(u, at, udpPacket(v4("198.51.100.82"), Host4, []uint16{53, 123}[i%2], uint16(10000+i)), pflog.ActionDrop, pflog.DirIn, 0, notProbe)
	})
	p := b.source(Source{Name: "passes", Label: Innocent, Never: []string{"198.51.100.83"}})
	every(100*time.Millisecond, func(i int, at time.Duration) {
		b.add(p, at, tcpPacket(v4("198.51.100.83"), Host4, 40000, uint16(1+i%1000), 0x02), pflog.ActionPass, pflog.DirIn, 0, notProbe)
	})
	ow := b.source(Source{Name: "our-own-outbound", Label: Innocent, Never: []string{Host4.String(), Host6.String(), "2001:db8:0:1::/64"}})
	every(100*time.Millisecond, func(i int, at time.Duration) {
		if i%2 == 0 {
			b.add(ow, at, tcpPacket(Host4, v4("198.51.100.90"), uint16(10000+i), uint16(1+i%1000), 0x02), pflog.ActionDrop, pflog.DirOut, 0, notProbe)
		} else {
			b.add(ow, at, udpPacket(Host6, netip.MustParseAddr("2001:db8:99::1"), uint16(10000+i), uint16(1+i%1000)), pflog.ActionDrop, pflog.DirOut, 0, notProbe)
		}
	})
	for k, nb := range []string{"2001:db8:bad:8::1", "2001:db8:bad:6::ffff"} {
		a := netip.MustParseAddr(nb)
		pfx := netip.PrefixFrom(a, 64).Masked().String()
		x := b.source(Source{Name: "neighbour-in-another-64-" + itoa(k+1), Label: Innocent, Never: []string{nb, pfx}})
		every(400*time.Millisecond, func(i int, at time.Duration) {
			b.syn(x, at, a, Host6, uint16(20000+i), []uint16{22, 443}[i%2])
		})
	}
	c := b.source(Source{Name: "ipv6-replies-cut-by-pflogd-snaplen", Label: Innocent, Never: []string{"2001:db8:cafe::1"}})
	every(100*time.Millisecond, func(i int, at time.Duration) {
		b.add(c, at, tcpPacket(netip.MustParseAddr("2001:db8:cafe::1"), Host6, []uint16{443, 2049, 22}[i%3], uint16([]int{10000, 600, 40000}[i%3]+i%500), 0x10),
			pflog.ActionDrop, pflog.DirIn, gen.SnapPflogd, notProbe)
	})

	return b.done()
}

// --- building ---

type builder struct {
	sc Scenario
}

type label struct {
	probe  bool
	key    string
	weight int
}

var notProbe = label{}

func probeLabel(proto string, port uint16) label {
	w := 1
	if port < 1024 {
		w = 3
	}
	return label{true, proto + "/" + itoa(int(port)), w}
}

func (b *builder) source(s Source) int {
	b.sc.Sources = append(b.sc.Sources, s)
	return len(b.sc.Sources) - 1
}

func (b *builder) latest() time.Duration {
	var m time.Duration
	for _, e := range b.sc.Events {
		m = max(m, e.At)
	}
	return m
}

func (b *builder) add(src int, at time.Duration, pkt []byte, action, dir uint8, snap int, l label) {
	a := srcOf(pkt)
	af := uint8(pflog.AFInet)
	if a.Is6() {
		af = pflog.AFInet6
	}
	h := gen.DefaultHeader(af)
	h.Action, h.Dir, h.RuleNr = action, dir, 7
	group := a.String()
	if a.Is6() && !a.Is4In6() {
		group = netip.PrefixFrom(a, 64).Masked().String()
	}
	if a.Is4In6() {
		l = notProbe // the contract: a mapped source is never counted
	}
	b.sc.Events = append(b.sc.Events, Event{At: at, Src: src, Hdr: h, Packet: pkt, Snap: snap,
		Probe: l.probe, Key: l.key, Weight: l.weight, Group: group, Addr: a.String()})
}

func (b *builder) syn(src int, at time.Duration, s, d netip.Addr, sport, dport uint16) {
	b.add(src, at, tcpPacket(s, d, sport, dport, 0x02), pflog.ActionDrop, pflog.DirIn, 0, probeLabel("tcp", dport))
}

func (b *builder) udp(src int, at time.Duration, s, d netip.Addr, sport, dport uint16) {
	b.add(src, at, udpPacket(s, d, sport, dport), pflog.ActionDrop, pflog.DirIn, 0, probeLabel("udp", dport))
}

// echo adds an echo request with n bytes of ICMP after the 4-byte type,
// code and checksum (n = 0: the 4-byte ICMP of the gamed case).
func (b *builder) echo(src int, at time.Duration, s, d netip.Addr, n int) {
	var payload []byte
	proto, name := byte(1), "icmp"
	typ := byte(8)
	if s.Is6() {
		proto, name, typ = 58, "icmp6", 128
	}
	payload = append([]byte{typ, 0, 0, 0}, make([]byte, n)...)
	if n >= 4 {
		payload[5], payload[7] = 1, byte(at/time.Millisecond)
	}
	b.add(src, at, ip(s, d, proto, payload), pflog.ActionDrop, pflog.DirIn, 0, label{true, name + "/" + d.String(), 1})
}

func (b *builder) sctpInit(src int, at time.Duration, s, d netip.Addr, sport, dport uint16) {
	c := make([]byte, 12+20)
	binary.BigEndian.PutUint16(c[0:], sport)
	binary.BigEndian.PutUint16(c[2:], dport)
	c[12] = 1 // INIT, verification tag 0
	binary.BigEndian.PutUint16(c[14:], 20)
	binary.BigEndian.PutUint32(c[16:], 0x11223344)
	binary.BigEndian.PutUint32(c[20:], 65535)
	binary.BigEndian.PutUint16(c[24:], 10)
	binary.BigEndian.PutUint16(c[26:], 10)
	binary.BigEndian.PutUint32(c[28:], 1)
	b.add(src, at, ip(s, d, 132, c), pflog.ActionDrop, pflog.DirIn, 0, probeLabel("sctp", dport))
}

func (b *builder) dccpRequest(src int, at time.Duration, s, d netip.Addr, sport, dport uint16) {
	c := make([]byte, 20)
	binary.BigEndian.PutUint16(c[0:], sport)
	binary.BigEndian.PutUint16(c[2:], dport)
	c[4] = 5        // data offset in 32-bit words
	c[8] = 0<<1 | 1 // type Request, X = 1 (48-bit sequence numbers)
	b.add(src, at, ip(s, d, 33, c), pflog.ActionDrop, pflog.DirIn, 0, probeLabel("dccp", dport))
}

// synExt adds an IPv6 SYN behind an extension header: 0 HBH, 1 DSTOPT,
// 2 a first fragment, 3 RT6.
func (b *builder) synExt(src int, at time.Duration, s, d netip.Addr, sport, dport uint16, kind int) {
	seg := gen.TCPRaw(sport, dport, 0x02, nil, nil)
	var nh byte
	var ext []byte
	switch kind {
	case 0:
		nh, ext = 0, []byte{6, 0, 1, 4, 0, 0, 0, 0}
	case 1:
		nh, ext = 60, []byte{6, 0, 1, 4, 0, 0, 0, 0}
	case 2:
		nh, ext = 44, []byte{6, 0, 0, 1, 0, 0, 0, 42} // offset 0, more fragments
	default:
		nh, ext = 43, append([]byte{6, 2, 0, 1, 0, 0, 0, 0}, netip.MustParseAddr("2001:db8::99").AsSlice()...)
	}
	b.add(src, at, ip(s, d, nh, append(ext, seg...)), pflog.ActionDrop, pflog.DirIn, 0, probeLabel("tcp", dport))
}

func (b *builder) done() *Scenario {
	sort.SliceStable(b.sc.Events, func(i, j int) bool { return b.sc.Events[i].At < b.sc.Events[j].At })
	sc := b.sc
	Mark(&sc)
	return &sc
}

// --- packets ---

func tcpPacket(s, d netip.Addr, sport, dport uint16, flags byte) []byte {
	var opts []byte
	if flags == 0x02 {
		opts = []byte{2, 4, 5, 0xb4, 1, 1, 4, 2} // mss 1460, nop, nop, sackOK
	}
	return ip(s, d, 6, gen.TCPRaw(sport, dport, flags, opts, nil))
}

func udpPacket(s, d netip.Addr, sport, dport uint16) []byte {
	return ip(s, d, 17, gen.UDPRaw(sport, dport, []byte("probe")))
}

// ip wraps payload in an IPv4 or IPv6 header from s to d (gen builds the
// header; the addresses and the IPv4 checksum are set here).
func ip(s, d netip.Addr, proto byte, payload []byte) []byte {
	if s.Is4() {
		p := gen.IPv4(proto, payload)
		copy(p[12:16], s.AsSlice())
		copy(p[16:20], d.AsSlice())
		p[10], p[11] = 0, 0
		binary.BigEndian.PutUint16(p[10:], checksum(p[:20]))
		return p
	}
	p := gen.IPv6(proto, payload)
	copy(p[8:24], s.AsSlice())
	copy(p[24:40], d.AsSlice())
	return p
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

func srcOf(p []byte) netip.Addr {
	if p[0]>>4 == 4 {
		return netip.AddrFrom4([4]byte(p[12:16]))
	}
	return netip.AddrFrom16([16]byte(p[8:24]))
}

func addr6(prefix string, last uint16) netip.Addr {
	b := netip.MustParseAddr(prefix).As16()
	binary.BigEndian.PutUint16(b[14:], last)
	return netip.AddrFrom16(b)
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := v < 0
	if neg {
		v = -v
	}
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// FloodScanners is the labelled part of the flood test, for a flood of
// length d: a fast scanner of another kind every 10 s (TCP, UDP, ICMP echo
// sweep, an IPv6 /64 rotating its addresses, SCTP), each of whose bans is
// one sample of fail2ban's lag; a slow TCP scanner (one privileged port
// per 10-15 s, deciding after about 110 s, when the flood has overwritten
// the detector's one-port table several times); a NAT'd office retrying
// two blocked ports, never banned.
func FloodScanners(d time.Duration) *Scenario {
	b := &builder{}
	if d >= 115*time.Second {
		s := b.source(Source{Name: "slow-tcp", Label: Scanner, Ban: "203.0.113.10", Window: "slow"})
		// It goes on scanning after its threshold (10 ports weigh 30), as
		// a scanner does: when the flood pushes a first port out of the
		// one-port table before the next arrives, the decision comes a
		// port or two later, still inside the flood.
		at := time.Second
		for i := 0; i < 14; i++ {
			b.syn(s, at, netip.MustParseAddr("203.0.113.10"), Host4, 40000+uint16(i), privPorts[i])
			at += time.Duration(7+(i*5)%3) * time.Second
		}
	}
	for k, at := 0, 5*time.Second; at+5*time.Second < d; k, at = k+1, at+10*time.Second {
		a4 := netip.AddrFrom4([4]byte{203, 0, 113, byte(100 + k)})
		switch k % 5 {
		case 0:
			s := b.source(Source{Name: "fast-tcp-" + itoa(k), Label: Scanner, Ban: a4.String(), Window: "fast"})
			for i := 0; i < 30; i++ {
				b.syn(s, at+time.Duration(i)*10*time.Millisecond, a4, Host4, 41000, uint16(1+i))
			}
		case 1:
			s := b.source(Source{Name: "fast-udp-" + itoa(k), Label: Scanner, Ban: a4.String(), Window: "fast"})
			for i := 0; i < 12; i++ {
				b.udp(s, at+time.Duration(i)*20*time.Millisecond, a4, Host4, 41000, udpPorts[i])
			}
		case 2:
			s := b.source(Source{Name: "icmp-echo-sweep-" + itoa(k), Label: Scanner, Ban: a4.String(), Window: "fast"})
			for i := 0; i < 30; i++ {
				b.echo(s, at+time.Duration(i)*30*time.Millisecond, a4, netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + i)}), 8)
			}
		case 3:
			pfx := "2001:db8:bad:" + itoa(0x100+k) + "::"
			s := b.source(Source{Name: "ipv6-rotating-64-" + itoa(k), Label: Scanner, Ban: pfx + "/64", Window: "fast"})
			for i := 0; i < 12; i++ {
				b.syn(s, at+time.Duration(i)*50*time.Millisecond, addr6(pfx, uint16(0x200+i*13)), Host6, 41000, privPorts[i])
			}
		case 4:
			s := b.source(Source{Name: "sctp-init-" + itoa(k), Label: Scanner, Ban: a4.String(), Window: "fast"})
			for i := 0; i < 12; i++ {
				b.sctpInit(s, at+time.Duration(i)*20*time.Millisecond, a4, Host4, 41000, uint16(100+i))
			}
		}
	}
	n := b.source(Source{Name: "nat-office-two-blocked-ports", Label: Innocent, Never: []string{"192.0.2.77"}})
	for i, at := 0, 500*time.Millisecond; at < d; i, at = i+1, at+300*time.Millisecond {
		b.syn(n, at, netip.MustParseAddr("192.0.2.77"), Host4, uint16(20000+i*13), []uint16{143, 993}[i%2])
	}
	return b.done()
}

// Spoofed returns the i-th record of a flood of one-packet spoofed
// sources at time t (ns): a blocked inbound SYN from a pseudo-random IPv4
// address outside the scenarios' ranges to a pseudo-random port. buf is
// reused.
func Spoofed(buf []byte, i uint64, t int64) []byte {
	x := (i + 1) * 0x9e3779b97f4a7c15
	x ^= x >> 29
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 32
	src := [4]byte{byte(11 + (x>>24)%88), byte(x >> 16), byte(x >> 8), byte(x)}
	if buf == nil {
		buf = tcpPacket(netip.AddrFrom4(src), Host4, 40000, 1, 0x02)
	}
	copy(buf[12:16], src[:])
	binary.BigEndian.PutUint16(buf[22:], uint16(x>>40)|1)
	binary.BigEndian.PutUint16(buf[20:], uint16(x>>48)|1024)
	buf[10], buf[11] = 0, 0
	binary.BigEndian.PutUint16(buf[10:], checksum(buf[:20]))
	return buf
}
