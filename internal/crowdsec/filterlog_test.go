package crowdsec

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// pfHubItems are CrowdSec's stock pf collection (firewallservices/pf-logs
// and firewallservices/pf-scan-multi_ports) with what it needs to read a
// syslog-style line and its time. The collection's members are installed
// one by one: cscli 1.4.6 downloads every member of a collection it
// installs, even when the offline hub has it.
var pfHubItems = []string{
	"parsers/crowdsecurity/syslog-logs",
	"parsers/crowdsecurity/dateparse-enrich",
	"parsers/firewallservices/pf-logs",
	"scenarios/firewallservices/pf-scan-multi_ports",
}

// filterlogScenario is labelled with what the stock pf collection
// (15 distinct destination ports per source, leaking one every 5 s) does
// with our -format filterlog lines, limits included.
func filterlogScenario() []actor {
	fast := 100 * time.Millisecond
	return []actor{
		{name: "v4 SYN scanner", decision: "203.0.113.60",
			probes: series(20, 0, fast, func(i int) probe { return syn("203.0.113.60", us4, uint16(20+i)) })},
		{name: "v6 SYN scanner", decision: "2001:db8:bad:8::60",
			probes: series(20, 0, fast, func(i int) probe { return syn("2001:db8:bad:8::60", us6, uint16(20+i)) })},
		{name: "v4 UDP scanner", decision: "203.0.113.61",
			probes: series(20, 0, fast, func(i int) probe { return udp("203.0.113.61", us4, uint16(500+i)) })},
		{name: "v6 UDP scanner", decision: "2001:db8:bad:8::61",
			probes: series(20, 0, fast, func(i int) probe { return udp("2001:db8:bad:8::61", us6, uint16(500+i)) })},
		// Limit: blocked outbound traffic is counted with this host as
		// the source (the pattern does not look at the direction).
		{name: "our own blocked outbound to many ports", decision: us4,
			probes: series(20, 0, fast, func(i int) probe {
				p := syn(us4, "203.0.113.70", uint16(1000+i))
				p.out = true
				return p
			})},
		// Limit: ICMP lines never parse (the pattern wants three integers
		// after the addresses), so sweeps are never counted.
		{name: "v4 ICMP echo sweep",
			probes: series(30, 0, fast, func(i int) probe {
				return probe{src: "203.0.113.62", dst: fmt.Sprintf("192.0.2.%d", 10+i), proto: "icmp"}
			})},
		{name: "v6 ICMPv6 echo sweep",
			probes: series(30, 0, fast, func(i int) probe {
				return probe{src: "2001:db8:bad:8::62", dst: fmt.Sprintf("2001:db8::%x", 0x10+i), proto: "icmp"}
			})},
		// Limit: a TCP line with both a sequence number (SYN, FIN, RST)
		// and an acknowledgment number parses with an empty dst_port: the
		// pattern names the port fields in its TCP and its UDP branch and
		// grok keeps the second, empty one. So FIN/ACK, RST/ACK and
		// SYN/ACK packets count as one "port" per source.
		{name: "v4 FIN/ACK to many ports",
			probes: series(30, 0, fast, func(i int) probe {
				return probe{src: "203.0.113.63", dst: us4, proto: "tcp", flags: "FA", sport: 443, dport: uint16(50000 + i)}
			})},
		{name: "v4 SYN/ACK to many ports",
			probes: series(30, 0, fast, func(i int) probe {
				return probe{src: "203.0.113.64", dst: us4, proto: "tcp", flags: "SA", sport: 80, dport: uint16(50000 + i)}
			})},
		// Limit, the other way round: a bare ACK has no sequence number in
		// the line, the TCP branch fails, the UDP branch reads the ports,
		// and late ACKs of a server we talked to, towards our ephemeral
		// ports, are counted as a scan of those ports.
		{name: "late ACKs of a server we talked to", decision: "203.0.113.65",
			probes: series(30, 0, fast, func(i int) probe {
				return probe{src: "203.0.113.65", dst: us4, proto: "tcp", flags: "A", sport: 443, dport: uint16(50000 + i)}
			})},
		// Below the threshold: one port, many times.
		{name: "client retrying one blocked port",
			probes: series(40, 0, fast, func(i int) probe { return syn("198.51.100.10", us4, 993) })},
	}
}

// TestStockPfCollectionReadsFilterlog: the daemon's -format filterlog
// output, replayed by the real crowdsec with the stock pf collection from
// the offline hub as syslog lines, bans exactly the TCP SYN and UDP
// scanners (IPv4 and IPv6) — and, wrongly, this host for its own blocked
// outbound traffic and a server whose late ACKs reach our ephemeral
// ports — and never the ICMP sweeps or the FIN/ACK and SYN/ACK packets,
// whose lines it cannot count. What the README says about per-packet
// scenarios rests on this test.
func TestStockPfCollectionReadsFilterlog(t *testing.T) {
	needCrowdSec(t)
	actors := filterlogScenario()
	start := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	dir := t.TempDir()
	capture := writeCapture(t, filepath.Join(dir, "scenario.pcap"), actors, start)
	log := filepath.Join(dir, "filterlog.log")
	runDaemon(t, "-r", capture, "-o", log, "-format", "filterlog")

	text := readFile(t, log)
	// The detector (on by default) adds its decision lines in the text
	// form ("TS pfasciilogd: scan from ..."): the stock collection reads
	// only "HOST filterlog: " lines, so the exact set below shows they
	// change nothing for it.
	var lines []string
	decisions := 0
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if _, rest, _ := strings.Cut(l, " "); strings.HasPrefix(rest, "pfasciilogd: scan from ") {
			decisions++
			continue
		}
		lines = append(lines, l)
	}
	if n := len(lines); n != 290 || decisions == 0 {
		t.Fatalf("the daemon wrote %d filterlog lines for 290 records and %d decision lines (want some)", n, decisions)
	}
	for _, l := range lines {
		if _, rest, _ := strings.Cut(l, " "); !strings.HasPrefix(rest, hostName(t)+" filterlog: ") {
			t.Fatalf("filterlog line without \"HOST filterlog: \" after its time stamp: %q", l)
		}
	}

	cs := newCrowdSec(t, pfHubItems, nil)
	out := cs.replay(log, "syslog")
	got, _ := cs.decisions()
	var want []string
	for _, a := range actors {
		if a.decision != "" {
			want = append(want, "Ip:"+a.decision+" ban firewallservices/pf-scan-multi_ports")
		}
	}
	sortStrings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("decisions of the stock pf collection\n  %s\nwant exactly\n  %s\nsome lines:\n%s\nagent output:\n%s",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "), sampleLines(lines), out)
	}
	t.Logf("decisions:\n  %s", strings.Join(got, "\n  "))
}

// hostName is the host name the daemon writes into filterlog lines: the
// first label of os.Hostname.
func hostName(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	must(t, err)
	h, _, _ = strings.Cut(h, ".")
	return h
}

func sortStrings(s []string) { sort.Strings(s) }

// sampleLines returns the first line for each source address, for a
// failure message.
func sampleLines(lines []string) string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, l := range lines {
		f := strings.Split(l, ",")
		if len(f) < 20 {
			continue
		}
		// The source follows the length: field 18 for IPv4, 15 for IPv6.
		src := f[18]
		if f[8] == "6" {
			src = f[15]
		}
		if !seen[src] {
			seen[src] = true
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
