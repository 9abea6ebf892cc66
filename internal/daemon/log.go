package daemon

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// Logger carries the daemon's own messages (start, reopen, errors,
// statistics) to standard error and, with UseSyslog, to the local syslogd
// with facility daemon, each at its own priority (Errorf LOG_ERR, Warnf
// LOG_WARNING, Infof LOG_INFO) and tagged once, "pfasciilogd[PID]: ...".
// They never go into the pf log.
type Logger struct {
	mu     sync.Mutex
	stderr io.Writer
	sys    *net.UnixConn
	tag    string
	pid    int
	now    func() time.Time
	buf    []byte
	sysErr bool // the last syslog write failed (reported once)
}

// NewLogger returns a logger writing to w (standard error when nil).
func NewLogger(w io.Writer) *Logger {
	if w == nil {
		w = os.Stderr
	}
	return &Logger{stderr: w, pid: os.Getpid(), now: time.Now}
}

// syslogPaths are the local syslogd's datagram sockets: FreeBSD's
// syslogd(8) listens on /var/run/log, Linux's on /dev/log, macOS's on
// /var/run/syslog.
var syslogPaths = []string{"/var/run/log", "/dev/log", "/var/run/syslog"}

// Priorities (syslog.h): facility daemon (3) << 3 | severity.
const (
	facilityDaemon = 3 << 3
	sevErr         = 3
	sevWarning     = 4
	sevInfo        = 6
)

// UseSyslog also sends messages to the local syslogd, tagged tag. It
// connects now, so that it works after the process enters Capsicum
// capability mode: a connected datagram socket can still be written to.
// If syslogd restarts, that socket is dead and cannot be reconnected in
// capability mode; messages then go to standard error only (said once).
func (l *Logger) UseSyslog(tag string) error {
	return l.useSyslogAt(syslogPaths, tag)
}

func (l *Logger) useSyslogAt(paths []string, tag string) error {
	var errs []error
	for _, p := range paths {
		c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: p, Net: "unixgram"})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.mu.Lock()
		if l.sys != nil {
			l.sys.Close()
		}
		l.sys, l.tag, l.sysErr = c, tag, false
		l.mu.Unlock()
		return nil
	}
	return fmt.Errorf("connect to syslog (%s): %w", strings.Join(paths, ", "), errors.Join(errs...))
}

// SyslogFd returns the descriptor of the syslog socket, -1 without one
// (the sandbox limits it to writing).
func (l *Logger) SyslogFd() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sys == nil {
		return -1
	}
	raw, err := l.sys.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// Infof logs an informational message.
func (l *Logger) Infof(format string, args ...any) { l.log(sevInfo, format, args...) }

// Warnf logs a warning.
func (l *Logger) Warnf(format string, args ...any) { l.log(sevWarning, format, args...) }

// Errorf logs an error.
func (l *Logger) Errorf(format string, args ...any) { l.log(sevErr, format, args...) }

func (l *Logger) log(sev int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.stderr, "pfasciilogd: %s\n", msg)
	if l.sys == nil {
		return
	}
	// RFC 3164 as syslog(3) sends it to the local socket:
	// <PRI>Mmm dd hh:mm:ss TAG[PID]: MSG
	l.buf = fmt.Appendf(l.buf[:0], "<%d>%s %s[%d]: %s", facilityDaemon|sev, l.now().Format(time.Stamp), l.tag, l.pid, msg)
	if _, err := l.sys.Write(l.buf); err != nil {
		if !l.sysErr {
			fmt.Fprintf(l.stderr, "pfasciilogd: syslog: %v; messages go to standard error only until a restart\n", err)
		}
		l.sysErr = true
		return
	}
	l.sysErr = false
}

// Close closes the syslog connection.
func (l *Logger) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sys != nil {
		l.sys.Close()
		l.sys = nil
	}
}

// throttle lets a repeated complaint through at most once per interval,
// so a flood of bad records cannot flood syslog.
type throttle struct {
	interval time.Duration
	last     time.Time
	held     uint64
}

// allow reports whether to log now, and how many were held back since the
// last message.
func (t *throttle) allow(now time.Time) (bool, uint64) {
	if !t.last.IsZero() && now.Sub(t.last) < t.interval {
		t.held++
		return false, 0
	}
	t.last = now
	held := t.held
	t.held = 0
	return true, held
}
