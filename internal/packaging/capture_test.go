package packaging

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// pkt describes one logged packet: the pf side (action, direction, rule,
// anchor, uid, ridentifier) and the IP packet. It is what both the
// fail2ban-regex table and the end-to-end scenario are built from.
type pkt struct {
	src, dst     string // IPv4 or IPv6 literal; both of the same family
	proto        string // tcp, udp, icmp (echo request), icmp-reply, esp
	flags        string // tcp flags: S F R P A U E W (A = ack)
	sport, dport uint16
	pass         bool   // action pass instead of block
	out          bool   // direction out instead of in
	rule         uint32 // rule number (0 means 1)
	anchor       string // anchor name; sub rule number is subrule
	subrule      uint32
	uid          uint32 // 0 = none
	rid          uint32 // ridentifier, 0 = none
	snap         int    // pflogd-style snaplen for the whole record, 0 = full
}

func (p pkt) v6() bool { return strings.Contains(p.src, ":") }

// ipPacket serializes the IP packet with gopacket.
func (p pkt) ipPacket(t testing.TB) []byte {
	t.Helper()
	src, dst := net.ParseIP(p.src), net.ParseIP(p.dst)
	if src == nil || dst == nil {
		t.Fatalf("bad address in %+v", p)
	}
	var net6 *layers.IPv6
	var net4 *layers.IPv4
	var netLayer gopacket.SerializableLayer
	var netForCsum gopacket.NetworkLayer
	proto := layers.IPProtocolTCP
	switch p.proto {
	case "udp":
		proto = layers.IPProtocolUDP
	case "icmp", "icmp-reply":
		proto = layers.IPProtocolICMPv4
		if p.v6() {
			proto = layers.IPProtocolICMPv6
		}
	case "esp":
		proto = layers.IPProtocolESP
	}
	if p.v6() {
		net6 = &layers.IPv6{Version: 6, HopLimit: 57, NextHeader: proto, SrcIP: src, DstIP: dst}
		netLayer, netForCsum = net6, net6
	} else {
		net4 = &layers.IPv4{Version: 4, IHL: 5, TTL: 49, Id: 4711, Flags: layers.IPv4DontFragment,
			Protocol: proto, SrcIP: src.To4(), DstIP: dst.To4()}
		netLayer, netForCsum = net4, net4
	}
	ls := []gopacket.SerializableLayer{netLayer}
	switch p.proto {
	case "tcp":
		tcp := &layers.TCP{SrcPort: layers.TCPPort(p.sport), DstPort: layers.TCPPort(p.dport),
			Seq: 1929621329, Window: 29200}
		for _, f := range p.flags {
			switch f {
			case 'S':
				tcp.SYN = true
			case 'F':
				tcp.FIN = true
			case 'R':
				tcp.RST = true
			case 'P':
				tcp.PSH = true
			case 'A':
				tcp.ACK = true
				tcp.Ack = 840989709
			case 'U':
				tcp.URG = true
			case 'E':
				tcp.ECE = true
			case 'W':
				tcp.CWR = true
			}
		}
		if tcp.SYN {
			tcp.Options = []layers.TCPOption{
				{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
				{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
				{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10,
					OptionData: []byte{0x32, 0x20, 0x0e, 0x0d, 0, 0, 0, 0}},
				{OptionType: layers.TCPOptionKindNop},
				{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
			}
		}
		_ = tcp.SetNetworkLayerForChecksum(netForCsum)
		ls = append(ls, tcp)
	case "udp":
		udp := &layers.UDP{SrcPort: layers.UDPPort(p.sport), DstPort: layers.UDPPort(p.dport)}
		_ = udp.SetNetworkLayerForChecksum(netForCsum)
		ls = append(ls, udp, gopacket.Payload(bytes.Repeat([]byte{'x'}, 12)))
	case "icmp", "icmp-reply":
		payload := gopacket.Payload(bytes.Repeat([]byte{0xa5}, 56))
		if p.v6() {
			typ := uint8(layers.ICMPv6TypeEchoRequest)
			if p.proto == "icmp-reply" {
				typ = layers.ICMPv6TypeEchoReply
			}
			ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
			_ = ic.SetNetworkLayerForChecksum(netForCsum)
			ls = append(ls, ic, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}, payload)
		} else {
			typ := uint8(layers.ICMPv4TypeEchoRequest)
			if p.proto == "icmp-reply" {
				typ = layers.ICMPv4TypeEchoReply
			}
			ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: 1, Seq: 1}, payload)
		}
	case "esp":
		ls = append(ls, gopacket.Payload([]byte{0, 0, 0x10, 0x01, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8}))
	default:
		t.Fatalf("unknown proto %q", p.proto)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialize %+v: %v", p, err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// record builds the pflog record for p at the given time.
func (p pkt) record(t testing.TB, sec, nsec int64) *gen.Record {
	t.Helper()
	af := uint8(pflog.AFInet)
	if p.v6() {
		af = pflog.AFInet6
	}
	h := gen.DefaultHeader(af)
	if p.pass {
		h.Action = pflog.ActionPass
	}
	if p.out {
		h.Dir = pflog.DirOut
	}
	h.RuleNr = 1
	if p.rule != 0 {
		h.RuleNr = p.rule
	}
	if p.anchor != "" {
		h.SetRuleset(p.anchor)
		h.SubRuleNr = p.subrule
	}
	if p.uid != 0 {
		h.UID = p.uid
	}
	h.RIdentifier = p.rid
	return &gen.Record{Sec: sec, Nsec: nsec, Hdr: h, Packet: p.ipPacket(t), Snap: p.snap}
}

// writeCapture writes records to a pcap file in dir and returns its path.
func writeCapture(t testing.TB, path string, snaplen int, recs []*gen.Record) string {
	t.Helper()
	if err := gen.WriteFile(path, snaplen, recs...); err != nil {
		t.Fatal(err)
	}
	return path
}

// captureFile writes the records into a new file in t.TempDir().
func captureFile(t testing.TB, name string, snaplen int, recs []*gen.Record) string {
	t.Helper()
	return writeCapture(t, filepath.Join(t.TempDir(), name), snaplen, recs)
}

func (p pkt) String() string {
	s := fmt.Sprintf("%s %s>%s", p.proto, p.src, p.dst)
	if p.flags != "" {
		s += " [" + p.flags + "]"
	}
	return s
}
