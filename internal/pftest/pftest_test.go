package pftest

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

// TestParse: forms pf.conf(5) allows are read, forms parse.y rejects are
// rejected with pfctl's complaint.
func TestParse(t *testing.T) {
	ifaces := map[string][]netip.Prefix{"vtnet0": {netip.MustParsePrefix("192.0.2.5/24")}}
	for _, tc := range []struct {
		text, err string
	}{
		{"table <f2b-sshd> persist counters", ""},
		{"block quick from <f2b-sshd> to any", ""},
		{"block quick proto tcp from <f2b-sshd> to any port 22", ""},
		{"block quick proto { tcp udp } from <f2b-sshd> to any port { 22, 80 }", ""},
		{"block quick proto icmp6 from <t> to any", ""},
		{"block quick from <t>", ""},
		{"block drop in log quick on vtnet0 inet6 to ff02::/16", ""},
		{"block quick all", ""},
		{"block log all", ""},
		{"pass in on vtnet0 proto tcp to (vtnet0) port { ssh, http } keep state", ""},
		{"pass in on vtnet0 inet proto icmp icmp-type { unreach, timex } keep state", ""},
		{"block in log (to pflog1) on vtnet0 all", ""},
		{"antispoof quick for vtnet0", ""},
		{"ext_if = \"vtnet0\"\npass out quick on $ext_if keep state", ""},
		{"set skip on lo0\nscrub in all fragment reassemble\nanchor \"f2b/*\"\nblock log all", ""},

		// fail2ban's pf action with protocol = all: 1.0.x and 1.1.x.
		{"block quick proto all from <f2b-pfasciilogd> to any", "stdin:1: unknown protocol all"},
		{"block quick all from <f2b-pfasciilogd> to any", "stdin:1: syntax error"},
		{"block quick proto any from <t> to any", "stdin:1: unknown protocol any"},
		{"block quick from <t> to any port 22", "stdin:1: port only applies to tcp/udp/sctp"},
		{"block quick from <t> all", "stdin:1: syntax error"},
		{"block quick to any from <t>", "stdin:1: syntax error"},
		{"pass in proto udp flags S/SA", "stdin:1: flags only apply to tcp"},
		{"pass in inet proto tcp icmp-type echoreq", "stdin:1: icmp-type only with proto icmp"},
		{"table <t> persist counters bogus", "stdin:1: syntax error"},
		{"table <this-name-is-much-too-long-for-pf> persist", "stdin:1: syntax error"},
		{"block log all\nscrub in all", "stdin:2: Rules must be in order: options, ethernet, normalization, queueing, translation, filtering"},
		{"pass out on $nope", "stdin:1: macro 'nope' not defined"},
		{"block quick from nosuchhost to any", "stdin:1: no IP address found for nosuchhost"},
		{"block quick from <t> to any keep state", "stdin:1: keep state on block rules doesn't make sense"},
		{"frobnicate", "stdin:1: syntax error"},
	} {
		_, err := Parse("stdin", tc.text, ifaces)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("%q: got error %q, want %q", tc.text, got, tc.err)
		}
	}
}

func TestEval(t *testing.T) {
	ifaces := map[string][]netip.Prefix{"vtnet0": {netip.MustParsePrefix("192.0.2.5/24")}}
	rs, err := Parse("pf.conf", `set skip on lo0
anchor "f2b/*"
block log all
pass out quick on vtnet0 keep state
pass in on vtnet0 proto tcp to (vtnet0) port ssh keep state
block in quick on vtnet0 inet proto udp to 255.255.255.255
`, ifaces)
	if err != nil {
		t.Fatal(err)
	}
	fw := NewFirewall(rs)
	ban, err := Parse("f2b/jail", "block quick from <f2b-jail> to any", ifaces)
	if err != nil {
		t.Fatal(err)
	}
	ban.Tables["f2b-jail"].Addrs = []netip.Prefix{netip.MustParsePrefix("198.51.100.66/32")}
	fw.Anchors["f2b/jail"] = ban
	a := netip.MustParseAddr
	us := a("192.0.2.5")
	for _, tc := range []struct {
		name string
		p    Packet
		want string
	}{
		{"ssh SYN", Packet{If: "vtnet0", Dir: "in", Proto: 6, Src: a("203.0.113.9"), Dst: us, SPort: 40000, DPort: 22, Flags: "S"}, "pass (line 5"},
		{"ssh ACK of that connection", Packet{If: "vtnet0", Dir: "in", Proto: 6, Src: a("203.0.113.9"), Dst: us, SPort: 40000, DPort: 22, Flags: "A"}, "pass (state)"},
		{"ssh ACK without state (flags S/SA)", Packet{If: "vtnet0", Dir: "in", Proto: 6, Src: a("203.0.113.10"), Dst: us, SPort: 40000, DPort: 22, Flags: "A"}, "block log (line 3"},
		{"scan SYN", Packet{If: "vtnet0", Dir: "in", Proto: 6, Src: a("203.0.113.9"), Dst: us, SPort: 40000, DPort: 23, Flags: "S"}, "block log (line 3"},
		{"banned ssh SYN", Packet{If: "vtnet0", Dir: "in", Proto: 6, Src: a("198.51.100.66"), Dst: us, SPort: 40000, DPort: 22, Flags: "S"}, "block (line 1: block quick from <f2b-jail> to any)"},
		{"broadcast", Packet{If: "vtnet0", Dir: "in", Proto: 17, Src: a("192.0.2.7"), Dst: a("255.255.255.255"), SPort: 68, DPort: 67}, "block (line 6"},
		{"loopback", Packet{If: "lo0", Dir: "in", Proto: 17, Src: a("127.0.0.1"), Dst: a("127.0.0.1")}, "pass (no rule)"},
	} {
		if got := fw.Eval(tc.p).String(); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %s, want %s...", tc.name, got, tc.want)
		}
	}
}

// TestPfctl runs what fail2ban's pf action runs, in order.
func TestPfctl(t *testing.T) {
	dir := t.TempDir()
	state, log := filepath.Join(dir, "state"), filepath.Join(dir, "log")
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Pfctl(args, strings.NewReader(stdin), &out, &errb, state, log)
		return code, out.String(), errb.String()
	}
	pf := []string{"-a", "f2b/jail"}
	steps := []struct {
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"table <f2b-jail> persist counters\n", append(pf, "-f-"), 0, ""},
		{"block quick proto all from <f2b-jail> to any\n", append(pf, "-f-"), 1, ""},
		{"block quick all from <f2b-jail> to any\n", append(pf, "-f-"), 1, ""},
		{"", append(pf, "-sr"), 0, ""},
		{"block quick from <f2b-jail> to any\n", append(pf, "-f-"), 0, ""},
		{"", append(pf, "-sr"), 0, "block quick from <f2b-jail> to any\n"},
		{"", append(pf, "-t", "f2b-jail", "-T", "add", "198.51.100.66"), 0, ""},
		{"", append(pf, "-t", "f2b-jail", "-T", "add", "2001:db8::1"), 0, ""},
		{"", append(pf, "-t", "f2b-jail", "-T", "add", "not-an-ip"), 1, ""},
		{"", append(pf, "-t", "f2b-jail", "-T", "show"), 0, "   198.51.100.66\n   2001:db8::1\n"},
		{"", append(pf, "-t", "f2b-jail", "-T", "delete", "2001:db8::1"), 0, ""},
		{"", append(pf, "-t", "f2b-jail", "-T", "show"), 0, "   198.51.100.66\n"},
		{"", []string{"-t", "f2b-jail", "-T", "show"}, 1, ""}, // not in the main ruleset
		{"", append(pf, "-t", "f2b-jail", "-T", "frob"), 1, ""},
		{"", append(pf, "-x"), 1, ""},
		// actionstop
		{"", append(pf, "-f-"), 0, ""},
		{"", append(pf, "-t", "f2b-jail", "-T", "flush"), 0, ""},
		{"", append(pf, "-t", "f2b-jail", "-T", "show"), 0, ""},
		{"", append(pf, "-t", "f2b-jail", "-T", "kill"), 0, ""},
		{"", append(pf, "-t", "f2b-jail", "-T", "show"), 1, ""},
	}
	for i, s := range steps {
		code, out, errs := run(s.stdin, s.args...)
		if code != s.code || out != s.out {
			t.Fatalf("step %d: pfctl %s <<%q: exit %d, output %q (stderr %q); want %d, %q",
				i, strings.Join(s.args, " "), s.stdin, code, out, errs, s.code, s.out)
		}
		if code == 1 && strings.HasPrefix(s.stdin, "block") && !strings.Contains(errs, "pf rules not loaded") {
			t.Errorf("step %d: rejected ruleset without pfctl's message: %q", i, errs)
		}
	}
}
