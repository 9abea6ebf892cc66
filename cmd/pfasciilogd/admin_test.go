package main

import (
	"bytes"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"

	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/status"
)

// runBin runs the real binary and returns its exit status and output.
func runBin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(daemonBin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		return ee.ExitCode(), o.String(), e.String()
	}
	return 0, o.String(), e.String()
}

// closedPort returns a TCP address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestExitStatus: 0 ok, 1 for data lost or input unreadable, 2 for every
// usage error; each message says what is wrong once.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pcap")
	writeCapture(t, good, synRecord(t, 1, 1), synRecord(t, 2, 2))
	notPcap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPcap, []byte("this is not a capture file at all\n"), 0o644)
	// A valid file header, then a body that is all garbage.
	corrupt := filepath.Join(dir, "corrupt.pcap")
	writeCapture(t, corrupt)
	f, _ := os.OpenFile(corrupt, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(bytes.Repeat([]byte{0xff, 0x00, 0x13, 0x37}, 300))
	f.Close()
	adir := filepath.Join(dir, "adir")
	os.Mkdir(adir, 0o755)
	down := "tcp://" + closedPort(t)

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string // each must appear exactly once
		lines  int      // lines on standard output, -1: not checked
	}{
		{"ok", []string{"-r", good}, 0, nil, 2},
		{"disk full", []string{"-r", good, "-o", "/dev/full"}, 1, []string{"2 line(s) lost on output"}, 0},
		{"body all corrupt", []string{"-r", corrupt}, 1, []string{"corrupt input region(s) skipped"}, 0},
		{"collector down", []string{"-r", good, "-o", "none", "-syslog-remote", down}, 1, []string{"not delivered to " + down}, -1},
		{"bad file among good ones", []string{"-r", notPcap, "-r", good, "-r", adir, "-r", good}, 1,
			[]string{notPcap, "read " + adir + ": is a directory", "2 input(s) could not be opened"}, 4},
		{"unknown user", []string{"-r", good, "-u", "no-such-user-x"}, 1, []string{"no such user"}, 0},
		{"bogus facility", []string{"-r", good, "-syslog", "-syslog-facility", "bogus"}, 2, []string{"unknown syslog facility"}, 0},
		{"bad url", []string{"-r", good, "-o", "none", "-syslog-remote", "http://x"}, 2, []string{"-syslog-remote"}, 0},
		{"workers 0", []string{"-r", good, "-workers", "0"}, 2, []string{"-workers must be between 1 and 64"}, 0},
		{"workers 65", []string{"-r", good, "-workers", "65"}, 2, nil, 0},
		{"window alone", []string{"-r", good, "-window", "10s"}, 2, []string{"needs -max-per-source"}, 0},
		{"-t with -r", []string{"-r", good, "-t", "1s"}, 2, []string{"-t applies to live capture"}, 0},
		{"-B with -r", []string{"-r", good, "-B", "4m"}, 2, []string{"-B applies to live capture"}, 0},
		{"facility without syslog", []string{"-r", good, "-syslog-facility", "local0"}, 2, []string{"add one of them"}, 0},
		{"bad -B", []string{"-B", "lots"}, 2, []string{"-B:"}, 0},
		{"unknown flag", []string{"-Q"}, 2, []string{"not defined: -Q", "usage: pfasciilogd"}, 0},
		{"positional", []string{"-r", good, "extra"}, 2, []string{`unexpected argument "extra"`}, 0},
		{"-F without -r", []string{"-F"}, 2, []string{"-F needs -r"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runBin(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d\n%s", code, tc.code, errOut)
			}
			for _, s := range tc.stderr {
				if n := strings.Count(errOut, s); n != 1 {
					t.Errorf("stderr has %q %d times, want once:\n%s", s, n, errOut)
				}
			}
			if tc.lines >= 0 {
				if n := strings.Count(out, "\n"); n != tc.lines {
					t.Errorf("%d lines on standard output, want %d", n, tc.lines)
				}
			}
			if tc.code == 2 && !strings.Contains(tc.name, "unknown flag") && strings.Contains(errOut, "usage:") {
				t.Errorf("a refused value repeats the synopsis:\n%s", errOut)
			}
			// No message says the same thing twice ("read x: read x: ...").
			for _, line := range strings.Split(errOut, "\n") {
				seen := map[string]bool{}
				for _, w := range strings.Fields(line) {
					if len(w) > 2 && strings.HasSuffix(w, ":") {
						if seen[w] {
							t.Errorf("%q names %s twice", line, w)
						}
						seen[w] = true
					}
				}
				if strings.Contains(line, "user: unknown user") {
					t.Errorf("Go's wording leaks: %q", line)
				}
			}
		})
	}
}

// TestGetoptClusters: single-letter flags combine as with getopt(3).
func TestGetoptClusters(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	writeCapture(t, in, synRecord(t, 1, 1))
	log := filepath.Join(dir, "pf.log")
	code, out, errOut := runBin(t, "-nFr", in, "-o"+log, "-pnone")
	if code != 0 || !strings.Contains(out, "configuration OK") {
		t.Fatalf("-nFr FILE -oLOG -pnone: %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(log); err == nil {
		t.Error("configtest created the log")
	}
	for _, tc := range []struct{ in, want string }{
		{"-FS", "-F -S"},
		{"-Fr f -o x", "-F -r f -o x"},
		{"-ipflog0 -B4m -t100ms", "-i pflog0 -B 4m -t 100ms"},
		{"-syslog -state s -nocapsicum", "-syslog -state s -nocapsicum"},
		{"-o -FS", "-o -FS"}, // a flag's value is left alone
		{"-FQ", "-FQ"},       // unknown letter: package flag names it
		{"-- -FS", "-- -FS"}, // end of flags
		{"-workers=2 -n", "-workers=2 -n"},
	} {
		var o options
		got := strings.Join(splitShort(strings.Fields(tc.in), newFlagSet(&o)), " ")
		if got != tc.want {
			t.Errorf("splitShort(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := parse([]string{"-h"}); err != flag.ErrHelp {
		t.Errorf("-h: %v", err)
	}
}

func TestConfigtest(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	writeCapture(t, in, synRecord(t, 1, 1))
	notPcap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPcap, []byte("not a capture\n"), 0o644)
	log := filepath.Join(dir, "pf.log")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"follow ok", []string{"-n", "-r", in, "-F", "-o", log, "-p", filepath.Join(dir, "p.pid"), "-status", filepath.Join(dir, "st")}, 0,
			[]string{"ok: input " + in + ": a pflog capture", "ok: log " + log + ": will be created", "ok: status file", "configuration OK (0 warning(s))"}, nil},
		{"missing -F input warns", []string{"-n", "-r", filepath.Join(dir, "typo"), "-F", "-o", log, "-p", "none"}, 0,
			[]string{"configuration OK (1 warning(s))"}, []string{"typo: does not exist (yet)"}},
		{"not a capture", []string{"-n", "-r", notPcap, "-o", "-"}, 1, nil, []string{"error: input " + notPcap, "configuration test failed: 1 error(s)"}},
		{"log directory missing", []string{"-n", "-r", in, "-o", filepath.Join(dir, "nodir", "pf.log")}, 1, nil, []string{"error: log directory: directory " + filepath.Join(dir, "nodir")}},
		{"log is a directory", []string{"-n", "-r", in, "-o", dir}, 1, nil, []string{"not a regular file"}},
		{"status directory created", []string{"-n", "-r", in, "-status", filepath.Join(dir, "nodir", "st")}, 0, []string{"ok: status file: " + filepath.Join(dir, "nodir") + " will be created"}, nil},
		{"status parent missing", []string{"-n", "-r", in, "-status", filepath.Join(dir, "nodir", "deeper", "st")}, 1, nil, []string{"error: status directory: directory " + filepath.Join(dir, "nodir")}},
		{"collector down warns", []string{"-n", "-r", in, "-o", "none", "-syslog-remote", "tcp://" + closedPort(t)}, 0, nil, []string{"not reachable now"}},
		{"unknown user", []string{"-n", "-r", in, "-u", "no-such-user-x"}, 1, nil, []string{"error: user: -u no-such-user-x: no such user"}},
		{"usage error", []string{"-n", "-workers", "0"}, 2, nil, []string{"-workers"}},
	}
	if os.Getuid() == 0 {
		// The status directory must be writable by the run-as user.
		tests = append(tests, struct {
			name   string
			args   []string
			code   int
			stdout []string
			stderr []string
		}{"status directory not the user's", []string{"-n", "-r", in, "-u", "nobody", "-status", filepath.Join(dir, "st")}, 1, nil,
			[]string{"user nobody cannot create files in " + dir + ": install -d -o nobody"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runBin(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
	if _, err := os.Stat(log); err == nil {
		t.Error("configtest created the log")
	}
	// Live capture: on FreeBSD bpf and the interface are checked; here
	// the check says that live capture needs FreeBSD.
	code, _, errOut := runBin(t, "-n", "-i", "nosuch0", "-o", log, "-p", "none")
	if code != 1 || !strings.Contains(errOut, "interface nosuch0: no such interface") {
		t.Errorf("live: %d\n%s", code, errOut)
	}
}

func TestCheckHelpers(t *testing.T) {
	for _, tc := range []struct {
		perm            uint32
		fuid, fgid, uid int
		groups          []int
		want            uint32
		ok              bool
	}{
		{0o640, 100, 100, 100, []int{100}, 2, true},  // owner may write
		{0o640, 100, 100, 200, []int{100}, 2, false}, // group may only read
		{0o640, 100, 100, 200, []int{100}, 4, true},  // group reads
		{0o600, 0, 0, 65534, []int{65534}, 4, false}, // root's 0600 file
		{0o755, 0, 0, 65534, []int{65534}, 3, false}, // /var/run: no new files
		{0o775, 0, 80, 65534, []int{65534, 80}, 3, true},
		{0o000, 1, 1, 0, nil, 7, true}, // root
		{0o604, 100, 100, 100, []int{100}, 4, true},
		{0o064, 100, 100, 100, []int{100}, 4, false}, // owner bits win, as the kernel does
	} {
		if got := modeAllows(tc.perm, tc.fuid, tc.fgid, tc.uid, tc.groups, tc.want); got != tc.ok {
			t.Errorf("modeAllows(%o, %d:%d, uid %d %v, %d) = %v", tc.perm, tc.fuid, tc.fgid, tc.uid, tc.groups, tc.want, got)
		}
	}
	lookup := func(name string) (*net.Interface, error) {
		if name == "pflog0" {
			return &net.Interface{Name: name}, nil
		}
		return nil, &net.OpError{Op: "route", Err: os.ErrNotExist}
	}
	if err := checkInterface("pflog0", lookup); err != nil {
		t.Error(err)
	}
	if err := checkInterface("pflog1", lookup); err == nil || !strings.Contains(err.Error(), "ifconfig pflog1 create up") {
		t.Errorf("pflog1: %v", err)
	}
	// journald: a socket that exists but where nothing listens is not
	// "journald is not running (no socket)".
	dir := t.TempDir()
	sock := filepath.Join(dir, "socket")
	if err := journalErrorAt(output.ErrNoJournald, sock); !strings.Contains(err.Error(), "not running here (no "+sock+")") {
		t.Errorf("no socket: %v", err)
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd) // the socket file stays; nothing listens
	if err := journalErrorAt(output.ErrNoJournald, sock); !strings.Contains(err.Error(), sock+" exists but nothing answers") {
		t.Errorf("dead socket: %v", err)
	}
}

// readStatus parses the status file, or returns nil while it is absent.
func readStatus(t *testing.T, path string) map[string][]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	m, err := status.Parse(string(b))
	if err != nil {
		t.Fatalf("status file: %v\n%s", err, b)
	}
	return m
}

func one(m map[string][]string, k string) string {
	if len(m[k]) != 1 {
		return ""
	}
	return m[k][0]
}

// TestStatusFile runs the daemon with -status: the file shows the
// counters, is refreshed on SIGUSR2, lists a missing -F input (which is
// warned about at start) and is removed at a clean stop.
func TestStatusFile(t *testing.T) {
	dir := t.TempDir()
	in, logPath, st := filepath.Join(dir, "pflog"), filepath.Join(dir, "pf.log"), filepath.Join(dir, "status")
	missing := filepath.Join(dir, "pflog-typo")
	writeCapture(t, in, synRecord(t, 1, 1795258722), synRecord(t, 2, 1795258723))
	cmd := exec.Command(daemonBin, "-r", in, "-F", "-r", missing, "-F", "-o", logPath, "-p", "none", "-status", st)
	var stderr testtool.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var m map[string][]string
	testtool.WaitFor(t, "status with 2 records", func() bool {
		m = readStatus(t, st)
		return one(m, "records_read") == "2" && one(m, "lines_written") == "2"
	})
	if one(m, "pid") != strconv.Itoa(cmd.Process.Pid) || one(m, "missing_inputs") != "1" || one(m, "missing_input") != missing ||
		one(m, "last_record") != "2026-11-21T10:58:43Z" && !strings.HasPrefix(one(m, "last_record"), "2026-11-21T") ||
		one(m, "lines_lost") != "0" || one(m, "decisions") != "0" {
		t.Errorf("status file: %v", m)
	}
	if !strings.Contains(stderr.String(), missing+" does not exist (yet)") {
		t.Errorf("no warning about the missing input:\n%s", stderr.String())
	}
	seq, _ := strconv.Atoi(one(m, "sequence"))
	cmd.Process.Signal(syscall.SIGUSR2)
	testtool.WaitFor(t, "a fresh status file", func() bool {
		n, _ := strconv.Atoi(one(readStatus(t, st), "sequence"))
		return n > seq
	})
	// The statistics message names the missing input too.
	testtool.WaitFor(t, "statistics naming the missing input", func() bool {
		return strings.Contains(stderr.String(), "missing inputs: "+missing)
	})
	f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(gen.Encode(nil, synRecord(t, 3, 1795258724)))
	f.Close()
	testtool.WaitFor(t, "third record counted", func() bool { return one(readStatus(t, st), "records_read") == "3" })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(st); !os.IsNotExist(err) {
		t.Errorf("status file left behind by a stopped service: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}

	// A plain -r run leaves its final counters.
	code, _, errOut := runBin(t, "-r", in, "-o", "/dev/full", "-status", st)
	m = readStatus(t, st)
	if code != 1 || one(m, "records_read") != "3" || one(m, "lines_lost") != "3" {
		t.Errorf("plain -r: %d %v\n%s", code, m, errOut)
	}
}

// TestConfigtestWhileRunning: checking the configuration of a running
// service warns that a second instance would not start, and passes.
func TestConfigtestWhileRunning(t *testing.T) {
	dir := t.TempDir()
	in, logPath, pid := filepath.Join(dir, "pflog"), filepath.Join(dir, "pf.log"), filepath.Join(dir, "p.pid")
	writeCapture(t, in, synRecord(t, 1, 1))
	cmd := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", pid)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	testtool.WaitFor(t, "pid file", func() bool {
		b, _ := os.ReadFile(pid)
		return strings.TrimSpace(string(b)) == strconv.Itoa(cmd.Process.Pid)
	})
	code, out, errOut := runBin(t, "-n", "-r", in, "-F", "-o", logPath, "-p", pid)
	want := "already runs with it (pid " + strconv.Itoa(cmd.Process.Pid) + ")"
	if code != 0 || !strings.Contains(errOut, want) || !strings.Contains(out, "configuration OK (1 warning(s))") {
		t.Fatalf("configtest of a running service: %d\n%s%s", code, out, errOut)
	}
}

// TestSynopsisComplete: the usage line names every flag, and the
// single-letter ones it groups are exactly the flags without a value.
func TestSynopsisComplete(t *testing.T) {
	var o options
	fs := newFlagSet(&o)
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 && isBool(f) {
			if !strings.Contains(synopsis, "[-FhnSV]") || !strings.Contains("FhnSV", f.Name) {
				t.Errorf("-%s is not in the [-FhnSV] group", f.Name)
			}
			return
		}
		if !strings.Contains(synopsis, "[-"+f.Name+" ") && !strings.Contains(synopsis, "[-"+f.Name+"]") {
			t.Errorf("synopsis lacks -%s", f.Name)
		}
		if len(f.Name) == 1 && !shortFlags[f.Name[0]] {
			t.Errorf("-%s takes a value but splitShort does not know it", f.Name)
		}
	})
	for c := range shortFlags {
		if fs.Lookup(string(c)) == nil && c != 'h' {
			t.Errorf("splitShort knows -%c, which is no flag", c)
		}
	}
}

// TestMissingInputWarnedPeriodically: a missing -F input is warned about
// at start and again every missingEvery until it appears, and not after:
// while a second input is still missing, its warnings show the watch
// ticking on without one more for the first.
func TestMissingInputWarnedPeriodically(t *testing.T) {
	old := missingEvery
	missingEvery = 20 * time.Millisecond
	defer func() { missingEvery = old }()
	dir := t.TempDir()
	p, q := filepath.Join(dir, "pflog"), filepath.Join(dir, "pflog1")
	var buf testtool.Buffer
	log := daemon.NewLogger(&buf)
	stop := watchMissing(&options{files: listFlag{p, q}, follow: true}, log)
	defer stop()
	if !strings.Contains(buf.String(), p+" does not exist (yet)") {
		t.Fatalf("no warning at start: %q", buf.String())
	}
	still := func(path string) string { return path + " still does not exist" }
	testtool.WaitFor(t, "a repeated warning", func() bool { return strings.Count(buf.String(), still(p)) >= 2 })
	writeCapture(t, p, synRecord(t, 1, 1))
	testtool.WaitFor(t, "the file's arrival logged", func() bool { return strings.Contains(buf.String(), p+" exists now: reading it") })
	afterArrival := func() string {
		out := buf.String()
		return out[strings.Index(out, p+" exists now: "):]
	}
	testtool.WaitFor(t, "two more ticks of the watch", func() bool { return strings.Count(afterArrival(), still(q)) >= 2 })
	if strings.Contains(afterArrival(), still(p)) {
		t.Errorf("still warning about %s after it appeared: %q", p, afterArrival())
	}
	// The last missing input appears: the watch says so and ends.
	writeCapture(t, q, synRecord(t, 1, 1))
	testtool.WaitFor(t, "the second file's arrival logged", func() bool { return strings.Contains(buf.String(), q+" exists now: reading it") })
}

// statusDetectors reads the status file's detector lines by input.
func statusDetectors(t *testing.T, m map[string][]string) map[string]status.Detector {
	out := map[string]status.Detector{}
	for _, v := range m["detector"] {
		d, err := status.ParseDetector(v)
		if err != nil {
			t.Fatal(err)
		}
		out[d.Input] = d
	}
	return out
}

// TestStatusDetectorCounters: after a run over a capture with scanners
// the status file holds the decisions, in all and on the input's own
// detector line; with -nodetect there is no detector line.
func TestStatusDetectorCounters(t *testing.T) {
	dir := t.TempDir()
	in, st := filepath.Join(dir, "scan.pcap"), filepath.Join(dir, "status")
	detectScenario(t, in)
	if code, _, errOut := runBin(t, "-r", in, "-o", filepath.Join(dir, "pf.log"), "-status", st); code != 0 {
		t.Fatalf("exit status %d\n%s", code, errOut)
	}
	m := readStatus(t, st)
	d, ok := statusDetectors(t, m)[in]
	if one(m, "decisions") != "3" || !ok || d.Decisions != 3 || d.Probes == 0 || d.Tracked == 0 ||
		d.Table != 8192 || one(m, "decisions_limited") != "0" || one(m, "budget_rate") != "0" {
		t.Fatalf("status after the scan capture: %+v\n%v", d, m)
	}
	if code, _, errOut := runBin(t, "-r", in, "-o", filepath.Join(dir, "pf.log"), "-status", st, "-nodetect"); code != 0 {
		t.Fatalf("-nodetect: exit status %d\n%s", code, errOut)
	}
	if m := readStatus(t, st); len(m["detector"]) != 0 || one(m, "decisions") != "0" {
		t.Fatalf("-nodetect: %v", m)
	}
}

// TestStatusFloodCounters: under a flood the status file shows what the
// detector pushed out (one-off sources from probation on one input,
// sources with two ports from the full table on the other) and the lines
// the budget withheld.
func TestStatusFloodCounters(t *testing.T) {
	dir := t.TempDir()
	oneOff, _ := floodCapture(t, 4, 5000)
	// 2000 sources with two ports each.
	base := synRecord(t, 1, 0)
	var recs []*gen.Record
	for i := 0; i < 4000; i++ {
		r := *base
		r.Packet = append([]byte(nil), base.Packet...)
		r.Sec, r.Nsec = 1795258722+int64(i/1000), int64(i%1000)*1e6
		n := uint32(i/2 + 1)
		r.Packet[12], r.Packet[13], r.Packet[14], r.Packet[15] = 10, 1, byte(n>>8), byte(n)
		r.Packet[22], r.Packet[23] = 0x10, byte(i%2)
		recs = append(recs, &r)
	}
	twoPorts := filepath.Join(dir, "two-ports.pcap")
	writeCapture(t, twoPorts, recs...)
	st := filepath.Join(dir, "status")
	code, _, errOut := runBin(t, "-r", oneOff, "-r", twoPorts, "-o", filepath.Join(dir, "pf.log"), "-status", st,
		"-line-budget", "500", "-detect-table", "64", "-detect-probation", "1024")
	if code != 0 {
		t.Fatalf("exit status %d\n%s", code, errOut)
	}
	m := readStatus(t, st)
	ds := statusDetectors(t, m)
	a, b := ds[oneOff], ds[twoPorts]
	if len(ds) != 2 || a.ProbationEvicted == 0 || a.Tracked > 64 || b.Evicted == 0 || b.Tracked > 64 || b.Table != 64 {
		t.Fatalf("detector lines: %+v\n%q", ds, m["detector"])
	}
	withheld, _ := strconv.Atoi(one(m, "budget_withheld"))
	summaries, _ := strconv.Atoi(one(m, "budget_summaries"))
	evicted, _ := strconv.ParseUint(one(m, "detector_evicted"), 10, 64)
	if withheld == 0 || summaries == 0 || one(m, "budget_rate") != "500" || evicted != a.Evicted+b.Evicted {
		t.Fatalf("budget and totals: %v", m)
	}
	t.Logf("withheld %d in %d summaries; %q", withheld, summaries, m["detector"])
}
