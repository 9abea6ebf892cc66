package output_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// msg5424 is one parsed RFC 5424 message.
type msg5424 struct {
	Pri                                   int
	Time                                  time.Time
	Host, App, ProcID, MsgID, SD, Message string
}

// parse5424 parses a message strictly by RFC 5424's ABNF (section 6):
// SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG].
func parse5424(s string) (msg5424, error) {
	var m msg5424
	if !strings.HasPrefix(s, "<") {
		return m, errors.New("no PRI")
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return m, errors.New("PRI: 1-3 digits")
	}
	pri := s[1:end]
	if len(pri) > 1 && pri[0] == '0' {
		return m, errors.New("PRI: leading zero")
	}
	for _, c := range pri {
		if c < '0' || c > '9' {
			return m, errors.New("PRI: not a number")
		}
	}
	m.Pri, _ = strconv.Atoi(pri)
	if m.Pri > 191 {
		return m, errors.New("PRI > 191")
	}
	s = s[end+1:]
	if !strings.HasPrefix(s, "1 ") {
		return m, errors.New("VERSION is not 1")
	}
	s = s[2:]
	field := func(name string, max int) (string, error) {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return "", fmt.Errorf("%s: no SP after it", name)
		}
		f := s[:i]
		s = s[i+1:]
		if len(f) < 1 || len(f) > max {
			return "", fmt.Errorf("%s: length %d not in 1..%d", name, len(f), max)
		}
		for _, c := range []byte(f) {
			if c < 33 || c > 126 {
				return "", fmt.Errorf("%s: byte %#x not PRINTUSASCII", name, c)
			}
		}
		return f, nil
	}
	ts, err := field("TIMESTAMP", 32)
	if err != nil {
		return m, err
	}
	// FULL-DATE "T" FULL-TIME, TIME-SECFRAC at most 6 digits, offset Z or +hh:mm.
	if len(ts) < 20 || ts[4] != '-' || ts[7] != '-' || ts[10] != 'T' || ts[13] != ':' || ts[16] != ':' {
		return m, fmt.Errorf("TIMESTAMP %q", ts)
	}
	if i := strings.IndexByte(ts, '.'); i >= 0 {
		j := i + 1
		for j < len(ts) && ts[j] >= '0' && ts[j] <= '9' {
			j++
		}
		if j-i-1 < 1 || j-i-1 > 6 {
			return m, fmt.Errorf("TIME-SECFRAC %q", ts)
		}
	}
	if m.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
		return m, fmt.Errorf("TIMESTAMP: %v", err)
	}
	if m.Host, err = field("HOSTNAME", 255); err != nil {
		return m, err
	}
	if m.App, err = field("APP-NAME", 48); err != nil {
		return m, err
	}
	if m.ProcID, err = field("PROCID", 128); err != nil {
		return m, err
	}
	if m.MsgID, err = field("MSGID", 32); err != nil {
		return m, err
	}
	switch {
	case strings.HasPrefix(s, "- "):
		m.SD, m.Message = "-", s[2:]
	case s == "-":
		m.SD = "-"
	default:
		return m, fmt.Errorf("STRUCTURED-DATA: want NILVALUE, got %q", s)
	}
	if strings.ContainsAny(m.Message, "\n\x00") {
		return m, errors.New("MSG holds a newline or NUL")
	}
	return m, nil
}

func checkMsg(t *testing.T, raw, wantMsg string) {
	t.Helper()
	m, err := parse5424(raw)
	if err != nil {
		t.Fatalf("not RFC 5424: %v: %q", err, raw)
	}
	host, _ := os.Hostname()
	if m.Pri != 16*8+6 || m.Host != host || m.App != "pfasciilogd" || m.ProcID != strconv.Itoa(os.Getpid()) || m.MsgID != "-" || m.SD != "-" {
		t.Errorf("header fields: %+v", m)
	}
	if d := time.Since(m.Time); d < 0 || d > time.Minute {
		t.Errorf("timestamp %v is %v away", m.Time, d)
	}
	if m.Message != wantMsg {
		t.Errorf("MSG %q, want %q", m.Message, wantMsg)
	}
}

func TestParseRemoteURL(t *testing.T) {
	for in, want := range map[string]string{
		"udp://127.0.0.1":         "udp 127.0.0.1:514",
		"tcp://logs.example:6514": "tcp logs.example:6514",
		"udp://[::1]:1514":        "udp [::1]:1514",
	} {
		n, a, err := output.ParseRemoteURL(in)
		if err != nil || n+" "+a != want {
			t.Errorf("%s: %s %s %v", in, n, a, err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:514", "http://x", "tcp://", "udp://h:0", "udp://h:99999", "tcp://h/x"} {
		if _, _, err := output.ParseRemoteURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRemoteUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r, err := output.OpenRemote(output.RemoteConfig{Network: "udp", Addr: pc.LocalAddr().String(), Facility: 16})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var batch []byte
	for i := range n {
		batch = fmt.Appendf(batch, "line %d: rule 1/0(match): block in on vtnet0\n", i)
	}
	if err := r.Write(batch); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	for i := range n {
		_ = pc.SetReadDeadline(time.Now().Add(testtool.HangBound))
		k, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		checkMsg(t, string(buf[:k]), fmt.Sprintf("line %d: rule 1/0(match): block in on vtnet0", i))
	}
	r.Close()
	if st := r.Stats(); st.Sent != n || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// collector is a TCP syslog collector reading octet-counted frames
// strictly (RFC 6587 3.4.1: MSG-LEN SP SYSLOG-MSG, no leading zero).
type collector struct {
	t    *testing.T
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	errs []error
	wg   sync.WaitGroup
	conn []net.Conn
}

func startCollector(t *testing.T, addr string) *collector {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old port may take a moment to be free again
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{t: t, ln: ln}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.conn = append(c.conn, conn)
			c.mu.Unlock()
			c.wg.Add(1)
			go c.read(conn)
		}
	}()
	return c
}

func (c *collector) read(conn net.Conn) {
	defer c.wg.Done()
	br := bufio.NewReader(conn)
	for {
		lenStr, err := br.ReadString(' ')
		if err != nil {
			if err != io.EOF && !errors.Is(err, net.ErrClosed) {
				c.fail(err)
			}
			return
		}
		lenStr = lenStr[:len(lenStr)-1]
		n, err := strconv.Atoi(lenStr)
		if err != nil || n < 1 || lenStr[0] == '0' {
			c.fail(fmt.Errorf("bad MSG-LEN %q", lenStr))
			return
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(br, msg); err != nil {
			c.fail(fmt.Errorf("short frame: %v", err))
			return
		}
		c.mu.Lock()
		c.msgs = append(c.msgs, string(msg))
		c.mu.Unlock()
	}
}

func (c *collector) fail(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

func (c *collector) stop() {
	c.ln.Close()
	c.mu.Lock()
	for _, conn := range c.conn {
		conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *collector) received() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

func TestRemoteTCPRestart(t *testing.T) {
	col := startCollector(t, "127.0.0.1:0")
	addr := col.ln.Addr().String()
	var evMu sync.Mutex
	var events []string
	r, err := output.OpenRemote(output.RemoteConfig{Network: "tcp", Addr: addr, Facility: 16,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		OnError: func(err error) { evMu.Lock(); events = append(events, err.Error()); evMu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	write := func(line string) {
		start := time.Now()
		if err := r.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Fatalf("Write blocked for %v", d)
		}
	}
	for i := range 100 {
		write(fmt.Sprintf("before %d", i))
	}
	testtool.WaitFor(t, "100 messages", func() bool { return len(col.received()) == 100 })
	for i, m := range col.received() {
		checkMsg(t, m, fmt.Sprintf("before %d", i))
	}

	// The collector goes away: lines written now are dropped, and Write
	// never blocks.
	col.stop()
	written := 100
	for i := range 50 {
		write(fmt.Sprintf("outage %d", i))
		written++
		time.Sleep(2 * time.Millisecond)
	}
	testtool.WaitFor(t, "drops during the outage", func() bool { return r.Stats().Dropped > 0 })

	// It comes back on the same port: the sink reconnects with backoff.
	col = startCollector(t, addr)
	defer col.stop()
	testtool.WaitFor(t, "the reconnect", func() bool {
		write("probe")
		written++
		time.Sleep(10 * time.Millisecond)
		return r.Stats().Reconnects >= 1 && len(col.received()) > 0
	})
	for i := range 100 {
		write(fmt.Sprintf("after %d", i))
		written++
	}
	testtool.WaitFor(t, "the lines after the restart", func() bool {
		got := col.received()
		return len(got) > 0 && strings.HasSuffix(got[len(got)-1], " after 99")
	})
	r.Close()
	st := r.Stats()
	got := col.received()
	for _, m := range got {
		if _, err := parse5424(m); err != nil {
			t.Errorf("%v: %q", err, m)
		}
	}
	if len(col.errs) > 0 {
		t.Errorf("collector errors: %v", col.errs)
	}
	// Every line is accounted for: sent or dropped. (Lines the kernel
	// accepted just before the collector closed count as sent.)
	if st.Sent+st.Dropped != uint64(written) {
		t.Errorf("sent %d + dropped %d != written %d", st.Sent, st.Dropped, written)
	}
	if st.Reconnects < 1 || st.Dropped < 1 {
		t.Errorf("stats %+v", st)
	}
	for i := range 100 {
		if want := fmt.Sprintf(" after %d", i); !strings.HasSuffix(got[len(got)-100+i], want) {
			t.Fatalf("after-restart message %d: %q", i, got[len(got)-100+i])
		}
	}
	evMu.Lock()
	defer evMu.Unlock()
	if len(events) < 2 {
		t.Errorf("OnError events %q, want down and back", events)
	}
	t.Logf("stats %+v, collector got %d, events %q", st, len(got), events)
}

// A collector that accepts but never reads: the queue fills, Write keeps
// returning at once and counts the overflow as dropped.
func TestRemoteQueueFull(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	r, err := output.OpenRemote(output.RemoteConfig{Network: "tcp", Addr: ln.Addr().String(), QueueLen: 16,
		WriteTimeout: 200 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 1000) + "\n")
	start := time.Now()
	for range 20000 {
		r.Write(line)
	}
	// Not a speed check: a Write that waited on the stuck collector would
	// take its WriteTimeout per queue-full, far beyond a minute.
	if d := time.Since(start); d > time.Minute {
		t.Errorf("20000 writes took %v: Write blocks on a stuck collector", d)
	}
	if st := r.Stats(); st.Dropped == 0 {
		t.Errorf("nothing dropped with a stuck collector: %+v", st)
	}
	done := make(chan struct{})
	go func() { r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(testtool.HangBound):
		t.Fatal("Close hangs on a stuck collector")
	}
	if st := r.Stats(); st.Sent+st.Dropped != 20000 {
		t.Errorf("unaccounted lines: %+v", st)
	}
}

func TestRemoteWriteAllocs(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r, err := output.OpenRemote(output.RemoteConfig{Network: "udp", Addr: pc.LocalAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	batch := []byte("2025-11-21T10:16:42.123456+00:00 rule 1/0(match): block in on vtnet0: 198.51.100.7.54321 > 192.0.2.1.22: tcp 0\n")
	if n := testing.AllocsPerRun(100, func() { r.Write(batch) }); n != 0 {
		t.Errorf("Remote.Write allocates %v times per line", n)
	}
}

// BenchmarkRemoteWrite measures what capture pays per line: the copy into
// the queue (the network send happens in the sender goroutine).
func BenchmarkRemoteWrite(b *testing.B) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	r, err := output.OpenRemote(output.RemoteConfig{Network: "udp", Addr: pc.LocalAddr().String()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	line := []byte("2025-11-21T10:16:42.123456+00:00 rule 1/0(match): block in on vtnet0: 198.51.100.7.54321 > 192.0.2.1.22: Flags [S], seq 1000, win 65535, length 0\n")
	b.ReportAllocs()
	for b.Loop() {
		r.Write(line)
	}
	b.ReportMetric(float64(r.Stats().Dropped)/float64(b.N), "dropped/op")
}
