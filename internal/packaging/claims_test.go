package packaging

import (
	"regexp"
	"strings"
	"testing"
)

// TestShippedTextClaims: what the jail, pkg-message and port README tell
// an administrator agrees with what works (issue 10 points 1, 2, 14).
func TestShippedTextClaims(t *testing.T) {
	for _, f := range []string{"fail2ban/jail.d/pfasciilogd.conf", "port/files/pkg-message.in", "port/README.md"} {
		s := readFile(t, f)
		// "protocol = all" may only be named as what does not work.
		if regexp.MustCompile(`(?i)needs fail2ban\s*(>=\s*)?1\.1|1\.1(\.0)? or later`).MatchString(s) {
			t.Errorf("%s still claims protocol = all works with fail2ban 1.1", f)
		}
		if strings.Contains(strings.ReplaceAll(s, "`", ""), "protocol = all") && !strings.Contains(s, "rejects") {
			t.Errorf("%s names protocol = all without saying pfctl rejects it", f)
		}
		if regexp.MustCompile(`(?m)^protocol\s*=\s*all`).MatchString(s) {
			t.Errorf("%s sets protocol = all", f)
		}
		// Jail recipes export a dedicated directory, not the host's /var/log.
		if m := regexp.MustCompile(`mount -t nullfs[^\n]*\s/var/log\s`).FindString(s); m != "" {
			t.Errorf("%s mounts the host's whole /var/log into a jail: %s", f, m)
		}
		if strings.Contains(s, "nojailvnet") {
			t.Errorf("%s still speaks of nojailvnet", f)
		}
	}
	msg := readFile(t, "port/files/pkg-message.in")
	for _, want := range []string{"BEFORE your pass rules", "ignoreip", "action.d/pfasciilogd-pf.conf", "pflog_logfile=",
		`mode "scan"`, "pfasciilogd.local", "pfasciilogd_ignore", "%%EXAMPLESDIR%%/crowdsec/", "forged"} {
		if !strings.Contains(msg, want) {
			t.Errorf("pkg-message lacks %q", want)
		}
	}
	if !strings.Contains(readFile(t, "port/README.md"), "lang/go126") {
		t.Error("port/README.md does not say which ports tree has lang/go126")
	}
}
