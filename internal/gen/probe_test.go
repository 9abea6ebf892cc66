package gen

import (
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// TestProbe decodes each probe's packet with gopacket and checks the
// fields it names and the fixed ones its documentation promises.
func TestProbe(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Probe
		want func(t *testing.T, pk gopacket.Packet)
	}{
		{"tcp4-syn", Probe{Src: "192.0.2.10", Dst: "198.51.100.7", Proto: "tcp", Flags: "S", SPort: 40000, DPort: 22},
			func(t *testing.T, pk gopacket.Packet) {
				tcp := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
				if !tcp.SYN || tcp.ACK || tcp.Ack != 0 || tcp.Seq != 1929621329 || tcp.Window != 65535 ||
					tcp.SrcPort != 40000 || tcp.DstPort != 22 || len(tcp.Options) != 1 || tcp.Options[0].OptionType != layers.TCPOptionKindMSS {
					t.Errorf("tcp %+v", tcp)
				}
			}},
		{"tcp6-linux-syn", Probe{Src: "2001:db8::10", Dst: "2001:db8::1", Proto: "tcp", Flags: "SEW", SPort: 1, DPort: 2,
			Window: 29200, SYNOptions: LinuxSYNOptions()},
			func(t *testing.T, pk gopacket.Packet) {
				tcp := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
				if !tcp.SYN || !tcp.ECE || !tcp.CWR || tcp.Window != 29200 || len(tcp.Options) != 5 ||
					tcp.Options[4].OptionType != layers.TCPOptionKindWindowScale {
					t.Errorf("tcp %+v", tcp)
				}
			}},
		{"tcp4-fin-ack", Probe{Src: "198.51.100.80", Dst: "192.0.2.1", Proto: "tcp", Flags: "FAPRU", SPort: 443, DPort: 50000},
			func(t *testing.T, pk gopacket.Packet) {
				tcp := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
				if !tcp.FIN || !tcp.ACK || !tcp.PSH || !tcp.RST || !tcp.URG || tcp.SYN || tcp.Ack != 840989709 || len(tcp.Options) != 0 {
					t.Errorf("tcp %+v", tcp)
				}
			}},
		{"udp4", Probe{Src: "192.0.2.77", Dst: "192.0.2.1", Proto: "udp", SPort: 40001, DPort: 500},
			func(t *testing.T, pk gopacket.Packet) {
				u := pk.Layer(layers.LayerTypeUDP).(*layers.UDP)
				if u.SrcPort != 40001 || u.DstPort != 500 || u.Length != 20 || string(u.Payload) != strings.Repeat("x", 12) {
					t.Errorf("udp %+v", u)
				}
			}},
		{"icmp4-echo", Probe{Src: "192.0.2.5", Dst: "192.0.2.1", Proto: "icmp"},
			func(t *testing.T, pk gopacket.Packet) {
				ic := pk.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
				if ic.TypeCode.Type() != layers.ICMPv4TypeEchoRequest || ic.Id != 1 || ic.Seq != 1 || len(ic.Payload) != 56 {
					t.Errorf("icmp %+v", ic)
				}
			}},
		{"icmp6-reply", Probe{Src: "2001:db8::5", Dst: "2001:db8::1", Proto: "icmp-reply"},
			func(t *testing.T, pk gopacket.Packet) {
				ic := pk.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
				if ic.TypeCode.Type() != layers.ICMPv6TypeEchoReply {
					t.Errorf("icmp6 %+v", ic)
				}
			}},
		{"esp6", Probe{Src: "2001:db8::5", Dst: "2001:db8::1", Proto: "esp"},
			func(t *testing.T, pk gopacket.Packet) {
				esp, ok := pk.Layer(layers.LayerTypeIPSecESP).(*layers.IPSecESP)
				if !ok || esp.SPI != 0x1001 || esp.Seq != 7 {
					t.Errorf("esp %+v", pk.Layers())
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := c.p.Record(5, 6000)
			if err != nil {
				t.Fatal(err)
			}
			v6 := strings.Contains(c.p.Src, ":")
			first := layers.LayerTypeIPv4
			af := uint8(pflog.AFInet)
			if v6 {
				first, af = layers.LayerTypeIPv6, pflog.AFInet6
			}
			if want := DefaultHeader(af); r.Hdr != want || r.Sec != 5 || r.Nsec != 6000 || r.Snap != 0 {
				t.Errorf("record %+v, want header %+v", r, want)
			}
			pk := gopacket.NewPacket(r.Packet, first, gopacket.Default)
			if e := pk.ErrorLayer(); e != nil {
				t.Fatalf("gopacket: %v", e.Error())
			}
			if v6 {
				ip := pk.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
				if ip.HopLimit != 57 || ip.SrcIP.String() != c.p.Src || ip.DstIP.String() != c.p.Dst || int(ip.Length) != len(r.Packet)-40 {
					t.Errorf("ipv6 %+v", ip)
				}
			} else {
				ip := pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
				if ip.TTL != 49 || ip.Id != 4711 || ip.Flags != layers.IPv4DontFragment || ip.SrcIP.String() != c.p.Src ||
					ip.DstIP.String() != c.p.Dst || int(ip.Length) != len(r.Packet) || sum16(r.Packet[:20], 0) != 0xffff {
					t.Errorf("ipv4 %+v", ip)
				}
			}
			c.want(t, pk)
		})
	}
}

// TestProbeErrors: a probe that cannot be built says what is wrong with
// it instead of giving a packet.
func TestProbeErrors(t *testing.T) {
	for _, c := range []struct {
		p    Probe
		want string
	}{
		{Probe{Src: "192.0.2.1", Dst: "2001:db8::1", Proto: "tcp"}, "different families"},
		{Probe{Src: "192.0.2", Dst: "192.0.2.1", Proto: "tcp"}, "must be IP addresses"},
		{Probe{Src: "192.0.2.2", Dst: "192.0.2.1", Proto: "gre"}, `unknown protocol "gre"`},
		{Probe{Src: "192.0.2.2", Dst: "192.0.2.1", Proto: "tcp", Flags: "SX"}, `unknown TCP flag 'X'`},
	} {
		if _, err := c.p.Record(0, 0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one saying %q", c.p, err, c.want)
		}
	}
}
