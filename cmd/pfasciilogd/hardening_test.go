package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
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
	var stderr syncBuffer
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
	var stderr syncBuffer
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
	var stderr syncBuffer
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
	var stderr syncBuffer
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

// TestWorkersSameOutput: the parallel pipeline writes exactly what the
// single-goroutine one writes, in the same order, for every format, and
// with flood control the same packet lines (summaries may sit elsewhere).
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
		one := run("-format", format, "-workers", "1")
		if n := bytes.Count(one, []byte("\n")); n != 60000 {
			t.Fatalf("%s: %d lines for 60000 records", format, n)
		}
		for _, w := range []string{"2", "4"} {
			if many := run("-format", format, "-workers", w); !bytes.Equal(one, many) {
				t.Fatalf("%s: -workers %s output differs from -workers 1", format, w)
			}
		}
	}
	packetLines := func(out []byte) string {
		var keep []string
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.Contains(l, " pfasciilogd: suppressed ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	one := run("-workers", "1", "-max-per-source", "5", "-window", "10s")
	many := run("-workers", "3", "-max-per-source", "5", "-window", "10s")
	if packetLines(one) != packetLines(many) {
		t.Fatal("with flood control, the packet lines differ between -workers 1 and 3")
	}
	if !bytes.Contains(one, []byte(" pfasciilogd: suppressed ")) {
		t.Fatal("flood control suppressed nothing in the realistic mix")
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
		var stderr syncBuffer
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
