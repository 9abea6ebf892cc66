package packaging

import (
	"os"
	"path/filepath"
	"regexp"
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
		"pfasciilogd: scan from", "filter.d/pfasciilogd.conf[mode=scan]", // issue 12: the daemon decides
		"action.d/pfasciilogd-pf.conf", "antispoof", "forged", "port/examples/crowdsec/README",
	} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.md lacks %q", s)
		}
	}
	for _, s := range []string{"exactly what", "one deliberate difference", "$app-name", "protocol = all", "on the path"} {
		if strings.Contains(readme, s) {
			t.Errorf("README.md still says %q", s)
		}
	}
}

// TestManPageSections: the manual is the reference for what the daemon
// decides and how its lines reach fail2ban and CrowdSec (issues 10, 12,
// 14), and says plainly that decisions from packets can be forged.
func TestManPageSections(t *testing.T) {
	man := readFile(t, "cmd/pfasciilogd/pfasciilogd.8")
	for _, s := range []string{".Sh DETECTION", ".Sh FLOOD CONTROL", ".Sh FAIL2BAN", ".Sh CROWDSEC",
		".Ss Privilege separation", ".Ss Spoofing"} {
		if !strings.Contains(man, "\n"+s+"\n") {
			t.Errorf("pfasciilogd.8 lacks %s", s)
		}
	}
	// Flags the detection and the line budget add, documented even
	// before -h lists them (TestManPageDocumentsFlags checks -h's).
	for _, f := range []string{"nodetect", "detect-fast", "detect-slow", "detect-weights", "detect-prefix6",
		"detect-name-prefix", "detect-hold", "detect-limit", "detect-table", "detect-probation", "own",
		"ignore", "nolearn-own", "line-budget"} {
		if !strings.Contains(man, "\n.It Fl "+f+"\n") && !strings.Contains(man, "\n.It Fl "+f+" ") {
			t.Errorf("pfasciilogd.8 has no .It Fl %s", f)
		}
	}
	for _, s := range []string{"filter = pfasciilogd[mode=scan]", "pfasciilogd_detect_hold", "antispoof",
		"_SYSTEMD_UNIT=pfasciilogd.service", "pfasciilogd-pf.conf", "/var/log/pflogd/pflog"} {
		if !strings.Contains(man, s) {
			t.Errorf("pfasciilogd.8 lacks %q", s)
		}
	}
	if strings.Contains(man, "/var/log/host/") {
		t.Error("pfasciilogd.8 still exports the host's /var/log into a jail")
	}
}

// TestReadmeLayoutNamesEveryPackage: the README's layout table names
// every package under cmd/ and internal/ (not their test-only
// subpackages such as internal/packet/packettest), and nothing that is
// gone.
func TestReadmeLayoutNamesEveryPackage(t *testing.T) {
	readme := readFile(t, "README.md")
	i := strings.Index(readme, "\nLayout ")
	if i < 0 {
		t.Fatal("README.md has no layout table")
	}
	table := readme[i:]
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`((?:cmd|internal)/[a-z0-9-]+)`").FindAllStringSubmatch(table, -1) {
		named[m[1]] = true
	}
	for _, top := range []string{"cmd", "internal"} {
		ents, err := os.ReadDir(filepath.Join(root, top))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			p := top + "/" + e.Name()
			if !named[p] {
				t.Errorf("README.md's layout table does not name %s", p)
			}
			delete(named, p)
		}
	}
	for p := range named {
		t.Errorf("README.md's layout table names %s, which does not exist", p)
	}
}
