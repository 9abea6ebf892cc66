package packaging

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// e2eTimeout bounds the whole end-to-end test.
const e2eTimeout = 55 * time.Second

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
// fail2ban-server with the shipped filter and jail and fail2ban's own pf
// action (pfctl is a recording stub) -> exactly the scanners are banned,
// across a newsyslog-style rotation of the text log (rename, SIGHUP) and
// a rotation of the followed pflogd file.
func TestEndToEndFail2ban(t *testing.T) {
	server := testtool.Need(t, "fail2ban-server", "fail2ban")
	client := testtool.Need(t, "fail2ban-client", "fail2ban")
	pfa := daemon(t)
	if _, err := os.Stat("/etc/fail2ban/action.d/pf.conf"); err != nil {
		t.Fatalf("fail2ban's own configuration is missing: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()

	dir := t.TempDir()
	conf := filepath.Join(dir, "fail2ban")
	stubs := filepath.Join(dir, "stubs")
	pflog := filepath.Join(dir, "pflog")
	pfLog := filepath.Join(dir, "pf.log")
	pfctlLog := filepath.Join(dir, "pfctl.log")
	sock := filepath.Join(dir, "f2b.sock")

	// fail2ban's own configuration (jail.conf, action.d/pf.conf, ...)
	// without the distribution's jails, plus the shipped filter and jail.
	if out, err := exec.Command("cp", "-R", "/etc/fail2ban", conf).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	for _, d := range []string{"jail.d", "fail2ban.d"} {
		must(t, os.RemoveAll(filepath.Join(conf, d)))
		must(t, os.MkdirAll(filepath.Join(conf, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(conf, "filter.d/pfasciilogd.conf"), []byte(readFile(t, "fail2ban/filter.d/pfasciilogd.conf")), 0o644))
	must(t, os.WriteFile(filepath.Join(conf, "jail.d/pfasciilogd.conf"), []byte(readFile(t, "fail2ban/jail.d/pfasciilogd.conf")), 0o644))
	must(t, os.WriteFile(filepath.Join(conf, "jail.d/pfasciilogd.local"),
		[]byte("[pfasciilogd]\nenabled = true\nlogpath = "+pfLog+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(conf, "fail2ban.local"),
		[]byte("[Definition]\ndbfile = "+filepath.Join(dir, "f2b.sqlite3")+"\n"), 0o644))

	// pfctl records what fail2ban's pf action asks of it.
	must(t, os.MkdirAll(stubs, 0o755))
	must(t, os.WriteFile(filepath.Join(stubs, "pfctl"), []byte(`#!/bin/sh
echo "pfctl $*" >> "`+pfctlLog+`"
case " $* " in
*" -f- "*|*" -f - "*) sed 's/^/  rule: /' >> "`+pfctlLog+`" ;;
*" -sr "*) echo "block quick all from <f2b-pfasciilogd> to any" ;;
esac
exit 0
`), 0o755))

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
	var pfaErr bytes.Buffer
	pfaCmd := exec.Command(pfa, "-r", pflog, "-F", "-o", pfLog, "-p", pidfile)
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
	}()
	waitFor(ctx, t, "pfasciilogd writes phase A", func() bool { return countLines(pfLog) == len(recsA) })
	if b, _ := os.ReadFile(pfLog); !bytes.Contains(b, []byte("-03:30 rule ")) && !bytes.Contains(b, []byte("-02:30 rule ")) {
		t.Fatalf("pfasciilogd did not write America/St_Johns times:\n%.300s", b)
	}

	env := append(os.Environ(), "PATH="+stubs+":"+os.Getenv("PATH"), "TZ=UTC")
	var f2bOut bytes.Buffer
	f2b := exec.Command(server, "-f", "-x", "-c", conf, "-s", sock, "-p", filepath.Join(dir, "f2b.pid"),
		"--logtarget", filepath.Join(dir, "f2b.log"), "--loglevel", "INFO")
	f2b.Env = env
	f2b.Stdout, f2b.Stderr = &f2bOut, &f2bOut
	must(t, f2b.Start())
	f2bDone := make(chan error, 1)
	go func() { f2bDone <- f2b.Wait() }()
	defer func() {
		if f2b.ProcessState == nil {
			_ = f2b.Process.Signal(syscall.SIGTERM)
			select {
			case <-f2bDone:
			case <-time.After(5 * time.Second):
				_ = f2b.Process.Kill()
				<-f2bDone
			}
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "f2b.log"))
			t.Logf("fail2ban-server output:\n%s\nlog:\n%s", f2bOut.String(), b)
			b, _ = os.ReadFile(pfctlLog)
			t.Logf("pfctl calls:\n%s", b)
			t.Logf("pfasciilogd stderr:\n%s", pfaErr.String())
		}
	}()
	f2bc := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, client, append([]string{"-s", sock}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	status := func() (failed int, banned []string) {
		out, err := f2bc("status", jailName)
		if err != nil {
			return -1, nil
		}
		for _, line := range strings.Split(out, "\n") {
			if _, v, ok := strings.Cut(line, "Total failed:"); ok {
				failed, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if _, v, ok := strings.Cut(line, "Banned IP list:"); ok {
				banned = fields(v)
			}
		}
		sort.Strings(banned)
		return failed, banned
	}
	failures := failA
	waitFor(ctx, t, "fail2ban reads phase A", func() bool { return failedSoFar(t, status, failures) })

	// newsyslog: rename the log, SIGHUP the pidfile's process. The daemon
	// creates the new log when it reopens; waiting for it keeps phase B
	// from racing the signal into the old file.
	must(t, os.Rename(pfLog, pfLog+".0"))
	pid := readPid(t, pidfile)
	if pid != pfaCmd.Process.Pid {
		t.Fatalf("pidfile has %d, pfasciilogd is %d", pid, pfaCmd.Process.Pid)
	}
	must(t, syscall.Kill(pid, syscall.SIGHUP))
	waitFor(ctx, t, "pfasciilogd reopens the log on SIGHUP", func() bool { _, err := os.Stat(pfLog); return err == nil })
	if st, err := os.Stat(pfLog); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("reopened log: %v, want mode 0640", err)
	}

	// Phase B: pflogd appends to the followed file.
	recsB, failB := phaseRecords(t, flows, 1, done)
	appendRecords(t, pflog, recsB)
	failures += failB
	waitFor(ctx, t, "pfasciilogd writes phase B into the new log", func() bool { return countLines(pfLog) == len(recsB) })
	waitFor(ctx, t, "fail2ban reads phase B", func() bool { return failedSoFar(t, status, failures) })

	// Phase C: newsyslog rotates pflogd's file; pflogd starts a new one.
	must(t, os.Rename(pflog, pflog+".0"))
	recsC, failC := phaseRecords(t, flows, 2, done)
	writeCapture(t, pflog+".new", 0, recsC)
	must(t, os.Rename(pflog+".new", pflog))
	failures += failC
	waitFor(ctx, t, "pfasciilogd writes phase C", func() bool { return countLines(pfLog) == len(recsB)+len(recsC) })
	waitFor(ctx, t, "fail2ban reads phase C", func() bool { return failedSoFar(t, status, failures) })
	waitFor(ctx, t, "fail2ban bans the scanners", func() bool {
		_, b := status()
		return len(b) >= len(wantBanned)
	})
	// Give a wrong ban a moment to show.
	time.Sleep(1500 * time.Millisecond)
	n, banned := status()
	if strings.Join(banned, " ") != strings.Join(wantBanned, " ") || n != failures {
		t.Errorf("banned %v with %d failures; want %v with %d", banned, n, wantBanned, failures)
	}
	if got := countLines(pfLog+".0") + countLines(pfLog); got != len(recsA)+len(recsB)+len(recsC) {
		t.Errorf("the logs hold %d lines for %d records", got, len(recsA)+len(recsB)+len(recsC))
	}

	// fail2ban's pf action put each scanner into the jail's table.
	b, _ := os.ReadFile(pfctlLog)
	t.Logf("pfctl calls:\n%s", b)
	var added []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "pfctl -a f2b/"+jailName+" -t f2b-"+jailName+" -T add "); ok {
			added = append(added, rest)
		}
	}
	sort.Strings(added)
	if strings.Join(added, " ") != strings.Join(wantBanned, " ") {
		t.Errorf("pfctl -T add for %v, want %v", added, wantBanned)
	}
	if !strings.Contains(string(b), "table <f2b-"+jailName+"> persist counters") ||
		!strings.Contains(string(b), "from <f2b-"+jailName+"> to any") {
		t.Errorf("fail2ban's pf action did not load the table and an all-ports block rule")
	}
	// protocol=all: fail2ban >= 1.1.0 writes a rule for every protocol;
	// 1.0.x writes "proto all", which pfctl rejects (the jail says so).
	v, _ := exec.Command(server, "-V").Output()
	if ver := strings.TrimSpace(string(v)); ver >= "1.1" {
		if !strings.Contains(string(b), "rule: block quick all from <f2b-"+jailName+"> to any\n") {
			t.Errorf("fail2ban %s did not load \"block quick all from <f2b-%s> to any\"", ver, jailName)
		}
	} else {
		t.Logf("NOTE: fail2ban %s turns protocol=all into \"proto all\", which pf rejects; the shipped jail needs fail2ban >= 1.1.0 (FreeBSD ports have it)", ver)
	}

	// Orderly shutdown of both.
	if out, err := f2bc("stop"); err != nil {
		t.Errorf("fail2ban-client stop: %v %s", err, out)
	}
	select {
	case <-f2bDone:
	case <-ctx.Done():
		t.Error("fail2ban-server did not stop")
	}
	must(t, pfaCmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-pfaDone:
		if err != nil {
			t.Errorf("pfasciilogd exited with %v after SIGTERM; want status 0\n%s", err, pfaErr.String())
		}
	case <-ctx.Done():
		t.Error("pfasciilogd did not stop on SIGTERM")
	}
	if _, err := os.Stat(pidfile); err == nil {
		t.Error("pfasciilogd left its pidfile behind")
	}
}

// failedSoFar reports whether fail2ban counted the expected failures, and
// stops the test at once when it counted more (a line matched that must
// not).
func failedSoFar(t *testing.T, status func() (int, []string), want int) bool {
	t.Helper()
	n, banned := status()
	if n > want {
		t.Fatalf("fail2ban counted %d failures, want %d (banned: %v)", n, want, banned)
	}
	return n == want
}

func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
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
