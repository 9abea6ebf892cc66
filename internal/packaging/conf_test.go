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

// newsyslogLines parses newsyslog.conf(5) text as newsyslog.c's
// parse_file reads it: only a line whose first byte is '#' is a comment,
// and an empty line is skipped; a line of blanks, an indented comment or
// an indented entry is an error (newsyslog exits, and no log on the host
// rotates).
func newsyslogLines(text string) ([]newsyslogEntry, error) {
	var es []newsyslogEntry
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		e, err := parseNewsyslog(line)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, nil
}

// parseNewsyslog parses a line per newsyslog.conf(5), as strictly as
// newsyslog.c does (every error there is fatal for the whole file):
// logfilename [owner:group] mode count size when flags [/pid_file] [sig_num]
// The flags field cannot be left out before a pid file ("-" is no
// flags); a word after the flags is a pid file only when it starts with
// "/", else it is the signal.
func parseNewsyslog(line string) (newsyslogEntry, error) {
	var e newsyslogEntry
	errf := func(what string) (newsyslogEntry, error) {
		return e, fmt.Errorf("newsyslog.conf line %q: bad %s", line, what)
	}
	if line != strings.TrimLeft(line, " \t") {
		return errf("start (the log file name must begin the line)")
	}
	f := fields(line)
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
	if e.count, err = strconv.Atoi(f[1]); err != nil || e.count < 0 {
		return errf("count")
	}
	e.size, e.when, f = f[2], f[3], f[4:]
	if e.size != "*" {
		if _, err := strconv.Atoi(e.size); err != nil {
			return errf("size")
		}
	}
	if !newsyslogWhen(e.when) {
		return errf("when")
	}
	e.signal = 1 // SIGHUP is the default
	if len(f) == 0 {
		return e, nil
	}
	e.flags, f = f[0], f[1:]
	if !regexp.MustCompile(`^[-BCDGJNpRTUXYZ]+$`).MatchString(e.flags) {
		return errf("flags")
	}
	if len(f) > 0 && strings.HasPrefix(f[0], "/") {
		e.pidfile, f = f[0], f[1:]
	}
	if len(f) > 0 {
		if e.signal, err = strconv.Atoi(f[0]); err != nil || e.signal < 1 || e.signal > 127 {
			return errf("pid file or signal")
		}
		f = f[1:]
	}
	if len(f) > 0 {
		return errf("extra fields")
	}
	return e, nil
}

// newsyslogWhen checks a "when" field as newsyslog.c (ptime_relparse)
// does: "*", hours, "@" ISO 8601 ([[[[cc]yy]mm]dd][T[hh[mm[ss]]]], an
// hour of 0 to 23) or "$" day/week/month ($Dhh, $Ww[Dhh], $Mdd[Dhh], dd
// 1 to 31 or L), or hours with either.
func newsyslogWhen(w string) bool {
	if w == "*" {
		return true
	}
	if h, at, ok := strings.Cut(w, "@"); ok && (h == "" || isDigits(h)) {
		return newsyslogISO(at)
	}
	if h, dwm, ok := strings.Cut(w, "$"); ok && (h == "" || isDigits(h)) {
		return newsyslogDWM(dwm)
	}
	return isDigits(w)
}

func newsyslogISO(s string) bool {
	date, tm, hasT := strings.Cut(s, "T")
	if !isDigits(date) && date != "" || len(date)%2 != 0 || len(date) > 8 {
		return false
	}
	if !hasT {
		return true
	}
	if !isDigits(tm) || (len(tm) != 2 && len(tm) != 4 && len(tm) != 6) {
		return false
	}
	for i, max := range []int{23, 59, 59} {
		if 2*i < len(tm) && num2(tm[2*i:]) > max {
			return false
		}
	}
	return true
}

func newsyslogDWM(s string) bool {
	for s != "" {
		if len(s) < 2 {
			return false
		}
		k, rest := s[0], s[1:]
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		v, _ := strconv.Atoi(rest[:n])
		switch {
		case k == 'D' && n >= 1 && n <= 2 && v <= 23:
		case k == 'W' && n == 1 && v <= 6:
		case k == 'M' && n == 0 && strings.HasPrefix(rest, "L"):
			n = 1
		case k == 'M' && n >= 1 && n <= 2 && v >= 1 && v <= 31:
		default:
			return false
		}
		s = rest[n:]
	}
	return true
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func num2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// TestNewsyslogAgrees parses the shipped newsyslog entry and checks it
// against the rc.d defaults, the daemon's own defaults and the jail.
func TestNewsyslogAgrees(t *testing.T) {
	entries, err := newsyslogLines(readFile(t, "newsyslog.conf.d/pfasciilogd.conf"))
	if err != nil {
		t.Fatalf("newsyslog would refuse it: %v", err)
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
	// Without B newsyslog writes its own "logfile turned over" line into
	// the old and the new log (newsyslog.c), a line that is no record.
	if !strings.Contains(e.flags, "B") {
		t.Errorf("flags %q: without B newsyslog writes its own lines into the log", e.flags)
	}
	if strings.ContainsAny(e.flags, "pGU") {
		t.Errorf("flags %q: p, G or U make no sense for this log", e.flags)
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
	// What newsyslog.c refuses (each refusal stops every rotation on the
	// host), from its parse_file, parse_signal and ptime_relparse.
	for _, line := range []string{
		"/var/log/x 640 7", "/var/log/x 999 7 * * J", "/var/log/x 640 7 * * Q /p",
		"/var/log/x 640 7 * @T00 /var/run/x.pid 1", // flags left out: "/" is an illegal flag
		"/var/log/x 640 7 * @T00 JC var/run/x.pid", // neither a pid file nor a signal
		"/var/log/x 640 7 * @T00 JC /var/run/x.pid 0",
		"/var/log/x 640 7 * @T00 JC /var/run/x.pid 999",
		"/var/log/x 640 -1 * @T00 JC",
		"/var/log/x 640 7 * @T24 JC", "/var/log/x 640 7 * @T0 JC", "/var/log/x 640 7 * @T123 JC",
		"/var/log/x 640 7 * $D24 JC", "/var/log/x 640 7 * $W9 JC", "/var/log/x 640 7 * $M32 JC",
		"/var/log/x 640 7 * $M0 JC", "/var/log/x 640 7 * $X1 JC",
		" /var/log/x 640 7 * @T00 JC", // indented: the name starts at byte 0
	} {
		if e, err := parseNewsyslog(line); err == nil {
			t.Errorf("%s: parsed as %+v", line, e)
		}
	}
	// What it takes, the signal instead of a pid file included.
	for _, line := range []string{
		"/var/log/x 640 7 * @T00 JC 30", "/var/log/x 640 7 * 24@T00 J", "/var/log/x 640 7 * $ML J",
		"/var/log/x 640 7 * $M1D0 J", "/var/log/x 640 7 * @20260101T235959 -", "/var/log/x 640 7 24 * -",
	} {
		if _, err := parseNewsyslog(line); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	if e, _ := parseNewsyslog("/var/log/x 640 7 * @T00 JC 30"); e.pidfile != "" || e.signal != 30 {
		t.Errorf("a signal after the flags read as %+v", e)
	}
	// Only a line that starts with '#' is a comment, and only an empty
	// line is skipped.
	for text, ok := range map[string]bool{
		"# c\n/var/log/x 640 7 * @T00 JC\n\n": true,
		"  # indented comment\n":              false,
		"\t\n":                                false,
		"\t/var/log/x 640 7 * @T00 JC\n":      false,
	} {
		if _, err := newsyslogLines(text); (err == nil) != ok {
			t.Errorf("%q: %v", text, err)
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
