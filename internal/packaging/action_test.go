package packaging

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/pftest"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// pf11ActionStart is fail2ban 1.1's actionstart in action.d/pf.conf (as
// quoted in issue 10): protocol = all becomes "block quick all from ...".
const pf11ActionStart = `actionstart = echo "table <<tablename>-<name>> persist counters" | <pfctl> -f-
              port="<port>"; if [ "$port" != "" ] && case "$port" in \{*) false;; esac; then port="{$port}"; fi
              protocol="<protocol>"; if [ "$protocol" != "all" ]; then protocol="proto $protocol"; else protocol=all; fi
              echo "<block> $protocol from <<tablename>-<name>> to <actiontype>" | <pfctl> -f-

`

// renderedActions returns, per action of the jail, the commands fail2ban
// would run with their tags filled in, as "fail2ban-client -d" dumps them.
func renderedActions(t *testing.T, conf string) map[string]map[string]string {
	t.Helper()
	client := testtool.Need(t, "fail2ban-client", "fail2ban")
	out, err := exec.Command(client, "-c", conf, "-d").CombinedOutput()
	if err != nil {
		t.Fatalf("fail2ban-client -d: %v\n%s", err, out)
	}
	// The dump is one Python literal per line; python3 runs fail2ban.
	py := exec.Command("python3", "-c", `import ast, json, sys
print(json.dumps([ast.literal_eval(l) for l in sys.stdin if l.startswith("[")]))`)
	py.Stdin = strings.NewReader(string(out))
	js, err := py.Output()
	if err != nil {
		t.Fatalf("python3 reading the dump: %v\n%s", err, out)
	}
	var cmds [][]any
	must(t, json.Unmarshal(js, &cmds))
	actions := map[string]map[string]string{}
	for _, c := range cmds {
		if len(c) == 5 && c[0] == "multi-set" && c[1] == jailName && c[2] == "action" {
			m := map[string]string{}
			for _, kv := range c[4].([]any) {
				kv := kv.([]any)
				if s, ok := kv[1].(string); ok {
					m[kv[0].(string)] = s
				}
			}
			actions[c[3].(string)] = m
		}
	}
	if len(actions) == 0 {
		t.Fatalf("fail2ban-client -d shows no action for jail %s:\n%s", jailName, out)
	}
	return actions
}

// TestPfActionLoadsInPf renders the jail's ban action as fail2ban 1.0
// (the installed one) and as 1.1 render it, runs actionstart, actioncheck,
// actionban, actionunban and actionstop against the strict pfctl
// stand-in, and checks pf's resulting table and rule. fail2ban's own pf
// action with protocol = all (what the jail shipped before) must fail on
// both, or the stand-in is not strict enough.
func TestPfActionLoadsInPf(t *testing.T) {
	testtool.Need(t, "fail2ban-client", "fail2ban")
	testtool.Need(t, "python3", "python3")
	sysPf, err := os.ReadFile("/etc/fail2ban/action.d/pf.conf")
	if err != nil {
		t.Fatalf("fail2ban's pf action: %v", err)
	}
	actionStart := regexp.MustCompile(`(?ms)^actionstart = .*?(^\S)`)
	if !actionStart.Match(sysPf) {
		t.Fatal("fail2ban's action.d/pf.conf has no actionstart")
	}
	forms := map[string]string{
		"installed": string(sysPf),
		"1.1":       actionStart.ReplaceAllString(string(sysPf), strings.ReplaceAll(pf11ActionStart, "$", "$$")+"$1"),
	}
	for form, pf := range forms {
		for _, tc := range []struct {
			name, local, action string
			ok                  bool
		}{
			{"shipped jail", "", "pfasciilogd-pf", true},
			{"pf action with protocol=all", "banaction = pf[actiontype=<allports>]\nprotocol = all\n", "pf", false},
		} {
			t.Run(form+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				conf := filepath.Join(dir, "conf")
				if out, err := exec.Command("cp", "-R", "/etc/fail2ban", conf).CombinedOutput(); err != nil {
					t.Fatalf("cp: %v %s", err, out)
				}
				for _, d := range []string{"jail.d", "fail2ban.d"} {
					must(t, os.RemoveAll(filepath.Join(conf, d)))
					must(t, os.MkdirAll(filepath.Join(conf, d), 0o755))
				}
				logPath := filepath.Join(dir, "pf.log")
				must(t, os.WriteFile(logPath, nil, 0o644))
				for p, body := range map[string]string{
					"action.d/pf.conf":             pf,
					"action.d/pfasciilogd-pf.conf": readFile(t, "fail2ban/action.d/pfasciilogd-pf.conf"),
					"filter.d/pfasciilogd.conf":    readFile(t, "fail2ban/filter.d/pfasciilogd.conf"),
					"jail.d/pfasciilogd.conf":      readFile(t, "fail2ban/jail.d/pfasciilogd.conf"),
					"jail.d/pfasciilogd.local":     "[pfasciilogd]\nenabled = true\nlogpath = " + logPath + "\n" + tc.local,
				} {
					must(t, os.WriteFile(filepath.Join(conf, p), []byte(body), 0o644))
				}
				acts := renderedActions(t, conf)
				act := acts[tc.action]
				if act == nil || len(acts) != 1 {
					t.Fatalf("jail runs actions %v, want only %s", keys(acts), tc.action)
				}
				stubs := filepath.Join(dir, "stubs")
				must(t, os.MkdirAll(stubs, 0o755))
				env, state, log, err := pftest.InstallPfctl(stubs)
				must(t, err)
				run := func(step string, tags map[string]string) error {
					cmd := act[step]
					for k, v := range tags {
						cmd = strings.ReplaceAll(cmd, k, v)
					}
					sh := exec.Command("/bin/sh", "-c", cmd)
					sh.Env = append(append(os.Environ(), env...), "PATH="+stubs+":/usr/bin:/bin")
					out, err := sh.CombinedOutput()
					if err != nil {
						b, _ := os.ReadFile(log)
						t.Logf("%s:\n%s\n-> %v\n%s\npfctl calls:\n%s", step, cmd, err, out, b)
					}
					return err
				}
				err = run("actionstart", nil)
				if !tc.ok {
					if err == nil {
						t.Fatalf("actionstart succeeded: the stand-in accepted a rule pfctl rejects")
					}
					return
				}
				if err != nil {
					t.Fatal("actionstart failed")
				}
				must(t, run("actioncheck", nil))
				for _, ip := range []string{"198.51.100.66", "2001:db8:bad::5"} {
					must(t, run("actionban", map[string]string{"<ip>": ip}))
				}
				must(t, run("actionunban", map[string]string{"<ip>": "198.51.100.66"}))
				st, err := pftest.ReadState(state)
				must(t, err)
				a := st.Anchors["f2b/"+jailName]
				if a == nil || strings.Join(a.Rules, "|") != "block quick from <f2b-"+jailName+"> to any" ||
					a.Tables["f2b-"+jailName] == nil || strings.Join(a.Tables["f2b-"+jailName].Addrs, " ") != "2001:db8:bad::5" ||
					!a.Tables["f2b-"+jailName].Persist {
					t.Errorf("after start, two bans and an unban pf holds %+v", a)
				}
				must(t, run("actionstop", nil))
				st, err = pftest.ReadState(state)
				must(t, err)
				if a := st.Anchors["f2b/"+jailName]; a != nil && (len(a.Rules) > 0 || len(a.Tables) > 0) {
					t.Errorf("after actionstop pf still holds %+v", a)
				}
			})
		}
	}
}

func keys[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}
