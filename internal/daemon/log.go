package daemon

import (
	"fmt"
	"io"
	"log/syslog"
	"os"
	"sync"
	"time"
)

// Logger carries the daemon's own messages (start, reopen, errors,
// statistics) to standard error and, when running as a service, to
// syslog with facility daemon. They never go into the pf log.
type Logger struct {
	mu     sync.Mutex
	stderr io.Writer
	sys    *syslog.Writer
}

// NewLogger returns a logger writing to w (standard error when nil).
func NewLogger(w io.Writer) *Logger {
	if w == nil {
		w = os.Stderr
	}
	return &Logger{stderr: w}
}

// UseSyslog also sends messages to syslog, facility daemon, tagged tag.
func (l *Logger) UseSyslog(tag string) error {
	w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, tag)
	if err != nil {
		return fmt.Errorf("connect to syslog: %w", err)
	}
	l.mu.Lock()
	l.sys = w
	l.mu.Unlock()
	return nil
}

// Infof logs an informational message.
func (l *Logger) Infof(format string, args ...any) { l.log(syslog.LOG_INFO, format, args...) }

// Warnf logs a warning.
func (l *Logger) Warnf(format string, args ...any) { l.log(syslog.LOG_WARNING, format, args...) }

// Errorf logs an error.
func (l *Logger) Errorf(format string, args ...any) { l.log(syslog.LOG_ERR, format, args...) }

func (l *Logger) log(pri syslog.Priority, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.stderr, "pfasciilogd: %s\n", msg)
	if l.sys == nil {
		return
	}
	switch pri {
	case syslog.LOG_ERR:
		l.sys.Err(msg)
	case syslog.LOG_WARNING:
		l.sys.Warning(msg)
	default:
		l.sys.Info(msg)
	}
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
