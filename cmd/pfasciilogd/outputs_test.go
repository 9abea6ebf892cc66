package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func TestFormatsThroughTheBinary(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.pcap")
	writeCapture(t, in, synRecord(t, 1, 1795258722), synRecord(t, 2, 1795258723))
	for _, tc := range []struct {
		format string
		check  func(line string) bool
	}{
		{"json", func(l string) bool {
			var v map[string]any
			return json.Unmarshal([]byte(l), &v) == nil && v["src"] == "192.0.2.7" && v["tcp_flags"] == "S" && v["action"] == "block"
		}},
		{"filterlog", func(l string) bool {
			return strings.Contains(l, " filterlog: 1,,,0,vtnet0,match,block,in,4,") && strings.Contains(l, ",192.0.2.7,198.51.100.1,40000,22,")
		}},
	} {
		cmd := exec.Command(daemonBin, "-r", in, "-format", tc.format)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("%s: %d lines", tc.format, len(lines))
		}
		for _, l := range lines {
			if !tc.check(l) {
				t.Errorf("%s: unexpected line %s", tc.format, l)
			}
		}
	}
}

// TestRemoteSyslogAndNoFile sends the lines only to a UDP collector
// (-o none) and checks the RFC 5424 messages that arrive.
func TestRemoteSyslogAndNoFile(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	in := filepath.Join(t.TempDir(), "in.pcap")
	writeCapture(t, in, synRecord(t, 1, 1795258722), synRecord(t, 2, 1795258723))
	cmd := exec.Command(daemonBin, "-r", in, "-o", "none", "-syslog-remote", "udp://"+pc.LocalAddr().String(),
		"-syslog-facility", "local5", "-syslog-tag", "pflog")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	buf := make([]byte, 4096)
	for i := 1; i <= 2; i++ {
		pc.SetReadDeadline(time.Now().Add(testtool.HangBound))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		msg := string(buf[:n])
		// <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG; local5.info = 174
		if !strings.HasPrefix(msg, "<174>1 ") || !strings.Contains(msg, " pflog ") ||
			!strings.Contains(msg, ": block in on vtnet0: 192.0.2.7.40000 > 198.51.100.1.22: Flags [S], seq "+string(rune('0'+i))+",") {
			t.Errorf("message %d: %q", i, msg)
		}
	}
	if err := exec.Command(daemonBin, "-r", in, "-o", "none").Run(); err == nil {
		t.Error("-o none with no other output accepted")
	}
}

func TestJournalRefusedWithoutJournald(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.pcap")
	writeCapture(t, in, synRecord(t, 1, 1))
	cmd := exec.Command(daemonBin, "-r", in, "-journal")
	if _, err := os.Stat("/run/systemd/journal"); err == nil {
		// A journald runs here: hide its directory in a private mount
		// namespace so the daemon sees none.
		unshare := testtool.Need(t, "unshare", "util-linux")
		testtool.NeedRoot(t, "hiding the running journald in a private mount namespace")
		cmd = exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c",
			`mount -t tmpfs tmpfs /run/systemd/journal && exec "$@"`, "sh", daemonBin, "-r", in, "-journal")
	}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "journald is not running") {
		t.Fatalf("-journal without journald: %v %q", err, out)
	}
}

// TestNoLineWaitsForMoreInput: a record that arrives alone on a pipe that
// stays open is written at once, not held until more input or EOF.
func TestNoLineWaitsForMoreInput(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "pf.log")
	cmd := exec.Command(daemonBin, "-r", "-", "-o", logPath)
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	bw := bufio.NewWriter(stdin)
	w, _ := gen.NewWriter(bw, 0)
	for i := 1; i <= 3; i++ {
		w.Write(synRecord(t, uint32(i), int64(i)))
		bw.Flush()
		testtool.WaitFor(t, "line while the pipe stays open", func() bool {
			b, _ := os.ReadFile(logPath)
			return bytes.Count(b, []byte("\n")) == i
		})
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestLiveCaptureOffFreeBSD: -i needs FreeBSD's bpf(4); elsewhere the
// daemon says so and what to use instead.
func TestLiveCaptureOffFreeBSD(t *testing.T) {
	if runtime.GOOS == "freebsd" {
		t.Skip("platform: on FreeBSD -i is real (internal/capture's live tests)")
	}
	out, err := exec.Command(daemonBin, "-i", "pflog0", "-o", "-", "-p", "none").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "needs FreeBSD's bpf(4)") || !strings.Contains(string(out), "-r FILE") {
		t.Fatalf("-i off FreeBSD: %v %q", err, out)
	}
}
