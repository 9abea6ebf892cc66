package daemon

import (
	"bytes"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLoggerSyslogPriorities: each message reaches syslogd at its own
// priority, facility daemon, with the tag once (issue 10 point 11: through
// daemon(8) -S -s info every message was info and tagged twice).
func TestLoggerSyslogPriorities(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var stderr bytes.Buffer
	l := NewLogger(&stderr)
	l.now = func() time.Time { return time.Date(2026, 11, 21, 0, 48, 17, 0, time.UTC) }
	l.pid = 4242
	if err := l.useSyslogAt([]string{filepath.Join(t.TempDir(), "nope"), path}, "pfasciilogd"); err != nil {
		t.Fatal(err)
	}
	if l.SyslogFd() < 0 {
		t.Error("no descriptor for the syslog socket")
	}
	l.Errorf("read %s: %v", "/var/log/pflog", "permission denied")
	l.Warnf("pflog0: short buffer")
	l.Infof("started")
	want := []string{
		"<27>Nov 21 00:48:17 pfasciilogd[4242]: read /var/log/pflog: permission denied",
		"<28>Nov 21 00:48:17 pfasciilogd[4242]: pflog0: short buffer",
		"<30>Nov 21 00:48:17 pfasciilogd[4242]: started",
	}
	buf := make([]byte, 2048)
	for _, w := range want {
		if err := srv.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		n, err := srv.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != w {
			t.Errorf("syslog got %q, want %q", got, w)
		}
		if c := regexp.MustCompile(`pfasciilogd`).FindAllStringIndex(w, -1); len(c) != 1 {
			t.Errorf("tag not exactly once in %q", w)
		}
	}
	// syslogd restarts: the socket is gone; the logger says so once and
	// goes on writing to standard error.
	srv.Close()
	l.Errorf("one")
	l.Errorf("two")
	if n := strings.Count(stderr.String(), "syslog:"); n != 1 {
		t.Errorf("a lost syslogd reported %d times:\n%s", n, stderr.String())
	}
	if !strings.Contains(stderr.String(), "pfasciilogd: two\n") {
		t.Errorf("standard error lost a message:\n%s", stderr.String())
	}
	l.Close()
}

func TestLoggerNoSyslog(t *testing.T) {
	l := NewLogger(&bytes.Buffer{})
	if err := l.useSyslogAt([]string{filepath.Join(t.TempDir(), "nope")}, "x"); err == nil {
		t.Error("connected to a socket that does not exist")
	}
	if l.SyslogFd() != -1 {
		t.Error("descriptor without syslog")
	}
}
