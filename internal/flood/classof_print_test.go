package flood

import (
	"encoding/binary"
	"regexp"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/tcpdump"
)

// openerRE is what fail2ban/filter.d/pfasciilogd.conf's normal mode reads
// as an opener (its _pfa_syn, _pfa_syn_ext and _pfa_sctp), on the packet
// part of a line.
var openerRE = regexp.MustCompile(`^\S+\.\d+ > \S+: Flags \[[^\].]*S[^\].]*\]` +
	`|^\S+ > \S+: (?:(?:HBH|DSTOPT|RT6 \([^()]*\)|frag \(0\|\d+\)|AH\([^()]*\):) )+\d+ > \d+: Flags \[[^\].]*S[^\].]*\]` +
	`|^\S+\.\d+ > \S+\.\d+: (?:sctp \(\d+\) \[INIT\]|DCCP DCCP-Request)`)

// TestClassOfAgreesWithPrinter: a record is ClassTCPSyn exactly when the
// printed line is one the normal filter counts as an opener, so no record
// the filter ignores can use up the quota of those it counts (issue 12),
// and none it counts is hidden in another class. Packets: SYNs behind
// good and bad extension headers, SCTP and DCCP of every kind, each cut
// at every length.
func TestClassOfAgreesWithPrinter(t *testing.T) {
	syn := tcpHdr(0x02)
	hdr := func(nh byte, body ...byte) []byte { return append([]byte{nh, byte((len(body)+2)/8 - 1)}, body...) }
	rt := func(typ, n byte) []byte {
		b := []byte{6, n, typ, 1, 0, 0, 0, 0}
		return append(b, make([]byte, int(n)*8)...)
	}
	ah := func(nh byte) []byte {
		return []byte{nh, 4, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	}
	var pkts [][]byte
	exts := [][]byte{
		hdr(6, 1, 4, 0, 0, 0, 0),    // PadN
		hdr(6, 0, 0, 0, 0, 0, 0),    // Pad1s
		hdr(6, 5, 2, 0, 0, 1, 0),    // router alert
		hdr(6, 5, 3, 0, 0, 0, 0),    // bad router alert
		hdr(6, 0xc2, 4, 0, 0, 0, 1), // jumbo
		hdr(6, 0xc2, 2, 0, 0, 0, 0), // bad jumbo
		hdr(6, 0x1e, 9, 0, 0, 0, 0), // option past the end
		hdr(6, 0x1e, 0, 0, 0, 0, 0), // unknown option
	}
	for _, e := range exts {
		pkts = append(pkts, ipv6(0, cat(e, syn)), ipv6(60, cat(e, syn)))
		e2 := append([]byte{}, e...)
		e2[0] = 0
		pkts = append(pkts, ipv6(60, cat(e2, e, syn))) // HBH after DSTOPT
		pkts = append(pkts, ipv6(0, cat(e2, e, syn)))  // HBH twice
	}
	for _, r := range [][]byte{rt(0, 2), rt(2, 2), rt(4, 2), rt(3, 2), rt(0, 1), rt(0, 0)} {
		pkts = append(pkts, ipv6(43, cat(r, syn)))
	}
	pkts = append(pkts,
		ipv6(44, cat([]byte{6, 0, 0, 0, 0, 0, 0, 42}, syn)),
		ipv6(44, cat([]byte{6, 0, 0, 1, 0, 0, 0, 42}, syn)),
		ipv6(51, cat(ah(6), syn)),
		ipv6(51, cat(ah(60), hdr(6, 1, 4, 0, 0, 0, 0), syn)),
		ipv6(60, cat(hdr(51, 1, 4, 0, 0, 0, 0), ah(6), syn)),
		// IPv4 AH: tcpdump prints the SYN behind it (the fuzzer found it).
		ipv4(51, 0, cat(ah(6), syn)),
		ipv4(51, 0, cat(ah(51), ah(6), syn)),
		ipv4(51, 0, cat(ah(17), tcpHdr(0x02))),
	)
	for _, c := range gen.SCTPDCCPCases() {
		pkts = append(pkts, ipv4(c.Proto, 0, c.Payload), ipv6(c.Proto, c.Payload), ipv6(60, cat(hdr(c.Proto, 1, 4, 0, 0, 0, 0), c.Payload)))
		// An IP total length shorter than what was captured: the
		// printer goes by the IP length.
		short := ipv4(c.Proto, 0, c.Payload)
		binary.BigEndian.PutUint16(short[2:], uint16(min(len(short), 20+16)))
		zero := ipv4(c.Proto, 0, c.Payload) // "bad-len 0"
		binary.BigEndian.PutUint16(zero[2:], 0)
		pkts = append(pkts, short, zero)
	}
	n := 0
	for _, p := range pkts {
		for cut := 1; cut <= len(p); cut++ {
			var s packet.Summary
			packet.Decode(p[:cut], len(p), &s)
			line := tcpdump.AppendPacket(nil, p[:cut], len(p))
			opener := openerRE.Match(line)
			if got := ClassOf(true, &s) == ClassTCPSyn; got != opener {
				t.Errorf("ClassTCPSyn %v, filter opener %v: %q [%x]", got, opener, line, p[:cut])
			}
			n++
		}
	}
	t.Logf("%d records", n)
}

func cat(bs ...[]byte) []byte {
	var o []byte
	for _, b := range bs {
		o = append(o, b...)
	}
	return o
}

// FuzzClassOfAgreesWithPrinter: for any IPv6 or IPv4 packet, ClassTCPSyn
// exactly when the printed line is a normal-mode opener.
func FuzzClassOfAgreesWithPrinter(f *testing.F) {
	f.Add(false, byte(6), tcpHdr(0x02), 0)
	f.Add(true, byte(0), cat([]byte{6, 0, 1, 4, 0, 0, 0, 0}, tcpHdr(0x02)), 0)
	f.Add(true, byte(43), cat([]byte{6, 2, 0, 1, 0, 0, 0, 0}, make([]byte, 16), tcpHdr(0x02)), 0)
	for _, c := range gen.SCTPDCCPCases() {
		f.Add(true, c.Proto, c.Payload, 0)
	}
	f.Fuzz(func(t *testing.T, v6 bool, proto byte, payload []byte, cut int) {
		p := ipv4(proto, 0, payload)
		if v6 {
			p = ipv6(proto, payload)
		}
		if cut <= 0 || cut > len(p) {
			cut = len(p)
		}
		var s packet.Summary
		packet.Decode(p[:cut], len(p), &s)
		line := tcpdump.AppendPacket(nil, p[:cut], len(p))
		if got, want := ClassOf(true, &s) == ClassTCPSyn, openerRE.Match(line); got != want {
			t.Fatalf("ClassTCPSyn %v, filter opener %v: %q", got, want, line)
		}
	})
}
