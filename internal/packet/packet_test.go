package packet_test

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/packet/packettest"
)

func byName(t testing.TB, name string) packettest.Case {
	for _, c := range packettest.Catalogue() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no catalogue case %q", name)
	return packettest.Case{}
}

func decode(t testing.TB, name string) packet.Summary {
	c := byName(t, name)
	var s packet.Summary
	packet.Decode(c.Captured(), len(c.IP), &s)
	return s
}

func TestDecode(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		name  string
		check func(t *testing.T, s packet.Summary)
	}{
		{"tcp4-syn", func(t *testing.T, s packet.Summary) {
			want := packet.Summary{Version: 4, HdrLen: 20, TotalLen: 60, TTL: 64, ID: 0x1234, Flags: packet.FlagDF,
				NextHdr: 6, Proto: 6, Src: a("198.51.100.7"), Dst: a("192.0.2.1"),
				L4Off: 20, L4Cap: 40, L4Len: 40, HasL4: true, HasPort: true, SrcPort: 54321, DstPort: 22,
				TCPFlags: packet.TCPSyn, HasTCPHdr: true, Seq: 1000, Window: 65535, TCPHdrLen: 40, TCPOptLen: 20,
				WireLen: 60, CapLen: 60}
			if s != want {
				t.Errorf("got  %+v\nwant %+v", s, want)
			}
		}},
		{"ah4-tcp-syn", func(t *testing.T, s packet.Summary) {
			// The summary looks through AH to the SYN, as tcpdump does.
			if s.NextHdr != packet.ProtoAH || s.Proto != packet.ProtoTCP || s.ExtLen != 24 || !s.ExtPlain ||
				s.L4Off != 44 || s.DstPort != 22 || s.SrcPort != 40000 || s.TCPFlags != packet.TCPSyn || s.L4Len != 20 {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp4-syn-snap116", func(t *testing.T, s packet.Summary) {
			if !s.Truncated || !s.HasTCPHdr || s.DstPort != 22 || s.PayloadLen != 0 || s.TCPOptLen != 20 {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp4-syn-snap30", func(t *testing.T, s packet.Summary) {
			if !s.Truncated || s.HasTCPHdr || !s.HasPort || s.DstPort != 22 || s.SrcPort != 54321 {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp4-ip-only", func(t *testing.T, s packet.Summary) {
			if !s.Truncated || s.HasPort || s.Src != a("198.51.100.7") || s.Proto != 6 {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp4-cut-ip", func(t *testing.T, s packet.Summary) {
			if !s.Truncated || s.Version != 0 || s.Src.IsValid() {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp4-push-ack-data", func(t *testing.T, s packet.Summary) {
			if s.Truncated || s.TCPFlags != packet.TCPAck|packet.TCPPsh|packet.TCPUrg || s.PayloadLen != 12 ||
				s.Ack != 99 || s.Urgent != 3 || s.Window != 512 || s.TOS != 0x13 {
				t.Errorf("%+v", s)
			}
		}},
		{"udp4-dns", func(t *testing.T, s packet.Summary) {
			if s.Truncated || s.SrcPort != 5353 || s.DstPort != 53 || s.UDPLen != 24 || s.PayloadLen != 16 {
				t.Errorf("%+v", s)
			}
		}},
		{"icmp4-echo", func(t *testing.T, s packet.Summary) {
			if !s.HasICMP || s.ICMPType != 8 || !s.HasEcho || s.ICMPID != 77 || s.ICMPSeq != 3 || s.HasPort || s.PayloadLen != 16 {
				t.Errorf("%+v", s)
			}
		}},
		{"icmp4-unreach-port", func(t *testing.T, s packet.Summary) {
			if !s.HasInner || s.InnerDst != a("203.0.113.9") || s.InnerProto != 17 || s.InnerDPort != 33434 || s.HasEcho {
				t.Errorf("%+v", s)
			}
		}},
		{"icmp4-needfrag", func(t *testing.T, s packet.Summary) {
			if s.ICMPRest&0xffff != 1400 {
				t.Errorf("%+v", s)
			}
		}},
		{"icmp4-echo-cut", func(t *testing.T, s packet.Summary) {
			if !s.Truncated || !s.HasICMP || s.HasEcho || s.ICMPType != 8 {
				t.Errorf("%+v", s)
			}
		}},
		{"udp4-first-fragment", func(t *testing.T, s packet.Summary) {
			if !s.Fragment || s.Flags != packet.FlagMF || s.FragOff != 0 || !s.HasPort || s.DstPort != 2000 {
				t.Errorf("%+v", s)
			}
		}},
		{"udp4-last-fragment", func(t *testing.T, s packet.Summary) {
			if !s.Fragment || s.FragOff != 40 || s.HasPort || s.L4Off != 0 || s.Truncated {
				t.Errorf("%+v", s)
			}
		}},
		{"igmp4-ipopts", func(t *testing.T, s packet.Summary) {
			if !s.Options || s.HdrLen != 24 || s.Proto != 2 || s.L4Off != 24 || s.HasL4 {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp6-syn", func(t *testing.T, s packet.Summary) {
			if s.Version != 6 || s.TOS != 0x2e || s.FlowLabel != 0x12345 || s.TTL != 64 || s.TotalLen != 80 ||
				s.Src != a("2001:db8::7") || s.DstPort != 443 || s.TCPFlags != packet.TCPSyn || s.Truncated {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp6-syn-snap116", func(t *testing.T, s packet.Summary) {
			if !s.Truncated || !s.HasPort || s.DstPort != 443 || s.HasTCPHdr {
				t.Errorf("%+v", s)
			}
		}},
		{"icmp6-echo", func(t *testing.T, s packet.Summary) {
			if s.Proto != 58 || s.ICMPType != 128 || !s.HasEcho || s.ICMPID != 9 || s.ICMPSeq != 1 {
				t.Errorf("%+v", s)
			}
		}},
		{"icmp6-hopbyhop-mld", func(t *testing.T, s packet.Summary) {
			if s.NextHdr != 0 || s.Proto != 58 || !s.Options || s.ExtLen != 8 || s.ICMPType != 143 || s.L4Off != 48 {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp6-first-fragment", func(t *testing.T, s packet.Summary) {
			if s.NextHdr != 44 || s.Proto != 6 || !s.Fragment || s.ID != 0xdeadbeef || s.DstPort != 8080 || s.Flags != packet.FlagMF {
				t.Errorf("%+v", s)
			}
		}},
		{"tcp6-later-fragment", func(t *testing.T, s packet.Summary) {
			if s.Proto != 6 || !s.Fragment || s.FragOff != 24 || s.HasPort || s.L4Off != 0 {
				t.Errorf("%+v", s)
			}
		}},
		{"not-ip", func(t *testing.T, s packet.Summary) {
			if s.Version != 0 || s.Src.IsValid() {
				t.Errorf("%+v", s)
			}
		}},
		{"empty", func(t *testing.T, s packet.Summary) {
			if !s.Truncated {
				t.Errorf("%+v", s)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, decode(t, tt.name)) })
	}
}

func TestTCPFlags(t *testing.T) {
	for _, tt := range []struct {
		f    uint8
		want string
	}{
		{0, "none"}, {packet.TCPSyn, "S"}, {packet.TCPSyn | packet.TCPAck, "S."}, {packet.TCPAck, "."},
		{packet.TCPPsh | packet.TCPAck, "P."}, {packet.TCPFin | packet.TCPAck, "F."}, {packet.TCPRst, "R"},
		{packet.TCPSyn | packet.TCPEce | packet.TCPCwr, "SEW"}, {0xff, "FSRP.UEW"},
	} {
		if got := string(packet.AppendTCPFlags(nil, tt.f)); got != tt.want {
			t.Errorf("%#x: got %q want %q", tt.f, got, tt.want)
		}
	}
}

// Every prefix of every catalogue packet decodes without panicking, and a
// prefix shorter than the whole packet never claims more than it has.
func TestDecodePrefixes(t *testing.T) {
	for _, c := range packettest.Catalogue() {
		for n := 0; n <= len(c.IP); n++ {
			var s packet.Summary
			packet.Decode(c.IP[:n], len(c.IP), &s)
			if s.L4Off > n {
				t.Errorf("%s[:%d]: L4Off %d beyond capture", c.Name, n, s.L4Off)
			}
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	c := byName(t, "tcp6-first-fragment")
	var s packet.Summary
	if n := testing.AllocsPerRun(100, func() { packet.Decode(c.IP, len(c.IP), &s) }); n != 0 {
		t.Errorf("Decode allocates %v times per packet", n)
	}
}

func BenchmarkDecode(b *testing.B) {
	c := byName(b, "tcp4-syn-snap116")
	ip := c.Captured()
	var s packet.Summary
	b.ReportAllocs()
	for b.Loop() {
		packet.Decode(ip, len(c.IP), &s)
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range packettest.Catalogue() {
		f.Add(c.IP, len(c.IP))
	}
	f.Fuzz(func(t *testing.T, ip []byte, wire int) {
		var s packet.Summary
		packet.Decode(ip, wire, &s)
		if s.L4Off > len(ip) {
			t.Fatalf("L4Off %d > %d", s.L4Off, len(ip))
		}
		if s.Version == 4 && len(ip) < 20 || s.Version == 6 && len(ip) < 40 {
			t.Fatalf("version %d from %d bytes", s.Version, len(ip))
		}
		_ = packet.AppendTCPFlags(nil, s.TCPFlags)
	})
}

// The checked-in seed corpus exists (go test -fuzz starts from it).
func TestSeedCorpus(t *testing.T) {
	m, err := filepath.Glob("testdata/fuzz/FuzzDecode/*")
	if err != nil || len(m) == 0 {
		t.Fatalf("no seeds in testdata/fuzz/FuzzDecode (%v)", err)
	}
}

// TestDecodeSCTPDCCP: SCTP, DCCP and UDP-Lite carry ports, SCTP its
// verification tag and first chunk type, DCCP its packet type, also
// behind IPv6 extension headers and when cut short.
func TestDecodeSCTPDCCP(t *testing.T) {
	initChunk := gen.SCTPChunk(packet.SCTPInit, 0, gen.SCTPInit(1, 65535, 10, 10, 1, nil))
	sctp := gen.SCTPRaw(40000, 3868, 0, initChunk)
	dccpReq := gen.DCCPRaw(40001, 5004, packet.DCCPRequest, true, 1, []byte{0, 0, 0, 0})
	dccpResp := gen.DCCPRaw(5004, 40001, packet.DCCPResponse, false, 1, make([]byte, 12))
	dst := func(nh byte, p []byte) []byte { return append([]byte{nh, 0, 1, 4, 0, 0, 0, 0}, p...) }
	tests := []struct {
		name         string
		ip           []byte
		cut          int
		port         bool
		sport, dport uint16
		chunk, dtype int // -1: not valid
		trunc        bool
		vtag         uint32 // with a valid chunk
	}{
		{"ip4-sctp-init", gen.IPv4(132, sctp), 0, true, 40000, 3868, 1, -1, false, 0},
		{"ip6-sctp-init", gen.IPv6(132, sctp), 0, true, 40000, 3868, 1, -1, false, 0},
		{"ip6-dstopt-sctp-init", gen.IPv6(60, dst(132, sctp)), 0, true, 40000, 3868, 1, -1, false, 0},
		{"ip4-sctp-snap116", gen.IPv4(132, sctp), 44, true, 40000, 3868, 1, -1, false, 0},
		{"ip6-sctp-snap116", gen.IPv6(132, sctp), 44, true, 40000, 3868, -1, -1, true, 0},
		{"ip4-sctp-no-chunk", gen.IPv4(132, sctp[:12]), 0, true, 40000, 3868, -1, -1, true, 0},
		{"ip4-sctp-3-bytes", gen.IPv4(132, sctp[:3]), 0, false, 0, 0, -1, -1, true, 0},
		{"ip4-dccp-request", gen.IPv4(33, dccpReq), 0, true, 40001, 5004, -1, 0, false, 0},
		{"ip6-dccp-request", gen.IPv6(33, dccpReq), 0, true, 40001, 5004, -1, 0, false, 0},
		{"ip6-dccp-response", gen.IPv6(33, dccpResp), 0, true, 5004, 40001, -1, 1, false, 0},
		{"ip6-dccp-snap116", gen.IPv6(33, dccpReq), 44, true, 40001, 5004, -1, -1, true, 0},
		{"ip4-dccp-8-bytes", gen.IPv4(33, dccpReq[:8]), 0, true, 40001, 5004, -1, -1, true, 0},
		{"ip4-sctp-vtag", gen.IPv4(132, gen.SCTPRaw(3868, 40000, 0xdeadbeef, initChunk)), 0, true, 3868, 40000, 1, -1, false, 0xdeadbeef},
		{"ip4-udplite", gen.IPv4(136, gen.UDPRaw(40002, 7, []byte("x"))), 0, true, 40002, 7, -1, -1, false, 0},
		{"ip6-hbh-udplite", gen.IPv6(0, dst(136, gen.UDPRaw(40002, 7, nil))), 0, true, 40002, 7, -1, -1, false, 0},
		{"ip4-udplite-3-bytes", gen.IPv4(136, gen.UDPRaw(40002, 7, nil)[:3]), 0, false, 0, 0, -1, -1, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ip := tc.ip
			if tc.cut > 0 {
				ip = ip[:tc.cut]
			}
			var s packet.Summary
			packet.Decode(ip, len(tc.ip), &s)
			chunk, dtype := -1, -1
			if s.HasSCTPChunk {
				chunk = int(s.SCTPChunk)
			}
			if s.HasDCCPType {
				dtype = int(s.DCCPType)
			}
			if s.HasPort != tc.port || s.SrcPort != tc.sport || s.DstPort != tc.dport || chunk != tc.chunk || dtype != tc.dtype || s.Truncated != tc.trunc {
				t.Errorf("%+v", s)
			}
			if s.HasSCTPChunk && s.SCTPVTag != tc.vtag {
				t.Errorf("verification tag %#x, want %#x", s.SCTPVTag, tc.vtag)
			}
			if tc.port && !s.HasL4 {
				t.Errorf("HasL4 false with ports")
			}
		})
	}
}
