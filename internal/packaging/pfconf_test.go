package packaging

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/pftest"
)

// The example host: vtnet0 with these addresses.
var (
	exampleV4 = netip.MustParseAddr(us4)
	exampleV6 = netip.MustParseAddr(us6)
	exampleLL = netip.MustParseAddr("fe80::5")
	exampleIf = map[string][]netip.Prefix{"vtnet0": {
		netip.PrefixFrom(exampleV4, 24), netip.PrefixFrom(exampleV6, 64), netip.PrefixFrom(exampleLL, 64)}}
)

// actionRules renders the rules the shipped pf action's actionstart
// loads (echo "RULE" | <pfctl> -f-) for the jail, as fail2ban does.
func actionRules(t *testing.T) []string {
	t.Helper()
	action := readFile(t, "fail2ban/action.d/pfasciilogd-pf.conf")
	var rules []string
	for _, m := range regexp.MustCompile(`echo "([^"]*)" \| <pfctl> -f-`).FindAllStringSubmatch(action, -1) {
		r := strings.NewReplacer("<block>", "block quick", "<tablename>", "f2b", "<name>", jailName).Replace(m[1])
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		t.Fatal("the shipped pf action loads no rules")
	}
	return rules
}

// examplesFirewall loads an example pf.conf (with %%PREFIX%% as the
// package sets it) and the anchors in pf's state.
func examplesFirewall(t *testing.T, file string, st *pftest.State) *pftest.Firewall {
	t.Helper()
	text := strings.ReplaceAll(readFile(t, file), "%%PREFIX%%", "/usr/local")
	main, err := pftest.Parse(filepath.Base(file), text, exampleIf)
	if err != nil {
		t.Fatalf("pfctl -nf %s: %v", file, err)
	}
	fw, err := st.Firewall(main)
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

// bannedState is pf's state after fail2ban's action started and banned
// addr: the shipped action's rules, run through the pfctl stand-in.
func bannedState(t *testing.T, addrs ...string) *pftest.State {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pfctl := func(stdin string, args ...string) {
		var out, errb bytes.Buffer
		if code := pftest.Pfctl(append([]string{"-a", "f2b/" + jailName}, args...), strings.NewReader(stdin), &out, &errb, state, ""); code != 0 {
			t.Fatalf("pfctl %v <<%q: exit %d: %s", args, stdin, code, errb.String())
		}
	}
	for _, r := range actionRules(t) {
		pfctl(r+"\n", "-f-")
	}
	for _, a := range addrs {
		pfctl("", "-t", "f2b-"+jailName, "-T", "add", a)
	}
	st, err := pftest.ReadState(state)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestExamplePfConf evaluates the example rulesets with pf's semantics
// (internal/pftest: last match wins, quick ends evaluation, states) for
// packets that must pass (IPv6 neighbour discovery, router discovery and
// MLD on the outside interface, SSH in, replies to this host's own
// traffic), packets that must be blocked and logged (a scanner), noise
// that is blocked unlogged, spoofed packets, and a banned host.
func TestExamplePfConf(t *testing.T) {
	a := netip.MustParseAddr
	router, banned, scanner, client := a("fe80::1"), "198.51.100.66", a("121.224.77.46"), a("203.0.113.9")
	type step struct {
		name    string
		p       pftest.Packet
		pass    bool
		logTo   string // "" = not logged; "scan" = the interface the example logs scans to
		byState bool
	}
	in := func(src, dst netip.Addr, proto int, dport uint16, flags string, icmp int) pftest.Packet {
		return pftest.Packet{If: "vtnet0", Dir: "in", Proto: proto, Src: src, Dst: dst, SPort: 40000, DPort: dport, Flags: flags, ICMPType: icmp}
	}
	out := func(src, dst netip.Addr, proto int, sport, dport uint16, flags string) pftest.Packet {
		return pftest.Packet{If: "vtnet0", Dir: "out", Proto: proto, Src: src, Dst: dst, SPort: sport, DPort: dport, Flags: flags}
	}
	steps := []step{
		// IPv6 on the link: NS (also DAD from ::), NA, RS, RA, MLD.
		{name: "neighbour solicitation", p: in(router, a("ff02::1:ff00:5"), 58, 0, "", 135), pass: true},
		{name: "DAD neighbour solicitation", p: in(a("::"), a("ff02::1:ff00:9"), 58, 0, "", 135), pass: true},
		{name: "neighbour advertisement", p: in(router, exampleLL, 58, 0, "", 136), pass: true},
		{name: "router solicitation", p: in(a("fe80::9"), a("ff02::2"), 58, 0, "", 133), pass: true},
		{name: "router advertisement", p: in(router, a("ff02::1"), 58, 0, "", 134), pass: true},
		{name: "MLD query", p: in(router, a("ff02::1"), 58, 0, "", 130), pass: true},
		{name: "MLDv2 report", p: in(a("fe80::9"), a("ff02::16"), 58, 0, "", 143), pass: true},
		{name: "packet too big", p: in(a("2001:db8:1::1"), exampleV6, 58, 0, "", 2), pass: true},
		// Services.
		{name: "SSH in", p: in(client, exampleV4, 6, 22, "S", 0), pass: true},
		{name: "SSH in, the next packet", p: in(client, exampleV4, 6, 22, "A", 0), pass: true, byState: true},
		{name: "SSH in over IPv6", p: in(a("2001:db8:cafe::10"), exampleV6, 6, 22, "S", 0), pass: true},
		{name: "ping", p: in(client, exampleV4, 1, 0, "", 8), pass: true},
		// This host's own connections and their replies.
		{name: "own HTTPS out", p: out(exampleV4, a("198.51.100.1"), 6, 50000, 443, "S"), pass: true},
		{name: "its SYN-ACK", p: pftest.Packet{If: "vtnet0", Dir: "in", Proto: 6, Src: a("198.51.100.1"), Dst: exampleV4, SPort: 443, DPort: 50000, Flags: "SA"}, pass: true, byState: true},
		{name: "own DNS query", p: out(exampleV6, a("2001:db8::53"), 17, 5353, 53, ""), pass: true},
		{name: "its answer", p: pftest.Packet{If: "vtnet0", Dir: "in", Proto: 17, Src: a("2001:db8::53"), Dst: exampleV6, SPort: 53, DPort: 5353}, pass: true, byState: true},
		// A scanner: blocked and logged, which is what the jail counts.
		{name: "scanner SYN", p: in(scanner, exampleV4, 6, 23, "S", 0), logTo: "scan"},
		{name: "scanner SYN over IPv6", p: in(a("2001:db8:bad::5"), exampleV6, 6, 6379, "S", 0), logTo: "scan"},
		{name: "scanner UDP", p: in(scanner, exampleV4, 17, 161, "", 0), logTo: "scan"},
		{name: "out-of-state ACK", p: in(a("198.51.100.10"), exampleV4, 6, 443, "A", 0), logTo: "scan"},
		// Noise: blocked, not logged.
		{name: "broadcast", p: in(a("46.38.233.1"), a("255.255.255.255"), 17, 67, "", 0)},
		{name: "mDNS", p: in(a("fe80::9"), a("ff02::fb"), 17, 5353, "", 0)},
		// Spoofed: this host's own address from outside.
		{name: "spoofed own address", p: in(exampleV4, exampleV4, 6, 22, "S", 0)},
		// antispoof leaves link-local networks out (pfctl skips scoped
		// addresses): a link-local packet on another interface reaches
		// "block log all" and is logged to pflog0 (not the external
		// interface's scan log of pf-pflog1.conf).
		{name: "link-local on lo1", p: pftest.Packet{If: "lo1", Dir: "in", Proto: 58, Src: a("fe80::9"), Dst: exampleLL, ICMPType: 128}, logTo: "pflog0"},
		// Our own link-local address as a source is spoofed only on the
		// interface it belongs to.
		{name: "spoofed own link-local", p: pftest.Packet{If: "vtnet0", Dir: "in", Proto: 58, Src: exampleLL, Dst: exampleLL, ICMPType: 128}},
		// A banned host gets nothing, not even SSH or ICMPv6.
		{name: "banned SSH", p: in(a(banned), exampleV4, 6, 22, "S", 0)},
		{name: "banned ping", p: in(a(banned), exampleV4, 1, 0, "", 8)},
		{name: "banned IPv6 echo", p: in(a("2001:db8:bad::66"), exampleV6, 58, 0, "", 128)},
	}
	for _, ex := range []struct{ file, scanLog string }{
		{"port/examples/pf.conf", "pflog0"},
		{"port/examples/pf-pflog1.conf", "pflog1"},
	} {
		t.Run(filepath.Base(ex.file), func(t *testing.T) {
			fw := examplesFirewall(t, ex.file, bannedState(t, banned, "2001:db8:bad::66"))
			for _, s := range steps {
				v := fw.Eval(s.p)
				want := s.logTo
				if want == "scan" {
					want = ex.scanLog
				}
				logTo := ""
				if v.Log {
					logTo = v.LogIf
				}
				if v.Pass != s.pass || logTo != want || v.ByState != s.byState {
					t.Errorf("%s (%v): %v; want pass=%v logged to %q by state=%v", s.name, s.p, v, s.pass, want, s.byState)
				}
				if strings.HasPrefix(s.name, "banned") && (v.Rule == nil || !v.Rule.Quick || !strings.Contains(v.Rule.Text, "<f2b-"+jailName+">")) {
					t.Errorf("%s: decided by %v, want the f2b anchor's quick block", s.name, v)
				}
			}
		})
	}
}
