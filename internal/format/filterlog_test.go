package format_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/packet/packettest"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// The grammar of Netgate's "Raw Filter Log Format", field by field.
var (
	reNum      = `[0-9]+`
	reOptNum   = `[0-9]*`
	reWord     = `[a-z][a-z/-]*` // reason, action, direction words
	reName     = `[!-+\--~ ]*`   // printable ASCII without ','
	reIPv4     = `[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+`
	reIPv6     = `[0-9a-f:.]+`
	reTCPFlags = `F?S?R?P?A?U?E?C?`
	reSeq      = `([0-9]+(:[0-9]+)?)?`
	reTCPOpts  = `([A-Za-z0-9-]+(;[A-Za-z0-9-]+)*)?`
)

func fieldRes(res ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(res))
	for i, r := range res {
		out[i] = regexp.MustCompile(`^(?:` + r + `)$`)
	}
	return out
}

var (
	commonFields = fieldRes(reNum, reOptNum, reName, reNum, reName, reWord, reWord, reWord, `[46]`)
	ipv4Fields   = fieldRes(`0x[0-9a-f]+`, `(|0|1|CE)`, reNum, reNum, reNum, `(none|DF|\+|rsvd|DF\+)`, reNum, `[a-z0-9-]+`, reNum, reIPv4, reIPv4)
	ipv6Fields   = fieldRes(`0x[0-9a-f]{2}`, `0x[0-9a-f]{5}`, reNum, `[A-Za-z0-9 ()v]+`, reNum, reNum, reIPv6, reIPv6)
	tcpFields    = fieldRes(reOptNum, reOptNum, reOptNum, reTCPFlags, reSeq, reOptNum, reOptNum, reOptNum, reTCPOpts)
	udpFields    = fieldRes(reOptNum, reOptNum, reOptNum)
	carpFields   = fieldRes(`(advertise|unknown|)`, reOptNum, reOptNum, reOptNum, reOptNum, reOptNum)
)

// checkGrammar checks one CSV line field by field and returns the fields.
func checkGrammar(t *testing.T, name, csv string) []string {
	t.Helper()
	f := strings.Split(csv, ",")
	match := func(at int, res []*regexp.Regexp, what string) {
		t.Helper()
		if len(f) < at+len(res) {
			t.Fatalf("%s: %d fields, %s needs %d: %q", name, len(f), what, at+len(res), csv)
		}
		for i, re := range res {
			if !re.MatchString(f[at+i]) {
				t.Errorf("%s: %s field %d (%d overall) = %q does not match %s\n%s", name, what, i+1, at+i+1, f[at+i], re, csv)
			}
		}
	}
	match(0, commonFields, "common")
	if len(f) == 9 {
		return f // no IP header captured
	}
	var proto, rest int
	switch f[8] {
	case "4":
		match(9, ipv4Fields, "IPv4")
		proto, _ = strconv.Atoi(f[15])
		rest = 20
		if f[13] != "0" { // a later fragment: nothing after the addresses
			if len(f) != 21 || f[20] != "" {
				t.Errorf("%s: fragment with protocol data: %q", name, csv)
			}
			return f
		}
	case "6":
		match(9, ipv6Fields, "IPv6")
		proto, _ = strconv.Atoi(f[13])
		rest = 17
	}
	switch {
	case proto == 6:
		match(rest, tcpFields, "TCP")
		if len(f) != rest+len(tcpFields) {
			t.Errorf("%s: TCP line has %d fields, want %d: %q", name, len(f), rest+len(tcpFields), csv)
		}
	case proto == 17:
		match(rest, udpFields, "UDP")
		if len(f) != rest+len(udpFields) {
			t.Errorf("%s: UDP line has %d fields: %q", name, len(f), csv)
		}
	case proto == 1 && f[8] == "4":
		if len(f) <= rest || !regexp.MustCompile(`^(request|reply|unreachproto|unreachport|needfrag|unreach|redirect|timexceed|paramprob|maskreply|tstamp|tstampreply|routeradv|[a-z ]+|)$`).MatchString(f[rest]) {
			t.Errorf("%s: ICMP type field in %q", name, csv)
		}
	case proto == 112 && f[8] == "4":
		match(rest, carpFields, "CARP")
	case f[8] == "4":
		if len(f) != rest+1 || !regexp.MustCompile(`^datalength=[0-9]+$`).MatchString(f[rest]) {
			t.Errorf("%s: other protocol: %q", name, csv)
		}
	default: // IPv6 without TCP/UDP: the line ends after the destination
		if len(f) != rest+1 || f[rest] != "" {
			t.Errorf("%s: IPv6 other protocol: %q", name, csv)
		}
	}
	return f
}

func TestFilterlogGrammar(t *testing.T) {
	f := format.NewFilterlog(time.UTC, "fw")
	var all []byte
	re := regexp.MustCompile(`^2025-11-21T10:16:42\.123456\+00:00 fw filterlog: (.*)\n$`)
	for _, c := range packettest.Catalogue() {
		r := caseRecord(t, &c)
		line := f.Append(nil, r)
		all = append(all, line...)
		m := re.FindSubmatch(line)
		if m == nil {
			t.Errorf("%s: line layout: %q", c.Name, line)
			continue
		}
		csv := string(m[1])
		for _, bad := range []string{"(null)", "unkn(", "-??", "%", "\n", "\x00"} {
			if strings.Contains(csv, bad) {
				t.Errorf("%s: C-style placeholder %q in %q", c.Name, bad, csv)
			}
		}
		checkGrammar(t, c.Name, csv)
	}
	golden(t, "filterlog.golden", all)
}

func TestFilterlogFields(t *testing.T) {
	f := format.NewFilterlog(time.UTC, "fw")
	f.Bare = true
	for _, tt := range []struct{ name, want string }{
		{"tcp4-syn", "1,,,0,vtnet0,match,block,in,4,0x0,,64,4660,0,DF,6,tcp,60,198.51.100.7,192.0.2.1,54321,22,0,S,1000,,65535,,mss;sackOK;TS;nop;wscale"},
		// Snap 116: the options are cut after 4 bytes (mss only).
		{"tcp4-syn-snap116", "1,,,0,vtnet0,match,block,in,4,0x0,,64,4660,0,DF,6,tcp,60,198.51.100.7,192.0.2.1,54321,22,0,S,1000,,65535,,mss"},
		{"tcp4-syn-snap30", "1,,,0,vtnet0,match,block,in,4,0x0,,64,4660,0,DF,6,tcp,60,198.51.100.7,192.0.2.1,54321,22,,,,,,,"},
		{"tcp4-ip-only", "1,,,0,vtnet0,match,block,in,4,0x0,,64,4660,0,DF,6,tcp,60,198.51.100.7,192.0.2.1,,,,,,,,,"},
		{"tcp4-cut-ip", "1,,,0,vtnet0,match,block,in,4"},
		{"tcp4-push-ack-data", "4,0x13,CE,64,4660,0,DF,6,tcp,52,198.51.100.7,192.0.2.1,443,40000,12,PAU,7:19,99,512,3,"},
		{"udp4-dns", ",4,0x0,,64,4660,0,DF,17,udp,44,203.0.113.9,192.0.2.1,5353,53,24"},
		{"icmp4-echo", ",1,icmp,44,203.0.113.9,192.0.2.1,request,77,3"},
		{"icmp4-echo-reply", ",reply,77,3"},
		{"icmp4-unreach-port", ",unreachport,203.0.113.9,UDP,33434"},
		{"icmp4-unreach-proto", ",unreachproto,203.0.113.9,17"},
		{"icmp4-unreach-host", ",unreach,host 203.0.113.9 unreachable"},
		{"icmp4-needfrag", ",needfrag,203.0.113.9,1400"},
		{"icmp4-timex", ",timexceed,time exceeded in-transit"},
		{"icmp4-paramprob", ",paramprob,parameter problem - octet 5"},
		{"icmp4-redirect", ",redirect,redirect 203.0.113.9 to host 192.0.2.1"},
		{"icmp4-tstamp", ",tstamp,5,6"},
		{"icmp4-tstampreply", ",tstampreply,5,6,01:00:00.000,00:00:00.001,24:00:00.000"},
		{"icmp4-unknown-type", ",192.0.2.1,unknown"},
		{"icmp4-echo-cut", ",request,,"},
		{"udp4-first-fragment", ",4660,0,+,17,udp,60,198.51.100.8,192.0.2.1,1000,2000,40"},
		{"udp4-last-fragment", ",40,none,17,udp,36,198.51.100.8,192.0.2.1,"},
		{"igmp4-ipopts", ",2,igmp,32,198.51.100.9,224.0.0.22,datalength=8"},
		{"carp4", ",112,carp,32,192.0.2.2,224.0.0.18,advertise,255,5,2,0,1"},
		{"tcp6-syn", "1,,,0,vtnet0,match,block,in,6,0x2e,0x12345,64,TCP,6,40,2001:db8::7,2001:db8::1,40000,443,0,S,1000,,65535,,mss;sackOK;TS;nop;wscale"},
		{"tcp6-syn-snap116", ",6,0x2e,0x12345,64,TCP,6,40,2001:db8::7,2001:db8::1,40000,443,,,,,,,"},
		{"udp6-ntp", ",UDP,17,56,2001:db8::9,2001:db8::1,123,123,56"},
		{"icmp6-echo", ",ICMPv6,58,12,2001:db8::9,2001:db8::1,"},
		{"icmp6-hopbyhop-mld", ",Options,0,36,fe80::2,ff02::16,"},
		{"tcp6-first-fragment", ",Fragment,44,48,2001:db8::7,2001:db8::1,"},
		{"anchor", "1,3,sshguard,0,vtnet0,"},
		{"anchor-comma-quote", "1,0,a_b\"c\\d,0,vtnet0,"},
		{"anchor-control-bytes", "1,9,x??y????,0,vtnet0,"},
		{"ifname-hostile", "1,,,0,em0\"}_?,match,"},
		{"ifname-utf8", ",wl??n0,"},
		{"uid-ridentifier", "1,,,1000000103,vtnet0,"},
		{"pass-out", ",match,pass,out,4,"},
		{"match-inout", ",match,match,in/out,4,"},
		{"action-unknown", ",vtnet0,unknown,unknown,unknown,4,"},
		{"reason-state-mismatch", ",state-mismatch,block,in,"},
		{"rdr-legacy", ",match,rdr,in,"},
		{"openbsd-fwd", ",match,divert,fwd,"},
		{"not-ip", "1,,,0,vtnet0,match,block,in,4"},
	} {
		c := caseByName(t, tt.name)
		line := string(f.Append(nil, caseRecord(t, &c)))
		if !strings.HasSuffix(line, "\n") || !strings.Contains(line[:len(line)-1], tt.want) {
			t.Errorf("%s:\n%s\ndoes not contain\n%s", tt.name, line, tt.want)
		}
		if strings.HasPrefix(tt.want, "1,") && !strings.HasPrefix(line, tt.want) {
			t.Errorf("%s: %q does not start with %q", tt.name, line, tt.want)
		}
	}
}

func TestFilterlogHost(t *testing.T) {
	f := format.NewFilterlog(time.UTC, "bad,host name\n")
	c := caseByName(t, "tcp4-syn")
	line := string(f.Append(nil, caseRecord(t, &c)))
	if !strings.HasPrefix(line, "2025-11-21T10:16:42.123456+00:00 bad_host name? filterlog: 1,") {
		t.Errorf("%q", line)
	}
	if format.NewFilterlog(time.UTC, "") == nil {
		t.Fatal("nil")
	}
}

func TestFilterlogAllocs(t *testing.T) {
	f := format.NewFilterlog(time.UTC, "fw")
	c := caseByName(t, "tcp4-syn")
	r := caseRecord(t, &c)
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { buf = f.Append(buf[:0], r) }); n != 0 {
		t.Errorf("Filterlog.Append allocates %v times per record", n)
	}
}

func BenchmarkFilterlog(b *testing.B) {
	f := format.NewFilterlog(time.UTC, "fw")
	c := caseByName(b, "tcp4-syn-snap116")
	r := caseRecord(b, &c)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], r)
	}
}

func FuzzFilterlog(f *testing.F) {
	for _, c := range packettest.Catalogue() {
		p := c.Packet()
		f.Add(p.Data, p.WireLen)
	}
	fl := format.NewFilterlog(time.UTC, "fw")
	fl.Bare = true
	f.Fuzz(func(t *testing.T, data []byte, wire int) {
		h := new(pflog.Header)
		ip, err := pflog.Decode(data, h)
		if err != nil {
			return
		}
		r := &format.Record{Pkt: &source.Packet{Sec: packettest.Sec, WireLen: len(data), Data: data}, Hdr: h, IP: ip, IPWireLen: wire}
		line := fl.Append(nil, r)
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("not one line: %q", line)
		}
		var s packet.Summary
		packet.Decode(ip, wire, &s)
		if s.Version == 0 {
			return
		}
		if strings.Contains(string(line), "unkn(") || strings.Contains(string(line), "(null)") {
			t.Fatalf("placeholder in %q", line)
		}
		checkGrammar(t, "fuzz", string(line[:len(line)-1]))
	})
}
