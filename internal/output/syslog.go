package output

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Facility is a syslog facility (LOG_DAEMON is 3).
type Facility int

// Severity is a syslog severity; every line is sent as SeverityInfo.
type Severity int

// SeverityInfo is LOG_INFO.
const SeverityInfo Severity = 6

// DefaultFacility is used when a config leaves Facility at its zero value
// (kern, which no user process may log as).
const DefaultFacility Facility = 3 // daemon

// DefaultTag is the syslog tag and RFC 5424 APP-NAME.
const DefaultTag = "pfasciilogd"

var facilityNames = map[string]Facility{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "security": 13, "console": 14,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21,
	"local6": 22, "local7": 23,
}

// ParseFacility returns the facility named as in syslog.conf(5)
// ("daemon", "security", "local0", ...).
func ParseFacility(name string) (Facility, error) {
	f, ok := facilityNames[strings.ToLower(name)]
	if !ok || f == 0 {
		return 0, fmt.Errorf("unknown syslog facility %q (want daemon, security, local0 ... local7, ...)", name)
	}
	return f, nil
}

// DeliveryStats counts what a network or syslog sink did with the lines
// it was given: Sent reached the socket, Dropped did not (collector down,
// queue full), Reconnects counts connections re-established after a loss.
type DeliveryStats struct {
	Sent       uint64
	Dropped    uint64
	Reconnects uint64
}

type deliveryCounters struct {
	sent, dropped, reconnects atomic.Uint64
}

func (c *deliveryCounters) stats() DeliveryStats {
	return DeliveryStats{Sent: c.sent.Load(), Dropped: c.dropped.Load(), Reconnects: c.reconnects.Load()}
}

// DefaultSyslogPath returns the local syslogd socket for this system:
// /var/run/log on FreeBSD (syslogd(8)), /dev/log elsewhere.
func DefaultSyslogPath() string {
	if runtime.GOOS == "freebsd" {
		return "/var/run/log"
	}
	return "/dev/log"
}

// SyslogConfig configures the local syslog sink.
type SyslogConfig struct {
	Path     string   // the syslogd socket; "" = DefaultSyslogPath()
	Facility Facility // 0 = DefaultFacility
	Tag      string   // "" = DefaultTag
	// OnError, when set, hears of the sink losing and regaining syslogd
	// (once per change, not once per line).
	OnError func(error)
}

// Syslog sends each line as one datagram to the local syslogd, framed as
// FreeBSD's syslog(3) does: "<PRI>Mmm dd hh:mm:ss tag[pid]: line". It
// does not use log/syslog: it formats into one reused buffer and never
// allocates per line.
//
// A send never blocks the caller: a full socket buffer is retried
// briefly and the line then dropped; when syslogd is gone (restarted) the
// sink reconnects, at most once a second, and counts the lines it could
// not deliver as dropped (see Stats).
type Syslog struct {
	mu      sync.Mutex
	cfg     SyslogConfig
	fd      int
	pid     []byte
	prefix  []byte // "<PRI>"
	buf     []byte
	lastTry time.Time
	now     func() time.Time // time.Now; tests move it on
	down    bool
	closed  bool
	n       deliveryCounters
}

// OpenSyslog connects to the local syslogd. It fails when the socket
// cannot be reached, so a wrong -syslog setup is reported at startup.
func OpenSyslog(cfg SyslogConfig) (*Syslog, error) {
	if cfg.Path == "" {
		cfg.Path = DefaultSyslogPath()
	}
	if cfg.Facility == 0 {
		cfg.Facility = DefaultFacility
	}
	if cfg.Tag == "" {
		cfg.Tag = DefaultTag
	}
	s := &Syslog{cfg: cfg, fd: -1, buf: make([]byte, 0, 2048), now: time.Now}
	s.prefix = fmt.Appendf(nil, "<%d>", int(cfg.Facility)*8+int(SeverityInfo))
	s.pid = fmt.Appendf(nil, "%s[%d]: ", sanitizeTag(cfg.Tag), os.Getpid())
	if err := s.connect(); err != nil {
		return nil, err
	}
	return s, nil
}

func sanitizeTag(tag string) string {
	b := []byte(tag)
	for i, c := range b {
		if c <= ' ' || c >= 0x7f || c == ':' || c == '[' || c == ']' {
			b[i] = '_'
		}
	}
	if len(b) > 32 {
		b = b[:32]
	}
	return string(b)
}

func (s *Syslog) connect() error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("syslog: socket: %w", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: s.cfg.Path}); err != nil {
		unix.Close(fd)
		return fmt.Errorf("syslog: connect %s: %w", s.cfg.Path, err)
	}
	if s.fd >= 0 {
		unix.Close(s.fd)
	}
	s.fd = fd
	return nil
}

// Write sends every line of batch as its own datagram.
func (s *Syslog) Write(batch []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("syslog: write after close")
	}
	now := s.now()
	for len(batch) > 0 {
		var line []byte
		line, batch, _ = bytes.Cut(batch, newline)
		if len(line) == 0 {
			continue
		}
		b := append(s.buf[:0], s.prefix...)
		b = now.AppendFormat(b, time.Stamp)
		b = append(b, ' ')
		b = append(b, s.pid...)
		b = append(b, line...)
		s.buf = b
		s.send(b, now)
	}
	return nil
}

// send delivers one datagram or counts it as dropped. Callers hold mu.
func (s *Syslog) send(b []byte, now time.Time) {
	for attempt := 0; ; attempt++ {
		var err error
		if s.fd < 0 {
			err = unix.ENOTCONN
		} else {
			err = unix.Sendto(s.fd, b, unix.MSG_DONTWAIT, nil)
		}
		switch {
		case err == nil:
			s.n.sent.Add(1)
			if s.down {
				s.down = false
				s.report(fmt.Errorf("syslog %s: delivering again", s.cfg.Path))
			}
			return
		case (err == unix.EAGAIN || err == unix.ENOBUFS) && attempt < 3:
			time.Sleep(50 * time.Microsecond) // let syslogd drain its queue
			continue
		case err == unix.EAGAIN || err == unix.ENOBUFS:
		default:
			// syslogd went away (restart): reconnect, at most once a second.
			if attempt == 0 && (s.lastTry.IsZero() || now.Sub(s.lastTry) >= time.Second) {
				s.lastTry = now
				if cerr := s.connect(); cerr == nil {
					s.n.reconnects.Add(1)
					continue
				} else {
					err = cerr
				}
			}
			if !s.down {
				s.down = true
				s.report(fmt.Errorf("syslog %s: %w (dropping lines until it is back)", s.cfg.Path, err))
			}
		}
		s.n.dropped.Add(1)
		return
	}
}

func (s *Syslog) report(err error) {
	if s.cfg.OnError != nil {
		s.cfg.OnError(err)
	}
}

// Stats returns the delivery counters.
func (s *Syslog) Stats() DeliveryStats { return s.n.stats() }

// Reopen reconnects to syslogd (after it was restarted).
func (s *Syslog) Reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if err := s.connect(); err != nil {
		return err
	}
	s.n.reconnects.Add(1)
	return nil
}

// Close releases the socket.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.fd >= 0 {
		err := unix.Close(s.fd)
		s.fd = -1
		return err
	}
	return nil
}
