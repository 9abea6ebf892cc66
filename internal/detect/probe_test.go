package detect

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func sctp(sport, dport uint16, vtag uint32, chunk byte) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], vtag)
	b[12] = chunk
	binary.BigEndian.PutUint16(b[14:], 16)
	return b
}

func dccp(sport, dport uint16, typ byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	b[4] = 5
	b[8] = typ<<1 | 1 // X=1: 48-bit sequence numbers
	return b
}

// classify runs the decoders the pipeline runs and then Classify.
func classify(t testing.TB, pkt []byte, snap int, action, dir uint8) Probe {
	t.Helper()
	af := uint8(pflog.AFInet)
	if pkt[0]>>4 == 6 {
		af = pflog.AFInet6
	}
	h := gen.DefaultHeader(af)
	h.Action, h.Dir = action, dir
	h.RuleNr = 7
	ip := pkt
	if snap > 0 && snap < len(ip) {
		ip = ip[:snap]
	}
	var s packet.Summary
	packet.Decode(ip, len(pkt), &s)
	var p Probe
	Classify(&p, 1e18, &h, &s)
	return p
}

const (
	syn = packet.TCPSyn
	ack = packet.TCPAck
	fin = packet.TCPFin
	rst = packet.TCPRst
	psh = packet.TCPPsh
	ece = packet.TCPEce
	cwr = packet.TCPCwr
	urg = packet.TCPUrg
)

func TestClassify(t *testing.T) {
	hbh := func(nh byte) []byte { return []byte{nh, 0, 1, 4, 0, 0, 0, 0} }
	rt := cat([]byte{6, 2, 0, 1, 0, 0, 0, 0}, netip.MustParseAddr("2001:db8::99").AsSlice())
	frag0 := []byte{6, 0, 0, 1, 0, 0, 0, 42}
	syn4 := gen.TCPRaw(40000, 443, syn, nil, nil)
	badoff := gen.TCPRaw(40000, 22, syn, nil, nil)
	badoff[12] = 4 << 4
	later4 := gen.IPv4(6, gen.TCPRaw(40000, 22, syn, nil, nil))
	binary.BigEndian.PutUint16(later4[6:], 5) // fragment offset 40
	mcast := gen.IPv6(17, gen.UDPRaw(5353, 5353, []byte("x")))
	copy(mcast[24:], netip.MustParseAddr("ff02::fb").AsSlice())
	bcast := gen.IPv4(17, gen.UDPRaw(68, 67, []byte("x")))
	copy(bcast[16:], []byte{255, 255, 255, 255})
	cases := []struct {
		name   string
		pkt    []byte
		snap   int
		action uint8
		dir    uint8
		kind   Kind
		proto  uint8
		port   uint16
		cut    bool
	}{
		{"ip4/syn", gen.IPv4(6, syn4), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip4/syn-ece-cwr", gen.IPv4(6, gen.TCPRaw(40000, 80, syn|ece|cwr, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 80, false},
		{"ip4/syn-options", gen.IPv4Opts(6, syn4, []byte{0x94, 4, 0, 0}), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip4/fin-scan", gen.IPv4(6, gen.TCPRaw(40000, 81, fin, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 81, false},
		{"ip4/null-scan", gen.IPv4(6, gen.TCPRaw(40000, 82, 0, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 82, false},
		{"ip4/xmas-scan", gen.IPv4(6, gen.TCPRaw(40000, 83, fin|psh|urg, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 83, false},
		{"ip4/syn-ack-reply", gen.IPv4(6, gen.TCPRaw(443, 50000, syn|ack, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 50000, false},
		{"ip4/late-ack", gen.IPv4(6, gen.TCPRaw(50000, 443, ack, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 443, false},
		{"ip4/late-fin-ack", gen.IPv4(6, gen.TCPRaw(50000, 443, fin|ack, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 443, false},
		{"ip4/late-psh-ack", gen.IPv4(6, gen.TCPRaw(443, 50000, psh|ack, nil, []byte("x"))), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 50000, false},
		{"ip4/rst", gen.IPv4(6, gen.TCPRaw(50000, 443, rst, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 443, false},
		{"ip4/rst-ack", gen.IPv4(6, gen.TCPRaw(443, 50000, rst|ack, nil, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 50000, false},
		{"ip4/syn-pass", gen.IPv4(6, syn4), 0, pflog.ActionPass, pflog.DirIn, KindOther, 0, 0, false},
		{"ip4/syn-match", gen.IPv4(6, syn4), 0, pflog.ActionMatch, pflog.DirIn, KindOther, 0, 0, false},
		{"ip4/syn-out", gen.IPv4(6, syn4), 0, pflog.ActionDrop, pflog.DirOut, KindOwn, 0, 0, false},
		{"ip4/pass-out", gen.IPv4(6, syn4), 0, pflog.ActionPass, pflog.DirOut, KindOwn, 0, 0, false},
		{"ip4/badoff-syn-is-tcp", gen.IPv4(6, badoff), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 22, false},
		{"ip4/short-tcp-14", gen.IPv4(6, syn4[:14]), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip4/tcp-ports-only-443", gen.IPv4(6, syn4[:8]), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, true},
		{"ip4/tcp-ports-only-high", gen.IPv4(6, gen.TCPRaw(40000, 8443, syn, nil, nil)[:8]), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 8443, false},
		{"ip4/later-fragment", later4, 0, pflog.ActionDrop, pflog.DirIn, KindOther, 0, 0, false},
		{"ip4/udp", gen.IPv4(17, gen.UDPRaw(40000, 161, []byte("x"))), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 17, 161, false},
		{"ip4/udp-high", gen.IPv4(17, gen.UDPRaw(40000, 5060, []byte("x"))), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 17, 5060, false},
		{"ip4/udp-dns-reply", gen.IPv4(17, gen.UDPRaw(53, 40000, []byte("x"))), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 17, 40000, false},
		{"ip4/udp-ntp-symmetric", gen.IPv4(17, gen.UDPRaw(123, 123, []byte("x"))), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 17, 123, false},
		{"ip4/udp-broadcast", bcast, 0, pflog.ActionDrop, pflog.DirIn, KindOther, 0, 0, false},
		{"ip4/echo", gen.IPv4(1, []byte{8, 0, 0, 0, 0, 1, 0, 1}), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 1, 0, false},
		{"ip4/echo-4-bytes", gen.IPv4(1, []byte{8, 0, 0, 0}), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 1, 0, false},
		{"ip4/echo-reply", gen.IPv4(1, []byte{0, 0, 0, 0, 0, 1, 0, 1}), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 1, 0, false},
		{"ip4/unreach", gen.IPv4(1, cat([]byte{3, 3, 0, 0, 0, 0, 0, 0}, gen.IPv4(17, gen.UDPRaw(40000, 33434, nil)))), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 1, 0, false},
		{"ip4/sctp-init", gen.IPv4(132, sctp(40000, 3868, 0, 1)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 132, 3868, false},
		{"ip4/sctp-init-ack", gen.IPv4(132, sctp(3868, 40000, 77, 2)), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 132, 40000, false},
		{"ip4/sctp-abort", gen.IPv4(132, sctp(40000, 3868, 77, 6)), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 132, 3868, false},
		{"ip4/dccp-request", gen.IPv4(33, dccp(40000, 5004, 0)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 33, 5004, false},
		{"ip4/dccp-response", gen.IPv4(33, dccp(5004, 40000, 1)), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 33, 40000, false},
		{"ip4/dccp-cut", gen.IPv4(33, dccp(40000, 22, 0)[:6]), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 33, 22, true},
		{"ip4/udplite", gen.IPv4(136, gen.UDPRaw(40000, 7, nil)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 136, 7, false},
		{"ip4/proto-200", gen.IPv4(200, []byte{1, 2, 3, 4}), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 200, 0, false},
		{"ip6/syn", gen.IPv6(6, syn4), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip6/hbh-syn", gen.IPv6(0, cat(hbh(6), syn4)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip6/dstopt-syn", gen.IPv6(60, cat(hbh(6), syn4)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip6/rt0-syn", gen.IPv6(43, cat(rt, syn4)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip6/frag0-syn", gen.IPv6(44, cat(frag0, syn4)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip6/hbh-dst-frag-syn", gen.IPv6(0, cat(hbh(60), hbh(44), frag0, syn4)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 443, false},
		{"ip6/syn-ack", gen.IPv6(0, cat(hbh(6), gen.TCPRaw(443, 50000, syn|ack, nil, nil))), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 50000, false},
		{"ip6/cut-syn-22", gen.IPv6(6, gen.TCPRaw(40000, 22, syn, nil, nil)), 44, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 22, true},
		{"ip6/cut-fin-ack-22", gen.IPv6(6, gen.TCPRaw(40000, 22, fin|ack, nil, nil)), 44, pflog.ActionDrop, pflog.DirIn, KindProbe, 6, 22, true},
		{"ip6/cut-8080", gen.IPv6(6, gen.TCPRaw(40000, 8080, syn, nil, nil)), 44, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 8080, false},
		{"ip6/cut-reply-to-ephemeral", gen.IPv6(6, gen.TCPRaw(443, 50000, ack, nil, nil)), 44, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 50000, false},
		{"ip6/cut-reply-to-resvport", gen.IPv6(6, gen.TCPRaw(2049, 800, ack, nil, nil)), 44, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 800, false},
		{"ip6/cut-from-service-port", gen.IPv6(6, gen.TCPRaw(80, 22, ack, nil, nil)), 44, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 22, false},
		{"ip6/hbh-cut-before-ports", gen.IPv6(0, cat(hbh(6), syn4)), 44, pflog.ActionDrop, pflog.DirIn, KindOther, 6, 0, false},
		{"ip6/udp", gen.IPv6(17, gen.UDPRaw(40000, 53, []byte("x"))), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 17, 53, false},
		{"ip6/hbh-udp", gen.IPv6(0, cat(hbh(17), gen.UDPRaw(40000, 53, []byte("x")))), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 17, 53, false},
		{"ip6/udp-multicast", mcast, 0, pflog.ActionDrop, pflog.DirIn, KindOther, 0, 0, false},
		{"ip6/echo", gen.IPv6(58, []byte{128, 0, 0, 0, 0, 1, 0, 1}), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 58, 0, false},
		{"ip6/echo-reply", gen.IPv6(58, []byte{129, 0, 0, 0, 0, 1, 0, 1}), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 58, 0, false},
		{"ip6/nd", gen.IPv6(58, []byte{135, 0, 0, 0, 0, 0, 0, 0}), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 58, 0, false},
		{"ip6/sctp-init", gen.IPv6(132, sctp(40000, 38412, 0, 1)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 132, 38412, false},
		{"ip6/dccp-request", gen.IPv6(33, dccp(40000, 5004, 0)), 0, pflog.ActionDrop, pflog.DirIn, KindProbe, 33, 5004, false},
		{"ip6/no-next", gen.IPv6(59, nil), 0, pflog.ActionDrop, pflog.DirIn, KindOther, 59, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := classify(t, c.pkt, c.snap, c.action, c.dir)
			if p.Kind != c.kind {
				t.Fatalf("kind %d, want %d (probe %+v)", p.Kind, c.kind, p)
			}
			if c.kind != KindProbe {
				return
			}
			if p.Proto != c.proto || (c.proto != 1 && c.proto != 58 && p.Port != c.port) || p.Cut != c.cut {
				t.Errorf("proto %d port %d cut %v, want %d %d %v", p.Proto, p.Port, p.Cut, c.proto, c.port, c.cut)
			}
			if p.Rule != 7 || string(pflog.CString(p.Iface[:])) != "vtnet0" || p.Time != 1e18 || !p.Src.IsValid() {
				t.Errorf("probe %+v: rule, interface, time or source not carried", p)
			}
		})
	}
}

// TestClassifyEchoSweep: echo requests to different hosts are different
// "ports"; to the same host the same.
func TestClassifyEchoSweep(t *testing.T) {
	seen := map[uint16]bool{}
	for i := 1; i <= 200; i++ {
		pkt := gen.IPv4(1, []byte{8, 0, 0, 0, 0, 1, 0, byte(i)})
		pkt[19] = byte(i)
		p := classify(t, pkt, 0, pflog.ActionDrop, pflog.DirIn)
		seen[p.Port] = true
		q := classify(t, pkt, 0, pflog.ActionDrop, pflog.DirIn)
		if q.Port != p.Port {
			t.Fatal("the same destination gave two ports")
		}
	}
	if len(seen) < 198 {
		t.Errorf("200 destinations gave %d distinct ports", len(seen))
	}
}

func TestClassifyAllocs(t *testing.T) {
	pkt := gen.IPv6(0, cat([]byte{6, 0, 1, 4, 0, 0, 0, 0}, gen.TCPRaw(40000, 443, syn, nil, nil)))
	h := gen.DefaultHeader(pflog.AFInet6)
	var s packet.Summary
	var p Probe
	n := testing.AllocsPerRun(1000, func() {
		packet.Decode(pkt, len(pkt), &s)
		Classify(&p, 1, &h, &s)
	})
	if n != 0 {
		t.Errorf("%v allocations per record", n)
	}
}
