package format_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/detect"
	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/packet/packettest"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog/pflogtest"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// caseRecord returns the format.Record for a catalogue case, decoded from
// its wire form exactly as the daemon does it.
func caseRecord(t testing.TB, c *packettest.Case) *format.Record {
	t.Helper()
	p := c.Packet()
	h := new(pflog.Header)
	ip, err := pflog.Decode(p.Data, h)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return &format.Record{Pkt: p, Hdr: h, IP: ip, IPWireLen: p.WireLen - pflog.HeaderSize(h.Length)}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if testtool.Update() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s line %d:\ngot  %s\nwant %s", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: %d lines, want %d", path, len(gl), len(wl))
	}
}

func TestJSONCatalogue(t *testing.T) {
	f := format.NewJSON(time.UTC)
	var all []byte
	for _, c := range packettest.Catalogue() {
		t.Run(c.Name, func(t *testing.T) {
			r := caseRecord(t, &c)
			line := f.Append(nil, r)
			all = append(all, line...)
			if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
				t.Fatalf("not one line: %q", line)
			}
			if !json.Valid(line) {
				t.Fatalf("invalid JSON: %s", line)
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			num := func(k string) float64 {
				v, ok := m[k].(float64)
				if !ok {
					t.Fatalf("%s: %v (%T), want a number in %s", k, m[k], m[k], line)
				}
				return v
			}
			str := func(k string) string {
				v, ok := m[k].(string)
				if !ok {
					t.Fatalf("%s: %v (%T), want a string in %s", k, m[k], m[k], line)
				}
				return v
			}
			if str("timestamp") != "2025-11-21T10:16:42.123456+00:00" {
				t.Errorf("timestamp %q", m["timestamp"])
			}
			if num("rule") != float64(r.Hdr.RuleNr) || num("ridentifier") != float64(r.Hdr.RIdentifier) {
				t.Errorf("rule/ridentifier: %s", line)
			}
			if r.Hdr.InAnchor() {
				if num("subrule") != float64(r.Hdr.SubRuleNr) || str("anchor") != utf8Fixed(r.Hdr.Anchor()) {
					t.Errorf("anchor %q subrule %v", m["anchor"], m["subrule"])
				}
			} else if m["anchor"] != nil || m["subrule"] != nil {
				t.Errorf("anchor outside anchors: %s", line)
			}
			if str("interface") != utf8Fixed(r.Hdr.Interface()) {
				t.Errorf("interface %q, want %q", m["interface"], r.Hdr.Interface())
			}
			if r.Hdr.UID == pflog.NoUID && m["uid"] != nil || r.Hdr.UID != pflog.NoUID && num("uid") != float64(r.Hdr.UID) {
				t.Errorf("uid %v", m["uid"])
			}
			for _, k := range []string{"action", "reason", "direction", "af"} {
				if w := str(k); w == "" || strings.ContainsAny(w, "()") {
					t.Errorf("%s = %q", k, w)
				}
			}
			// The packet fields are checked against tshark (TestJSONTshark).
			if num("captured_length") != float64(len(r.IP)) {
				t.Errorf("captured_length: %s", line)
			}
		})
	}
	golden(t, "json.golden", all)
}

func TestJSONValues(t *testing.T) {
	f := format.NewJSON(time.UTC)
	for _, tt := range []struct{ name, want string }{
		{"tcp4-syn", `"action":"block","reason":"match","direction":"in","interface":"vtnet0","af":"inet","ip_version":4,"src":"198.51.100.7","dst":"192.0.2.1","proto_num":6,"proto":"tcp"`},
		{"tcp4-syn", `"sport":54321,"dport":22,"tcp_flags":"S","tcp_seq":1000,"tcp_ack":0,"tcp_win":65535,"tcp_urg":0,"payload_length":0,"wire_length":60,"captured_length":60,"truncated":false}`},
		{"tcp4-syn-snap116", `"truncated":true}`},
		{"anchor", `"rule":1,"subrule":3,"anchor":"sshguard","ridentifier":0,"uid":null`},
		{"anchor-comma-quote", `"anchor":"a,b\"c\\d"`},
		{"anchor-control-bytes", `"anchor":"x\u000a\u0009y\u0001\u007f\ufffd\ufffd"`},
		{"ifname-hostile", `"interface":"em0\"},\u000a"`},
		{"ifname-utf8", `"interface":"wlän0"`},
		{"ifname-full-16", `"interface":"abcdefghijklmnop"`},
		{"uid-ridentifier", `"ridentifier":1000000103,"uid":1001`},
		{"match-inout", `"action":"match","reason":"match","direction":"in/out"`},
		{"action-unknown", `"action":"unknown","reason":"unknown","direction":"unknown"`},
		{"icmp6-echo", `"af":"inet6","ip_version":6,"src":"2001:db8::9","dst":"2001:db8::1","proto_num":58,"proto":"icmp6"`},
		{"icmp6-echo", `"icmp_type":128,"icmp_code":0,"icmp_id":9,"icmp_seq":1`},
		{"udp4-dns", `"sport":5353,"dport":53,"payload_length":16`},
		{"tcp6-syn", `"flow_label":74565`},
		{"gre4", `"proto_num":47,"proto":"gre"`},
		{"not-ip", `"ip_version":0,"wire_length":5,"captured_length":5,"truncated":false}`},
	} {
		c := caseByName(t, tt.name)
		line := string(f.Append(nil, caseRecord(t, &c)))
		if !strings.Contains(line, tt.want) {
			t.Errorf("%s:\n%s\ndoes not contain\n%s", tt.name, line, tt.want)
		}
	}
}

func caseByName(t testing.TB, name string) packettest.Case {
	for _, c := range packettest.Catalogue() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return packettest.Case{}
}

// utf8Fixed replaces every invalid byte (not every invalid run) with U+FFFD,
// which is what jsonstr.Append does and encoding/json does too.
func utf8Fixed(b []byte) string {
	var out []rune
	for _, r := range string(b) {
		out = append(out, r)
	}
	return string(out)
}

func TestJSONAllocs(t *testing.T) {
	f := format.NewJSON(time.UTC)
	c := caseByName(t, "anchor-control-bytes")
	r := caseRecord(t, &c)
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { buf = f.Append(buf[:0], r) }); n != 0 {
		t.Errorf("JSON.Append allocates %v times per record", n)
	}
}

func BenchmarkJSON(b *testing.B) {
	f := format.NewJSON(time.UTC)
	c := caseByName(b, "tcp4-syn-snap116")
	r := caseRecord(b, &c)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], r)
	}
}

func FuzzJSON(f *testing.F) {
	for _, c := range packettest.Catalogue() {
		p := c.Packet()
		f.Add(p.Data, p.WireLen)
	}
	j := format.NewJSON(time.UTC)
	f.Fuzz(func(t *testing.T, data []byte, wire int) {
		h := new(pflog.Header)
		ip, err := pflog.Decode(data, h)
		if err != nil {
			return
		}
		r := &format.Record{Pkt: &source.Packet{Sec: packettest.Sec, Nsec: packettest.Nsec, WireLen: len(data), Data: data}, Hdr: h, IP: ip, IPWireLen: wire}
		line := j.Append(nil, r)
		if !json.Valid(line) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("bad line %q", line)
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
	})
}

// tsharkDiff lists the differences from tshark we mean, "case field" to
// "ours theirs".
var tsharkDiff = map[string]string{
	// 10 bytes of an IPv4 header: tshark reports the version nibble; the
	// decoder reports a version only with the whole header, so that
	// ip_version 4 always comes with src and dst.
	"tcp4-cut-ip ip_version": "0 4",
	// AH in IPv4: proto_num is the protocol AH protects, as after IPv6's
	// extension headers and as tcpdump's line goes on; tshark's ip.proto
	// is the IP header's field.
	"ah4-tcp-syn proto_num": "6 51",
}

// TestJSONTshark checks the JSON objects of the catalogue field by field
// against what the installed tshark decodes from the same records: an
// independent decoder, not package packet.
func TestJSONTshark(t *testing.T) {
	tshark := testtool.Need(t, "tshark", "tshark")
	cs := packettest.Catalogue()
	decoded := packettest.Tshark(t, tshark, cs)
	f := format.NewJSON(time.UTC)
	compared := 0
	for i := range cs {
		c := &cs[i]
		var m map[string]any
		if err := json.Unmarshal(f.Append(nil, caseRecord(t, c)), &m); err != nil {
			t.Fatal(err)
		}
		actions, reasons, dirs := pflogtest.FreeBSDActions, pflogtest.FreeBSDReasons, pflogtest.FreeBSDDirections
		if c.Hdr.Layout == pflog.LayoutOpenBSD {
			actions, reasons, dirs = pflogtest.OpenBSDActions, pflogtest.OpenBSDReasons, pflogtest.OpenBSDDirections
		}
		for k, want := range packettest.Expect(decoded[i], actions, reasons, dirs) {
			v, ok := m[k]
			if !ok {
				t.Errorf("%s: no %q; tshark decodes %s", c.Name, k, want)
				continue
			}
			var got string
			switch v := v.(type) {
			case float64:
				got = strconv.FormatFloat(v, 'f', -1, 64)
			case string:
				got = v
			default:
				got = fmt.Sprint(v)
			}
			if k == "tcp_flags" {
				got = packettest.SortedLetters(got)
			}
			if got != want && tsharkDiff[c.Name+" "+k] != got+" "+want {
				t.Errorf("%s: %s = %s, tshark decodes %s", c.Name, k, got, want)
			}
			compared++
		}
	}
	t.Logf("%d fields of %d records compared with tshark", compared, len(cs))
	if compared < 10*len(cs) {
		t.Fatalf("only %d fields compared for %d records", compared, len(cs))
	}
}

// TestDecisionJSONNamesInterfaceAsRecords: a decision's JSON line names
// the interface exactly as the JSON line of the record it came from does,
// whatever bytes the name holds (both through jsonstr).
func TestDecisionJSONNamesInterfaceAsRecords(t *testing.T) {
	f := format.NewJSON(time.UTC)
	for _, name := range []string{"ifname-hostile", "ifname-utf8", "ifname-full-16"} {
		c := caseByName(t, name)
		r := caseRecord(t, &c)
		ev := record.Event{Kind: record.KindScan, Scan: detect.Decision{Event: detect.EventScan, At: 1795258722e9,
			Source: netip.MustParsePrefix("192.0.2.7/32"), Addresses: 1, Ports: 9, Window: detect.WindowFast,
			First: 1795258682e9, Last: 1795258722e9, Rule: r.Hdr.RuleNr, Iface: r.Hdr.IfName}}
		var rec, dec map[string]any
		if err := json.Unmarshal(f.Append(nil, r), &rec); err != nil {
			t.Fatalf("%s: record: %v", name, err)
		}
		line := f.AppendEvent(nil, &ev)
		if err := json.Unmarshal(line, &dec); err != nil {
			t.Fatalf("%s: decision %s: %v", name, line, err)
		}
		if rec["interface"] != dec["interface"] || dec["interface"] == nil {
			t.Errorf("%s: record names %q, decision %q", name, rec["interface"], dec["interface"])
		}
	}
}
