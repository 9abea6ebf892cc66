package packettest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// TsharkFields are the tshark fields Tshark reads for every record: the
// pflog header and what the structured formats say about the packet.
var TsharkFields = []string{
	"pflog.rulenr", "pflog.subrulenr", "pflog.ruleset", "pflog.ifname", "pflog.uid",
	"pflog.action", "pflog.reason", "pflog.dir", "pflog.af",
	"ip.version", "ip.src", "ip.dst", "ip.proto", "ip.len",
	"ipv6.version", "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.flow",
	"tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.window_size_value", "tcp.urgent_pointer", "tcp.flags",
	"udp.srcport", "udp.dstport",
	"icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
}

// Tshark writes the cases as a pflog capture and returns, per case, what
// the installed tshark decodes from it: field name to the first value
// (fields tshark did not decode are absent). tshark is the path of the
// program (testtool.Need).
func Tshark(t testing.TB, tshark string, cs []Case) []map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalogue.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := gen.NewWriter(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		c := &cs[i]
		r := &gen.Record{Sec: Sec, Nsec: Nsec, Hdr: c.Hdr, Packet: c.IP}
		if c.Snap > 0 && c.Snap < len(c.IP) {
			r.Snap = pflog.HeaderSize(c.Hdr.AppendEncoded(nil)[0]) + c.Snap
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// No reassembly: every record is decoded on its own, as the daemon does.
	args := []string{"-n", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
		"-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"}
	for _, fl := range TsharkFields {
		args = append(args, "-e", fl)
	}
	cmd := exec.Command(tshark, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no user preferences
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	rows := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(rows) != len(cs) {
		t.Fatalf("tshark printed %d rows for %d records\n%s", len(rows), len(cs), stderr.String())
	}
	var res []map[string]string
	for _, row := range rows {
		vals := strings.Split(row, "\t")
		m := map[string]string{}
		for i, fl := range TsharkFields {
			if i < len(vals) && vals[i] != "" {
				m[fl] = vals[i]
			}
		}
		res = append(res, m)
	}
	return res
}

// Expect turns tshark's decode of one record into the values the
// structured formats must show, keyed by the JSON names (rule, subrule,
// anchor, uid, action, reason, direction, af, ip_version, src, dst,
// proto_num, sport, dport, tcp_seq, tcp_ack, tcp_win, tcp_urg, tcp_flags,
// icmp_type, icmp_code, flow_label, wire_length), all as decimal or
// plain strings. actions, reasons and dirs are the BSD's word tables
// (package pflogtest) for the record's layout; a value outside them is
// "unknown". Names tshark shows escaped (control bytes, non-ASCII, quote,
// backslash) are left out: the formats' own tests pin those.
func Expect(m map[string]string, actions, reasons, dirs []string) map[string]string {
	w := map[string]string{}
	word := func(tab []string, v string) string {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n >= len(tab) {
			return "unknown"
		}
		return tab[n]
	}
	plain := func(s string) bool {
		for _, c := range []byte(s) {
			if c < 0x20 || c >= 0x7f || c == '\\' || c == '"' {
				return false
			}
		}
		return true
	}
	hex := func(s string) string {
		n, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
		if err != nil {
			return "bad hex " + s
		}
		return strconv.FormatUint(n, 10)
	}
	w["rule"] = m["pflog.rulenr"]
	if sr := m["pflog.subrulenr"]; sr != "-1" {
		w["subrule"] = sr
		if plain(m["pflog.ruleset"]) {
			w["anchor"] = m["pflog.ruleset"]
		}
	}
	if plain(m["pflog.ifname"]) {
		w["interface"] = m["pflog.ifname"]
	}
	if u := m["pflog.uid"]; u != "-1" {
		w["uid"] = u
	}
	w["action"] = word(actions, m["pflog.action"])
	w["reason"] = word(reasons, m["pflog.reason"])
	w["direction"] = word(dirs, m["pflog.dir"])
	switch m["pflog.af"] {
	case "2":
		w["af"] = "inet"
	case "24", "28", "30":
		w["af"] = "inet6"
	}
	if v, ok := m["ip.version"]; ok {
		w["ip_version"] = v
	}
	if _, ok := m["ip.src"]; ok {
		w["src"], w["dst"], w["proto_num"], w["wire_length"] = m["ip.src"], m["ip.dst"], m["ip.proto"], m["ip.len"]
	}
	if _, ok := m["ipv6.src"]; ok {
		w["src"], w["dst"], w["flow_label"] = m["ipv6.src"], m["ipv6.dst"], hex(m["ipv6.flow"])
		if n, err := strconv.Atoi(m["ipv6.plen"]); err == nil {
			w["wire_length"] = strconv.Itoa(40 + n)
		}
	}
	_, icmp := m["icmp.type"]
	_, icmp6 := m["icmpv6.type"]
	switch {
	case icmp:
		w["icmp_type"], w["icmp_code"] = m["icmp.type"], m["icmp.code"]
	case icmp6:
		w["icmp_type"], w["icmp_code"] = m["icmpv6.type"], m["icmpv6.code"]
	case m["tcp.srcport"] != "":
		w["sport"], w["dport"] = m["tcp.srcport"], m["tcp.dstport"]
		if _, ok := m["tcp.seq_raw"]; ok {
			w["tcp_seq"], w["tcp_ack"], w["tcp_win"], w["tcp_urg"] = m["tcp.seq_raw"], m["tcp.ack_raw"], m["tcp.window_size_value"], m["tcp.urgent_pointer"]
			w["tcp_flags"] = tcpFlagLetters(hex(m["tcp.flags"]))
		}
	case m["udp.srcport"] != "":
		w["sport"], w["dport"] = m["udp.srcport"], m["udp.dstport"]
	}
	return w
}

// tcpFlagLetters returns tcpdump's flag letters for a decimal flags
// value, sorted (FIN F, SYN S, RST R, PSH P, URG U, ECE E, CWR W, ACK .).
func tcpFlagLetters(dec string) string {
	n, _ := strconv.Atoi(dec)
	return SortedLetters(flagString(n))
}

func flagString(n int) string {
	s := ""
	for i, l := range []string{"F", "S", "R", "P", "A", "U", "E", "W"} {
		if n&(1<<i) != 0 {
			if l == "A" {
				l = "."
			}
			s += l
		}
	}
	return s
}

// SortedLetters returns s's bytes sorted, to compare flag strings as sets.
func SortedLetters(s string) string {
	b := []byte(s)
	for i := 1; i < len(b); i++ {
		for j := i; j > 0 && b[j] < b[j-1]; j-- {
			b[j], b[j-1] = b[j-1], b[j]
		}
	}
	return string(b)
}
