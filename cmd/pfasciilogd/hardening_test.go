package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/capsicum"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/synth"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// seqStream writes a pcap of n SYN records with sequence numbers 1..n to
// w, patching one template so that a million records take a moment.
func seqStream(t testing.TB, w io.Writer, n int, pace func(i int)) error {
	tmpl := gen.Encode(nil, synRecord(t, 0, 1795258722))
	const seqOff = 16 + 72 + 20 + 4 // pcap record header, pflog header, IPv4 header, ports
	bw := bufio.NewWriterSize(w, 64<<10)
	pw, err := gen.NewWriter(bw, 0)
	if err != nil || pw == nil {
		return err
	}
	rec := append([]byte(nil), tmpl...)
	for i := 1; i <= n; i++ {
		binary.BigEndian.PutUint32(rec[seqOff:], uint32(i))
		if _, err := bw.Write(rec); err != nil {
			return err
		}
		if pace != nil {
			pace(i)
		}
	}
	return bw.Flush()
}

// exactlyOnce checks that every sequence number 1..n appears exactly once
// in the files, in well-formed lines.
func exactlyOnce(t *testing.T, n int, files []string) {
	t.Helper()
	seen := make([]uint8, n+1)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := sc.Bytes()
			i := bytes.Index(line, []byte(", seq "))
			j := bytes.Index(line, []byte(", win 1024, length 0"))
			if i < 0 || j < i || !bytes.HasSuffix(line, []byte("length 0")) {
				t.Fatalf("%s: torn or foreign line %q", f, line)
			}
			v, err := strconv.Atoi(string(line[i+6 : j]))
			if err != nil || v < 1 || v > n {
				t.Fatalf("%s: bad sequence in %q", f, line)
			}
			seen[v]++
		}
		fh.Close()
	}
	for i := 1; i <= n; i++ {
		if seen[i] != 1 {
			t.Fatalf("record %d appears %d times across %d files", i, seen[i], len(files))
		}
	}
}

func fdCount(t *testing.T, pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestRotationUnderLoad streams a million records through a running daemon
// while the log is rotated 200 times (rename, then SIGHUP, as newsyslog
// does) and then hit by a storm of SIGHUPs: every record appears exactly
// once across all files, and the daemon holds no more descriptors than
// before.
func TestRotationUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("long test")
	}
	const total = 1_000_000
	const rotations = 200
	dir := t.TempDir()
	logPath := filepath.Join(dir, "pf.log")
	cmd := exec.Command(daemonBin, "-r", "-", "-o", logPath, "-workers", "4")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testtool.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	progress := make(chan int, 1)
	writeErr := make(chan error, 1)
	go func() {
		err := seqStream(t, stdin, total, func(i int) {
			if i%5000 == 0 {
				select {
				case progress <- i:
				default:
				}
			}
		})
		stdin.Close()
		writeErr <- err
	}()
	testtool.WaitFor(t, "daemon running", func() bool { _, err := os.Stat(logPath); return err == nil })
	fdsBefore := fdCount(t, cmd.Process.Pid)

	// Rotate at a pace set by the writer, so the rotations spread over
	// the whole stream whatever the machine's speed.
	var files []string
	k := 0
	var werr error
	done := false
	for !done {
		select {
		case <-progress:
			if k < rotations {
				files = append(files, rotate(t, logPath, k))
				cmd.Process.Signal(syscall.SIGHUP)
				k++
			}
		case werr = <-writeErr:
			done = true
		}
	}
	if werr != nil {
		t.Fatal(werr)
	}
	for ; k < rotations; k++ { // the stream ended first: finish the rotations
		files = append(files, rotate(t, logPath, k))
		cmd.Process.Signal(syscall.SIGHUP)
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon: %v\n%s", err, stderr.String())
	}
	files = append(files, logPath)
	exactlyOnce(t, total, files)
	used := 0
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.Size() > 0 {
			used++
		}
	}
	t.Logf("%d records over %d rotations, %d files got lines; descriptors at start %d", total, rotations, used, fdsBefore)
	if used < rotations/4 {
		t.Fatalf("only %d of %d files got lines: the rotations did not overlap the stream", used, rotations+1)
	}
}

// rotate does what newsyslog does before it signals: rename the log and
// create an empty new one.
func rotate(t *testing.T, logPath string, k int) string {
	rotated := fmt.Sprintf("%s.%d", logPath, k)
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return rotated
}

// TestSighupStorm sends thousands of SIGHUPs a second to a daemon that is
// writing: nothing is lost or doubled and no descriptor leaks.
func TestSighupStorm(t *testing.T) {
	const total = 200_000
	dir := t.TempDir()
	logPath := filepath.Join(dir, "pf.log")
	cmd := exec.Command(daemonBin, "-r", "-", "-o", logPath, "-workers", "1")
	stdin, _ := cmd.StdinPipe()
	var stderr testtool.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	writeErr := make(chan error, 1)
	go func() {
		err := seqStream(t, stdin, total, func(i int) {
			if i%20000 == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		})
		writeErr <- err
	}()
	testtool.WaitFor(t, "daemon running", func() bool { _, err := os.Stat(logPath); return err == nil })
	fdsBefore := fdCount(t, cmd.Process.Pid)
	storm := 0
	for storm < 5000 { // bursts of 100: thousands a second
		for i := 0; i < 100; i++ {
			cmd.Process.Signal(syscall.SIGHUP)
			storm++
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	// All records written, the daemon still running: its descriptors come
	// back to what they were (a leak never does, and hangs the wait).
	testtool.WaitFor(t, fmt.Sprintf("descriptors back to %d after %d SIGHUPs", fdsBefore, storm), func() bool {
		return fdCount(t, cmd.Process.Pid) <= fdsBefore
	})
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon: %v\n%s", err, stderr.String())
	}
	exactlyOnce(t, total, []string{logPath})
}

// TestLogDeletedWithoutSignal deletes the log under a running daemon
// without telling it: a new log appears within seconds and gets the lines.
func TestLogDeletedWithoutSignal(t *testing.T) {
	dir := t.TempDir()
	in, logPath := filepath.Join(dir, "pflog"), filepath.Join(dir, "pf.log")
	writeCapture(t, in, synRecord(t, 1, 1))
	cmd := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", "none")
	var stderr testtool.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	testtool.WaitFor(t, "first line", func() bool { b, _ := os.ReadFile(logPath); return len(b) > 0 })
	os.Remove(logPath)
	testtool.WaitFor(t, "new log after deletion", func() bool { _, err := os.Stat(logPath); return err == nil })
	f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(gen.Encode(nil, synRecord(t, 2, 2)))
	f.Close()
	testtool.WaitFor(t, "line in the new log", func() bool { b, _ := os.ReadFile(logPath); return strings.Contains(string(b), "seq 2,") })
	if !strings.Contains(stderr.String(), "renamed or deleted without a signal") {
		t.Errorf("no message about the vanished log:\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

// TestDiskFullDaemon runs the daemon on a tiny tmpfs that fills up: it
// keeps reading, counts and reports the lost lines, never leaves a torn
// line, and writes again by itself once space returns.
func TestDiskFullDaemon(t *testing.T) {
	testtool.NeedRoot(t, "mounting a small tmpfs to fill it")
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", "-l", mnt).Run()
	filler := filepath.Join(mnt, "filler")
	os.WriteFile(filler, make([]byte, 200<<10), 0o600)
	logPath := filepath.Join(mnt, "pf.log")
	dir := t.TempDir()
	in := filepath.Join(dir, "pflog")
	writeCapture(t, in)
	cmd := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", "none")
	var stderr testtool.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	testtool.WaitFor(t, "daemon running", func() bool { return strings.Contains(stderr.String(), "started") })
	appendSeq := func(from, to int) {
		var b bytes.Buffer
		for i := from; i <= to; i++ {
			b.Write(gen.Encode(nil, synRecord(t, uint32(i), int64(i))))
		}
		f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
		f.Write(b.Bytes())
		f.Close()
	}
	appendSeq(1, 2000) // ~250 kB of lines: more than fits
	testtool.WaitFor(t, "loss reported", func() bool { return strings.Contains(stderr.String(), "lines lost") })
	os.Remove(filler)
	appendSeq(2001, 2010)
	testtool.WaitFor(t, "writing resumed", func() bool { b, _ := os.ReadFile(logPath); return strings.Contains(string(b), "seq 2010,") })
	if !strings.Contains(stderr.String(), "again") {
		t.Errorf("no message that writing resumed:\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGUSR2)
	testtool.WaitFor(t, "statistics", func() bool { return strings.Contains(stderr.String(), "records read 2010") })
	b, _ := os.ReadFile(logPath)
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if !strings.HasSuffix(l, "length 0") {
			t.Fatalf("torn line in the log: %q", l)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

// TestWorkersSameOutput: every worker count writes exactly the same
// bytes, in every format, with and without flood control (summary lines
// included, at the same places).
func TestWorkersSameOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "mix.pcap")
	var b bytes.Buffer
	if err := synth.Generate(&b, synth.Options{N: 60000, Seed: 7, Snap: 116, Mix: synth.Realistic,
		Start: time.Unix(1795258722, 0)}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(in, b.Bytes(), 0o644)
	run := func(args ...string) []byte {
		cmd := exec.Command(daemonBin, append([]string{"-r", in}, args...)...)
		cmd.Env = append(os.Environ(), "TZ=Europe/Berlin")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	for _, format := range []string{"text", "json", "filterlog"} {
		one := run("-format", format, "-workers", "1", "-nodetect")
		if n := bytes.Count(one, []byte("\n")); n != 60000 {
			t.Fatalf("%s -nodetect: %d lines for 60000 records", format, n)
		}
		for _, w := range []string{"2", "4"} {
			if many := run("-format", format, "-workers", w, "-nodetect"); !bytes.Equal(one, many) {
				t.Fatalf("%s: -workers %s output differs from -workers 1", format, w)
			}
		}
		// Detection on (the default): decision lines among the packet
		// lines, at the same places for every worker count.
		one = run("-format", format, "-workers", "1")
		scan := " pfasciilogd: scan from "
		if format == "json" {
			scan = `"event":"scan"`
		}
		n, d := bytes.Count(one, []byte("\n")), bytes.Count(one, []byte(scan))
		if d == 0 || n-d != 60000 {
			t.Fatalf("%s: %d lines, %d of them decisions, for 60000 records", format, n, d)
		}
		for _, w := range []string{"2", "4"} {
			if many := run("-format", format, "-workers", w); !bytes.Equal(one, many) {
				t.Fatalf("%s with detection: -workers %s output differs from -workers 1:\n%s", format, w, firstDiff(one, many))
			}
		}
	}
	for _, format := range []string{"text", "json", "filterlog"} {
		flood := []string{"-format", format, "-max-per-source", "5", "-window", "10s"}
		one := run(append(flood, "-workers", "1")...)
		summary := " pfasciilogd: suppressed "
		if format == "json" {
			summary = `"event":"flood_summary"`
		}
		if n := bytes.Count(one, []byte(summary)); n < 10 {
			t.Fatalf("%s: %d flood summaries in the realistic mix, want many", format, n)
		}
		for _, w := range []string{"2", "3", "4"} {
			if many := run(append(flood, "-workers", w)...); !bytes.Equal(one, many) {
				t.Fatalf("%s with flood control: -workers %s output differs from -workers 1:\n%s", format, w, firstDiff(one, many))
			}
		}
	}
	// With -format json, the summaries are JSON too.
	js := run("-format", "json", "-max-per-source", "5", "-window", "10s")
	if !bytes.Contains(js, []byte(`"event":"flood_summary"`)) {
		t.Fatal("no JSON flood summary")
	}
	for _, l := range bytes.Split(bytes.TrimSuffix(js, []byte("\n")), []byte("\n")) {
		if !json.Valid(l) {
			t.Fatalf("not JSON: %s", l)
		}
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(la), len(lb))
}

// TestFollowStateAcrossRestart: with -state, a daemon stopped and started
// again writes each record of the followed file exactly once, including
// those pflogd wrote while it was stopped.
func TestFollowStateAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	in, logPath, st := filepath.Join(dir, "pflog"), filepath.Join(dir, "pf.log"), filepath.Join(dir, "state")
	writeCapture(t, in, synRecord(t, 1, 1), synRecord(t, 2, 2))
	appendRec := func(seq uint32) {
		f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
		f.Write(gen.Encode(nil, synRecord(t, seq, int64(seq))))
		f.Close()
	}
	lines := func() int { b, _ := os.ReadFile(logPath); return bytes.Count(b, []byte("\n")) }
	run := func(want int) {
		cmd := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", "none", "-state", st)
		var stderr testtool.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		testtool.WaitFor(t, fmt.Sprintf("%d lines", want), func() bool { return lines() >= want })
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
	}
	run(2)
	appendRec(3) // while stopped
	run(3)
	appendRec(4)
	run(4)
	exactlyOnceSeqs(t, 4, logPath)
}

// exactlyOnceSeqs checks sequence numbers 1..n appear once each in path.
func exactlyOnceSeqs(t *testing.T, n int, path string) {
	t.Helper()
	seen := countSeqs(t, path)
	if len(seen) != n {
		t.Fatalf("%d distinct records in %s, want %d: %v", len(seen), path, n, seen)
	}
	for i := 1; i <= n; i++ {
		if seen[uint64(i)] != 1 {
			t.Fatalf("record %d appears %d times", i, seen[uint64(i)])
		}
	}
}

// privsepReady lets the unprivileged worker execute the test binary: the
// privileged parent re-executes it as the user, who must be able to
// reach it (on FreeBSD it is /usr/local/sbin/pfasciilogd, mode 0555).
func privsepReady(t *testing.T) {
	t.Helper()
	testtool.NeedRoot(t, "privilege separation (a root parent, a worker as nobody)")
	if err := os.Chmod(filepath.Dir(daemonBin), 0o755); err != nil {
		t.Fatal(err)
	}
}

// workerOf waits for the one child process of parent (the worker) and
// returns its pid.
func workerOf(t *testing.T, parent int) int {
	t.Helper()
	var pid int
	testtool.WaitFor(t, "the worker process", func() bool {
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, p := range stats {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...
			i := bytes.LastIndexByte(b, ')')
			if i < 0 {
				continue
			}
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 1 && f[1] == strconv.Itoa(parent) {
				pid, _ = strconv.Atoi(filepath.Base(filepath.Dir(p)))
				return true
			}
		}
		return false
	})
	return pid
}

func uidLine(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Uid:") {
			return strings.Join(strings.Fields(l)[1:], " ")
		}
	}
	return ""
}

// TestPrivsepFollowsRootOnlyFileAcrossRotation (issue 10, points 4-6):
// as root with -u nobody, -r /var/log/pflog -F keeps going after
// newsyslog re-creates pflogd's file root 0600 (the worker, as nobody,
// gets it through the root parent); the pid file names the parent, which
// forwards SIGHUP and SIGTERM to the worker; -state is saved while
// running, so after the worker is killed with SIGKILL a restart writes
// no record twice and misses none.
func TestPrivsepFollowsRootOnlyFileAcrossRotation(t *testing.T) {
	privsepReady(t)
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755) // like /var/log: root's, readable by all
	in, logPath := filepath.Join(dir, "pflog"), filepath.Join(dir, "pf.log")
	pid, st := filepath.Join(dir, "p.pid"), filepath.Join(dir, "state")
	writeCapture(t, in, synRecord(t, 1, 1), synRecord(t, 2, 2))
	os.Chmod(in, 0o600)
	lines := func() int { b, _ := os.ReadFile(logPath); return bytes.Count(b, []byte("\n")) }

	start := func() (*exec.Cmd, *testtool.Buffer) {
		cmd := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", pid, "-state", st, "-u", "nobody")
		stderr := &testtool.Buffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		return cmd, stderr
	}
	cmd, stderr := start()
	testtool.WaitFor(t, "2 lines", func() bool { return lines() == 2 || strings.Contains(stderr.String(), "exiting") })
	if lines() != 2 {
		t.Fatalf("no lines:\n%s", stderr.String())
	}
	worker := workerOf(t, cmd.Process.Pid)
	if u := uidLine(t, worker); u != "65534 65534 65534 65534" {
		t.Fatalf("worker uids %q, want nobody's", u)
	}
	if u := uidLine(t, cmd.Process.Pid); !strings.HasPrefix(u, "0 ") {
		t.Fatalf("parent uids %q, want root", u)
	}
	if b, _ := os.ReadFile(pid); strings.TrimSpace(string(b)) != strconv.Itoa(cmd.Process.Pid) {
		t.Fatalf("pid file says %q, want the parent %d", b, cmd.Process.Pid)
	}
	if fi, err := os.Stat(logPath); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 65534 {
		t.Fatalf("log not created for nobody: %v", err)
	}

	// newsyslog: rename pflogd's file away, create a new one root 0600.
	os.Rename(in, in+".0")
	writeCapture(t, in, synRecord(t, 3, 3))
	os.Chmod(in, 0o600)
	testtool.WaitFor(t, "the rotated file's record", func() bool { return lines() == 3 })

	// newsyslog rotates the log (creating the new one with the owner of
	// newsyslog.conf.d/pfasciilogd.conf), then sends SIGHUP to the pid
	// file's process, which must reach the worker.
	os.Rename(logPath, logPath+".0")
	os.WriteFile(logPath, nil, 0o640)
	os.Chown(logPath, 65534, 65534)
	cmd.Process.Signal(syscall.SIGHUP)
	testtool.WaitFor(t, "reopen", func() bool { return strings.Contains(stderr.String(), "reopened") })
	f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(gen.Encode(nil, synRecord(t, 4, 4)))
	f.Close()
	testtool.WaitFor(t, "line in the new log", func() bool { return lines() == 1 })

	// The state follows what was written, without a clean exit.
	var want string
	{
		fi, _ := os.Stat(in)
		sys := fi.Sys().(*syscall.Stat_t)
		want = fmt.Sprintf("%d %d %d %s\n", sys.Dev, sys.Ino, fi.Size(), in)
	}
	testtool.WaitFor(t, "state saved while running", func() bool { b, _ := os.ReadFile(st); return string(b) == want })
	syscall.Kill(worker, syscall.SIGKILL)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 128+9 {
		t.Fatalf("parent exit after its worker was killed: %v, want status 137\n%s", err, stderr.String())
	}
	if b, err := os.ReadFile(pid); err == nil {
		t.Fatalf("pid file left behind: %q", b)
	}

	// pflogd writes on; a restarted daemon goes on where the state says.
	f, _ = os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(gen.Encode(nil, synRecord(t, 5, 5)))
	f.Close()
	cmd, stderr = start()
	testtool.WaitFor(t, "record 5", func() bool { return lines() == 2 })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(pid); err == nil {
		t.Fatal("pid file left behind after SIGTERM")
	}
	seen := countSeqs(t, logPath, logPath+".0")
	for i := uint64(1); i <= 5; i++ {
		if seen[i] != 1 {
			t.Fatalf("record %d written %d times: %v\n%s", i, seen[i], seen, stderr.String())
		}
	}
}

// TestCorruptStateIsAnError: a state file that is not the daemon's says
// so and stops the start, rather than reading everything again silently.
func TestCorruptStateIsAnError(t *testing.T) {
	dir := t.TempDir()
	in, st := filepath.Join(dir, "pflog"), filepath.Join(dir, "state")
	writeCapture(t, in, synRecord(t, 1, 1))
	os.WriteFile(st, []byte("\x00\x00garbage\n"), 0o600)
	out, err := exec.Command(daemonBin, "-r", in, "-F", "-o", filepath.Join(dir, "log"), "-p", "none", "-state", st).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "state file "+st+" line 1") || !strings.Contains(string(out), "remove it") {
		t.Fatalf("err %v, output %q", err, out)
	}
}

// TestPrivsepRecreatesDeletedLog: a log deleted by hand (not rotated by
// newsyslog) is created again for the worker by the parent: the worker,
// as nobody, cannot create files in a root-owned log directory.
func TestPrivsepRecreatesDeletedLog(t *testing.T) {
	privsepReady(t)
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	in, logPath := filepath.Join(dir, "pflog"), filepath.Join(dir, "pf.log")
	writeCapture(t, in, synRecord(t, 1, 1))
	cmd := exec.Command(daemonBin, "-r", in, "-F", "-o", logPath, "-p", "none", "-u", "nobody")
	var stderr testtool.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := func() int { b, _ := os.ReadFile(logPath); return bytes.Count(b, []byte("\n")) }
	testtool.WaitFor(t, "first line", func() bool { return lines() == 1 })
	os.Remove(logPath)
	cmd.Process.Signal(syscall.SIGHUP)
	testtool.WaitFor(t, "the log created again", func() bool { _, err := os.Stat(logPath); return err == nil })
	fi, _ := os.Stat(logPath)
	if fi.Sys().(*syscall.Stat_t).Uid != 65534 {
		t.Fatalf("new log owned by uid %d", fi.Sys().(*syscall.Stat_t).Uid)
	}
	f, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(gen.Encode(nil, synRecord(t, 2, 2)))
	f.Close()
	testtool.WaitFor(t, "line in the new log", func() bool { return lines() == 1 })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "permission denied") {
		t.Fatalf("the worker failed to reopen:\n%s", stderr.String())
	}
}

// TestSandboxSetup: the command line reaches capsicum.Decide as it
// means: -F follows by path, plain -r is no service, -nocapsicum
// disables, a network-like output reconnects (capsicum's own tests hold
// every combination and its messages).
func TestSandboxSetup(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		reconnect bool
		want      capsicum.Setup
	}{
		{[]string{"-i", "pflog0"}, false, capsicum.Setup{Service: true}},
		{[]string{"-i", "pflog0", "-nocapsicum"}, false, capsicum.Setup{Service: true, Disabled: true}},
		{[]string{"-r", "/var/log/pflog", "-F"}, false, capsicum.Setup{Service: true, FollowPath: true}},
		{[]string{"-r", "/var/log/pflog"}, false, capsicum.Setup{}},
		{[]string{"-i", "pflog0", "-syslog"}, true, capsicum.Setup{Service: true, Reconnect: true}},
		{[]string{"-i", "pflog0", "-journal"}, true, capsicum.Setup{Service: true, Reconnect: true}},
		{[]string{"-i", "pflog0", "-syslog-remote", "udp://192.0.2.1:514"}, true, capsicum.Setup{Service: true, Reconnect: true}},
		{[]string{"-i", "pflog0", "-S"}, false, capsicum.Setup{Service: true}}, // connected once, before cap_enter
	} {
		o, err := parse(tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		tc.want.Supported = capsicum.Supported()
		if got := sandboxSetup(o); got != tc.want || o.reconnects() != tc.reconnect {
			t.Errorf("%v: %+v, want %+v", tc.args, got, tc.want)
		}
	}
}
