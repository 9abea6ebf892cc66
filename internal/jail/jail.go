// Package jail tells whether pfasciilogd runs in a FreeBSD jail and, if it
// does, whether live capture from a pflog interface can work there. When
// it cannot, it says what the administrator can do instead.
//
// The daemon calls Init once at start-up, before it drops privileges or
// enters Capsicum, and keeps the result (StartEnv). When it is to
// capture live (-i), it passes the result to CheckLive; a
// non-nil error is fatal and its text is the advice to log. capture.Open
// also consults it to explain a missing /dev/bpf or pflog interface.
//
// Why: a jail without its own network stack (non-VNET) shares the host's
// interfaces, but the default devfs ruleset for jails (devfsrules_jail,
// 4) hides /dev/bpf, and unhiding it would let the jail sniff every host
// interface. A VNET jail has its own pf and its own pflog0, but the
// default ruleset for VNET jails (devfsrules_jail_vnet, 5, in
// /etc/defaults/devfs.rules) only adds "add path pf unhide": bpf stays
// hidden until the administrator adds a ruleset that unhides it.
package jail

import (
	"strings"
	"sync"
)

// Env is what Detect found out.
type Env struct {
	Jailed bool // sysctl security.jail.jailed is 1
	VNET   bool // sysctl security.jail.vnet is 1: the jail owns its network stack
	BPF    bool // /dev/bpf exists
}

// String names the environment for log messages.
func (e Env) String() string {
	switch {
	case !e.Jailed:
		return "not jailed"
	case e.VNET:
		return "VNET jail"
	default:
		return "non-VNET jail"
	}
}

// Error is CheckLive's verdict: why live capture cannot work, and what
// to do instead.
type Error struct {
	Reason string
	Advice string
}

func (e *Error) Error() string { return e.Reason + ": " + e.Advice }

// BPFRuleset is the devfs.rules(5) ruleset CheckLive suggests for VNET
// jails, one line per line of the file (rc.d/devfs reads devfs.rules line
// by line: a header and its rules joined on one line are not a ruleset);
// the number only has to be unused in /etc/devfs.rules.
var BPFRuleset = []string{
	"[devfsrules_jail_vnet_bpf=10]",
	"add include $devfsrules_jail_vnet",
	"add path 'bpf*' unhide",
}

// CheckLive returns nil when live capture (wantLive) can be attempted in
// env, else an *Error with advice. It returns nil when wantLive is false
// (reading a file works anywhere) and outside jails (capture.Open
// reports host problems itself). A non-VNET jail whose administrator
// unhid /dev/bpf on purpose is let through: it sees the host's pflog0.
func CheckLive(env Env, wantLive bool) error {
	if !wantLive || !env.Jailed || env.BPF {
		return nil
	}
	if !env.VNET {
		return &Error{
			Reason: "live capture does not work in this non-VNET jail: /dev/bpf is hidden here (devfs ruleset devfsrules_jail) and pflog0 belongs to the host",
			Advice: strings.Join([]string{
				"run pfasciilogd on the host",
				"or let the host's pflogd write into a directory of its own (sysrc pflog_logfile=/var/log/pf/pflog), mount that directory read-only into the jail with nullfs (mount -t nullfs -o ro /var/log/pf /JAILROOT/var/log/pf, or a mount.fstab line in jail.conf) and follow the file in the jail with pfasciilogd -r /var/log/pf/pflog -F",
			}, "; "),
		}
	}
	return &Error{
		Reason: "live capture in this VNET jail needs /dev/bpf, which the default devfs ruleset devfsrules_jail_vnet hides",
		Advice: "on the host, add these lines to /etc/devfs.rules:\n\t" + strings.Join(BPFRuleset, "\n\t") +
			"\nthen run service devfs restart, set devfs_ruleset = 10; for the jail in jail.conf and restart the jail",
	}
}

// detect is Detect; tests replace it.
var detect = Detect

var (
	startMu  sync.Mutex
	startEnv Env
	started  bool
)

// Init runs Detect once, at start-up, and keeps the result for StartEnv.
// Call it before entering Capsicum capability mode: there the
// security.jail sysctls cannot be read and os.Stat fails, so a detection
// on a later error path would take a jail for the host and give host
// advice. Calling it again returns the kept result.
func Init() (Env, error) {
	startMu.Lock()
	defer startMu.Unlock()
	if started {
		return startEnv, nil
	}
	env, err := detect()
	if err != nil {
		return env, err
	}
	startEnv, started = env, true
	return env, nil
}

// StartEnv returns what Init found; before Init (or when it failed) it
// returns the zero Env, "not jailed".
func StartEnv() Env {
	startMu.Lock()
	defer startMu.Unlock()
	return startEnv
}
