package detect

import (
	"encoding/binary"
	"regexp"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/tcpdump"
)

var (
	// printedOpener: the text line shows an SCTP INIT (as its first
	// chunk) or a DCCP Request.
	printedOpener = regexp.MustCompile(`: sctp(?:\[ForCES [HML]P\])* \(1\) \[INIT\]|: DCCP DCCP-Request \(service=`)
	// printedType: the text line shows the first chunk or the packet
	// type, or the header as malformed: nothing a cut record may be.
	// sctpCutLine: the capture ends inside the first chunk.
	sctpCutLine = regexp.MustCompile(`: sctp(?:\[ForCES [HML]P\])* \[\|sctp\]$`)
	printedType = regexp.MustCompile(`: sctp(?:\[ForCES [HML]P\])* \(1\) \[|: DCCP (?:DCCP-|unknown-type-)|truncated-(?:sctp|dccp|DCCP)|bad-len|Bad chunk length|cut off at end|: sctp$`)
)

// agreeWithPrinter checks one SCTP or DCCP record (ip captured, wire
// bytes long) against its printed line: Classify counts it as an opener
// (a probe not Cut) exactly when the line shows an INIT (with
// verification tag 0) or a Request, and counts it as cut only when the
// line shows neither its first chunk or packet type nor a malformed
// header.
func agreeWithPrinter(t *testing.T, ip []byte, wire int) (Probe, []byte) {
	t.Helper()
	af := uint8(pflog.AFInet)
	if len(ip) > 0 && ip[0]>>4 == 6 {
		af = pflog.AFInet6
	}
	h := gen.DefaultHeader(af)
	var s packet.Summary
	packet.Decode(ip, wire, &s)
	var p Probe
	Classify(&p, 1, &h, &s)
	line := tcpdump.AppendPacket(nil, ip, wire)
	if s.Proto != packet.ProtoSCTP && s.Proto != packet.ProtoDCCP {
		return p, line
	}
	want := printedOpener.Match(line) && (s.Proto == packet.ProtoDCCP || s.SCTPVTag == 0)
	// An INIT whose chunk type was captured and which the IP length says
	// is whole counts though the capture cut it ("[|sctp]"): its type is
	// known, and an INIT answers nothing.
	if s.Proto == packet.ProtoSCTP && s.HasSCTPChunk && s.SCTPChunk == packet.SCTPInit && s.SCTPVTag == 0 &&
		!s.Hidden() && s.SCTPChunkLen >= 4 && s.L4Len >= 12+int(s.SCTPChunkLen) && sctpCutLine.Match(line) {
		want = true
	}
	if got := p.Kind == KindProbe && !p.Cut; got != want {
		t.Errorf("counted as an opener %v, printed as one %v: %q [%x]", got, want, line, ip)
	}
	if p.Cut && printedType.Match(line) {
		t.Errorf("counted as cut, printed with its type: %q [%x]", line, ip)
	}
	return p, line
}

// TestClassifySCTPDCCPAsPrinted: crafted SCTP and DCCP records are
// counted as the text line shows them, but for an INIT the capture cut
// after its chunk type, which counts. A record cut before that, or
// stopped at its extension headers, falls under the rule for records cut
// short (a destination port below 512 from a port of 1024 or above).
func TestClassifySCTPDCCPAsPrinted(t *testing.T) {
	params := []byte{0, 5, 0, 8, 192, 0, 2, 10} // IPv4 address parameter
	initNoParams := func(sport, dport uint16, vtag uint32) []byte {
		return gen.SCTPRaw(sport, dport, vtag, gen.SCTPChunk(1, 0, gen.SCTPInit(1, 65535, 10, 10, 1, nil)))
	}
	initParams := func(sport, dport uint16) []byte {
		return gen.SCTPRaw(sport, dport, 0, gen.SCTPChunk(1, 0, gen.SCTPInit(1, 65535, 10, 10, 1, params)))
	}
	abort := gen.SCTPRaw(40000, 22, 7, gen.SCTPChunk(6, 0, nil))
	req := func(sport, dport uint16, ext bool) []byte {
		return gen.DCCPRaw(sport, dport, 0, ext, 1, make([]byte, 4))
	}
	doff := func(b []byte, n byte) []byte { b = append([]byte(nil), b...); b[4] = n; return b }
	resp := gen.DCCPRaw(40000, 22, 1, true, 2, make([]byte, 12))
	dstopt := func(nh byte, p []byte) []byte { return cat([]byte{nh, 0, 1, 4, 0, 0, 0, 0}, p) }
	badHBH := func(nh byte, p []byte) []byte { return cat([]byte{nh, 0, 5, 3, 0, 0, 0, 0}, p) } // router alert, bad length
	totalLen := func(ip []byte, n uint16) []byte {
		ip = append([]byte(nil), ip...)
		binary.BigEndian.PutUint16(ip[2:], n)
		return ip
	}
	snap := 116 - pflog.HeaderSize(pflog.LenFreeBSD) // pflogd's default: 44 IP bytes
	cases := []struct {
		name string
		ip   []byte
		snap int // IP bytes captured (0: all)
		kind Kind
		cut  bool
		line string // printed, a regexp
	}{
		{"ip4/init", gen.IPv4(132, initNoParams(40000, 3868, 0)), 0, KindProbe, false, `\[INIT\] \[init tag: 1\]`},
		{"ip4/init-vtag", gen.IPv4(132, initNoParams(40000, 3868, 9)), 0, KindOther, false, `\[INIT\]`},
		{"ip4/init-snap116-3868", gen.IPv4(132, initNoParams(40000, 3868, 0)), snap, KindProbe, false, `sctp \[\|sctp\]$`},
		{"ip4/init-snap116-80", gen.IPv4(132, initNoParams(40000, 80, 0)), snap, KindProbe, false, `sctp \[\|sctp\]$`},
		{"ip4/init-params-snap160", gen.IPv4(132, initParams(40000, 3868)), 160 - 72, KindProbe, false, `\[INIT\]`},
		{"ip4/init-cut-in-chunk-header", gen.IPv4(132, initNoParams(40000, 80, 0)), 20 + 14, KindProbe, true, `sctp \[\|sctp\]$`},
		{"ip4/chunk-header-short", gen.IPv4(132, append(initNoParams(40000, 80, 0)[:12], 1, 0)), 0, KindOther, false, `chunk descriptor cut off`},
		{"ip4/init-chunk-len-0", gen.IPv4(132, gen.SCTPRaw(40000, 80, 0, []byte{1, 0, 0, 0})), 0, KindOther, false, `Bad chunk length 0`},
		{"ip4/init-chunk-len-long", gen.IPv4(132, gen.SCTPRaw(40000, 80, 0, []byte{1, 0, 0, 200, 0, 0, 0, 0})), 0, KindProbe, true, `sctp \[\|sctp\]$`},
		{"ip4/init-no-chunk", gen.IPv4(132, initNoParams(40000, 80, 0)[:12]), 0, KindOther, false, `: sctp$`},
		{"ip4/abort-cut", gen.IPv4(132, abort), 20 + 16, KindOther, false, `\[ABORT\]`},
		{"ip4/init-total-len-short", totalLen(gen.IPv4(132, initNoParams(40000, 3868, 0)), 20+16), 0, KindOther, false, `sctp \[\|sctp\]$`},
		{"ip4/init-total-len-0", totalLen(gen.IPv4(132, initNoParams(40000, 3868, 0)), 0), 0, KindOther, false, `bad-len 0`},
		{"ip4/init-total-len-beyond-wire", totalLen(gen.IPv4(132, initNoParams(40000, 80, 0)[:5]), 20+32), 0, KindProbe, true, `^truncated-ip - 27 bytes missing! .*\[\|sctp\]$`},
		{"ip6/init-snap116", gen.IPv6(132, initNoParams(40000, 80, 0)), snap, KindProbe, true, `\[\|sctp\]$`},
		{"ip6/init-snap116-3868", gen.IPv6(132, initNoParams(40000, 3868, 0)), snap, KindOther, false, `\[\|sctp\]$`},
		{"ip6/dstopt-init", gen.IPv6(60, dstopt(132, initNoParams(40000, 3868, 0))), 0, KindProbe, false, `DSTOPT .*\[INIT\]`},
		{"ip6/bad-hbh-init-80", gen.IPv6(0, badHBH(132, initNoParams(40000, 80, 0))), 0, KindProbe, true, `: HBH \(rtalert: invalid len 3\) \[\|hbhopt\]$`},
		{"ip6/bad-hbh-init-3868", gen.IPv6(0, badHBH(132, initNoParams(40000, 3868, 0))), 0, KindOther, false, `: HBH \(rtalert: invalid len 3\) \[\|hbhopt\]$`},
		{"ip6/hbh-after-dstopt-init", gen.IPv6(60, dstopt(0, dstopt(132, initNoParams(40000, 3868, 0)))), 0, KindOther, false, `don't follow`},
		{"ip4/request", gen.IPv4(33, req(40000, 5004, true)), 0, KindProbe, false, `DCCP-Request \(service=0\)`},
		{"ip4/request-short-seq", gen.IPv4(33, req(40000, 5004, false)), 0, KindProbe, false, `DCCP-Request`},
		{"ip4/request-doff-0", gen.IPv4(33, doff(req(40000, 5004, true), 0)), 0, KindProbe, false, `DCCP-Request`},
		{"ip4/request-doff-255", gen.IPv4(33, doff(req(40000, 5004, true), 255)), 0, KindProbe, false, `DCCP-Request`},
		{"ip4/request-snap116", gen.IPv4(33, req(40000, 5004, true)), snap, KindProbe, false, `DCCP-Request`},
		{"ip4/request-cut-before-service", gen.IPv4(33, req(40000, 80, true)), 20 + 18, KindProbe, true, `\[\|dccp\]$`},
		{"ip4/request-cut-before-service-5004", gen.IPv4(33, req(40000, 5004, true)), 20 + 18, KindOther, false, `\[\|dccp\]$`},
		{"ip4/request-no-service", gen.IPv4(33, gen.DCCPRaw(40000, 80, 0, true, 1, nil)), 0, KindOther, false, `truncated-DCCP-Request`},
		{"ip4/request-ext-short", gen.IPv4(33, gen.DCCPRaw(40000, 80, 0, true, 1, nil)[:14]), 0, KindOther, false, `truncated-dccp`},
		{"ip4/response-cut", gen.IPv4(33, resp), 20 + 12, KindOther, false, `\[\|dccp\]$`},
		{"ip6/request-snap116", gen.IPv6(33, req(40000, 22, true)), snap, KindProbe, true, `\[\|dccp\]$`},
		{"ip6/dstopt-request", gen.IPv6(60, dstopt(33, req(40000, 5004, true))), 0, KindProbe, false, `DSTOPT .*DCCP-Request`},
		{"ip6/bad-hbh-request", gen.IPv6(0, badHBH(33, req(40000, 22, true))), 0, KindProbe, true, `: HBH \(rtalert: invalid len 3\) \[\|hbhopt\]$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ip := c.ip
			if c.snap > 0 && c.snap < len(ip) {
				ip = ip[:c.snap]
			}
			p, line := agreeWithPrinter(t, ip, len(c.ip))
			if !regexp.MustCompile(c.line).Match(line) {
				t.Errorf("printed %q, want %s", line, c.line)
			}
			if p.Kind != c.kind || p.Cut != c.cut {
				t.Errorf("kind %d cut %v, want %d %v: %q", p.Kind, p.Cut, c.kind, c.cut, line)
			}
		})
	}
}

// TestClassifyAgreesWithPrinter: every SCTP and DCCP packet of the
// printer's catalogue, over IPv4, IPv6 and behind good and bad IPv6
// extension headers, cut at every length, is counted as printed.
func TestClassifyAgreesWithPrinter(t *testing.T) {
	n := 0
	for _, c := range gen.SCTPDCCPCases() {
		for _, ip := range [][]byte{
			gen.IPv4(c.Proto, c.Payload),
			gen.IPv4Opts(c.Proto, c.Payload, []byte{0x94, 4, 0, 0}),
			gen.IPv6(c.Proto, c.Payload),
			gen.IPv6(60, cat([]byte{c.Proto, 0, 1, 4, 0, 0, 0, 0}, c.Payload)),
			gen.IPv6(0, cat([]byte{c.Proto, 0, 5, 3, 0, 0, 0, 0}, c.Payload)),
			gen.IPv6(60, cat([]byte{0, 0, 1, 4, 0, 0, 0, 0}, []byte{c.Proto, 0, 1, 4, 0, 0, 0, 0}, c.Payload)),
		} {
			for cut := 1; cut <= len(ip); cut++ {
				agreeWithPrinter(t, ip[:cut], len(ip))
				n++
			}
		}
	}
	t.Logf("%d records", n)
}

// FuzzClassifyAgreesWithPrinter: any SCTP or DCCP packet, cut anywhere
// and with any IP length field, is counted as printed.
func FuzzClassifyAgreesWithPrinter(f *testing.F) {
	for _, c := range gen.SCTPDCCPCases() {
		f.Add(false, c.Proto, c.Payload, 0, -1)
		f.Add(true, c.Proto, c.Payload, 0, -1)
	}
	f.Fuzz(func(t *testing.T, v6 bool, proto byte, payload []byte, cut, length int) {
		var ip []byte
		if v6 {
			ip = gen.IPv6(proto, payload)
		} else {
			ip = gen.IPv4(proto, payload)
		}
		if length >= 0 && length <= 0xffff {
			if v6 {
				binary.BigEndian.PutUint16(ip[4:], uint16(length))
			} else {
				binary.BigEndian.PutUint16(ip[2:], uint16(length))
			}
		}
		if cut <= 0 || cut > len(ip) {
			cut = len(ip)
		}
		agreeWithPrinter(t, ip[:cut], len(ip))
	})
}
