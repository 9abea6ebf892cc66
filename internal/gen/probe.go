package gen

import (
	"bytes"
	"fmt"
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// Probe describes one IP packet a host on the network sends past the
// firewall, between any two addresses: a TCP segment with its flags, a
// UDP datagram, an ICMP echo or an ESP packet. Scenario tests (scanners,
// replies, blocked outbound traffic) build their records from it.
//
// What a Probe does not name is fixed, the same on every call, as a
// remote host would send it: TTL 49 (IPv4, ID 4711, don't fragment) or
// hop limit 57 (IPv6); TCP sequence 1929621329 and, with A, acknowledgment
// 840989709; 12 bytes of 'x' after a UDP header; an ICMP echo with
// identifier 1, sequence 1 and 56 bytes of 0xa5; a 16-byte ESP packet
// (SPI 0x1001, sequence 7).
type Probe struct {
	Src, Dst string // IPv4 or IPv6 literals, both of one family
	// Proto is "tcp", "udp", "icmp" (echo request), "icmp-reply" (echo
	// reply) or "esp"; ICMP is ICMPv6 between IPv6 addresses.
	Proto string
	// Flags are the TCP flags: S F R P A U E W (A: with an acknowledgment
	// number).
	Flags        string
	SPort, DPort uint16
	Window       uint16 // TCP window; 0 means 65535
	// SYNOptions are the TCP options of a segment with S; nil means an
	// MSS of 1460 alone (LinuxSYNOptions gives what Linux sends).
	SYNOptions []layers.TCPOption
}

// LinuxSYNOptions returns the TCP options of a Linux SYN: MSS 1460, SACK
// permitted, timestamps, NOP, window scale 7.
func LinuxSYNOptions() []layers.TCPOption {
	return []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
		{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10,
			OptionData: []byte{0x32, 0x20, 0x0e, 0x0d, 0, 0, 0, 0}},
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
	}
}

// Record returns p as a pflog record at sec, nsec: DefaultHeader for p's
// address family (the caller changes what its case needs) around
// p.Packet.
func (p Probe) Record(sec, nsec int64) (*Record, error) {
	pkt, err := p.Packet()
	if err != nil {
		return nil, err
	}
	af := uint8(pflog.AFInet)
	if net.ParseIP(p.Src).To4() == nil {
		af = pflog.AFInet6
	}
	return &Record{Sec: sec, Nsec: nsec, Hdr: DefaultHeader(af), Packet: pkt}, nil
}

// Packet serializes p with gopacket, with real lengths and checksums.
func (p Probe) Packet() ([]byte, error) {
	src, dst := net.ParseIP(p.Src), net.ParseIP(p.Dst)
	if src == nil || dst == nil {
		return nil, fmt.Errorf("probe %+v: source and destination must be IP addresses", p)
	}
	v6 := src.To4() == nil
	if v6 != (dst.To4() == nil) {
		return nil, fmt.Errorf("probe %+v: source and destination are of different families", p)
	}
	var proto layers.IPProtocol
	switch p.Proto {
	case "tcp":
		proto = layers.IPProtocolTCP
	case "udp":
		proto = layers.IPProtocolUDP
	case "icmp", "icmp-reply":
		proto = layers.IPProtocolICMPv4
		if v6 {
			proto = layers.IPProtocolICMPv6
		}
	case "esp":
		proto = layers.IPProtocolESP
	default:
		return nil, fmt.Errorf("probe %+v: unknown protocol %q (tcp, udp, icmp, icmp-reply or esp)", p, p.Proto)
	}
	var ip gopacket.SerializableLayer
	var csum gopacket.NetworkLayer
	if v6 {
		l := &layers.IPv6{Version: 6, HopLimit: 57, NextHeader: proto, SrcIP: src, DstIP: dst}
		ip, csum = l, l
	} else {
		l := &layers.IPv4{Version: 4, IHL: 5, TTL: 49, Id: 4711, Flags: layers.IPv4DontFragment,
			Protocol: proto, SrcIP: src.To4(), DstIP: dst.To4()}
		ip, csum = l, l
	}
	ls := []gopacket.SerializableLayer{ip}
	switch p.Proto {
	case "tcp":
		tcp := &layers.TCP{SrcPort: layers.TCPPort(p.SPort), DstPort: layers.TCPPort(p.DPort),
			Seq: 1929621329, Window: p.Window}
		if tcp.Window == 0 {
			tcp.Window = 65535
		}
		for _, f := range p.Flags {
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
				tcp.ACK, tcp.Ack = true, 840989709
			case 'U':
				tcp.URG = true
			case 'E':
				tcp.ECE = true
			case 'W':
				tcp.CWR = true
			default:
				return nil, fmt.Errorf("probe %+v: unknown TCP flag %q (S F R P A U E W)", p, f)
			}
		}
		if tcp.SYN {
			tcp.Options = p.SYNOptions
			if tcp.Options == nil {
				tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
			}
		}
		_ = tcp.SetNetworkLayerForChecksum(csum)
		ls = append(ls, tcp)
	case "udp":
		u := &layers.UDP{SrcPort: layers.UDPPort(p.SPort), DstPort: layers.UDPPort(p.DPort)}
		_ = u.SetNetworkLayerForChecksum(csum)
		ls = append(ls, u, gopacket.Payload(bytes.Repeat([]byte{'x'}, 12)))
	case "icmp", "icmp-reply":
		payload := gopacket.Payload(bytes.Repeat([]byte{0xa5}, 56))
		reply := p.Proto == "icmp-reply"
		if v6 {
			typ := uint8(layers.ICMPv6TypeEchoRequest)
			if reply {
				typ = layers.ICMPv6TypeEchoReply
			}
			ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
			_ = ic.SetNetworkLayerForChecksum(csum)
			ls = append(ls, ic, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}, payload)
		} else {
			typ := uint8(layers.ICMPv4TypeEchoRequest)
			if reply {
				typ = layers.ICMPv4TypeEchoReply
			}
			ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: 1, Seq: 1}, payload)
		}
	case "esp":
		ls = append(ls, gopacket.Payload([]byte{0, 0, 0x10, 0x01, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8}))
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		return nil, fmt.Errorf("probe %+v: serialize: %w", p, err)
	}
	return append([]byte(nil), buf.Bytes()...), nil
}
