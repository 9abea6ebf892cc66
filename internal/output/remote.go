package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/timestamp"
)

// RemoteConfig configures the remote syslog sink.
type RemoteConfig struct {
	Network  string   // "udp" or "tcp"
	Addr     string   // host:port of the collector
	Facility Facility // 0 = DefaultFacility
	Hostname string   // HOSTNAME field; "" = os.Hostname()
	AppName  string   // APP-NAME; "" = DefaultTag
	MsgID    string   // MSGID; "" = "-"
	// QueueLen bounds the lines waiting for the collector; 0 = 4096.
	QueueLen int
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts, doubled after each failure; 0 = 100 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// WriteTimeout bounds one write to a TCP collector that stopped
	// reading; 0 = 5 s. Capture never waits for it.
	WriteTimeout time.Duration
	// OnError, when set, hears of the collector going away and coming
	// back (once per change, not per line).
	OnError func(error)
}

// ParseRemoteURL splits "udp://host:514" or "tcp://host:514" into network
// and address; the port defaults to 514.
func ParseRemoteURL(s string) (network, addr string, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", "", fmt.Errorf("syslog remote %q: %w", s, err)
	}
	if u.Scheme != "udp" && u.Scheme != "tcp" {
		return "", "", fmt.Errorf("syslog remote %q: want udp://host[:port] or tcp://host[:port]", s)
	}
	if u.Host == "" || u.Path != "" && u.Path != "/" || u.User != nil || u.RawQuery != "" {
		return "", "", fmt.Errorf("syslog remote %q: want udp://host[:port] or tcp://host[:port]", s)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "514"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "", fmt.Errorf("syslog remote %q: bad port %q", s, port)
	}
	return u.Scheme, net.JoinHostPort(host, port), nil
}

// Remote sends lines to a syslog collector as RFC 5424 messages: one per
// datagram over UDP (RFC 5426), octet-counted ("LEN SP MSG", RFC 6587)
// over TCP. The MSG is the formatted line, STRUCTURED-DATA is "-":
//
//	<PRI>1 2025-11-21T11:16:42.123456+01:00 fw pfasciilogd 4711 - - <line>
//
// Write never blocks capture: it copies the lines into a bounded queue
// that a goroutine drains to the collector. When the queue is full, or
// while the collector is unreachable, lines are dropped and counted
// (Stats); the goroutine reconnects with exponential backoff between
// MinBackoff and MaxBackoff. Nothing is buffered without bound and no
// line is allocated: queue slots are reused.
type Remote struct {
	cfg    RemoteConfig
	header []byte // "<PRI>1 " ... built per batch: "TIMESTAMP HOST APP PROCID MSGID - "
	host   []byte
	tail   []byte // " APP PROCID MSGID - "

	mu     sync.Mutex // serialises Write, Reopen, Close
	ts     timestamp.Stamper
	closed bool

	queue  chan []byte
	free   chan []byte
	reopen chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	n      deliveryCounters
}

// OpenRemote starts the sink. It fails only on a bad configuration; an
// unreachable collector is retried in the background (and reported
// through OnError).
func OpenRemote(cfg RemoteConfig) (*Remote, error) {
	if cfg.Network != "udp" && cfg.Network != "tcp" {
		return nil, fmt.Errorf("syslog remote: network %q, want udp or tcp", cfg.Network)
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("syslog remote: address %q: %w", cfg.Addr, err)
	}
	if cfg.Facility == 0 {
		cfg.Facility = DefaultFacility
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.AppName == "" {
		cfg.AppName = DefaultTag
	}
	if cfg.MsgID == "" {
		cfg.MsgID = "-"
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 4096
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	r := &Remote{
		cfg:    cfg,
		ts:     timestamp.Stamper{Loc: time.Local},
		queue:  make(chan []byte, cfg.QueueLen),
		free:   make(chan []byte, cfg.QueueLen),
		reopen: make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	r.header = fmt.Appendf(nil, "<%d>1 ", int(cfg.Facility)*8+int(SeverityInfo))
	r.tail = fmt.Appendf(nil, " %s %s %d %s - ",
		field5424(cfg.Hostname, 255), field5424(cfg.AppName, 48), os.Getpid(), field5424(cfg.MsgID, 32))
	for range cfg.QueueLen {
		r.free <- make([]byte, 0, 256)
	}
	r.wg.Add(1)
	go r.run()
	return r, nil
}

// field5424 makes s a valid RFC 5424 header field: printable US-ASCII
// without spaces, at most n bytes, "-" when empty.
func field5424(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	if len(b) > n {
		b = b[:n]
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}

// Write queues every line of batch; lines that find the queue full are
// dropped and counted. It never blocks on the network.
func (r *Remote) Write(batch []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("syslog remote: write after close")
	}
	now := time.Now()
	sec, nsec := now.Unix(), int32(now.Nanosecond())
	for len(batch) > 0 {
		var line []byte
		line, batch, _ = bytes.Cut(batch, newline)
		if len(line) == 0 {
			continue
		}
		var b []byte
		select {
		case b = <-r.free:
		default:
			r.n.dropped.Add(1)
			continue
		}
		b = append(b[:0], r.header...)
		b = r.ts.Append(b, sec, nsec)
		b = append(b, r.tail...)
		b = append(b, line...)
		r.queue <- b // never blocks: there are as many slots as free buffers
	}
	return nil
}

// Stats returns the delivery counters.
func (r *Remote) Stats() DeliveryStats { return r.n.stats() }

// Reopen drops the current connection and connects again at once.
func (r *Remote) Reopen() error {
	select {
	case r.reopen <- struct{}{}:
	default:
	}
	return nil
}

// Close stops the sender, sending what is queued if the collector is
// up (waiting at most WriteTimeout), and closes the connection.
func (r *Remote) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	close(r.done)
	r.wg.Wait()
	return nil
}

// run is the sender goroutine: it owns the connection.
func (r *Remote) run() {
	defer r.wg.Done()
	var (
		conn    net.Conn
		backoff = r.cfg.MinBackoff
		retryAt time.Time // no connection attempt before this
		lost    bool      // the collector was lost (for Reconnects and OnError)
		out     = make([]byte, 0, 64*1024)
		probe   [1]byte
		batch   = make([][]byte, 0, 256)
	)
	dial := func() {
		d := net.Dialer{Timeout: min(r.cfg.WriteTimeout, 5*time.Second)}
		c, err := d.Dial(r.cfg.Network, r.cfg.Addr)
		if err != nil {
			retryAt = time.Now().Add(backoff)
			backoff = min(backoff*2, r.cfg.MaxBackoff)
			if !lost {
				lost = true
				r.report(fmt.Errorf("syslog remote %s://%s: %w (dropping lines until it is back)", r.cfg.Network, r.cfg.Addr, err))
			}
			return
		}
		conn = c
		backoff = r.cfg.MinBackoff
		if lost {
			lost = false
			r.n.reconnects.Add(1)
			r.report(fmt.Errorf("syslog remote %s://%s: connected again", r.cfg.Network, r.cfg.Addr))
		}
	}
	drop := func(err error) {
		if conn != nil {
			conn.Close()
			conn = nil
		}
		retryAt = time.Now().Add(backoff)
		backoff = min(backoff*2, r.cfg.MaxBackoff)
		if !lost {
			lost = true
			r.report(fmt.Errorf("syslog remote %s://%s: %w (dropping lines until it is back)", r.cfg.Network, r.cfg.Addr, err))
		}
	}
	// alive reports whether a TCP collector still has the connection
	// open; a closed peer is noticed before lines are written into the
	// void.
	alive := func() bool {
		if r.cfg.Network != "tcp" || conn == nil {
			return conn != nil
		}
		_ = conn.SetReadDeadline(time.Now())
		_, err := conn.Read(probe[:])
		if err == nil {
			return true // the collector talks back; ignore it
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return true
		}
		if err == io.EOF {
			err = errors.New("collector closed the connection")
		}
		drop(err)
		return false
	}
	dial()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var first []byte
		if conn == nil && !retryAt.IsZero() {
			wait := time.Until(retryAt)
			if wait <= 0 {
				dial()
				continue
			}
			timer.Reset(wait)
			select {
			case first = <-r.queue:
			case <-timer.C:
				dial()
				continue
			case <-r.reopen:
				retryAt = time.Time{}
				backoff = r.cfg.MinBackoff
				dial()
				continue
			case <-r.done:
				r.finish(conn, out)
				return
			}
		} else {
			select {
			case first = <-r.queue:
			case <-r.reopen:
				if conn != nil {
					conn.Close()
					conn = nil
				}
				dial()
				continue
			case <-r.done:
				r.finish(conn, out)
				return
			}
		}
		// Gather what is queued into one write.
		batch = append(batch[:0], first)
	gather:
		for len(batch) < cap(batch) {
			select {
			case b := <-r.queue:
				batch = append(batch, b)
			default:
				break gather
			}
		}
		if conn == nil || !alive() {
			r.n.dropped.Add(uint64(len(batch)))
			r.recycle(batch)
			continue
		}
		n, err := r.send(conn, batch, out)
		r.n.sent.Add(uint64(n))
		if err != nil {
			r.n.dropped.Add(uint64(len(batch) - n))
			drop(err)
		}
		r.recycle(batch)
	}
}

// send writes the messages in batch; it returns how many went out whole.
func (r *Remote) send(conn net.Conn, batch [][]byte, out []byte) (int, error) {
	_ = conn.SetWriteDeadline(time.Now().Add(r.cfg.WriteTimeout))
	if r.cfg.Network == "udp" {
		for i, b := range batch {
			if _, err := conn.Write(b); err != nil {
				return i, err
			}
		}
		return len(batch), nil
	}
	out = out[:0]
	for _, b := range batch {
		out = strconv.AppendInt(out, int64(len(b)), 10)
		out = append(out, ' ')
		out = append(out, b...)
	}
	if _, err := conn.Write(out); err != nil {
		return 0, err
	}
	return len(batch), nil
}

func (r *Remote) recycle(batch [][]byte) {
	for _, b := range batch {
		r.free <- b
	}
}

// finish sends what is still queued (if connected) and closes.
func (r *Remote) finish(conn net.Conn, out []byte) {
	var batch [][]byte
	for {
		select {
		case b := <-r.queue:
			batch = append(batch, b)
			continue
		default:
		}
		break
	}
	if conn == nil {
		r.n.dropped.Add(uint64(len(batch)))
		return
	}
	if len(batch) > 0 {
		n, err := r.send(conn, batch, out)
		r.n.sent.Add(uint64(n))
		if err != nil {
			r.n.dropped.Add(uint64(len(batch) - n))
		}
	}
	conn.Close()
}

func (r *Remote) report(err error) {
	if r.cfg.OnError != nil {
		r.cfg.OnError(err)
	}
}
