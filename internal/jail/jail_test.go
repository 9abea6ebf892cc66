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
		if strings.Contains(err.Error(), "\n") {
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
