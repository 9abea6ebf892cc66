package crowdsec

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// shipped maps the shipped parser and scenarios to where an administrator
// installs them below crowdsec's configuration directory.
var shipped = map[string]string{
	"parsers/s01-parse/pfasciilogd-logs.yaml": filepath.Join(examples, "parsers", "s01-parse", "pfasciilogd-logs.yaml"),
	"scenarios/pfasciilogd-scan.yaml":         filepath.Join(examples, "scenarios", "pfasciilogd-scan.yaml"),
	"scenarios/pfasciilogd-scan-range.yaml":   filepath.Join(examples, "scenarios", "pfasciilogd-scan-range.yaml"),
}

// decisionHubItems are the stock items the shipped files need: syslog-logs
// (whose file also holds non-syslog, for the daemon's own log file) and
// dateparse-enrich, so that alerts carry the log's own times.
var decisionHubItems = []string{"parsers/crowdsecurity/syslog-logs", "parsers/crowdsecurity/dateparse-enrich"}

// TestCrowdSecDecisions: the labelled scenario's log, replayed by the
// real crowdsec with the shipped parser and scenarios into a private
// local API, gives exactly one ban per scanner — scope Ip for an
// address, scope Range for the rotating /64 — and nothing for anyone
// else, each alert at the time of its decision line. Once from the
// daemon's log file (label type pfasciilogd, as acquis.d/pfasciilogd.yaml
// sets it) and once from the same lines as syslogd writes them (type
// syslog).
func TestCrowdSecDecisions(t *testing.T) {
	needCrowdSec(t)
	actors := decisionScenario()
	// Recent times: the local API's bans last 4h from the alert's time,
	// and only active decisions count.
	start := time.Now().UTC().Add(-20 * time.Minute).Truncate(time.Second)
	log := daemonLog(t, actors, start)
	want := wantedBans(actors)
	wantAt := decisionTimes(t, log)
	// The daemon's other lines that name an address must be there, and
	// must not become decisions.
	for _, other := range []string{" pfasciilogd: suppressed ", " pfasciilogd: decision limit reached: "} {
		if !strings.Contains(readFile(t, log), other) {
			t.Fatalf("the scenario's log has no %q line", other)
		}
	}
	if len(want) != 5 || len(wantAt) != len(want) {
		t.Fatalf("the labelled scenario has %d scanners and the log %d decision lines, want 5 of each: %v %v", len(want), len(wantAt), want, wantAt)
	}

	for _, c := range []struct {
		name, typ string
		path      func() string
		precision time.Duration
	}{
		{"log file", "pfasciilogd", func() string { return log }, time.Microsecond},
		{"syslog", "syslog", func() string { return syslogLog(t, log) }, time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs := newCrowdSec(t, decisionHubItems, shipped)
			out := cs.replay(c.path(), c.typ)
			got, alerts := cs.decisions()
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("decisions in the local API\n  %s\nwant exactly\n  %s\nagent output:\n%s",
					strings.Join(got, "\n  "), strings.Join(want, "\n  "), out)
			}
			t.Logf("decisions:\n  %s", strings.Join(got, "\n  "))
			// What the pf bouncer fetches: the /64 as one network.
			var wantBouncer []string
			for _, w := range want {
				scopeValue, _, _ := strings.Cut(w, " ")
				wantBouncer = append(wantBouncer, scopeValue+" ban")
			}
			if b := cs.bouncerView(); strings.Join(b, "\n") != strings.Join(wantBouncer, "\n") {
				t.Errorf("a bouncer starting now receives\n  %s\nwant\n  %s", strings.Join(b, "\n  "), strings.Join(wantBouncer, "\n  "))
			}
			// dateparse-enrich: the alert is at the decision line's time,
			// not at the time of the replay.
			for _, a := range alerts {
				key := a.Source.Scope + ":" + a.Source.Value + " ban " + a.Scenario
				at, err := crowdsecTime(a.StartAt)
				if err != nil {
					t.Fatalf("alert %s: start_at %q: %v", key, a.StartAt, err)
				}
				if w := wantAt[key].Truncate(c.precision); !at.Equal(w) {
					t.Errorf("alert %s starts at %v, want the decision line's time %v", key, at, w)
				}
				// What an administrator sees in cscli alerts inspect.
				meta := map[string]string{}
				for _, e := range a.Events {
					for _, m := range e.Meta {
						meta[m.Key] = m.Value
					}
				}
				for _, k := range []string{"ports", "protocols", "window", "rule", "interface"} {
					if meta[k] == "" {
						t.Errorf("alert %s: no %s in its event's meta %v", key, k, meta)
					}
				}
			}
		})
	}
}

// TestCrowdSecFollowsDaemonLog: the shipped acquisition as an
// administrator installs it (only the path changed), with the agent in
// its normal, following mode. The log appears after the agent started, as
// on the daemon's first start; every scanner is banned, nobody else. A
// last decision line (a sentinel source) marks the end of the log.
func TestCrowdSecFollowsDaemonLog(t *testing.T) {
	needCrowdSec(t)
	actors := decisionScenario()
	start := time.Now().UTC().Add(-20 * time.Minute).Truncate(time.Second)
	log := daemonLog(t, actors, start)
	lines := readFile(t, log)
	last := lineTime(t, lines[strings.LastIndex(strings.TrimSuffix(lines, "\n"), "\n")+1:])
	sentinel := decision{at: last.Add(time.Second), source: "198.51.100.254",
		protos: map[string]int{"udp": 9}, dur: 30 * time.Second, window: "fast", rule: 7, iface: "vtnet0"}
	lines += sentinel.text() + "\n"
	want := append(wantedBans(actors), "Ip:"+sentinel.source+" ban pfasciilogd/scan")
	sort.Strings(want)

	dir := t.TempDir()
	logPath := filepath.Join(dir, "pf.log")
	acquis := readFile(t, filepath.Join(examples, "acquis.d", "pfasciilogd.yaml"))
	const shippedPath = "\n  - /var/log/pf.log\n"
	if strings.Count(acquis, shippedPath) != 1 {
		t.Fatalf("acquis.d/pfasciilogd.yaml does not name /var/log/pf.log exactly once:\n%s", acquis)
	}
	acquisCopy := filepath.Join(t.TempDir(), "pfasciilogd.yaml")
	writeFile(t, acquisCopy, strings.Replace(acquis, shippedPath, "\n  - "+logPath+"\n", 1))
	local := map[string]string{"acquis.d/pfasciilogd.yaml": acquisCopy}
	for k, v := range shipped {
		local[k] = v
	}

	cs := newCrowdSec(t, decisionHubItems, local)
	cs.startAgent()
	// Written aside and renamed into place: the agent sees one new file.
	tmp := filepath.Join(dir, ".pf.log.new")
	writeFile(t, tmp, lines)
	must(t, os.Rename(tmp, logPath))
	got := cs.waitDecisions(want)
	t.Logf("decisions:\n  %s", strings.Join(got, "\n  "))
}

// TestAcquisitionVariants: every source of the shipped acquisition, the
// commented-out syslog and journal ones uncommented as an administrator
// would, passes crowdsec's configuration test (crowdsec -t) together
// with the shipped parser and scenarios.
func TestAcquisitionVariants(t *testing.T) {
	needCrowdSec(t)
	acquis := readFile(t, filepath.Join(examples, "acquis.d", "pfasciilogd.yaml"))
	config := regexp.MustCompile(`^#(---|[a-z_]+:.*|  .*)$`)
	var b strings.Builder
	sources := 1
	for _, line := range strings.Split(acquis, "\n") {
		if config.MatchString(line) {
			line = line[1:]
			if line == "---" {
				sources++
			}
		}
		b.WriteString(line + "\n")
	}
	if sources != 3 {
		t.Fatalf("acquis.d/pfasciilogd.yaml: %d sources after uncommenting, want 3 (file, syslog file, journal):\n%s", sources, b.String())
	}
	// Logs that do not exist yet, in an empty directory (whatever this
	// host has in /var/log): each file source then says so once.
	variants := filepath.Join(t.TempDir(), "pfasciilogd.yaml")
	writeFile(t, variants, strings.ReplaceAll(b.String(), "/var/log/", t.TempDir()+"/"))
	local := map[string]string{"acquis.d/pfasciilogd.yaml": variants}
	for k, v := range shipped {
		local[k] = v
	}
	cs := newCrowdSec(t, decisionHubItems, local)
	cmd := exec.Command(cs.crowdsec, "-c", cs.config, "-t")
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test done") {
		t.Fatalf("crowdsec -t with every source of acquis.d/pfasciilogd.yaml: %v\n%s\n%s", err, out, b.String())
	}
	if n := strings.Count(string(out), "No matching files for pattern "); n != 2 {
		t.Errorf("crowdsec -t set up %d file sources, want 2:\n%s", n, out)
	}
}

// wantedBans is what the local API must hold for the actors' labels: a
// ban of scope Ip by pfasciilogd/scan per address, of scope Range by
// pfasciilogd/scan-range per network; sorted like crowdSec.decisions.
func wantedBans(actors []actor) []string {
	var want []string
	for _, a := range actors {
		switch {
		case a.decision == "":
		case strings.Contains(a.decision, "/"):
			want = append(want, "Range:"+a.decision+" ban pfasciilogd/scan-range")
		default:
			want = append(want, "Ip:"+a.decision+" ban pfasciilogd/scan")
		}
	}
	sort.Strings(want)
	return want
}

// decisionTimes maps each ban key of wantedBans to the time of its
// decision line in the daemon's log.
func decisionTimes(t *testing.T, log string) map[string]time.Time {
	t.Helper()
	times := map[string]time.Time{}
	for _, line := range strings.Split(strings.TrimSuffix(readFile(t, log), "\n"), "\n") {
		_, rest, _ := strings.Cut(line, " ")
		src, ok := strings.CutPrefix(rest, "pfasciilogd: scan from ")
		if !ok {
			continue
		}
		src, _, _ = strings.Cut(src, ": ")
		key := "Ip:" + src + " ban pfasciilogd/scan"
		if strings.Contains(src, "/") {
			key = "Range:" + src + " ban pfasciilogd/scan-range"
		}
		times[key] = lineTime(t, line)
	}
	return times
}
