package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// TestCraftedNamesCannotForgeSource feeds the real daemon records whose
// interface and anchor names hold spaces, colons, address-like text,
// newlines and other control bytes, and runs the shipped filter over the
// output: every line stays one line, and every address fail2ban takes
// from it, in either mode, is the packet's real source.
func TestCraftedNamesCannotForgeSource(t *testing.T) {
	regex := testtool.Need(t, "fail2ban-regex", "fail2ban")
	const real = "203.0.113.9"
	names := []string{
		"em0 6.6.6.6", "x: 6.6.6.6.1 > ", "a\nb", "\x01\x02\x1b[2J", "vt\xffnet0",
		" 6.6.6.6.22 > ", "em0: 6.6.6.6", "tab\there", "back\\slash", "f2b/\nsshd",
	}
	var recs []*gen.Record
	for i, n := range names {
		p := pkt{proto: "tcp", src: real, dst: "192.0.2.1", sport: 40000, dport: 22, flags: "S"}
		r := p.record(t, 1795258722+int64(i), 0)
		r.Hdr.SetIfName(n) // interface
		if i%2 == 0 {
			r.Hdr.SetRuleset(n) // and anchor
			r.Hdr.SubRuleNr = 7
		}
		recs = append(recs, r)
	}
	capture := captureFile(t, "forged.pcap", 0, recs)
	out, err := exec.Command(testtool.BuildDaemon(t), "-r", capture, "-o", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d records gave %d lines:\n%s", len(names), len(lines), out)
	}
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\t\x00\x1b") || !strings.Contains(l, ": "+real+".40000 > 192.0.2.1.22: Flags [S]") {
			t.Errorf("line carries control bytes or lost its packet text: %q", l)
		}
	}
	log := filepath.Join(t.TempDir(), "pf.log")
	must(t, os.WriteFile(log, out, 0o640))
	filter := filepath.Join(root, "fail2ban/filter.d/pfasciilogd.conf")
	for _, mode := range []string{"normal", "aggressive"} {
		res, err := exec.Command(regex, "-o", "ip", log, filter+"[mode="+mode+"]").CombinedOutput()
		if err != nil {
			t.Fatalf("fail2ban-regex: %v\n%s", err, res)
		}
		got := fields(string(res))
		if len(got) != len(names) {
			t.Errorf("mode %s: %d of %d lines matched (names must not hide a scanner): %v", mode, len(got), len(names), got)
		}
		for _, ip := range got {
			if ip != real {
				t.Errorf("mode %s: fail2ban took %s from a crafted line; the source is %s", mode, ip, real)
			}
		}
	}
}
