package packaging

import (
	"strings"
	"testing"
)

// TestReadmeIsOnePage: the README stays a page — what it is, install, a
// quick start whose steps can each be checked, the developer commands —
// and the reference stays in the manual.
func TestReadmeIsOnePage(t *testing.T) {
	readme := readFile(t, "README.md")
	if n := strings.Count(readme, "\n"); n > 150 {
		t.Errorf("README.md has %d lines; keep it to a page and move reference text to pfasciilogd.8", n)
	}
	for _, s := range []string{
		"block log all", "before your pass rules", "ignoreip", // issue 10: lock-out and self-ban warnings
		"service pfasciilogd configtest", "/var/log/pf.log", "fail2ban-regex",
		"fail2ban-client status pfasciilogd", "pfctl -a f2b/pfasciilogd -t f2b-pfasciilogd -T show",
		"go run ./cmd/pflog-gen -mix sample | go run ./cmd/pfasciilogd -r -", "make demo", "make test",
		"blocklistd", "man 8 pfasciilogd",
	} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.md lacks %q", s)
		}
	}
	for _, s := range []string{"exactly what", "one deliberate difference", "$app-name", "protocol = all"} {
		if strings.Contains(readme, s) {
			t.Errorf("README.md still says %q", s)
		}
	}
}
