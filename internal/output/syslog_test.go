package output_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func TestParseFacility(t *testing.T) {
	for name, want := range map[string]output.Facility{"daemon": 3, "security": 13, "LOCAL0": 16, "local7": 23, "auth": 4} {
		got, err := output.ParseFacility(name)
		if err != nil || got != want {
			t.Errorf("%s: %v %v", name, got, err)
		}
	}
	for _, bad := range []string{"", "kern", "local8", "daemon "} {
		if _, err := output.ParseFacility(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// listenUnixgram starts a real unix datagram socket, like syslogd's.
func listenUnixgram(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	os.Remove(path)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func recvDatagram(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 65536)
	_ = c.SetReadDeadline(time.Now().Add(testtool.HangBound))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return string(buf[:n])
}

func TestSyslogLocal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l := listenUnixgram(t, path)
	var events []string
	s, err := output.OpenSyslog(output.SyslogConfig{Path: path, Facility: 19, Tag: "pftest",
		OnError: func(err error) { events = append(events, err.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write([]byte("first line\nsecond, line\n\nthird\n")); err != nil {
		t.Fatal(err)
	}
	// FreeBSD syslog(3)'s local framing: <PRI>Mmm dd hh:mm:ss tag[pid]: msg
	re := regexp.MustCompile(fmt.Sprintf(`^<158>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] pftest\[%d\]: (.*)$`, os.Getpid()))
	for _, want := range []string{"first line", "second, line", "third"} {
		got := recvDatagram(t, l)
		m := re.FindStringSubmatch(got)
		if m == nil || m[2] != want {
			t.Fatalf("datagram %q, want message %q", got, want)
		}
	}
	if st := s.Stats(); st.Sent != 3 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}

	// syslogd restarts: the socket goes away ...
	l.Close()
	os.Remove(path)
	start := time.Now()
	if err := s.Write([]byte("lost while down\n")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("write blocked %v while syslogd was down", d)
	}
	if st := s.Stats(); st.Dropped != 1 {
		t.Errorf("stats after outage %+v", st)
	}
	// ... and comes back on the same path: the sink reconnects by itself
	// (at most once a second) or at once on Reopen (SIGHUP).
	l = listenUnixgram(t, path)
	defer l.Close()
	later := time.Now().Add(1100 * time.Millisecond) // the throttle's second has passed
	output.SetSyslogClock(s, func() time.Time { return later })
	if err := s.Write([]byte("back again\n")); err != nil {
		t.Fatal(err)
	}
	if got := recvDatagram(t, l); !re.MatchString(got) || re.FindStringSubmatch(got)[2] != "back again" {
		t.Errorf("after restart: %q", got)
	}
	l.Close()
	os.Remove(path)
	l = listenUnixgram(t, path)
	defer l.Close()
	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("after reopen\n"))
	if got := recvDatagram(t, l); re.FindStringSubmatch(got) == nil || re.FindStringSubmatch(got)[2] != "after reopen" {
		t.Errorf("after reopen: %q", got)
	}
	st := s.Stats()
	if st.Sent != 5 || st.Dropped != 1 || st.Reconnects < 2 {
		t.Errorf("final stats %+v", st)
	}
	if len(events) != 2 {
		t.Errorf("OnError events %q, want down and back", events)
	}
}

func TestSyslogMissingSocket(t *testing.T) {
	_, err := output.OpenSyslog(output.SyslogConfig{Path: filepath.Join(t.TempDir(), "nope")})
	if err == nil {
		t.Fatal("no error for a missing syslogd socket")
	}
}

func TestSyslogAllocs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l := listenUnixgram(t, path)
	defer l.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := l.Read(buf); err != nil {
				return
			}
		}
	}()
	s, err := output.OpenSyslog(output.SyslogConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	batch := []byte("2025-11-21T10:16:42.123456+00:00 rule 1/0(match): block in on vtnet0: 198.51.100.7.54321 > 192.0.2.1.22: tcp 0\n")
	if n := testing.AllocsPerRun(100, func() { s.Write(batch) }); n != 0 {
		t.Errorf("Syslog.Write allocates %v times per line", n)
	}
}

func BenchmarkSyslogWrite(b *testing.B) {
	path := filepath.Join(b.TempDir(), "log")
	os.Remove(path)
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := l.Read(buf); err != nil {
				return
			}
		}
	}()
	s, err := output.OpenSyslog(output.SyslogConfig{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	line := []byte("2025-11-21T10:16:42.123456+00:00 rule 1/0(match): block in on vtnet0: 198.51.100.7.54321 > 192.0.2.1.22: Flags [S], seq 1000, win 65535, length 0\n")
	b.ReportAllocs()
	for b.Loop() {
		s.Write(line)
	}
	b.ReportMetric(float64(s.Stats().Dropped)/float64(b.N), "dropped/op")
}
