package crowdsec

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// This host's addresses in every scenario.
const (
	us4 = "192.0.2.1"
	us6 = "2001:db8::1"
)

// probe is one pflog record of a labelled scenario.
type probe struct {
	at           time.Duration // after the scenario's start
	src, dst     string
	proto        string // tcp, udp, icmp (echo request)
	flags        string // tcp: S F R P A (A = with an acknowledgment number)
	sport, dport uint16
	out          bool // blocked outbound instead of inbound
}

// actor is one labelled source of traffic and what must be decided
// against it.
type actor struct {
	name   string
	probes []probe
	// decision: the source the daemon decides against ("" = nobody): an
	// address, or a network in CIDR form when several of its addresses
	// took part. window is the daemon's window that decided.
	decision string
	window   string
}

// series makes n probes, one every step from start, built by mk.
func series(n int, start, step time.Duration, mk func(i int) probe) []probe {
	ps := make([]probe, n)
	for i := range ps {
		ps[i] = mk(i)
		ps[i].at = start + time.Duration(i)*step
	}
	return ps
}

func syn(src, dst string, dport uint16) probe {
	return probe{src: src, dst: dst, proto: "tcp", flags: "S", sport: 40000, dport: dport}
}

func udp(src, dst string, dport uint16) probe {
	return probe{src: src, dst: dst, proto: "udp", sport: 40001, dport: dport}
}

// decisionScenario is the labelled scenario of the decision test: every
// kind of scanner the daemon decides against (slow and fast, TCP and UDP,
// IPv4, a single IPv6 address, an IPv6 /64 rotating its addresses) and
// traffic it never decides against (a NAT'd office retrying one port,
// replies to our own connections, our own blocked outbound, a neighbour
// in another /64 of the rotating scanner).
func decisionScenario() []actor {
	var rot []probe
	for i := 0; i < 14; i++ { // 5 addresses of 2001:db8:bad:7::/64
		p := syn(fmt.Sprintf("2001:db8:bad:7::%x", 1+i%5), us6, uint16(1000+i))
		p.at = 5*time.Second + time.Duration(i)*3*time.Second
		rot = append(rot, p)
	}
	slow := series(10, 0, 12*time.Second, func(i int) probe { return syn("203.0.113.40", us4, uint16(20+i)) })
	slow = append(slow, series(2, 2*time.Minute, 12*time.Second, func(i int) probe { return udp("203.0.113.40", us4, uint16(500+i)) })...)
	return []actor{
		{name: "v4 slow scanner, TCP and UDP", probes: slow, decision: "203.0.113.40", window: "slow"},
		{name: "v4 fast SYN scanner", decision: "198.51.100.23", window: "fast",
			probes: series(30, 10*time.Second, 100*time.Millisecond, func(i int) probe { return syn("198.51.100.23", us4, uint16(1+i)) })},
		// One privileged UDP port every 5 s (0.2 ports/s, which CrowdSec's
		// stock scenario misses): the 10th port reaches the slow window's
		// weight 30.
		{name: "v4 UDP scanner", decision: "192.0.2.77", window: "slow",
			probes: series(12, 20*time.Second, 5*time.Second, func(i int) probe { return udp("192.0.2.77", us4, uint16(500+7*i)) })},
		// 30 high ports at 10 per second: the 24th within 5 s decides.
		{name: "v6 single-address scanner", decision: "2001:db8:bad:8::5", window: "fast",
			probes: series(30, 30*time.Second, 100*time.Millisecond, func(i int) probe { return syn("2001:db8:bad:8::5", us6, uint16(2000+i)) })},
		// One privileged port every 3 s from 5 addresses: the 10th port
		// (weight 30) decides in the slow window, naming the /64.
		{name: "v6 scanner rotating through its /64", decision: "2001:db8:bad:7::/64", window: "slow", probes: rot},
		// Never decided against.
		{name: "NAT'd office retrying one blocked port",
			probes: series(40, 0, 3*time.Second, func(i int) probe { return syn("198.51.100.10", us4, 993) })},
		{name: "replies to our own connections",
			probes: series(20, time.Second, 4*time.Second, func(i int) probe {
				return probe{src: "198.51.100.80", dst: us4, proto: "tcp", flags: "FA", sport: 443, dport: uint16(50000 + i)}
			})},
		{name: "our own blocked outbound",
			probes: series(20, 2*time.Second, 4*time.Second, func(i int) probe {
				p := syn(us4, "203.0.113.50", uint16(25+i))
				p.out = true
				return p
			})},
		{name: "neighbour in another /64 of the rotating scanner",
			probes: []probe{syn("2001:db8:bad:9::1", us6, 1000)}},
	}
}

// decision is one decision line of contract 1 (the daemon's own voice).
type decision struct {
	at        time.Time
	source    string // address, or network in CIDR form
	addresses int    // > 1: several addresses of the network took part
	protos    map[string]int
	dur       time.Duration
	window    string
	rule      int
	iface     string
}

// protoOrder is the order contract 1 lists protocols in.
var protoOrder = []string{"tcp", "udp", "sctp", "dccp", "icmp", "icmp6"}

// text renders the decision as the daemon writes it to its log file:
//
//	2026-11-21T00:48:17.577353+00:00 pfasciilogd: scan from 203.0.113.40: 12 ports (tcp 10, udp 2) in 2m24s, slow window, rule 7 on vtnet0
func (d decision) text() string {
	return d.at.Format(logTime) + " pfasciilogd: " + d.message()
}

// message is the decision without the daemon's time stamp and tag: what
// a syslog message carries after "pfasciilogd[PID]: ".
func (d decision) message() string {
	var b strings.Builder
	total := 0
	var parts []string
	for _, p := range protoOrder {
		if n := d.protos[p]; n > 0 {
			parts = append(parts, p+" "+strconv.Itoa(n))
			total += n
		}
	}
	var other []string
	for p := range d.protos {
		if strings.HasPrefix(p, "ip-proto-") && d.protos[p] > 0 {
			other = append(other, p)
		}
	}
	sort.Strings(other)
	for _, p := range other {
		parts = append(parts, p+" "+strconv.Itoa(d.protos[p]))
		total += d.protos[p]
	}
	fmt.Fprintf(&b, "scan from %s: %d ports (%s)", d.source, total, strings.Join(parts, ", "))
	if d.addresses > 1 {
		fmt.Fprintf(&b, " from %d addresses", d.addresses)
	}
	fmt.Fprintf(&b, " in %s, %s window, rule %d on %s", d.dur.Round(time.Second), d.window, d.rule, d.iface)
	return b.String()
}

// logTime is the daemon's time stamp: RFC 3339, microseconds, offset.
const logTime = "2006-01-02T15:04:05.000000-07:00"

// daemonLog is the one place the decision tests get the daemon's log of
// a labelled scenario from; it returns the log file's path. It runs the
// real daemon over a pflog capture of the scenario with its detector on
// (the default): per-packet lines, flood summaries (-max-per-source 5)
// and the decision lines. -detect-limit 2 makes the detector write its
// "decision limit reached" notice too; the decisions it holds back are
// made in the following minutes. CrowdSec must read only the decisions.
func daemonLog(t *testing.T, actors []actor, start time.Time) string {
	t.Helper()
	dir := t.TempDir()
	capture := writeCapture(t, filepath.Join(dir, "scenario.pcap"), actors, start)
	log := filepath.Join(dir, "pf.log")
	runDaemon(t, "-r", capture, "-o", log, "-max-per-source", "5", "-detect-limit", "2")
	return log
}

func lineTime(t *testing.T, line string) time.Time {
	ts, _, _ := strings.Cut(line, " ")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		t.Fatalf("daemon line without a time stamp: %q", line)
	}
	return at
}

// syslogLog turns the daemon's log into what FreeBSD's syslogd writes to
// /var/log/messages for pfasciilogd -syslog (RFC 3164 time stamp in UTC,
// host, tag pfasciilogd[PID]): per-packet lines as the message whole, the
// daemon's own lines ("pfasciilogd: scan from ...") with the message
// starting after "pfasciilogd: ".
func syslogLog(t *testing.T, daemonLog string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(readFile(t, daemonLog), "\n"), "\n") {
		at := lineTime(t, line)
		_, rest, _ := strings.Cut(line, " ")
		msg := line
		if own, ok := strings.CutPrefix(rest, "pfasciilogd: "); ok {
			msg = own
		}
		fmt.Fprintf(&b, "%s fw1 pfasciilogd[4242]: %s\n", at.UTC().Format(time.Stamp), msg)
	}
	p := filepath.Join(t.TempDir(), "messages")
	writeFile(t, p, b.String())
	return p
}

// writeCapture writes the actors' probes, in time order, as a pflog
// capture.
func writeCapture(t *testing.T, path string, actors []actor, start time.Time) string {
	t.Helper()
	var ps []probe
	for _, a := range actors {
		ps = append(ps, a.probes...)
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].at < ps[j].at })
	recs := make([]*gen.Record, len(ps))
	for i, p := range ps {
		at := start.Add(p.at)
		recs[i] = p.record(t, at)
	}
	must(t, gen.WriteFile(path, 0, recs...))
	return path
}

// record builds p's pflog record: blocked by rule 7 on vtnet0.
func (p probe) record(t *testing.T, at time.Time) *gen.Record {
	t.Helper()
	r, err := gen.Probe{Src: p.src, Dst: p.dst, Proto: p.proto, Flags: p.flags, SPort: p.sport, DPort: p.dport}.
		Record(at.Unix(), int64(at.Nanosecond()))
	if err != nil {
		t.Fatal(err)
	}
	r.Hdr.RuleNr = 7
	if p.out {
		r.Hdr.Dir = pflog.DirOut
	}
	return r
}

// runDaemon runs the daemon to completion (it reads a capture with -r).
func runDaemon(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(testtool.BuildDaemon(t), args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pfasciilogd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestMain(m *testing.M) { testtool.Main(m) }

// goldenEpoch is the fixed start of the scenario in the golden file.
var goldenEpoch = time.Date(2026, 11, 21, 0, 46, 0, 0, time.UTC)

// TestDecisionLinesContract checks that the test's renderer (used for
// the sentinel line of TestCrowdSecFollowsDaemonLog) writes contract 1's
// own examples exactly.
func TestDecisionLinesContract(t *testing.T) {
	at := time.Date(2026, 11, 21, 0, 48, 17, 577353000, time.UTC)
	for _, c := range []struct {
		d    decision
		want string
	}{
		{decision{at: at, source: "203.0.113.40", protos: map[string]int{"tcp": 10, "udp": 2}, dur: 144 * time.Second, window: "slow", rule: 7, iface: "vtnet0"},
			"2026-11-21T00:48:17.577353+00:00 pfasciilogd: scan from 203.0.113.40: 12 ports (tcp 10, udp 2) in 2m24s, slow window, rule 7 on vtnet0"},
		{decision{at: at, source: "2001:db8:bad:7::/64", addresses: 5, protos: map[string]int{"tcp": 14}, dur: 40 * time.Second, window: "fast", rule: 7, iface: "vtnet0"},
			"2026-11-21T00:48:17.577353+00:00 pfasciilogd: scan from 2001:db8:bad:7::/64: 14 ports (tcp 14) from 5 addresses in 40s, fast window, rule 7 on vtnet0"},
	} {
		if got := c.d.text(); got != c.want {
			t.Errorf("decision line\n got %s\nwant %s (contract 1)", got, c.want)
		}
	}

}
