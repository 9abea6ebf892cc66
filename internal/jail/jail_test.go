package jail

import (
	"runtime"
	"strings"
	"testing"
)

func TestCheckLive(t *testing.T) {
	for _, c := range []struct {
		env      Env
		wantLive bool
		want     []string // empty: nil
	}{
		{Env{}, true, nil},
		{Env{}, false, nil},
		{Env{BPF: true}, true, nil},
		{Env{Jailed: true}, false, nil},
		{Env{Jailed: true, VNET: true}, false, nil},
		{Env{Jailed: true}, true, []string{"non-VNET jail", "run pfasciilogd on the host", "nullfs", "-r /var/log/pf/pflog -F", "pflog_logfile"}},
		{Env{Jailed: true, BPF: true}, true, nil},
		{Env{Jailed: true, VNET: true}, true, []string{"VNET jail", "devfsrules_jail_vnet", "add path 'bpf*' unhide", "add include $devfsrules_jail_vnet", "devfs_ruleset = 10", "service devfs restart"}},
		{Env{Jailed: true, VNET: true, BPF: true}, true, nil},
	} {
		err := CheckLive(c.env, c.wantLive)
		if (err == nil) != (len(c.want) == 0) {
			t.Errorf("%+v live=%v: err = %v", c.env, c.wantLive, err)
			continue
		}
		if err == nil {
			continue
		}
		if _, ok := err.(*Error); !ok {
			t.Errorf("%+v: error type %T", c.env, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %q lacks %q", c.env, err, w)
			}
		}
		if c.env.VNET {
			// rc.d/devfs reads devfs.rules line by line: every line of
			// the ruleset on a line of its own, nothing else on it.
			lines := strings.Split(err.Error(), "\n")
			for _, rule := range BPFRuleset {
				found := false
				for _, l := range lines {
					if strings.TrimSpace(l) == rule {
						found = true
					}
				}
				if !found {
					t.Errorf("%+v: no line that is exactly %q in %q", c.env, rule, err)
				}
			}
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: multi-line message %q", c.env, err)
		}
	}
}

func TestString(t *testing.T) {
	for env, want := range map[Env]string{
		{}:                                    "not jailed",
		{BPF: true}:                           "not jailed",
		{Jailed: true}:                        "non-VNET jail",
		{Jailed: true, VNET: true, BPF: true}: "VNET jail",
	} {
		if got := env.String(); got != want {
			t.Errorf("%+v: %q, want %q", env, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	env, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Detect: %s (%+v)", env, env)
	if runtime.GOOS != "freebsd" && env != (Env{}) {
		t.Errorf("outside FreeBSD Detect = %+v, want not jailed", env)
	}
}

// TestInitDetectsOnce: the environment is detected once at start-up and
// kept; later callers (error paths in capability mode, where detection
// fails) get the kept result, not a new detection.
func TestInitDetectsOnce(t *testing.T) {
	calls := 0
	detect = func() (Env, error) { calls++; return Env{Jailed: true, VNET: true}, nil }
	defer func() { detect = Detect; started = false; startEnv = Env{} }()
	if env, err := Init(); err != nil || !env.VNET {
		t.Fatalf("Init = %+v, %v", env, err)
	}
	detect = func() (Env, error) { calls++; return Env{}, nil } // "capability mode"
	for i := 0; i < 3; i++ {
		Init()
		if env := StartEnv(); !env.VNET || !env.Jailed {
			t.Fatalf("StartEnv = %+v after Init, want the start-up VNET jail", env)
		}
	}
	if calls != 1 {
		t.Fatalf("Detect ran %d times, want once", calls)
	}
}
