// Package f2btest is the one harness for tests that run the real
// fail2ban-server: it writes a private configuration, starts the server
// on its own socket, asks it for a jail's counters through
// fail2ban-client, and waits on fail2ban's progress (lines processed,
// failures counted, addresses banned) rather than on a fixed deadline. A
// wait fails only when fail2ban makes no progress at all for Stall, or
// after Bound in total: both catch a hang, not a slow machine.
package f2btest

import (
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

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// Stall is how long a wait accepts no progress at all; Bound caps a wait.
var (
	Stall = 3 * time.Minute
	Bound = 15 * time.Minute
)

// Config describes the server to start.
type Config struct {
	// Dir holds the configuration, socket, pid file, database and log.
	Dir string
	// System copies the installed fail2ban configuration (/etc/fail2ban:
	// jail.conf, action.d, filter.d) without its jail.d and fail2ban.d,
	// as the package's files are installed next to it.
	System bool
	// Files are written into the configuration directory ("jail.local",
	// "filter.d/x.conf", ...), over the copied ones.
	Files map[string]string
	// Env is added to the server's environment (e.g. a PATH with stubs).
	Env []string
	// LogLevel is fail2ban's log level; default INFO.
	LogLevel string
}

// Server is a running fail2ban-server.
type Server struct {
	t      testing.TB
	Conf   string // configuration directory
	Sock   string
	Log    string // fail2ban's log file
	client string
	env    []string
	cmd    *exec.Cmd
	done   chan struct{}
	out    testtool.Buffer
}

// Need returns the paths of fail2ban-server and fail2ban-client, or skips
// (fails under CI) when fail2ban is not installed.
func Need(t testing.TB) (server, client string) {
	t.Helper()
	return testtool.Need(t, "fail2ban-server", "fail2ban"), testtool.Need(t, "fail2ban-client", "fail2ban")
}

// Start writes the configuration and starts fail2ban-server in the
// foreground; the test's cleanup stops it (and logs its output and log
// when the test failed).
func Start(t testing.TB, c Config) *Server {
	t.Helper()
	server, client := Need(t)
	s := &Server{t: t, Conf: filepath.Join(c.Dir, "conf"), Sock: filepath.Join(c.Dir, "f2b.sock"),
		Log: filepath.Join(c.Dir, "fail2ban.log"), client: client, done: make(chan struct{})}
	if c.System {
		if _, err := os.Stat("/etc/fail2ban/jail.conf"); err != nil {
			t.Fatalf("fail2ban is installed but its configuration is not: %v", err)
		}
		if out, err := exec.Command("cp", "-R", "/etc/fail2ban", s.Conf).CombinedOutput(); err != nil {
			t.Fatalf("cp -R /etc/fail2ban: %v %s", err, out)
		}
		for _, d := range []string{"jail.d", "fail2ban.d"} {
			if err := os.RemoveAll(filepath.Join(s.Conf, d)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, d := range []string{"", "jail.d", "filter.d", "action.d"} {
		if err := os.MkdirAll(filepath.Join(s.Conf, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	level := c.LogLevel
	if level == "" {
		level = "INFO"
	}
	files := map[string]string{
		"fail2ban.local": fmt.Sprintf("[Definition]\nloglevel = %s\nlogtarget = %s\nsocket = %s\npidfile = %s\ndbfile = %s\n",
			level, s.Log, s.Sock, filepath.Join(c.Dir, "f2b.pid"), filepath.Join(c.Dir, "f2b.sqlite3")),
	}
	if !c.System {
		// fail2ban.conf is required; the .local above sets everything.
		files["fail2ban.conf"] = "[Definition]\n"
		if b, err := os.ReadFile("/etc/fail2ban/filter.d/common.conf"); err == nil {
			files["filter.d/common.conf"] = string(b)
		}
	}
	for p, body := range c.Files {
		files[p] = body
	}
	for p, body := range files {
		if err := os.WriteFile(filepath.Join(s.Conf, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.env = append(os.Environ(), c.Env...)
	s.cmd = exec.Command(server, "-f", "-x", "-c", s.Conf, "-s", s.Sock, "-p", filepath.Join(c.Dir, "f2b.pid"),
		"--logtarget", s.Log, "--loglevel", level, "start")
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			b, _ := os.ReadFile(s.Log)
			t.Logf("fail2ban-server output:\n%s\nfail2ban log (tail):\n%s", s.output(), tail(string(b), 60))
		}
	})
	return s
}

// Write collects the server's output (io.Writer).
func (s *Server) Write(b []byte) (int, error) { return s.out.Write(b) }

func (s *Server) output() string { return s.out.String() }

// Exited reports whether the server process has exited.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Client runs fail2ban-client against the server.
func (s *Server) Client(args ...string) (string, error) {
	cmd := exec.Command(s.client, append([]string{"-c", s.Conf, "-s", s.Sock}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Status is a jail's counters as fail2ban-client status JAIL prints them.
type Status struct {
	Failed, TotalFailed int
	Banned, TotalBanned int
	BannedIPs           []string // sorted
}

// Status asks for a jail's counters.
func (s *Server) Status(jail string) (Status, error) {
	out, err := s.Client("status", jail)
	if err != nil {
		return Status{}, fmt.Errorf("fail2ban-client status %s: %v: %s", jail, err, out)
	}
	return parseStatus(out), nil
}

// parseStatus reads fail2ban-client's "status JAIL" answer.
func parseStatus(out string) Status {
	var st Status
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.TrimLeft(k, "|`- \t")
		v = strings.TrimSpace(v)
		switch k {
		case "Currently failed":
			st.Failed, _ = strconv.Atoi(v)
		case "Total failed":
			st.TotalFailed, _ = strconv.Atoi(v)
		case "Currently banned":
			st.Banned, _ = strconv.Atoi(v)
		case "Total banned":
			st.TotalBanned, _ = strconv.Atoi(v)
		case "Banned IP list":
			st.BannedIPs = strings.Fields(v)
		}
	}
	sort.Strings(st.BannedIPs)
	return st
}

// WaitJails waits until the server answers and runs every named jail.
func (s *Server) WaitJails(jails ...string) {
	s.t.Helper()
	s.Wait("fail2ban-server runs jails "+strings.Join(jails, ", "), func() (bool, string) {
		out, err := s.Client("status")
		if err != nil {
			return false, ""
		}
		for _, j := range jails {
			if !strings.Contains(out, j) {
				return false, out
			}
		}
		return true, out
	})
}

// Wait polls cond until it reports done. cond also returns a progress
// mark (e.g. the failure counters): the wait fails when the mark has not
// changed for Stall, when the server died, or after Bound.
func (s *Server) Wait(what string, cond func() (done bool, progress string)) {
	s.t.Helper()
	WaitProgress(s.t, what, func() (bool, string) {
		if s.Exited() {
			s.t.Fatalf("fail2ban-server exited while waiting until %s", what)
		}
		return cond()
	})
}

// WaitProgress is Wait for any peer: it polls cond until done, and fails
// only when cond's progress mark stays the same for Stall, or after Bound.
func WaitProgress(t testing.TB, what string, cond func() (done bool, progress string)) {
	t.Helper()
	start := time.Now()
	last, lastChange := "", start
	for {
		done, mark := cond()
		if done {
			return
		}
		now := time.Now()
		if mark != last {
			last, lastChange = mark, now
		}
		if now.Sub(lastChange) > Stall {
			t.Fatalf("waiting until %s: no progress for %v (last: %q)", what, Stall, last)
		}
		if now.Sub(start) > Bound {
			t.Fatalf("waiting until %s: still not done after %v (last: %q)", what, Bound, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitFailed waits until the jail counted want failures in total, and
// fails at once when it counted more (a line matched that must not).
func (s *Server) WaitFailed(jail string, want int) Status {
	s.t.Helper()
	var st Status
	s.Wait(fmt.Sprintf("jail %s counted %d failures", jail, want), func() (bool, string) {
		var err error
		st, err = s.Status(jail)
		if err != nil {
			return false, err.Error()
		}
		if st.TotalFailed > want {
			s.t.Fatalf("jail %s counted %d failures, want %d (banned: %v)", jail, st.TotalFailed, want, st.BannedIPs)
		}
		return st.TotalFailed == want, fmt.Sprint(st.TotalFailed, st.TotalBanned)
	})
	return st
}

// Stop stops the server (fail2ban-client stop, then SIGTERM, then kill)
// and waits for it; it reports whether the orderly stop worked.
func (s *Server) Stop() bool {
	if s.Exited() {
		return true
	}
	_, err := s.Client("stop")
	if err == nil {
		select {
		case <-s.done:
			return true
		case <-time.After(Stall):
		}
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	return false
}

// RecordAction is an action.d file body for an action "record" that
// appends "<name> <ip>" to path on every ban.
func RecordAction(path string) string {
	return "[Definition]\nactionstart =\nactionstop =\nactioncheck =\nactionban = echo \"<name> <ip>\" >> " + path + "\nactionunban =\n"
}

// Recorded returns the addresses the record action wrote for jail, sorted
// and without repeats, and how many ban lines it wrote for that jail.
func Recorded(path, jail string) (ips []string, lines int) {
	b, _ := os.ReadFile(path)
	seen := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if ip, ok := strings.CutPrefix(l, jail+" "); ok {
			lines++
			if !seen[ip] {
				seen[ip] = true
				ips = append(ips, ip)
			}
		}
	}
	sort.Strings(ips)
	return ips, lines
}

// RecordTimedAction is RecordAction with the ban's wall-clock time:
// every ban appends "<name> <ip> SECONDS.NANOSECONDS" (GNU date) to path,
// for tests that measure time to ban.
func RecordTimedAction(path string) string {
	return "[Definition]\nactionstart =\nactionstop =\nactioncheck =\nactionban = echo \"<name> <ip> $(date +%%s.%%N)\" >> " + path + "\nactionunban =\n"
}

// RecordedTimes returns the addresses RecordTimedAction wrote for jail,
// each with the time of its first ban.
func RecordedTimes(path, jail string) map[string]time.Time {
	b, _ := os.ReadFile(path)
	bans := map[string]time.Time{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != jail {
			continue
		}
		sec, frac, _ := strings.Cut(f[2], ".")
		s, err1 := strconv.ParseInt(sec, 10, 64)
		ns, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if _, ok := bans[f[1]]; !ok {
			bans[f[1]] = time.Unix(s, ns)
		}
	}
	return bans
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
