package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/detect"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

const jailName = "pfasciilogd"

// pfTableNameSize is PF_TABLE_NAME_SIZE from sys/net/pfvar.h, NUL included.
const pfTableNameSize = 32

func TestJailConfig(t *testing.T) {
	j := iniSection(t, readFile(t, "fail2ban/jail.d/pfasciilogd.conf"), jailName)
	want := map[string]string{
		"enabled":   "false",
		"filter":    "pfasciilogd[mode=scan]",
		"logpath":   rcDefault(t, "pfasciilogd_logfile"),
		"banaction": "pfasciilogd-pf",
	}
	for k, v := range want {
		if j[k] != v {
			t.Errorf("jail %s = %q, want %q", k, j[k], v)
		}
	}
	if j["protocol"] == "all" {
		t.Error("protocol = all: pf has no protocol all (TestPfActionLoadsInPf)")
	}
	// fail2ban's pf action names the table <tablename>-<name> with
	// tablename = f2b, and the anchor f2b/<name>.
	if b, err := os.ReadFile("/etc/fail2ban/action.d/pf.conf"); err == nil {
		s := string(b)
		if !strings.Contains(s, "<tablename>-<name>") || !regexp.MustCompile(`(?m)^tablename = f2b$`).MatchString(s) ||
			!strings.Contains(s, "pfctl -a f2b/<name>") {
			t.Errorf("fail2ban's action.d/pf.conf no longer names tables f2b-<name> in anchor f2b/<name>; recheck the jail name")
		}
	} else {
		testtool.Need(t, "fail2ban-server", "fail2ban")
		t.Fatalf("fail2ban is installed but has no action.d/pf.conf: %v", err)
	}
	if n := len("f2b-" + jailName); n > pfTableNameSize-1 {
		t.Errorf("pf table f2b-%s has %d characters; pf allows %d", jailName, n, pfTableNameSize-1)
	}
	// Scan mode: every decision line is the daemon's verdict (one ban),
	// and the ban lasts as long as the daemon holds a decided source, so
	// a source still scanning after its ban is decided against again and
	// bantime.increment doubles the ban.
	if n := atoi(t, j["maxretry"]); n != 1 {
		t.Errorf("maxretry %d: in mode scan each decision line is one ban; want 1", n)
	}
	bantime := duration(t, j["bantime"])
	if bantime != detect.DefaultHold {
		t.Errorf("bantime %v: want the detector's re-decision hold %v (-detect-hold)", bantime, detect.DefaultHold)
	}
	if findtime := duration(t, j["findtime"]); findtime < bantime {
		t.Errorf("findtime %v: bantime.increment forgets a repeat offender after findtime; keep it at least bantime %v", findtime, bantime)
	}
	for k, v := range map[string]string{"bantime.increment": "true", "bantime.factor": "2", "bantime.maxtime": "4w"} {
		if j[k] != v {
			t.Errorf("jail %s = %q, want %q", k, j[k], v)
		}
	}
	// The per-packet modes' recipe in the comments: a legitimate client
	// retrying one blocked port sends about 7 SYNs in two minutes, a
	// scanner dozens a second; lines of a followed pflogd file arrive up
	// to 60 s late and fail2ban drops lines older than findtime.
	if normalMaxretry < 10 || normalMaxretry > 50 || normalFindtime < 90*time.Second {
		t.Errorf("mode normal recipe maxretry %d findtime %v: want 10..50 and at least 90s", normalMaxretry, normalFindtime)
	}
	conf := readFile(t, "fail2ban/jail.d/pfasciilogd.conf")
	for _, want := range []string{
		"filter   = pfasciilogd[mode=normal]",
		fmt.Sprintf("maxretry = %d", normalMaxretry),
		"findtime = " + strings.TrimSuffix(normalFindtime.String(), "0s"),
	} {
		if !regexp.MustCompile(`(?m)^#\s+` + regexp.QuoteMeta(want) + `$`).MatchString(conf) {
			t.Errorf("jail comments lack %q", want)
		}
	}
	if !strings.Contains(conf, "pfasciilogd_detect_hold") {
		t.Error("jail comments do not say that pfasciilogd_detect_hold follows bantime")
	}
}

// The settings the jail's comments give for modes normal and aggressive;
// the tests of per-packet counting use them.
const (
	normalMaxretry = 20
	normalFindtime = 2 * time.Minute
)

// perPacketJail is the jail.d .local override that switches the shipped
// jail to per-packet counting with the settings its comments give.
func perPacketJail(mode string) string {
	return fmt.Sprintf("filter = pfasciilogd[mode=%s]\nmaxretry = %d\nfindtime = %s\n", mode, normalMaxretry, normalFindtime)
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// duration parses fail2ban's time abbreviations used here (s, m, h, d).
func duration(t testing.TB, s string) time.Duration {
	t.Helper()
	if d, err := time.ParseDuration(s); err == nil {
		return d
	}
	if strings.HasSuffix(s, "d") {
		return time.Duration(atoi(t, strings.TrimSuffix(s, "d"))) * 24 * time.Hour
	}
	return time.Duration(atoi(t, s)) * time.Second
}

// ourPrefix is the pflog part of a line in our (FreeBSD tcpdump) text.
func ourPrefix(p pkt) string {
	var b strings.Builder
	rule := p.rule
	if rule == 0 {
		rule = 1
	}
	fmt.Fprintf(&b, "rule %d", rule)
	if p.anchor != "" {
		fmt.Fprintf(&b, ".%s.%d", p.anchor, p.subrule)
	}
	b.WriteString("/0(match)")
	if p.uid != 0 {
		fmt.Fprintf(&b, " [uid %d]", p.uid)
	}
	if p.rid != 0 {
		fmt.Fprintf(&b, " [ridentifier %d]", p.rid)
	}
	action, dir := "block", "in"
	if p.pass {
		action = "pass"
	}
	if p.out {
		dir = "out"
	}
	fmt.Fprintf(&b, ": %s %s on vtnet0: ", action, dir)
	return b.String()
}

func casesCapture(t *testing.T) string {
	now := time.Now()
	var recs []*gen.Record
	for i, c := range lineCases {
		recs = append(recs, c.p.record(t, now.Unix()-int64(len(lineCases)-i), 748353000))
	}
	return captureFile(t, "cases.pcap", 0, recs)
}

// tcpdumpLines: the packet text from the real tcpdump after our own
// timestamp and pflog prefix (Debian's tcpdump prints neither [uid] nor
// [ridentifier], so that part is made here, as FreeBSD's prints it).
func tcpdumpLines(t *testing.T, capture string) []string {
	tcpdump := testtool.Need(t, "tcpdump", "tcpdump")
	out, err := exec.Command(tcpdump, "-n", "-e", "-S", "-t", "-r", capture).Output()
	if err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	got := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(got) != len(lineCases) {
		t.Fatalf("tcpdump printed %d lines for %d records", len(got), len(lineCases))
	}
	ts := time.Now().Format("2006-01-02T15:04:05.000000-07:00")
	lines := make([]string, len(got))
	for i, l := range got {
		_, pktText, ok := strings.Cut(l, " on vtnet0: ")
		if !ok {
			t.Fatalf("tcpdump line without interface: %s", l)
		}
		lines[i] = ts + " " + ourPrefix(lineCases[i].p) + pktText
	}
	return lines
}

// daemonLines: the real pfasciilogd's text for the capture.
func daemonLines(t *testing.T, capture string) []string {
	out, err := exec.Command(testtool.BuildDaemon(t), "-r", capture, "-o", "-").Output()
	if err != nil {
		t.Fatalf("pfasciilogd -r: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(lineCases) {
		t.Fatalf("pfasciilogd printed %d lines for %d records:\n%s", len(lines), len(lineCases), out)
	}
	return lines
}

// TestFilterModes runs fail2ban-regex with the shipped filter in both
// modes over one line of every kind and compares the addresses it finds
// with the expected ones, line by line.
func TestFilterModes(t *testing.T) {
	regex := testtool.Need(t, "fail2ban-regex", "fail2ban")
	filter, err := filepath.Abs(filepath.Join(root, "fail2ban/filter.d/pfasciilogd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	capture := casesCapture(t)
	for _, src := range []struct {
		name  string
		lines func(*testing.T, string) []string
	}{{"tcpdump", tcpdumpLines}, {"pfasciilogd", daemonLines}} {
		t.Run(src.name, func(t *testing.T) {
			lines := src.lines(t, capture)
			log := filepath.Join(t.TempDir(), "pf.log")
			must(t, os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o640))
			for _, mode := range []string{"normal", "aggressive"} {
				var want []string
				for _, c := range lineCases {
					if (mode == "normal" && c.normal) || (mode == "aggressive" && c.aggressive) {
						want = append(want, c.p.src)
					}
				}
				out, err := exec.Command(regex, "-o", "ip", log, filter+"[mode="+mode+"]").CombinedOutput()
				if err != nil {
					t.Fatalf("fail2ban-regex %s: %v\n%s", mode, err, out)
				}
				got := fields(string(out))
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("mode %s: fail2ban-regex found\n  %s\nwant\n  %s", mode, strings.Join(got, " "), strings.Join(want, " "))
					for i, c := range lineCases {
						t.Logf("%-32s normal=%-5v aggressive=%-5v %s", c.name, c.normal, c.aggressive, lines[i])
					}
				}
			}
			// The default date detection must read our timestamp: every
			// line is dated, none needs a datepattern beyond its anchor.
			out, err := exec.Command(regex, log, filter).CombinedOutput()
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(fmt.Sprintf(`\[%d\] \{\^LN-BEG\}ExYear`, len(lines))).Match(out) {
				t.Errorf("fail2ban did not date every line with its default ISO detector:\n%s", out)
			}
		})
	}
}
