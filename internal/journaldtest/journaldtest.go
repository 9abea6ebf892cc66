// Package journaldtest runs a real systemd-journald for tests, in a
// private mount namespace so that it never touches a journald that
// already runs or the host's journal files. It is test support: only
// _test.go files import it.
//
// A test calls Isolate first: the test binary re-runs that one test
// under unshare(1) with fresh tmpfs mounts on /run and /var/log/journal,
// and the parent only checks that the child passed. Inside, Start starts
// journald (listening on Socket, where go-systemd's journal package and
// the daemon's journal sink send) and Entries reads what it stored with
// journalctl. Everything vanishes with the namespace.
//
//	func TestX(t *testing.T) {
//		if !journaldtest.Isolate(t) {
//			return // the child ran the test
//		}
//		journaldtest.Start(t)
//		... send ...
//		es := journaldtest.Entries(t, n, "SYSLOG_IDENTIFIER=pfasciilogd")
//	}
//
// A missing journald, journalctl, unshare or root is a loud skip
// (testtool.Need, failure under CI=true).
package journaldtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// Socket is where journald listens for native-protocol messages.
const Socket = "/run/systemd/journal/socket"

// namespaceEnv marks the child run inside the private namespace; its
// value is the name of the test that runs there.
const namespaceEnv = "PFASCIILOGD_TEST_JOURNALD_NAMESPACE"

// journaldPaths are where Debian and others install systemd-journald.
var journaldPaths = []string{"/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"}

// journalDirs are journald's volatile and persistent journal directories.
var journalDirs = []string{"/run/log/journal", "/var/log/journal"}

// Isolate runs the calling top-level test again, as a child of the test
// binary, in a private mount namespace with fresh tmpfs mounts on /run
// and (when it exists) /var/log/journal.
//
// In the parent it skips loudly when journalctl, unshare, systemd-journald
// or root is missing, logs the child's output, reports the skips of the
// child's subtests for make test's summary, fails unless the child's test
// passed, and returns false: the test then returns. In the child it makes
// the mounts and returns true: the rest of the test runs there.
func Isolate(t *testing.T) bool {
	t.Helper()
	if strings.Contains(t.Name(), "/") {
		t.Fatalf("journaldtest.Isolate in subtest %s: call it from the top-level test", t.Name())
	}
	if os.Getenv(namespaceEnv) == t.Name() {
		// In the namespace: fresh, private /run and journal directories.
		if err := mountTmpfs("/run", "0755"); err != nil {
			t.Fatalf("mount tmpfs on /run: %v", err)
		}
		if _, err := os.Stat("/var/log/journal"); err == nil {
			if err := mountTmpfs("/var/log/journal", "2755"); err != nil {
				t.Fatalf("mount tmpfs on /var/log/journal: %v", err)
			}
		}
		return true
	}
	testtool.Need(t, "journalctl", "systemd")
	unshare := testtool.Need(t, "unshare", "util-linux")
	testtool.NeedFile(t, "systemd-journald", "systemd", journaldPaths...)
	testtool.NeedRoot(t, "running systemd-journald in a private mount namespace")
	args := []string{"--mount", "--propagation", "private",
		os.Args[0], "-test.run=^" + regexp.QuoteMeta(t.Name()) + "$", "-test.v", "-test.count=1"}
	// The child's timeout only catches a hang: it is what the parent has
	// left, less a tenth, so that the child's goroutine dump comes first.
	if d, ok := t.Deadline(); ok {
		left := time.Until(d)
		args = append(args, "-test.timeout="+(left-left/10).Round(time.Second).String())
	}
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(testtool.ChildEnv(os.Environ()), namespaceEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	t.Logf("in a private mount namespace:\n%s", out)
	// A part that needed a missing tool skipped (failed under CI): count
	// it in make test's summary.
	testtool.ReportChild(t, out)
	if err != nil {
		t.Fatalf("namespace run: %v", err)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name()+" ")) {
		t.Fatal("the namespace run did not pass")
	}
	return false
}

// inside fails the test unless it runs in Isolate's namespace, where
// journald and the journal are the test's own.
func inside(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(namespaceEnv) == "" {
		t.Fatalf("journaldtest.%s outside journaldtest.Isolate: it would use the host's journald", what)
	}
}

// Journald is a systemd-journald that Start started.
type Journald struct {
	cmd    *exec.Cmd
	logs   bytes.Buffer // journald's output; read only after exited
	exited chan struct{}
	stop   sync.Once
}

// Start empties the journal directories and starts a systemd-journald
// (inside Isolate's namespace), waiting until it answers on Socket. It
// stops when the test ends, or earlier with Stop; a test that wants
// fresh, empty journals for each of its parts starts one per part.
func Start(t testing.TB) *Journald {
	t.Helper()
	inside(t, "Start")
	path := testtool.NeedFile(t, "systemd-journald", "systemd", journaldPaths...)
	for _, d := range journalDirs {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if err := os.RemoveAll(filepath.Join(d, e.Name())); err != nil {
				t.Fatalf("empty the journal directory: %v", err)
			}
		}
	}
	for _, d := range []string{filepath.Dir(Socket), journalDirs[0]} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	j := &Journald{cmd: exec.Command(path), exited: make(chan struct{})}
	j.cmd.Stdout, j.cmd.Stderr = &j.logs, &j.logs
	if err := j.cmd.Start(); err != nil {
		t.Fatalf("start systemd-journald: %v", err)
	}
	go func() { j.cmd.Wait(); close(j.exited) }()
	t.Cleanup(j.Stop)
	testtool.WaitFor(t, "journald's socket", func() bool {
		select {
		case <-j.exited:
			t.Fatalf("systemd-journald exited before its socket appeared: %v\n%s", j.cmd.ProcessState, j.logs.String())
		default:
		}
		c, err := net.Dial("unixgram", Socket)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return j
}

// Stop stops journald (SIGTERM, SIGKILL after testtool.HangBound) and
// waits for it to exit. Later calls do nothing.
func (j *Journald) Stop() {
	j.stop.Do(func() {
		j.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-j.exited:
		case <-time.After(testtool.HangBound):
			j.cmd.Process.Kill()
			<-j.exited
		}
	})
}

// Entries reads back with journalctl -o json the entries that match
// (journalctl's FIELD=VALUE matches), oldest first, waiting until there
// are at least n of them. The wait fails only when journald stores
// nothing new for testtool.HangBound.
func Entries(t testing.TB, n int, matches ...string) []map[string]any {
	t.Helper()
	inside(t, "Entries")
	args := append([]string{"-q", "--no-pager", "-o", "json"}, matches...)
	var es []map[string]any
	read := func() bool {
		out, err := exec.Command("journalctl", args...).Output()
		if err != nil {
			t.Fatalf("journalctl %s: %v", strings.Join(args, " "), err)
		}
		es = es[:0]
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("journalctl line %q: %v", sc.Bytes(), err)
			}
			es = append(es, m)
		}
		return len(es) >= n
	}
	testtool.WaitProgress(t, fmt.Sprintf("journalctl to show %d entries matching %s", n, strings.Join(matches, " ")),
		read, func() int64 { return int64(len(es)) })
	return es
}
