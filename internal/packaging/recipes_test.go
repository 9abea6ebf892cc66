package packaging

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/synth"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// manualBlock returns the literal display of the manual that contains
// marker, as the reader sees it (roff escapes undone).
func manualBlock(t *testing.T, marker string) string {
	t.Helper()
	man := readFile(t, "cmd/pfasciilogd/pfasciilogd.8")
	for _, m := range regexp.MustCompile(`(?s)\n\.Bd -literal[^\n]*\n(.*?)\n\.Ed\n`).FindAllStringSubmatch(man, -1) {
		if strings.Contains(m[1], marker) {
			return strings.NewReplacer(`\en`, `\n`, `\e`, `\`, `\&`, ``).Replace(m[1])
		}
	}
	t.Fatalf("pfasciilogd.8 has no literal block with %q", marker)
	return ""
}

// TestRsyslogRecipe runs the manual's rsyslog collector recipe with a
// real rsyslogd: pfasciilogd -syslog-remote tcp:// delivers the lines, the
// collector's file is byte for byte what pfasciilogd writes itself, the
// shipped filter reads it, and a sender from another address that claims
// to be pfasciilogd gets nothing into it.
func TestRsyslogRecipe(t *testing.T) {
	rsyslogd := testtool.Need(t, "rsyslogd", "rsyslog")
	regex := testtool.Need(t, "fail2ban-regex", "fail2ban")
	pfa := testtool.BuildDaemon(t)
	dir := t.TempDir()

	recipe := manualBlock(t, `module(load="imtcp")`)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	out := filepath.Join(dir, "pf-fw1.log")
	conf := strings.NewReplacer(`port="514"`, fmt.Sprintf(`port="%d" address="127.0.0.1"`, port),
		`"192.0.2.1"`, `"127.0.0.1"`, "/var/log/pf-fw1.log", out).Replace(recipe)
	if conf == recipe || !strings.Contains(conf, out) {
		t.Fatalf("the recipe changed shape; adapt the test:\n%s", recipe)
	}
	conf = fmt.Sprintf("global(workDirectory=%q)\n", dir) + conf
	must(t, os.WriteFile(filepath.Join(dir, "rsyslog.conf"), []byte(conf), 0o644))
	rs := exec.Command(rsyslogd, "-n", "-f", filepath.Join(dir, "rsyslog.conf"), "-i", filepath.Join(dir, "rsyslogd.pid"))
	rsOut := &testtool.Buffer{}
	rs.Stdout, rs.Stderr = rsOut, rsOut
	must(t, rs.Start())
	defer func() { rs.Process.Kill(); rs.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitUntil(t, "rsyslogd listening", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, rsOut)

	// A forger on another address (127.0.0.2 is loopback too) sends what
	// pfasciilogd would send, naming a victim.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	if c, err := d.Dial("tcp", addr); err == nil {
		msg := "<174>1 2026-11-21T00:48:13.748353+00:00 fw pfasciilogd 4711 - - 2026-11-21T00:48:13.748353+00:00 rule 1/0(match): block in on vtnet0: 203.0.113.66.41854 > 192.0.2.10.22: Flags [S], seq 1, win 64240, length 0"
		for i := 0; i < 20; i++ {
			fmt.Fprintf(c, "%d %s", len(msg), msg)
		}
		c.Close()
	} else {
		t.Logf("no second loopback address (%v): forgery not tried", err)
	}

	capture := filepath.Join(dir, "sample.pcap")
	f, err := os.Create(capture)
	must(t, err)
	must(t, synth.Generate(f, synth.Options{Mix: synth.Sample}))
	f.Close()
	direct := filepath.Join(dir, "direct.log")
	if b, err := exec.Command(pfa, "-r", capture, "-o", direct).CombinedOutput(); err != nil {
		t.Fatalf("pfasciilogd -r: %v\n%s", err, b)
	}
	want, _ := os.ReadFile(direct)
	if b, err := exec.Command(pfa, "-r", capture, "-o", "none", "-syslog-remote", "tcp://"+addr).CombinedOutput(); err != nil {
		t.Fatalf("pfasciilogd -syslog-remote: %v\n%s", err, b)
	}
	waitUntil(t, "the collector's file", func() bool {
		b, _ := os.ReadFile(out)
		return bytes.Count(b, []byte("\n")) >= bytes.Count(want, []byte("\n"))
	}, rsOut)
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, want) {
		t.Fatalf("collector file differs from pfasciilogd's own log\ngot:\n%s\nwant:\n%s", got, want)
	}
	res, err := exec.Command(regex, out, filepath.Join(root, "fail2ban/filter.d/pfasciilogd.conf")).CombinedOutput()
	m := regexp.MustCompile(`Lines: (\d+) lines, 0 ignored, (\d+) matched`).FindSubmatch(res)
	if err != nil || m == nil || string(m[2]) == "0" {
		t.Fatalf("fail2ban-regex on the collector's file: %v\n%s", err, res)
	}
}

// waitUntil is testtool.WaitFor that shows the peer's output when the
// wait fails.
func waitUntil(t *testing.T, what string, cond func() bool, peer *testtool.Buffer) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("while waiting for %s the peer wrote:\n%s", what, peer.String())
		}
	})
	testtool.WaitFor(t, what, cond)
}
