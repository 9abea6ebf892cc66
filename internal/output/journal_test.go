package output_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
	"github.com/pfasciilogd/pfasciilogd/internal/detect"
	"github.com/pfasciilogd/pfasciilogd/internal/f2btest"
	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/journaldtest"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/packet/packettest"
	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog/pflogtest"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// TestJournald runs a real systemd-journald in a private mount namespace
// (internal/journaldtest); journald, journalctl, fail2ban and the sink
// all live in that namespace and vanish with it.
func TestJournald(t *testing.T) {
	if !journaldtest.Isolate(t) {
		return
	}

	// Without journald, the sink says so clearly.
	if _, err := output.OpenJournal(); !errors.Is(err, output.ErrNoJournald) {
		t.Fatalf("OpenJournal without journald: %v", err)
	} else if !strings.Contains(err.Error(), "journald is not running") {
		t.Fatalf("error %q", err)
	}

	// Each part gets a journald with empty journals of its own.
	for _, part := range []struct {
		name string
		f    func(*testing.T)
	}{{"fields", testJournalFields}, {"daemon", testJournalDaemon}, {"fail2ban", testJournalFail2ban}} {
		j := journaldtest.Start(t)
		t.Run(part.name, part.f)
		j.Stop()
	}
}

// journalEntries reads our entries back, waiting until there are n of
// them.
func journalEntries(t *testing.T, n int) []map[string]any {
	t.Helper()
	return journaldtest.Entries(t, n, "SYSLOG_IDENTIFIER="+output.JournalIdentifier)
}

func caseRecordOut(t *testing.T, c *packettest.Case) *format.Record {
	t.Helper()
	p := c.Packet()
	h := new(pflog.Header)
	ip, err := pflog.Decode(p.Data, h)
	if err != nil {
		t.Fatal(err)
	}
	return &format.Record{Pkt: p, Hdr: h, IP: ip, IPWireLen: p.WireLen - pflog.HeaderSize(h.Length)}
}

func caseByNameOut(t *testing.T, name string) packettest.Case {
	for _, c := range packettest.Catalogue() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return packettest.Case{}
}

// wantFields derives the PF_* fields a record must carry from the JSON
// formatter's view of it (an independent path through the same record).
func wantFields(t *testing.T, r *format.Record) map[string]string {
	var m map[string]any
	if err := json.Unmarshal(format.NewJSON(time.UTC).Append(nil, r), &m); err != nil {
		t.Fatal(err)
	}
	num := func(k string) string { return strconv.FormatFloat(m[k].(float64), 'f', -1, 64) }
	w := map[string]string{
		"PF_RULE": num("rule"), "PF_ACTION": m["action"].(string), "PF_REASON": m["reason"].(string),
		"PF_DIR": m["direction"].(string), "PF_AF": m["af"].(string), "PF_LEN": num("wire_length"),
		"PF_IF": string(format.AppendSafeName(nil, r.Hdr.Interface())), "PF_TRUNCATED": "0",
	}
	if m["truncated"] == true {
		w["PF_TRUNCATED"] = "1"
	}
	if m["subrule"] != nil {
		w["PF_SUBRULE"] = num("subrule")
		w["PF_ANCHOR"] = string(format.AppendSafeName(nil, r.Hdr.Anchor()))
	}
	if m["uid"] != nil {
		w["PF_UID"] = num("uid")
	}
	if num("ridentifier") != "0" {
		w["PF_RIDENTIFIER"] = num("ridentifier")
	}
	if m["ip_version"].(float64) != 0 {
		w["PF_SRC"], w["PF_DST"] = m["src"].(string), m["dst"].(string)
		if p, ok := m["proto"].(string); ok {
			w["PF_PROTO"] = p
		} else {
			w["PF_PROTO"] = num("proto_num")
		}
	}
	if _, ok := m["sport"]; ok {
		w["PF_SPORT"], w["PF_DPORT"] = num("sport"), num("dport")
	}
	if f, ok := m["tcp_flags"].(string); ok {
		w["PF_TCPFLAGS"] = f
	}
	if _, ok := m["icmp_type"]; ok {
		w["PF_ICMPTYPE"], w["PF_ICMPCODE"] = num("icmp_type"), num("icmp_code")
	}
	return w
}

func testJournalFields(t *testing.T) {
	j, err := output.OpenJournal()
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	text := format.NewText(time.UTC)
	cases := packettest.Catalogue()
	var lines []string
	var want []map[string]string
	for i := range cases {
		r := caseRecordOut(t, &cases[i])
		line := text.Append(nil, r)
		var err error
		if i%2 == 0 {
			err = j.WriteRecord(line, r)
		} else {
			format.NewJSON(time.UTC).Append(nil, r) // the summary is decoded once, here
			err = j.WriteRecord(line, r)
		}
		if err != nil {
			t.Fatalf("%s: %v", cases[i].Name, err)
		}
		lines = append(lines, strings.TrimSuffix(string(line), "\n"))
		want = append(want, wantFields(t, r))
	}
	// Through WriteBatch, as the daemon hands lines over: a record's line
	// with its fields, then a flood summary with its own.
	batchCase := caseByNameOut(t, "udp6-ntp")
	r := caseRecordOut(t, &batchCase)
	jf := format.NewJSON(time.UTC)
	var b output.Batch
	b.Buf = jf.Append(b.Buf, r)
	b.Add(r, nil)
	ev := record.Event{Kind: record.KindFlood, Flood: flood.Summary{AddrLen: 4, Addr: [16]byte{198, 51, 100, 7},
		Sources: 1, Suppressed: 4906, At: 1795258722e9, Window: 2 * time.Minute}}
	b.Buf = jf.AppendEvent(b.Buf, &ev)
	b.Add(nil, &ev)
	bev := record.Event{Kind: record.KindBudget, Budget: budget.Summary{Withheld: 18234, Firsts: 18000,
		Start: 1795258721e9, At: 1795258722e9, Rate: 2000}}
	b.Buf = jf.AppendEvent(b.Buf, &bev)
	b.Add(nil, &bev)
	// A scan decision (issue 12): MESSAGE is the text line after its
	// timestamp, whatever the format, with the PF_* fields of contract 1.
	scan := record.Event{Kind: record.KindScan, Scan: detect.Decision{Event: detect.EventScan, At: 1795258722e9,
		Source: netip.MustParsePrefix("2001:db8:bad:7::/64"), Addresses: 5, Ports: 14, Window: detect.WindowFast,
		First: 1795258682e9, Last: 1795258722e9, Rule: 7, Iface: [16]byte{'v', 't', 'n', 'e', 't', '0'}}}
	scan.Scan.Protos[0], scan.Scan.NProtos = detect.ProtoCount{Proto: 6, N: 14}, 1
	b.Buf = jf.AppendEvent(b.Buf, &scan)
	b.Add(nil, &scan)
	if err := output.WriteBatch(j, &b); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, batchCase)
	lines = append(lines, strings.TrimSuffix(string(jf.Append(nil, r)), "\n"))
	want = append(want, wantFields(t, r))
	evLine := strings.TrimSuffix(string(jf.AppendEvent(nil, &ev)), "\n")
	// Plain lines through the Sink interface.
	if err := j.Write([]byte("plain one\nplain two\n")); err != nil {
		t.Fatal(err)
	}
	es := journalEntries(t, len(cases)+5)
	if len(es) != len(cases)+5 {
		t.Fatalf("%d entries, want %d", len(es), len(cases)+5)
	}
	if e := es[len(cases)+1]; e["MESSAGE"] != strings.TrimSuffix(string(jf.AppendEvent(nil, &bev)), "\n") ||
		e["PF_EVENT"] != "line_budget" || e["PF_WITHHELD"] != "18234" || e["PF_FIRST_LINES"] != "18000" ||
		e["PF_WINDOW"] != "1" || e["PF_BUDGET"] != "2000" {
		t.Errorf("line budget entry: %v", e)
	}
	if e := es[len(cases)+2]; e["MESSAGE"] != "pfasciilogd: scan from 2001:db8:bad:7::/64: 14 ports (tcp 14) from 5 addresses in 40s, fast window, rule 7 on vtnet0" ||
		e["PF_EVENT"] != "scan" || e["PF_SOURCE"] != "2001:db8:bad:7::/64" || e["PF_SCOPE"] != "range" || e["PF_PORTS"] != "14" ||
		e["PF_WINDOW"] != "fast" || e["PF_RULE"] != "7" || e["PF_INTERFACE"] != "vtnet0" || e["SYSLOG_IDENTIFIER"] != "pfasciilogd" {
		t.Errorf("scan decision entry: %v", e)
	}
	es = append(es[:len(cases)+1], es[len(cases)+3:]...)
	if e := es[len(cases)]; e["MESSAGE"] != evLine || e["PF_EVENT"] != "flood_summary" || e["PF_SOURCE"] != "198.51.100.7" ||
		e["PF_SUPPRESSED"] != "4906" || e["PF_SOURCES"] != "1" || e["PF_WINDOW"] != "120" {
		t.Errorf("flood summary entry: %v", e)
	}
	es = append(es[:len(cases)], es[len(cases)+1:]...)
	for i, e := range es[:len(cases)] {
		name := cases[i].Name
		if e["MESSAGE"] != lines[i] {
			t.Errorf("%s: MESSAGE %q, want %q", name, e["MESSAGE"], lines[i])
		}
		if e["PRIORITY"] != "6" || e["SYSLOG_IDENTIFIER"] != "pfasciilogd" {
			t.Errorf("%s: PRIORITY %v SYSLOG_IDENTIFIER %v", name, e["PRIORITY"], e["SYSLOG_IDENTIFIER"])
		}
		got := map[string]string{}
		for k, v := range e {
			if strings.HasPrefix(k, "PF_") {
				s, ok := v.(string)
				if !ok {
					t.Errorf("%s: %s is not a plain string: %v", name, k, v)
				}
				got[k] = s
			}
		}
		var keys []string
		for k := range want[i] {
			keys = append(keys, k)
		}
		for k := range got {
			if _, ok := want[i][k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if got[k] != want[i][k] {
				t.Errorf("%s: %s = %q, want %q", name, k, got[k], want[i][k])
			}
		}
	}
	for i, want := range []string{"plain one", "plain two"} {
		e := es[len(cases)+i]
		if e["MESSAGE"] != want || e["SYSLOG_IDENTIFIER"] != "pfasciilogd" {
			t.Errorf("plain entry %d: %v", i, e)
		}
	}
	if st := j.Stats(); st.Sent != uint64(len(cases)+5) || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("%d journal entries checked field by field", len(es))
	t.Run("tshark", func(t *testing.T) { journalAgainstTshark(t, cases, es) })
}

// journalPF names the PF_* field for each JSON name packettest.Expect
// gives (the fields journald carries).
var journalPF = map[string]string{
	"rule": "PF_RULE", "subrule": "PF_SUBRULE", "uid": "PF_UID", "action": "PF_ACTION",
	"reason": "PF_REASON", "direction": "PF_DIR", "af": "PF_AF", "src": "PF_SRC", "dst": "PF_DST",
	"sport": "PF_SPORT", "dport": "PF_DPORT", "icmp_type": "PF_ICMPTYPE", "icmp_code": "PF_ICMPCODE",
	"wire_length": "PF_LEN", "tcp_flags": "PF_TCPFLAGS", "anchor": "PF_ANCHOR", "interface": "PF_IF",
}

// journalAgainstTshark checks the entries' PF_* fields against what
// tshark decodes from the same records: an independent decoder.
func journalAgainstTshark(t *testing.T, cases []packettest.Case, es []map[string]any) {
	tshark := testtool.Need(t, "tshark", "tshark")
	decoded := packettest.Tshark(t, tshark, cases)
	compared := 0
	for i, c := range cases {
		actions, reasons, dirs := pflogtest.FreeBSDActions, pflogtest.FreeBSDReasons, pflogtest.FreeBSDDirections
		if c.Hdr.Layout == pflog.LayoutOpenBSD {
			actions, reasons, dirs = pflogtest.OpenBSDActions, pflogtest.OpenBSDReasons, pflogtest.OpenBSDDirections
		}
		for k, want := range packettest.Expect(decoded[i], actions, reasons, dirs) {
			pf, ok := journalPF[k]
			if !ok || c.Name == "tcp4-cut-ip" && k == "ip_version" {
				continue
			}
			got, ok := es[i][pf].(string)
			if !ok {
				t.Errorf("%s: no %s; tshark decodes %s %s", c.Name, pf, k, want)
				continue
			}
			if k == "tcp_flags" {
				got = packettest.SortedLetters(got)
			}
			if got != want {
				t.Errorf("%s: %s = %q, tshark decodes %q", c.Name, pf, got, want)
			}
			compared++
		}
	}
	t.Logf("%d journal fields compared with tshark", compared)
	if compared < 8*len(cases) {
		t.Fatalf("only %d fields compared for %d entries", compared, len(cases))
	}
}

// testJournalDaemon: with journald as the only sink (-o none -journal)
// and flood control on, the pipeline delivers every packet line and every
// flood summary to journald, with their fields, over several workers.
func testJournalDaemon(t *testing.T) {
	var b bytes.Buffer
	w, err := gen.NewWriter(&b, 0)
	if err != nil {
		t.Fatal(err)
	}
	const scanners, probes, max = 3, 30, 5
	for i := range probes {
		for s := range scanners {
			l := packettest.V4(fmt.Sprintf("198.51.100.%d", 60+s), "192.0.2.1", 6)
			r := gen.Record{Sec: int64(1795258722 + i), Hdr: gen.DefaultHeader(pflog.AFInet),
				Packet: packettest.Serialize(l, packettest.TCPSyn(40000, uint16(1000+i), l))}
			if err := w.Write(&r); err != nil {
				t.Fatal(err)
			}
		}
	}
	src, err := pcapfile.NewReader("mem", bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	j, err := output.OpenJournal()
	if err != nil {
		t.Fatal(err)
	}
	stats := &daemon.Stats{}
	var logs bytes.Buffer
	err = daemon.Run(daemon.Config{
		Sources: []source.Source{src}, Sequential: true,
		NewFormatter: func() format.Formatter { return format.NewText(time.UTC) },
		Sink:         output.Multi{j}, SinkName: "journal", Log: daemon.NewLogger(&logs), Stats: stats,
		Flood: flood.Config{MaxPerSource: max, Window: time.Hour}, Workers: 3, Quiet: true,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	lines := scanners*max + scanners
	if stats.Written.Load() != uint64(lines) || stats.Summaries.Load() != scanners || stats.Lost.Load() != 0 {
		t.Fatalf("statistics: %s", stats)
	}
	es := journalEntries(t, lines)
	var summaries, packets int
	for _, e := range es {
		switch {
		case e["PF_EVENT"] == "flood_summary":
			summaries++
			if e["PF_SUPPRESSED"] != strconv.Itoa(probes-max) || !strings.HasPrefix(fmt.Sprint(e["PF_SOURCE"]), "198.51.100.6") ||
				!strings.Contains(fmt.Sprint(e["MESSAGE"]), " pfasciilogd: suppressed 25 lines from 198.51.100.6") {
				t.Errorf("summary entry %v", e)
			}
		case e["PF_TCPFLAGS"] == "S":
			packets++
		}
	}
	if summaries != scanners || packets != scanners*max {
		t.Errorf("journald got %d summaries and %d packet entries, want %d and %d", summaries, packets, scanners, scanners*max)
	}
}

// The fail2ban filter the package ships, or (if the packaging has not
// written it yet) a minimal equivalent.

func testJournalFail2ban(t *testing.T) {
	server, _ := f2btest.Need(t)
	// fail2ban's systemd backend needs python3-systemd.
	py := "/usr/bin/python3"
	if b, err := os.ReadFile(server); err == nil && bytes.HasPrefix(b, []byte("#!")) {
		py = strings.Fields(strings.TrimPrefix(string(bytes.SplitN(b, []byte("\n"), 2)[0]), "#!"))[0]
	}
	if exec.Command(py, "-c", "import systemd.journal").Run() != nil {
		testtool.Missing(t, "TOOL", "python3-systemd", "apt-get install python3-systemd", "python3-systemd is not installed")
	}

	dir := t.TempDir()
	// The shipped filters, as the package installs them.
	filter, err := os.ReadFile("../../fail2ban/filter.d/pfasciilogd.conf")
	if err != nil {
		t.Fatal(err)
	}
	journalFilter, err := os.ReadFile("../../fail2ban/filter.d/pfasciilogd-journal.conf")
	if err != nil {
		t.Fatal(err)
	}
	bans := filepath.Join(dir, "bans")
	logfile := filepath.Join(dir, "pf.log")
	if err := os.WriteFile(logfile, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	srv := f2btest.Start(t, f2btest.Config{Dir: dir, Files: map[string]string{
		"filter.d/pfasciilogd.conf":         string(filter),
		"filter.d/pfasciilogd-journal.conf": string(journalFilter),
		"action.d/record.conf":              f2btest.RecordAction(bans),
		"jail.conf": fmt.Sprintf(`[DEFAULT]
banaction = record
action = record[name=%%(__name__)s]
maxretry = 5
findtime = 10m
bantime = 1h
usedns = no
ignoreip =
[pf-file]
enabled = true
filter = pfasciilogd[mode=normal]
backend = polling
logpath = %s
[pf-journal]
enabled = true
filter = pfasciilogd-journal[mode=normal]
backend = systemd
journalmatch = _UID=%d SYSLOG_IDENTIFIER=pfasciilogd
[pf-journal-shipped]
enabled = true
filter = pfasciilogd-journal[mode=normal]
backend = systemd
`, logfile, os.Getuid()),
	}})
	// pf-journal selects by the uid that sends (this test, as the
	// recipe's _UID= does for the daemon's account); pf-journal-shipped
	// keeps the shipped _SYSTEMD_UNIT=pfasciilogd.service match, which
	// entries from a process outside that unit never meet, whatever
	// SYSLOG_IDENTIFIER they set.
	srv.WaitJails("pf-file", "pf-journal", "pf-journal-shipped")

	// Traffic: two scanners (IPv4 and IPv6) over many ports, a host below
	// maxretry, passed packets and outbound blocks that must never count.
	j, err := output.OpenJournal()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(logfile, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	text := format.NewText(time.Local)
	now := time.Now()
	send := func(src string, v6 bool, dport uint16, mod func(h *pflog.Header)) {
		var ip []byte
		var h pflog.Header
		if v6 {
			l := packettest.V6(src, "2001:db8::1", 6)
			ip = packettest.Serialize(l, packettest.TCPSyn(40000, dport, l))
			h = gen.DefaultHeader(pflog.AFInet6)
		} else {
			l := packettest.V4(src, "192.0.2.1", 6)
			ip = packettest.Serialize(l, packettest.TCPSyn(40000, dport, l))
			h = gen.DefaultHeader(pflog.AFInet)
		}
		if mod != nil {
			mod(&h)
		}
		c := packettest.Case{Hdr: h, IP: ip}
		r := caseRecordOut(t, &c)
		r.Pkt.Sec, r.Pkt.Nsec = now.Unix(), int32(now.Nanosecond())
		line := text.Append(nil, r)
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
		if err := j.WriteRecord(line, r); err != nil {
			t.Fatal(err)
		}
	}
	for p := range uint16(12) {
		send("198.51.100.66", false, 1000+p, nil)
		send("2001:db8:bad::66", true, 2000+p, nil)
		send("203.0.113.10", false, 3000+p, func(h *pflog.Header) { h.Action = pflog.ActionPass })
		send("203.0.113.11", false, 4000+p, func(h *pflog.Header) { h.Dir = pflog.DirOut })
	}
	for p := range uint16(3) {
		send("203.0.113.12", false, 5000+p, nil)
	}
	want := []string{"198.51.100.66", "2001:db8:bad::66"}
	got := func(jail string) []string {
		ips, _ := f2btest.Recorded(bans, jail)
		return ips
	}
	// Each jail counts 12+12+3 failures; both ban the two scanners.
	const failures = 27
	for _, jail := range []string{"pf-file", "pf-journal"} {
		srv.WaitFailed(jail, failures)
		srv.Wait("jail "+jail+" bans the scanners", func() (bool, string) {
			st, err := srv.Status(jail)
			if err != nil {
				return false, err.Error()
			}
			_, n := f2btest.Recorded(bans, jail)
			return st.TotalBanned >= len(want) && n >= st.TotalBanned, fmt.Sprint(st.TotalBanned, n)
		})
	}
	for _, jail := range []string{"pf-file", "pf-journal"} {
		if g := got(jail); strings.Join(g, " ") != strings.Join(want, " ") {
			t.Errorf("%s banned %q, want %q", jail, g, want)
		}
	}
	// Both journal jails poll the same journal; pf-journal has read all
	// of it by now.
	if st, err := srv.Status("pf-journal-shipped"); err != nil || st.TotalFailed != 0 || len(got("pf-journal-shipped")) != 0 {
		t.Errorf("the shipped journalmatch took entries from a process outside pfasciilogd.service: %+v %v, banned %q",
			st, err, got("pf-journal-shipped"))
	}
	t.Logf("file jail banned %q, journal jail banned %q", got("pf-file"), got("pf-journal"))
}
