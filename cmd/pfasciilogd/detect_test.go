package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// scanRec is one pflog record of the detection scenario: an inbound
// block by rule 7 on vtnet0 (or a blocked outbound one), a TCP segment
// with flags or a UDP datagram.
type scanRec struct {
	at           time.Duration
	src, dst     string
	udp          bool
	syn, ack     bool
	sport, dport uint16
	out          bool
}

func (p scanRec) record(t *testing.T, start time.Time) *gen.Record {
	t.Helper()
	src, dst := net.ParseIP(p.src), net.ParseIP(p.dst)
	v6 := strings.Contains(p.src, ":")
	proto := layers.IPProtocolTCP
	if p.udp {
		proto = layers.IPProtocolUDP
	}
	var ip gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	af := uint8(pflog.AFInet)
	if v6 {
		af = pflog.AFInet6
		l := &layers.IPv6{Version: 6, HopLimit: 57, NextHeader: proto, SrcIP: src, DstIP: dst}
		ip, nl = l, l
	} else {
		l := &layers.IPv4{Version: 4, IHL: 5, TTL: 49, Protocol: proto, SrcIP: src.To4(), DstIP: dst.To4()}
		ip, nl = l, l
	}
	var l4 gopacket.SerializableLayer
	if p.udp {
		u := &layers.UDP{SrcPort: layers.UDPPort(p.sport), DstPort: layers.UDPPort(p.dport)}
		u.SetNetworkLayerForChecksum(nl)
		l4 = u
	} else {
		tc := &layers.TCP{SrcPort: layers.TCPPort(p.sport), DstPort: layers.TCPPort(p.dport), Seq: 1, SYN: p.syn, ACK: p.ack, FIN: !p.syn, Window: 65535}
		tc.SetNetworkLayerForChecksum(nl)
		l4 = tc
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, l4); err != nil {
		t.Fatal(err)
	}
	h := gen.DefaultHeader(af)
	h.RuleNr = 7
	if p.out {
		h.Dir = pflog.DirOut
	}
	at := start.Add(p.at)
	return &gen.Record{Sec: at.Unix(), Nsec: int64(at.Nanosecond()), Hdr: h, Packet: append([]byte(nil), buf.Bytes()...)}
}

func scanSeries(n int, from, step time.Duration, mk func(i int) scanRec) []scanRec {
	s := make([]scanRec, n)
	for i := range s {
		s[i] = mk(i)
		s[i].at = from + time.Duration(i)*step
	}
	return s
}

// detectScenario: a fast scanner, a slow scanner, an IPv6 scanner
// rotating through its /64 and innocents (a NAT'd office retrying one
// port, replies to our connections, our own blocked outbound, a
// neighbour in another /64, a DNS answer stream).
func detectScenario(t *testing.T, path string) {
	const us4, us6 = "192.0.2.1", "2001:db8::1"
	var rs []scanRec
	rs = append(rs, scanSeries(30, 10*time.Second, 100*time.Millisecond, func(i int) scanRec {
		return scanRec{src: "198.51.100.23", dst: us4, syn: true, sport: 40000, dport: uint16(1 + i)}
	})...)
	rs = append(rs, scanSeries(12, 0, 15*time.Second, func(i int) scanRec {
		return scanRec{src: "203.0.113.40", dst: us4, syn: true, sport: 40001, dport: uint16(20 + i)}
	})...)
	rs = append(rs, scanSeries(14, 5*time.Second, 3*time.Second, func(i int) scanRec {
		return scanRec{src: fmt.Sprintf("2001:db8:bad:7::%x", 1+i%5), dst: us6, syn: true, sport: 40002, dport: uint16(1000 + i)}
	})...)
	rs = append(rs, scanSeries(40, 0, 3*time.Second, func(i int) scanRec {
		return scanRec{src: "198.51.100.10", dst: us4, syn: true, sport: uint16(50000 + i), dport: 993}
	})...)
	rs = append(rs, scanSeries(20, time.Second, 4*time.Second, func(i int) scanRec {
		return scanRec{src: "198.51.100.80", dst: us4, ack: true, sport: 443, dport: uint16(50000 + i)}
	})...)
	rs = append(rs, scanSeries(20, 2*time.Second, 4*time.Second, func(i int) scanRec {
		return scanRec{src: us4, dst: "203.0.113.50", syn: true, sport: 40003, dport: uint16(25 + i), out: true}
	})...)
	rs = append(rs, scanSeries(30, 0, time.Second, func(i int) scanRec {
		return scanRec{src: "198.51.100.53", dst: us4, udp: true, sport: 53, dport: uint16(30000 + i)}
	})...)
	rs = append(rs, scanRec{at: 50 * time.Second, src: "2001:db8:bad:9::1", dst: us6, syn: true, sport: 40004, dport: 1000})
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].at < rs[j].at })
	start := time.Date(2026, 11, 21, 0, 46, 0, 0, time.UTC)
	recs := make([]*gen.Record, len(rs))
	for i, r := range rs {
		recs[i] = r.record(t, start)
	}
	writeCapture(t, path, recs...)
}

// TestDetectDecisionLines: the real binary over the scenario writes
// exactly the expected decision lines (testdata/detect-*.golden), the
// same bytes for -workers 1 and 4, in text and JSON; -nodetect none.
func TestDetectDecisionLines(t *testing.T) {
	in := filepath.Join(t.TempDir(), "scan.pcap")
	detectScenario(t, in)
	run := func(args ...string) string {
		cmd := exec.Command(daemonBin, append([]string{"-r", in, "-o", "-"}, args...)...)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out)
	}
	for _, c := range []struct{ format, marker string }{
		{"text", " pfasciilogd: scan from "},
		{"json", `"event":"scan"`},
	} {
		one := run("-format", c.format, "-workers", "1")
		if four := run("-format", c.format, "-workers", "4"); four != one {
			t.Fatalf("%s: -workers 4 differs from -workers 1", c.format)
		}
		var got strings.Builder
		for _, l := range strings.SplitAfter(one, "\n") {
			if strings.Contains(l, c.marker) {
				got.WriteString(l)
			}
		}
		golden := filepath.Join("testdata", "detect-"+c.format+".golden")
		if testtool.Update() {
			os.MkdirAll("testdata", 0o755)
			os.WriteFile(golden, []byte(got.String()), 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%s decision lines\n got\n%s\nwant\n%s", c.format, got.String(), want)
		}
		for _, innocent := range []string{"198.51.100.10", "198.51.100.80", "192.0.2.1", "198.51.100.53", "2001:db8:bad:9:"} {
			if strings.Contains(got.String(), innocent) {
				t.Errorf("%s: decided against innocent %s", c.format, innocent)
			}
		}
		if n := strings.Count(got.String(), "\n"); n != 3 {
			t.Errorf("%s: %d decisions, want 3 (fast, slow, /64)", c.format, n)
		}
		if off := run("-format", c.format, "-nodetect"); strings.Contains(off, c.marker) || strings.Count(off, "\n") != strings.Count(one, "\n")-3 {
			t.Errorf("%s -nodetect: decision lines written, or other lines changed", c.format)
		}
	}
}

// TestDetectUsageErrors: bad detection flags are usage errors (exit 2)
// that say what is wrong.
func TestDetectUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-detect-fast", "24"}, "-detect-fast \"24\": want N/duration"},
		{[]string{"-detect-fast", "x/5s"}, "threshold \"x\""},
		{[]string{"-detect-fast", "24/5"}, "duration \"5\""},
		{[]string{"-detect-slow", "1/1h"}, "slow threshold 1"},
		{[]string{"-detect-fast", "24/1ms"}, "fast window 1ms"},
		{[]string{"-detect-weights", "3"}, "-detect-weights \"3\""},
		{[]string{"-detect-prefix6", "200"}, "prefix /200"},
		{[]string{"-detect-limit", "0"}, "-detect-limit must be positive"},
		{[]string{"-detect-hold", "-1s"}, "-detect-hold -1s"},
		{[]string{"-own", "192.0.2.300"}, "-own \"192.0.2.300\""},
		{[]string{"-ignore", "::ffff:192.0.2.0/120"}, "IPv4-mapped"},
		{[]string{"-nodetect", "-detect-fast", "24/5s"}, "-nodetect turns off"},
	} {
		cmd := exec.Command(daemonBin, append([]string{"-r", "-", "-o", "-"}, c.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2", c.args, err)
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: message %q, want it to say %q", c.args, stderr.String(), c.want)
		}
	}
}
