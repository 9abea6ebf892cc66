package packaging

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// newsyslogEntry is one line of newsyslog.conf(5).
type newsyslogEntry struct {
	logfile, owner, group string
	mode                  uint32
	count                 int
	size                  string // KB or "*"
	when                  string // hours, @ISO, $MODE or "*"
	flags                 string
	pidfile               string
	signal                int
}

// parseNewsyslog parses a line per newsyslog.conf(5):
// logfilename [owner:group] mode count size when flags [/pid_file] [sig_num]
func parseNewsyslog(line string) (newsyslogEntry, error) {
	var e newsyslogEntry
	f := fields(line)
	errf := func(what string) (newsyslogEntry, error) {
		return e, fmt.Errorf("newsyslog.conf line %q: bad %s", line, what)
	}
	if len(f) < 5 {
		return errf("too few fields")
	}
	e.logfile, f = f[0], f[1:]
	if strings.ContainsAny(f[0], ":") {
		og := strings.SplitN(f[0], ":", 2)
		e.owner, e.group, f = og[0], og[1], f[1:]
	}
	if len(f) < 4 {
		return errf("too few fields")
	}
	m, err := strconv.ParseUint(f[0], 8, 32)
	if err != nil {
		return errf("mode")
	}
	e.mode = uint32(m)
	if e.count, err = strconv.Atoi(f[1]); err != nil {
		return errf("count")
	}
	e.size, e.when, f = f[2], f[3], f[4:]
	if e.size != "*" {
		if _, err := strconv.Atoi(e.size); err != nil {
			return errf("size")
		}
	}
	if !regexp.MustCompile(`^(\*|\d+|@[0-9T]+|\$[WDM0-9]+)$`).MatchString(e.when) {
		return errf("when")
	}
	if len(f) > 0 && !strings.HasPrefix(f[0], "/") {
		e.flags, f = f[0], f[1:]
		if !regexp.MustCompile(`^[-BCDGJNpRTUXYZ]+$`).MatchString(e.flags) {
			return errf("flags")
		}
	}
	e.signal = 1 // SIGHUP is the default
	if len(f) > 0 {
		e.pidfile, f = f[0], f[1:]
	}
	if len(f) > 0 {
		if e.signal, err = strconv.Atoi(f[0]); err != nil {
			return errf("signal")
		}
		f = f[1:]
	}
	if len(f) > 0 {
		return errf("extra fields")
	}
	return e, nil
}

// TestNewsyslogAgrees parses the shipped newsyslog entry and checks it
// against the rc.d defaults, the daemon's own defaults and the jail.
func TestNewsyslogAgrees(t *testing.T) {
	var entries []newsyslogEntry
	for _, line := range strings.Split(readFile(t, "newsyslog.conf.d/pfasciilogd.conf"), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		e, err := parseNewsyslog(line)
		if err != nil {
			t.Fatalf("bad newsyslog.conf line: %v", err)
		}
		entries = append(entries, e)
	}
	if len(entries) != 1 {
		t.Fatalf("want exactly one entry, got %d", len(entries))
	}
	e := entries[0]
	logfile, pidfile := rcDefault(t, "pfasciilogd_logfile"), rcDefault(t, "pfasciilogd_pidfile")
	if e.logfile != logfile || e.logfile != goConst(t, "defaultLog") {
		t.Errorf("newsyslog rotates %s; rc.d writes %s, the daemon %s", e.logfile, logfile, goConst(t, "defaultLog"))
	}
	if e.pidfile != pidfile || e.pidfile != goConst(t, "defaultPidfile") {
		t.Errorf("newsyslog signals the pid in %s; rc.d uses %s, the daemon %s", e.pidfile, pidfile, goConst(t, "defaultPidfile"))
	}
	// rc.d reload sends SIGHUP, the daemon reopens on SIGHUP: signal 1.
	if e.signal != 1 || !strings.Contains(readFile(t, "rc.d/pfasciilogd"), `sig_reload="HUP"`) {
		t.Errorf("newsyslog sends signal %d; want 1 (SIGHUP), as rc.d reload does", e.signal)
	}
	if strings.ContainsAny(e.flags, "N") {
		t.Error("flag N would keep newsyslog from signalling the daemon")
	}
	if !strings.ContainsAny(e.flags, "JXZY") {
		t.Errorf("flags %q: no compression", e.flags)
	}
	if strings.ContainsAny(e.flags, "BpGU") {
		t.Errorf("flags %q: B, p, G or U make no sense for this log", e.flags)
	}
	if e.mode != 0o640 {
		t.Errorf("mode %o; the daemon creates the log 0640", e.mode)
	}
	// The rotated-in log must be writable by the account the daemon
	// drops to, or it cannot reopen it after rotation.
	if runas := rcDefault(t, "pfasciilogd_runas"); e.owner != runas || e.group != runas {
		t.Errorf("owner %s:%s, want %s:%s (the daemon runs as pfasciilogd_runas)", e.owner, e.group, runas, runas)
	}
	if e.count < 1 || (e.size == "*" && e.when == "*") {
		t.Errorf("count %d size %s when %s: never rotates", e.count, e.size, e.when)
	}
	if jail := iniSection(t, readFile(t, "fail2ban/jail.d/pfasciilogd.conf"), "pfasciilogd"); jail["logpath"] != logfile {
		t.Errorf("fail2ban jail reads %s, the daemon writes %s", jail["logpath"], logfile)
	}
}

func TestParseNewsyslog(t *testing.T) {
	good := map[string]newsyslogEntry{
		"/var/log/pflog 600 3 100 * JB /var/run/pflogd.pid": {logfile: "/var/log/pflog", mode: 0o600, count: 3,
			size: "100", when: "*", flags: "JB", pidfile: "/var/run/pflogd.pid", signal: 1},
		"/var/log/x root:wheel 640 7 * @T00 JC /var/run/x.pid 30": {logfile: "/var/log/x", owner: "root", group: "wheel",
			mode: 0o640, count: 7, size: "*", when: "@T00", flags: "JC", pidfile: "/var/run/x.pid", signal: 30},
		"/var/log/y 644 5 1000 $W6D0": {logfile: "/var/log/y", mode: 0o644, count: 5, size: "1000", when: "$W6D0", signal: 1},
	}
	for line, want := range good {
		got, err := parseNewsyslog(line)
		if err != nil || got != want {
			t.Errorf("%s: got %+v %v, want %+v", line, got, err, want)
		}
	}
	for _, line := range []string{"/var/log/x 640 7", "/var/log/x 999 7 * * J", "/var/log/x 640 7 * * Q /p"} {
		if _, err := parseNewsyslog(line); err == nil {
			t.Errorf("%s: parsed", line)
		}
	}
}

// TestManPageLint runs mandoc -Tlint; any warning or error fails. (Style
// notes such as "referenced manual not found" on Linux do not.)
func TestManPageLint(t *testing.T) {
	mandoc := testtool.Need(t, "mandoc", "mandoc")
	out, err := exec.Command(mandoc, "-Tlint", "-W", "warning", filepath.Join(root, "cmd/pfasciilogd/pfasciilogd.8")).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("mandoc -Tlint -W warning: %v\n%s", err, out)
	}
}

// TestManPageDocumentsFlags: every flag of the usage line and every
// signal the daemon handles has an entry in the man page.
func TestManPageDocumentsFlags(t *testing.T) {
	man := readFile(t, "cmd/pfasciilogd/pfasciilogd.8")
	// Every flag the daemon's own usage message lists, and -h.
	usage, _ := exec.Command(testtool.BuildDaemon(t), "-h").CombinedOutput()
	flags := []string{"h"}
	for _, m := range regexp.MustCompile(`(?m)^  -([A-Za-z0-9-]+)`).FindAllStringSubmatch(string(usage), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) < 15 {
		t.Fatalf("could not read the flags from pfasciilogd -h:\n%s", usage)
	}
	for _, f := range flags {
		if !regexp.MustCompile(`(?m)^\.It (.* )?Fl ` + regexp.QuoteMeta(f) + `\b`).MatchString(man) {
			t.Errorf("pfasciilogd.8 has no .It Fl %s", f)
		}
	}
	for _, s := range []string{"SIGHUP", "SIGUSR1", "SIGTERM", "SIGINT", "SIGINFO", "SIGUSR2"} {
		if !strings.Contains(man, s) {
			t.Errorf("pfasciilogd.8 does not mention %s", s)
		}
	}
	for _, x := range []string{"pf 4", "pflog 4", "pflogd 8", "tcpdump 1", "newsyslog 8", "fail2ban-client 1"} {
		if !strings.Contains(man, ".Xr "+x) {
			t.Errorf("pfasciilogd.8 lacks .Xr %s", x)
		}
	}
	for _, p := range []string{rcDefault(t, "pfasciilogd_logfile"), rcDefault(t, "pfasciilogd_pidfile")} {
		if !strings.Contains(man, ".Pa "+p) {
			t.Errorf("pfasciilogd.8 FILES lacks %s", p)
		}
	}
}

// iniSection returns the key = value pairs of one [section] of a fail2ban
// configuration file (continuation lines are joined with a newline).
func iniSection(t testing.TB, text, section string) map[string]string {
	t.Helper()
	kv := map[string]string{}
	in, found, last := false, false, ""
	for _, line := range strings.Split(text, "\n") {
		trim := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trim, "#") || strings.HasPrefix(trim, ";"):
		case strings.HasPrefix(trim, "["):
			in = trim == "["+section+"]"
			found = found || in
			last = ""
		case !in || trim == "":
			last = ""
		case (line[0] == ' ' || line[0] == '\t') && last != "":
			kv[last] += "\n" + trim
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("[%s]: bad line %q", section, line)
			}
			if i := strings.Index(v, " ; "); i >= 0 {
				v = v[:i]
			}
			last = strings.TrimSpace(k)
			kv[last] = strings.TrimSpace(v)
		}
	}
	if !found {
		t.Fatalf("no [%s] section", section)
	}
	return kv
}
