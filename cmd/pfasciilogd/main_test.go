package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

var daemonBin string

func TestMain(m *testing.M) {
	bin, err := testtool.Daemon()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	daemonBin = bin
	testtool.Main(m)
}

// synRecord returns a pflog record of an inbound TCP SYN whose sequence
// number is seq, so every line can be told apart.
func synRecord(t testing.TB, seq uint32, sec int64) *gen.Record {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: []byte{192, 0, 2, 7}, DstIP: []byte{198, 51, 100, 1}}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 22, Seq: seq, SYN: true, Window: 1024}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, tcp); err != nil {
		t.Fatal(err)
	}
	return &gen.Record{Sec: sec, Hdr: gen.DefaultHeader(pflog.AFInet), Packet: append([]byte(nil), buf.Bytes()...)}
}

func writeCapture(t testing.TB, path string, recs ...*gen.Record) {
	if err := gen.WriteFile(path, 0, recs...); err != nil {
		t.Fatal(err)
	}
}

var seqRE = regexp.MustCompile(`, seq (\d+),`)

// countSeqs reads every file and counts how often each sequence number
// appears in a well-formed line.
func countSeqs(t *testing.T, files ...string) map[uint64]int {
	seen := map[uint64]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			m := seqRE.FindStringSubmatch(line)
			if m == nil || !strings.HasSuffix(line, "length 0") {
				t.Fatalf("%s: malformed line %q", f, line)
			}
			n, _ := strconv.ParseUint(m[1], 10, 32)
			seen[n]++
		}
	}
	return seen
}

func TestVersionAndUsage(t *testing.T) {
	out, err := exec.Command(daemonBin, "-V").Output()
	if err != nil || !strings.HasPrefix(string(out), "pfasciilogd ") {
		t.Fatalf("-V: %q, %v", out, err)
	}
	// -h: usage on standard output (for -h | less), exit status 0.
	cmd := exec.Command(daemonBin, "-h")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("-h exits %v, stderr %q", err, stderr.String())
	}
	for _, flag := range []string{"-i", "-r", "-F", "-o", "-p", "-S", "-format", "-n", "-status"} {
		if !regexp.MustCompile(`\n\s+` + flag + `\b`).MatchString(stdout.String()) {
			t.Errorf("usage does not mention %s:\n%s", flag, stdout.String())
		}
	}
	cmd = exec.Command(daemonBin, "-F")
	if err := cmd.Run(); err == nil {
		t.Errorf("-F without -r accepted")
	}
}

func TestReadFileToStdout(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	writeCapture(t, in, synRecord(t, 1, 1795258722), synRecord(t, 2, 1795258723))
	cmd := exec.Command(daemonBin, "-r", in)
	cmd.Env = append(os.Environ(), "TZ=Europe/Berlin")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-11-21T11:58:42.000000+01:00 rule 1/0(match): block in on vtnet0: 192.0.2.7.40000 > 198.51.100.1.22: Flags [S], seq 1, win 1024, length 0\n" +
		"2026-11-21T11:58:43.000000+01:00 rule 1/0(match): block in on vtnet0: 192.0.2.7.40000 > 198.51.100.1.22: Flags [S], seq 2, win 1024, length 0\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestSeveralFilesInOrderAndStdin(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	writeCapture(t, a, synRecord(t, 1, 1), synRecord(t, 2, 2))
	writeCapture(t, b, synRecord(t, 3, 3))
	stdin, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	cmd := exec.Command(daemonBin, "-r", a, "-r", "-", "-r", b, "-o", "-")
	cmd.Stdin = stdin
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var seqs []string
	for _, m := range seqRE.FindAllStringSubmatch(string(out), -1) {
		seqs = append(seqs, m[1])
	}
	if got := strings.Join(seqs, ","); got != "1,2,3,3" {
		t.Fatalf("records in order %s, want 1,2,3,3", got)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notPcap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPcap, []byte("this is not a capture file at all\n"), 0o644)
	cmd := exec.Command(daemonBin, "-r", notPcap)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil || !strings.Contains(stderr.String(), notPcap) {
		t.Fatalf("not-pcap: err %v, stderr %q; want failure naming the file", err, stderr.String())
	}

	// A file cut in the middle of its third record: the first two come
	// out, a warning names the file, and the exit status is 0.
	cut := filepath.Join(dir, "cut.pcap")
	writeCapture(t, cut, synRecord(t, 1, 1), synRecord(t, 2, 2), synRecord(t, 3, 3))
	full, _ := os.ReadFile(cut)
	os.WriteFile(cut, full[:len(full)-10], 0o644)
	cmd = exec.Command(daemonBin, "-r", cut)
	stderr.Reset()
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cut file: %v (%s)", err, stderr.String())
	}
	if n := strings.Count(string(out), "\n"); n != 2 || !strings.Contains(stderr.String(), cut) {
		t.Fatalf("cut file: %d lines, stderr %q", n, stderr.String())
	}

	// A record with a bad pflog header is skipped and counted; the
	// records around it still come out.
	bad := synRecord(t, 2, 2)
	bad.Hdr.Layout = pflog.LayoutLegacy
	rec := gen.Encode(nil, bad)
	rec[16] = 50 // header length byte: no such layout
	mixed := filepath.Join(dir, "mixed.pcap")
	writeCapture(t, mixed, synRecord(t, 1, 1))
	f, _ := os.OpenFile(mixed, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(rec)
	f.Write(gen.Encode(nil, synRecord(t, 3, 3)))
	f.Close()
	cmd = exec.Command(daemonBin, "-r", mixed)
	stderr.Reset()
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("mixed: %v", err)
	}
	if n := strings.Count(string(out), "\n"); n != 2 || !strings.Contains(stderr.String(), "malformed") {
		t.Fatalf("mixed: %d lines, stderr %q", n, stderr.String())
	}
}

// TestReopenUnderSignals streams records through a pipe into a running
// daemon while the log is renamed and the daemon sent SIGHUP/SIGUSR1 many
// times; every record must appear exactly once across all the files.
func TestReopenUnderSignals(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "pf.log")
	cmd := exec.Command(daemonBin, "-r", "-", "-o", logPath)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const total = 20000
	writeErr := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(stdin, 4096)
		w, err := gen.NewWriter(bw, 0)
		if err == nil {
			for i := 1; i <= total && err == nil; i++ {
				err = w.Write(synRecord(t, uint32(i), int64(i)))
				if i%100 == 0 {
					bw.Flush()
					time.Sleep(time.Millisecond)
				}
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		stdin.Close()
		writeErr <- err
	}()
	// Signals before main has run would meet the default action; the log
	// exists once the daemon has its signal handling in place.
	testtool.WaitFor(t, "daemon running", func() bool { _, err := os.Stat(logPath); return err == nil })
	files := []string{}
	var werr error
rotate:
	for k := 0; ; k++ {
		select {
		case werr = <-writeErr:
			break rotate
		case <-time.After(3 * time.Millisecond):
		}
		rotated := fmt.Sprintf("%s.%d", logPath, k)
		if err := os.Rename(logPath, rotated); err == nil {
			files = append(files, rotated)
		}
		sig := syscall.SIGHUP
		if k%2 == 1 {
			sig = syscall.SIGUSR1
		}
		cmd.Process.Signal(sig)
	}
	if werr != nil {
		t.Fatal(werr)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(logPath); err == nil {
		files = append(files, logPath)
	}
	if len(files) < 10 {
		t.Fatalf("only %d rotations happened while records were flowing", len(files))
	}
	seen := countSeqs(t, files...)
	for i := uint64(1); i <= total; i++ {
		if seen[i] != 1 {
			t.Fatalf("record %d appears %d times across %d files", i, seen[i], len(files))
		}
	}
	if len(seen) != total {
		t.Fatalf("%d distinct records, want %d", len(seen), total)
	}
	if !strings.Contains(stderr.String(), "reopened") {
		t.Errorf("no reopen message on stderr: %s", stderr.String())
	}
}

// TestServiceLifecycle runs the daemon as a service would (-r FILE -F with
// a pid file): a second instance is refused, SIGUSR2 logs statistics,
// SIGTERM ends it with status 0 and removes the pid file, and the daemon's
// own messages never reach the pf log.
func TestServiceLifecycle(t *testing.T) {
	dir := t.TempDir()
	in, logPath, pid := filepath.Join(dir, "pflog"), filepath.Join(dir, "pf.log"), filepath.Join(dir, "p.pid")
	writeCapture(t, in, synRecord(t, 1, 1), synRecord(t, 2, 2))
	cmd := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", pid)
	var stderr testtool.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	testtool.WaitFor(t, "pid file", func() bool {
		b, _ := os.ReadFile(pid)
		return strings.TrimSpace(string(b)) == strconv.Itoa(cmd.Process.Pid)
	})
	testtool.WaitFor(t, "two lines", func() bool { b, _ := os.ReadFile(logPath); return bytes.Count(b, []byte("\n")) == 2 })

	second := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", pid)
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "already running") || !strings.Contains(string(out), strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("second instance: %v, %q", err, out)
	}

	// Records appended later come out too.
	f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(gen.Encode(nil, synRecord(t, 3, 3)))
	f.Close()
	testtool.WaitFor(t, "third line", func() bool { b, _ := os.ReadFile(logPath); return bytes.Count(b, []byte("\n")) == 3 })

	cmd.Process.Signal(syscall.SIGUSR2)
	testtool.WaitFor(t, "statistics", func() bool { return strings.Contains(stderr.String(), "records read 3") })

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(pid); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	b, _ := os.ReadFile(logPath)
	if strings.Contains(string(b), "pfasciilogd") || strings.Count(string(b), "\n") != 3 {
		t.Errorf("pf log holds something other than the 3 records:\n%s", b)
	}
}

// TestDropPrivileges runs the daemon as root with -u nobody: it opens its
// pid file and log as root, then runs as nobody, still writes, reopens
// the log after rotation, and empties its pid file at exit even though it
// may no longer delete it.
func TestDropPrivileges(t *testing.T) {
	privsepReady(t)
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	logDir := filepath.Join(dir, "log")
	os.Mkdir(logDir, 0o777) // newsyslog would create the new log; here nobody may
	os.Chmod(logDir, 0o777)
	runDir := filepath.Join(dir, "run") // like /var/run: root's only
	os.Mkdir(runDir, 0o755)
	in, logPath, pid := filepath.Join(dir, "pflog"), filepath.Join(logDir, "pf.log"), filepath.Join(runDir, "p.pid")
	writeCapture(t, in, synRecord(t, 1, 1))
	os.Chmod(in, 0o644)
	cmd := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", pid, "-u", "nobody")
	var stderr testtool.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	testtool.WaitFor(t, "first line", func() bool { b, _ := os.ReadFile(logPath); return bytes.Count(b, []byte("\n")) == 1 })
	// With -u the pid is the privileged parent; the worker does the work.
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", workerOf(t, cmd.Process.Pid)))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Uid:\s+65534\s+65534\s+65534\s+65534$`).Match(status) {
		t.Fatalf("daemon still holds other ids:\n%s", status)
	}
	os.Rename(logPath, logPath+".0")
	cmd.Process.Signal(syscall.SIGHUP)
	testtool.WaitFor(t, "reopen", func() bool { return strings.Contains(stderr.String(), "reopened") })
	f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(gen.Encode(nil, synRecord(t, 2, 2)))
	f.Close()
	testtool.WaitFor(t, "line in new log", func() bool { b, _ := os.ReadFile(logPath); return bytes.Count(b, []byte("\n")) == 1 })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	if b, err := os.ReadFile(pid); err == nil && len(b) != 0 {
		t.Fatalf("pid file still names a pid after exit: %q", b)
	}
}
