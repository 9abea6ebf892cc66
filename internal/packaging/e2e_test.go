package packaging

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/f2btest"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pftest"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// flow is one source of packets in the end-to-end scenario.
type flow struct {
	name   string
	scan   bool            // a scanner: must be banned
	phases [3]int          // packets in each phase
	mk     func(i int) pkt // the i-th packet
	normal bool            // its packets match the filter in normal mode
}

func e2eFlows() []flow {
	tcp := func(src, dst, flags string, sport, dport uint16) pkt {
		return pkt{src: src, dst: dst, proto: "tcp", flags: flags, sport: sport, dport: dport}
	}
	legitFlags := []string{"FA", "A", "R", "RA", "PA"}
	return []flow{
		// Scanners. s1 and s3 span the rotations: they are only banned if
		// no line is lost or counted twice across them.
		{name: "v4 SYN scan", scan: true, normal: true, phases: [3]int{10, 15, 0},
			mk: func(i int) pkt { return tcp("121.224.77.46", us4, "S", 41854, uint16(20+i)) }},
		{name: "v6 SYN scan", scan: true, normal: true, phases: [3]int{25, 0, 0},
			mk: func(i int) pkt { return tcp("2001:db8:bad::5", us6, "S", 40000, uint16(1000+i)) }},
		{name: "v4 UDP scan", scan: true, normal: true, phases: [3]int{8, 8, 8},
			mk: func(i int) pkt {
				return pkt{src: "185.224.128.17", dst: us4, proto: "udp", sport: 40000, dport: uint16(500 + i*7)}
			}},
		{name: "v4 ICMP sweep", scan: true, normal: true, phases: [3]int{0, 25, 0},
			mk: func(i int) pkt {
				return pkt{src: "45.148.10.5", dst: fmt.Sprintf("46.38.233.%d", 64+i), proto: "icmp"}
			}},
		{name: "v6 ICMP6 sweep", scan: true, normal: true, phases: [3]int{0, 0, 25},
			mk: func(i int) pkt {
				return pkt{src: "2001:db8:bad::8", dst: fmt.Sprintf("2001:db8::%x", 0x100+i), proto: "icmp"}
			}},
		{name: "v4 SYN+ECN scan in an anchor", scan: true, normal: true, phases: [3]int{0, 0, 22},
			mk: func(i int) pkt {
				p := tcp("121.224.77.53", us4, "SEW", 50000, uint16(8000+i))
				p.rule, p.anchor, p.subrule, p.rid = 3, "blocklist", 2, 77
				return p
			}},
		// Legitimate traffic: never banned.
		{name: "v4 client out of state", phases: [3]int{40, 0, 40},
			mk: func(i int) pkt {
				return tcp("198.51.100.10", us4, legitFlags[i%len(legitFlags)], 50123, 443)
			}},
		{name: "v6 client out of state", phases: [3]int{0, 40, 0},
			mk: func(i int) pkt {
				return tcp("2001:db8:cafe::10", us6, legitFlags[i%len(legitFlags)], 443, 50124)
			}},
		{name: "own outbound blocks", phases: [3]int{15, 15, 15},
			mk: func(i int) pkt {
				p := tcp(us4, fmt.Sprintf("203.0.113.%d", 1+i%3), "S", uint16(50000+i), 25)
				p.out = true
				return p
			}},
		{name: "logged passes", phases: [3]int{15, 15, 15},
			mk: func(i int) pkt {
				p := tcp("203.0.113.20", us4, "S", uint16(50000+i), 443)
				p.pass = true
				return p
			}},
		{name: "slow client: SYN retries and pings", normal: true, phases: [3]int{4, 4, 4},
			mk: func(i int) pkt {
				if i%2 == 0 {
					return tcp("192.0.2.33", us4, "S", 51000, 8443)
				}
				return pkt{src: "192.0.2.33", dst: us4, proto: "icmp"}
			}},
		{name: "v6 TCP cut before its flags (pflogd snaplen)", phases: [3]int{10, 10, 10},
			mk: func(i int) pkt {
				p := tcp("2001:db8:cafe::20", us6, legitFlags[i%len(legitFlags)], 443, 50200)
				p.snap = 116
				return p
			}},
	}
}

// phaseRecords returns the records of one phase, stamped "now": legitimate
// flows first, so that once the phase's scanners are banned fail2ban has
// read every legitimate line before them.
func phaseRecords(t *testing.T, flows []flow, phase int, done []int) (recs []*gen.Record, failures int) {
	now := time.Now().Add(-time.Second)
	order := make([]int, 0, len(flows))
	for i, f := range flows {
		if !f.scan {
			order = append(order, i)
		}
	}
	for i, f := range flows {
		if f.scan {
			order = append(order, i)
		}
	}
	for _, fi := range order {
		f := flows[fi]
		for k := 0; k < f.phases[phase]; k++ {
			recs = append(recs, f.mk(done[fi]).record(t, now.Unix(), int64(now.Nanosecond())))
			done[fi]++
			if f.normal {
				failures++
			}
		}
	}
	return recs, failures
}

func appendRecords(t *testing.T, path string, recs []*gen.Record) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, r := range recs {
		b = gen.Encode(b, r)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	must(t, f.Close())
}

// TestEndToEndFail2ban: pflog capture -> pfasciilogd -r FILE -F -> log ->
// fail2ban-server with the shipped filter, jail and pf action, and a
// strict pfctl stand-in (internal/pftest) that rejects what pfctl rejects
// -> exactly the scanners are banned, across a newsyslog-style rotation
// of the text log (rename, SIGHUP) and a rotation of the followed pflogd
// file; the rules fail2ban loaded block every protocol of a banned
// address in the example pf.conf.
func TestEndToEndFail2ban(t *testing.T) {
	pfa := testtool.BuildDaemon(t)
	f2btest.Need(t)

	dir := t.TempDir()
	stubs := filepath.Join(dir, "stubs")
	pflog := filepath.Join(dir, "pflog")
	pfLog := filepath.Join(dir, "pf.log")
	must(t, os.MkdirAll(stubs, 0o755))
	pfEnv, pfState, pfctlLog, err := pftest.InstallPfctl(stubs)
	must(t, err)

	flows := e2eFlows()
	done := make([]int, len(flows))
	var wantBanned []string
	for _, f := range flows {
		if f.scan {
			wantBanned = append(wantBanned, f.mk(0).src)
		}
	}
	sort.Strings(wantBanned)

	// Phase A: the file as pflogd left it, followed by pfasciilogd.
	recsA, failA := phaseRecords(t, flows, 0, done)
	writeCapture(t, pflog, 0, recsA)
	pidfile := filepath.Join(dir, "pfasciilogd.pid")
	var pfaErr testtool.Buffer
	pfaCmd := exec.Command(pfa, "-r", pflog, "-F", "-o", pfLog, "-p", pidfile, "-nodetect") // counts per-packet lines; decisions are tested in cmd/pfasciilogd and internal/crowdsec
	pfaCmd.Stderr = &pfaErr
	// Local time 3:30 (2:30 in summer) behind fail2ban's UTC: lines would
	// look hours old, beyond findtime, if fail2ban ignored the offset.
	pfaCmd.Env = append(os.Environ(), "TZ=America/St_Johns")
	must(t, pfaCmd.Start())
	pfaDone := make(chan error, 1)
	go func() { pfaDone <- pfaCmd.Wait() }()
	defer func() {
		if pfaCmd.ProcessState == nil {
			_ = pfaCmd.Process.Kill()
			<-pfaDone
		}
		if t.Failed() {
			b, _ := os.ReadFile(pfctlLog)
			t.Logf("pfctl calls:\n%s", b)
			t.Logf("pfasciilogd stderr:\n%s", pfaErr.String())
		}
	}()
	waitLines(t, "pfasciilogd writes phase A", pfLog, len(recsA))
	if b, _ := os.ReadFile(pfLog); !bytes.Contains(b, []byte("-03:30 rule ")) && !bytes.Contains(b, []byte("-02:30 rule ")) {
		t.Fatalf("pfasciilogd did not write America/St_Johns times:\n%.300s", b)
	}

	// fail2ban's own configuration (jail.conf, action.d/pf.conf, ...)
	// without the distribution's jails, plus the shipped filter, action
	// and jail, as the package installs them.
	srv := f2btest.Start(t, f2btest.Config{Dir: dir, System: true,
		Env: append(pfEnv, "PATH="+stubs+":"+os.Getenv("PATH"), "TZ=UTC"),
		Files: map[string]string{
			"filter.d/pfasciilogd.conf":    readFile(t, "fail2ban/filter.d/pfasciilogd.conf"),
			"action.d/pfasciilogd-pf.conf": readFile(t, "fail2ban/action.d/pfasciilogd-pf.conf"),
			"jail.d/pfasciilogd.conf":      readFile(t, "fail2ban/jail.d/pfasciilogd.conf"),
			// Per-packet counting (mode normal) is what this test
			// counts: fail2ban's failures are the flows' lines.
			"jail.d/pfasciilogd.local": "[pfasciilogd]\nenabled = true\nlogpath = " + pfLog + "\n" + perPacketJail("normal"),
		}})
	srv.WaitJails(jailName)
	failures := failA
	srv.WaitFailed(jailName, failures)

	// newsyslog, as newsyslog.c rotates an entry with flags BJC: link
	// the log to .0, put a new empty log (the entry's mode) in its place,
	// then SIGHUP the pidfile's process; B keeps newsyslog's own "turned
	// over" line out of the new log. The daemon appends to the file
	// newsyslog made; waiting for its "reopened" keeps phase B from
	// racing the signal into the old file.
	must(t, os.Link(pfLog, pfLog+".0"))
	must(t, os.WriteFile(pfLog+".new", nil, 0o600))
	must(t, os.Chmod(pfLog+".new", 0o640))
	must(t, os.Rename(pfLog+".new", pfLog))
	pid := readPid(t, pidfile)
	if pid != pfaCmd.Process.Pid {
		t.Fatalf("pidfile has %d, pfasciilogd is %d", pid, pfaCmd.Process.Pid)
	}
	must(t, syscall.Kill(pid, syscall.SIGHUP))
	testtool.WaitFor(t, "pfasciilogd reopens the log on SIGHUP", func() bool { return strings.Contains(pfaErr.String(), "reopened "+pfLog) })
	if st, err := os.Stat(pfLog); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("reopened log: %v, want mode 0640", err)
	}

	// Phase B: pflogd appends to the followed file.
	recsB, failB := phaseRecords(t, flows, 1, done)
	appendRecords(t, pflog, recsB)
	failures += failB
	waitLines(t, "pfasciilogd writes phase B into the new log", pfLog, len(recsB))
	srv.WaitFailed(jailName, failures)

	// Phase C: newsyslog rotates pflogd's file; pflogd starts a new one.
	must(t, os.Rename(pflog, pflog+".0"))
	recsC, failC := phaseRecords(t, flows, 2, done)
	writeCapture(t, pflog+".new", 0, recsC)
	must(t, os.Rename(pflog+".new", pflog))
	failures += failC
	waitLines(t, "pfasciilogd writes phase C", pfLog, len(recsB)+len(recsC))
	srv.WaitFailed(jailName, failures)
	// Every ban fail2ban decided has gone through the action into pf's
	// table (or failed: then the table lacks it).
	var st f2btest.Status
	srv.Wait("fail2ban bans the scanners", func() (bool, string) {
		st, _ = srv.Status(jailName)
		return st.TotalBanned >= len(wantBanned) && len(tableAddrs(t, pfState)) >= st.TotalBanned,
			fmt.Sprint(st.TotalBanned, tableAddrs(t, pfState))
	})
	if strings.Join(st.BannedIPs, " ") != strings.Join(wantBanned, " ") || st.TotalFailed != failures {
		t.Errorf("banned %v with %d failures; want %v with %d", st.BannedIPs, st.TotalFailed, wantBanned, failures)
	}
	if got := countLines(pfLog+".0") + countLines(pfLog); got != len(recsA)+len(recsB)+len(recsC) {
		t.Errorf("the logs hold %d lines for %d records", got, len(recsA)+len(recsB)+len(recsC))
	}

	// pf holds what the shipped action loaded: the table with exactly the
	// scanners, and one rule that blocks them whatever they send.
	calls, _ := os.ReadFile(pfctlLog)
	if bytes.Contains(calls, []byte("REJECTED")) {
		t.Errorf("pfctl rejected a ruleset fail2ban loaded:\n%s", calls)
	}
	if got := tableAddrs(t, pfState); strings.Join(got, " ") != strings.Join(wantBanned, " ") {
		t.Errorf("pf table f2b-%s holds %v, want %v", jailName, got, wantBanned)
	}
	state, err := pftest.ReadState(pfState)
	must(t, err)
	a := state.Anchors["f2b/"+jailName]
	if a == nil || strings.Join(a.Rules, "|") != "block quick from <f2b-"+jailName+"> to any" {
		t.Errorf("anchor f2b/%s holds rules %v", jailName, a)
	}
	fw := examplesFirewall(t, "port/examples/pf.conf", state)
	for _, ip := range wantBanned {
		for _, p := range []pftest.Packet{
			{Proto: 6, DPort: 22, Flags: "S"}, {Proto: 17, DPort: 53}, {Proto: 1, ICMPType: 8}, {Proto: 58, ICMPType: 128},
			{Proto: 132, DPort: 22}, {Proto: 47},
		} {
			p.If, p.Dir, p.Src, p.SPort = "vtnet0", "in", netip.MustParseAddr(ip), 40000
			if p.Src.Is4() {
				p.Dst = exampleV4
			} else {
				p.Dst = exampleV6
			}
			if p.Src.Is4() != (p.Proto != 58) {
				continue
			}
			if v := fw.Eval(p); v.Pass || v.Rule == nil || !v.Rule.Quick {
				t.Errorf("banned %s: %v: %v, want a quick block from the f2b anchor", ip, p, v)
			}
		}
	}

	// Orderly shutdown of both: fail2ban's actionstop empties the anchor.
	if !srv.Stop() {
		t.Error("fail2ban-client stop did not stop fail2ban-server")
	}
	state, err = pftest.ReadState(pfState)
	must(t, err)
	if a := state.Anchors["f2b/"+jailName]; a != nil && (len(a.Rules) > 0 || len(a.Tables) > 0) {
		t.Errorf("after fail2ban stopped, anchor f2b/%s still holds %v", jailName, a)
	}
	must(t, pfaCmd.Process.Signal(syscall.SIGTERM))
	f2btest.WaitProgress(t, "pfasciilogd stops on SIGTERM", func() (bool, string) {
		select {
		case err := <-pfaDone:
			if err != nil {
				t.Errorf("pfasciilogd exited with %v after SIGTERM; want status 0\n%s", err, pfaErr.String())
			}
			pfaDone <- err
			return true, ""
		default:
			return false, ""
		}
	})
	if _, err := os.Stat(pidfile); err == nil {
		t.Error("pfasciilogd left its pidfile behind")
	}
}

// tableAddrs returns the addresses in the jail's pf table.
func tableAddrs(t *testing.T, statePath string) []string {
	st, err := pftest.ReadState(statePath)
	if err != nil {
		t.Fatal(err)
	}
	a := st.Anchors["f2b/"+jailName]
	if a == nil || a.Tables["f2b-"+jailName] == nil {
		return nil
	}
	addrs := append([]string(nil), a.Tables["f2b-"+jailName].Addrs...)
	sort.Strings(addrs)
	return addrs
}

// waitLines waits until path has n lines (n = 0: until it exists); the
// progress is the file's line count.
func waitLines(t *testing.T, what, path string, n int) {
	t.Helper()
	f2btest.WaitProgress(t, what, func() (bool, string) {
		c := countLines(path)
		return c == n || n == 0 && c >= 0, strconv.Itoa(c)
	})
}

func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	return bytes.Count(b, []byte("\n"))
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pidfile %s: %q", path, b)
	}
	return pid
}
