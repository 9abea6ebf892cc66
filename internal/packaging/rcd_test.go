package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func TestRCScriptShellcheck(t *testing.T) {
	sc := testtool.Need(t, "shellcheck", "shellcheck")
	for _, f := range []string{"rc.d/pfasciilogd", "port/files/pfasciilogd.in"} {
		out, err := exec.Command(sc, "-s", "sh", filepath.Join(root, f)).CombinedOutput()
		if err != nil {
			t.Errorf("shellcheck -s sh %s: %v\n%s", f, err, out)
		}
	}
}

// TestRCScriptIsPortFile: the port's USE_RC_SUBR file is a copy of
// rc.d/pfasciilogd (edit rc.d/pfasciilogd, then copy it).
func TestRCScriptIsPortFile(t *testing.T) {
	if readFile(t, "rc.d/pfasciilogd") != readFile(t, "port/files/pfasciilogd.in") {
		t.Fatal("port/files/pfasciilogd.in differs from rc.d/pfasciilogd: cp rc.d/pfasciilogd port/files/pfasciilogd.in")
	}
}

func TestRCScriptHeader(t *testing.T) {
	s := readFile(t, "rc.d/pfasciilogd")
	for _, want := range []string{
		"\n# PROVIDE: pfasciilogd\n",
		"\n# BEFORE: fail2ban\n",
		"\n# KEYWORD: shutdown\n",
		"\nname=\"pfasciilogd\"\n",
		"\nrcvar=\"pfasciilogd_enable\"\n",
		"\nload_rc_config \"$name\"\n",
		"\nrun_rc_command \"$1\"\n",
		"procname=\"%%PREFIX%%/sbin/pfasciilogd\"",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("rc.d/pfasciilogd lacks %q", want)
		}
	}
	req := regexp.MustCompile(`(?m)^# REQUIRE: (.*)$`).FindStringSubmatch(s)
	if req == nil || !strings.Contains(req[1], "FILESYSTEMS") || !strings.Contains(req[1], "netif") {
		t.Errorf("REQUIRE line %q lacks FILESYSTEMS and netif", req)
	}
	// Defaults must be given after load_rc_config, so rc.conf wins.
	if strings.Index(s, "load_rc_config") > strings.Index(s, `: "${pfasciilogd_enable`) {
		t.Error("defaults are set before load_rc_config")
	}
	// rc.subr would start the daemon as ${name}_user: an unprivileged
	// user cannot open bpf, so the privilege drop is -u via another name,
	// and a pfasciilogd_user in rc.conf is refused with a warning.
	r := runRC(t, "start", "pfasciilogd_enable=YES\npfasciilogd_user=nobody\n", true, "pflog0", "")
	if len(r.exec) == 0 || r.exec[0] == "su" || !strings.Contains(r.log, "WARN pfasciilogd_user") {
		t.Errorf("with pfasciilogd_user in rc.conf: started %q\n%s", r.exec, r.log)
	}
	if !slices.Contains(r.exec, "-u") || !slices.Contains(r.exec, "pfasciilogd") {
		t.Errorf("with pfasciilogd_user in rc.conf the daemon does not drop to pfasciilogd_runas: %q", r.exec)
	}
}

// standInRCSubr is a small rc.subr(8) for running the script under test.
// It implements the parts of the real one the script relies on, as
// rc.subr(8) describes them, refuses what the real one refuses (no name
// or rcvar, load_rc_config without the name, unknown commands), and
// writes what the script asked for to $RC_LOG. Commands the script runs
// (kldstat, kldload, ifconfig, install, id, sysctl) are stubs on PATH that
// log too; kill is a shell builtin, so it is replaced by a function here.
const standInRCSubr = `
log() { echo "$*" >> "$RC_LOG"; }
warn() { log "WARN $*"; }
# check_jail MIB: true when sysctl security.jail.MIB is 1.
check_jail() {
	[ $# -eq 1 ] || err 3 "USAGE: check_jail mib"
	_v=$(sysctl -n "security.jail.$1" 2>/dev/null) || return 1
	[ "$_v" = 1 ]
}
err() { _code=$1; shift; log "ERR $*"; exit "$_code"; }
info() { log "INFO $*"; }
debug() { :; }
kill() { log "kill $*"; }
checkyesno() {
	eval _value=\$$1
	case $_value in
	[Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0 ;;
	[Nn][Oo]|[Ff][Aa][Ll][Ss][Ee]|[Oo][Ff][Ff]|0) return 1 ;;
	*) warn "\$$1 is not set properly"; return 1 ;;
	esac
}
load_rc_config() {
	[ $# -ge 1 ] && [ -n "$1" ] || err 3 "USAGE: load_rc_config name"
	log "load_rc_config $1"
	. "$RC_CONF"
}
load_kld() {
	if ! kldstat -q -m "$1"; then
		kldload "$1" || { warn "Unable to load kernel module $1"; return 1; }
	fi
}
_run_rc_notrunning() { log "NOTRUNNING"; }
run_rc_command() {
	[ -n "$name" ] || err 3 "run_rc_command: \$name is not set."
	[ -n "$rcvar" ] || err 3 "run_rc_command: \$rcvar is not set."
	rc_arg=$1
	eval rc_flags=\$${name}_flags
	# Read before any precmd, as the real one does: the whole command then
	# runs as this user (su -m).
	eval _user=\$${name}_user
	log "var name=$name rcvar=$rcvar command=$command procname=$procname pidfile=$pidfile"
	log "var extra_commands=$extra_commands sig_reload=$sig_reload svcj=$(eval echo \$${name}_svcj)"
	rc_pid=
	if [ -n "$pidfile" ] && [ -r "$pidfile" ]; then
		read -r rc_pid < "$pidfile"
	fi
	case " start stop status $extra_commands " in
	*" $rc_arg "*) ;;
	*) log "UNKNOWN $rc_arg"; return 1 ;;
	esac
	if ! checkyesno "$rcvar"; then
		log "DISABLED"
		return 0
	fi
	case $rc_arg in
	start)
		if [ -n "$start_precmd" ]; then
			$start_precmd || { log "PRECMD FAILED"; return 1; }
		fi
		if [ -n "$_user" ]; then
			log "EXEC su -m $_user -c $command $rc_flags $command_args"
		else
			log "EXEC $command $rc_flags $command_args"
		fi
		;;
	stop)
		[ -n "$rc_pid" ] || { _run_rc_notrunning; return 1; }
		kill -${sig_stop:-TERM} $rc_pid
		;;
	reload)
		[ -n "$rc_pid" ] || { _run_rc_notrunning; return 1; }
		eval _cmd=\$${rc_arg}_cmd
		if [ -n "$_cmd" ]; then $_cmd; else kill -${sig_reload:-HUP} $rc_pid; fi
		;;
	*)
		eval _cmd=\$${rc_arg}_cmd
		$_cmd
		;;
	esac
}
`

type rcRun struct {
	dir   string   // the directory @DIR@ stands for
	log   string   // everything the stand-in and the stubs recorded
	exec  []string // the command line started, split into words
	calls []string // stub commands run, in order
}

// runRC runs the rc.d script with /bin/sh: rcConf is the rc.conf text,
// kldLoaded and ifExists steer the kldstat and ifconfig stubs.
func runRC(t *testing.T, arg, rcConf string, kldLoaded bool, ifExists string, pid string) rcRun {
	t.Helper()
	return runRCIn(t, "", arg, rcConf, kldLoaded, ifExists, pid)
}

// runRCIn is runRC in a jail: jail is "" (the host), "classic" or "vnet".
func runRCIn(t *testing.T, jail, arg, rcConf string, kldLoaded bool, ifExists string, pid string) rcRun {
	t.Helper()
	dir := t.TempDir()
	prefix := filepath.Join(dir, "prefix")
	must(t, os.MkdirAll(filepath.Join(prefix, "sbin"), 0o755))
	must(t, os.WriteFile(filepath.Join(prefix, "sbin/pfasciilogd"), []byte("#!/bin/sh\n"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "rc.subr"), []byte(standInRCSubr), 0o644))
	script := strings.ReplaceAll(readFile(t, "rc.d/pfasciilogd"), "%%PREFIX%%", prefix)
	script = strings.Replace(script, ". /etc/rc.subr", ". "+filepath.Join(dir, "rc.subr"), 1)
	must(t, os.WriteFile(filepath.Join(dir, "pfasciilogd"), []byte(script), 0o755))
	rcConf = strings.ReplaceAll(rcConf, "@DIR@", dir)
	must(t, os.WriteFile(filepath.Join(dir, "rc.conf"), []byte(rcConf), 0o644))
	if pid != "" {
		must(t, os.WriteFile(filepath.Join(dir, "pfasciilogd.pid"), []byte(pid+"\n"), 0o644))
	}

	stubs := filepath.Join(dir, "stubs")
	must(t, os.MkdirAll(stubs, 0o755))
	kldstat := "exit 1"
	if kldLoaded {
		kldstat = "exit 0"
	}
	stub := map[string]string{
		"kldstat": kldstat,
		"kldload": "exit 0",
		// ifconfig IF fails unless IF is in $IF_EXISTS or was created.
		"ifconfig": `if [ $# -eq 1 ]; then case " $IF_EXISTS $(cat "$RC_DIR/created" 2>/dev/null) " in *" $1 "*) exit 0 ;; esac; exit 1; fi
if [ "$2" = create ]; then [ -z "$IF_CREATE_FAIL" ] || exit 1; echo "$1" >> "$RC_DIR/created"; fi
exit 0`,
		"install": "exit 0",
		"id":      `echo "$2"`,
		// security.jail.jailed and .vnet as $JAIL says: "", classic, vnet.
		"sysctl": `case "$JAIL/$2" in
classic/security.jail.jailed|vnet/security.jail.jailed|vnet/security.jail.vnet) echo 1 ;;
*/security.jail.jailed|*/security.jail.vnet) echo 0 ;;
*) exit 1 ;;
esac`,
	}
	for name, body := range stub {
		sh := "#!/bin/sh\necho \"CALL " + name + " $*\" >> \"$RC_LOG\"\n" + body + "\n"
		if name == "sysctl" { // asked by check_jail; not part of the expected calls
			sh = "#!/bin/sh\n" + body + "\n"
		}
		must(t, os.WriteFile(filepath.Join(stubs, name), []byte(sh), 0o755))
	}

	logPath := filepath.Join(dir, "log")
	cmd := exec.Command("/bin/sh", filepath.Join(dir, "pfasciilogd"), arg)
	cmd.Env = []string{
		"PATH=" + stubs + ":/usr/bin:/bin",
		"RC_LOG=" + logPath,
		"RC_CONF=" + filepath.Join(dir, "rc.conf"),
		"RC_DIR=" + dir,
		"IF_EXISTS=" + ifExists,
		"JAIL=" + jail,
	}
	if ifExists == "!create" {
		cmd.Env = append(cmd.Env, "IF_CREATE_FAIL=1")
	}
	out, err := cmd.CombinedOutput()
	b, _ := os.ReadFile(logPath)
	r := rcRun{dir: dir, log: strings.ReplaceAll(string(b), prefix, "PREFIX")}
	if err != nil && !strings.Contains(r.log, "PRECMD FAILED") && !strings.Contains(r.log, "NOTRUNNING") {
		t.Fatalf("sh pfasciilogd %s: %v\n%s\n%s", arg, err, out, r.log)
	}
	if len(out) > 0 {
		r.log += "OUTPUT " + string(out)
	}
	for _, line := range strings.Split(r.log, "\n") {
		if e, ok := strings.CutPrefix(line, "EXEC "); ok {
			r.exec = fields(e)
		}
		if c, ok := strings.CutPrefix(line, "CALL "); ok {
			r.calls = append(r.calls, c)
		}
	}
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRCScriptStart(t *testing.T) {
	// pfasciilogd_syslog=YES (the default) has daemon(8) carry standard
	// error to syslog; NO only detaches.
	daemon := []string{"/usr/sbin/daemon", "-f", "PREFIX/sbin/pfasciilogd"}
	quiet := daemon
	tests := []struct {
		name      string
		rcConf    string
		kldLoaded bool
		ifExists  string
		exec      []string // nil: must not start
		calls     []string
		logHas    []string
	}{{
		name:   "defaults",
		rcConf: "pfasciilogd_enable=YES\npfasciilogd_logfile=@DIR@/pf.log\n",
		exec: append(daemon, "-p", "/var/run/pfasciilogd.pid", "-o", "@DIR@/pf.log",
			"-format", "text", "-S", "-u", "pfasciilogd", "-i", "pflog0", "-status", "/var/run/pfasciilogd/status"),
		calls: []string{"kldstat -q -m pflog", "kldload pflog", "ifconfig pflog0", "ifconfig pflog0 create", "ifconfig pflog0 up",
			"id pfasciilogd", "id -gn pfasciilogd", "install -o pfasciilogd -g pfasciilogd -m 640 /dev/null @DIR@/pf.log"},
		logHas: []string{"load_rc_config pfasciilogd",
			"var name=pfasciilogd rcvar=pfasciilogd_enable command=/usr/sbin/daemon procname=PREFIX/sbin/pfasciilogd pidfile=/var/run/pfasciilogd.pid",
			"var extra_commands=reload stats configtest sig_reload=HUP svcj=NO"},
	}, {
		name: "everything set",
		rcConf: `pfasciilogd_enable=YES
pfasciilogd_interfaces="pflog0 pflog1"
pfasciilogd_logfile=/var/log/pf-scan.log
pfasciilogd_pidfile=/var/run/pfa.pid
pfasciilogd_format=json
pfasciilogd_syslog=NO
pfasciilogd_max_per_source=50
pfasciilogd_window=2m
pfasciilogd_line_budget=5000
pfasciilogd_runas=""
pfasciilogd_flags="-B 4m -t 100ms"
pfasciilogd_detect_fast=20/4s
pfasciilogd_detect_slow=25/2h
pfasciilogd_detect_weights=2,1
pfasciilogd_detect_prefix6=56
pfasciilogd_detect_name_prefix=YES
pfasciilogd_detect_hold=2h
pfasciilogd_detect_limit=30
pfasciilogd_detect_table=4096
pfasciilogd_detect_probation=65536
pfasciilogd_own="192.0.2.1 2001:db8::/64"
pfasciilogd_ignore=198.51.100.0/24
pfasciilogd_learn_own=NO
`,
		kldLoaded: true,
		ifExists:  "pflog0 pflog1",
		exec: append(quiet, "-p", "/var/run/pfa.pid", "-o", "/var/log/pf-scan.log",
			"-format", "json", "-max-per-source", "50", "-window", "2m", "-line-budget", "5000",
			"-i", "pflog0", "-i", "pflog1", "-status", "/var/run/pfasciilogd/status",
			"-detect-fast", "20/4s", "-detect-slow", "25/2h", "-detect-weights", "2,1", "-detect-prefix6", "56",
			"-detect-hold", "2h", "-detect-limit", "30", "-detect-table", "4096", "-detect-probation", "65536",
			"-detect-name-prefix", "-own", "192.0.2.1", "-own", "2001:db8::/64", "-ignore", "198.51.100.0/24", "-nolearn-own",
			"-B", "4m", "-t", "100ms"),
		calls: []string{"kldstat -q -m pflog", "ifconfig pflog0", "ifconfig pflog0 up", "ifconfig pflog1", "ifconfig pflog1 up"},
	}, {
		name: "follow files, no live capture",
		rcConf: `pfasciilogd_enable=YES
pfasciilogd_files="/var/log/host/pflog /var/log/host/pflog1"
pfasciilogd_runas=""
`,
		exec: append(daemon, "-p", "/var/run/pfasciilogd.pid", "-o", "/var/log/pf.log",
			"-format", "text", "-S", "-r", "/var/log/host/pflog", "-F", "-r", "/var/log/host/pflog1", "-F",
			"-state", "/var/db/pfasciilogd.state", "-status", "/var/run/pfasciilogd/status"),
	}, {
		name: "unprivileged user gets the log file",
		rcConf: `pfasciilogd_enable=YES
pfasciilogd_runas=_pfasciilogd
pfasciilogd_logfile=@DIR@/newdir/pf.log
`,
		kldLoaded: true,
		ifExists:  "pflog0",
		exec: append(daemon, "-p", "/var/run/pfasciilogd.pid", "-o", "@DIR@/newdir/pf.log",
			"-format", "text", "-S", "-u", "_pfasciilogd", "-i", "pflog0", "-status", "/var/run/pfasciilogd/status"),
		calls: []string{"kldstat -q -m pflog", "ifconfig pflog0", "ifconfig pflog0 up",
			"id _pfasciilogd", "install -d -o root -g wheel -m 755 @DIR@/newdir", "id -gn _pfasciilogd",
			"install -o _pfasciilogd -g _pfasciilogd -m 640 /dev/null @DIR@/newdir/pf.log"},
	}, {
		name:      "detection off",
		rcConf:    "pfasciilogd_enable=YES\npfasciilogd_runas=\npfasciilogd_detect=NO\npfasciilogd_detect_fast=20/4s\n",
		kldLoaded: true,
		ifExists:  "pflog0",
		exec: append(daemon, "-p", "/var/run/pfasciilogd.pid", "-o", "/var/log/pf.log",
			"-format", "text", "-S", "-i", "pflog0", "-status", "/var/run/pfasciilogd/status", "-nodetect"),
		calls: []string{"kldstat -q -m pflog", "ifconfig pflog0", "ifconfig pflog0 up"},
	}, {
		name:   "no source at all",
		rcConf: "pfasciilogd_enable=YES\npfasciilogd_interfaces=\n",
		logHas: []string{"WARN neither pfasciilogd_interfaces nor pfasciilogd_files is set.", "PRECMD FAILED"},
	}, {
		name:   "live capture and files at once",
		rcConf: "pfasciilogd_enable=YES\npfasciilogd_interfaces=pflog0\npfasciilogd_files=/var/log/pflog\n",
		logHas: []string{"WARN set pfasciilogd_interfaces (live capture) or pfasciilogd_files, not both.", "PRECMD FAILED"},
	}, {
		name:   "disabled",
		rcConf: "",
		logHas: []string{"DISABLED"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runRC(t, "start", tc.rcConf, tc.kldLoaded, tc.ifExists, "")
			fix := func(s []string) string {
				return strings.ReplaceAll(strings.Join(s, " | "), "@DIR@", r.dir)
			}
			if got, want := strings.Join(r.exec, " | "), fix(tc.exec); got != want {
				t.Errorf("started\n  %s\nwant\n  %s\nlog:\n%s", got, want, r.log)
			}
			if tc.calls != nil {
				if got, want := strings.Join(r.calls, " | "), fix(tc.calls); got != want {
					t.Errorf("commands run\n  %s\nwant\n  %s", got, want)
				}
			}
			for _, s := range tc.logHas {
				if !strings.Contains(r.log, s) {
					t.Errorf("log lacks %q:\n%s", s, r.log)
				}
			}
		})
	}
}

func TestRCScriptInterfaceCreateFails(t *testing.T) {
	r := runRC(t, "start", "pfasciilogd_enable=YES\npfasciilogd_interfaces=pflog7\n", true, "!create", "")
	if r.exec != nil || !strings.Contains(r.log, "CALL ifconfig pflog7 create") ||
		!strings.Contains(r.log, "WARN could not create pflog7.") || !strings.Contains(r.log, "PRECMD FAILED") {
		t.Fatalf("a pflog interface that cannot be created must stop the start:\n%s", r.log)
	}
}

// rcBootRuns reports whether rc(8) runs a script with this KEYWORD line at
// boot: in any jail it skips "nojail" scripts, in a jail without its own
// network stack also "nojailvnet" ones.
func rcBootRuns(script, jail string) bool {
	m := regexp.MustCompile(`(?m)^# KEYWORD: (.*)$`).FindStringSubmatch(script)
	if m == nil {
		return true
	}
	for _, k := range fields(m[1]) {
		if jail != "" && k == "nojail" || jail == "classic" && k == "nojailvnet" {
			return false
		}
	}
	return true
}

// TestRCScriptJails: at boot, rc(8) runs the script in every jail; it
// starts in a VNET jail as on the host, and in a classic jail only to
// follow files (issue 10 point 12), saying why otherwise.
func TestRCScriptJails(t *testing.T) {
	script := readFile(t, "rc.d/pfasciilogd")
	for _, jail := range []string{"", "classic", "vnet"} {
		if !rcBootRuns(script, jail) {
			t.Errorf("rc(8) would not run the script at boot in a %q jail (KEYWORD)", jail)
		}
	}
	files := "pfasciilogd_enable=YES\npfasciilogd_runas=\"\"\npfasciilogd_files=/var/log/host/pflog\n"
	live := "pfasciilogd_enable=YES\npfasciilogd_runas=\"\"\n"
	for _, tc := range []struct {
		jail, rcConf string
		starts       bool
	}{
		{"", live, true}, {"vnet", live, true}, {"classic", live, false},
		{"", files, true}, {"vnet", files, true}, {"classic", files, true},
	} {
		r := runRCIn(t, tc.jail, "start", tc.rcConf, true, "pflog0", "")
		if (r.exec != nil) != tc.starts {
			t.Errorf("jail %q, %q: started %v; want start=%v\n%s", tc.jail, tc.rcConf, r.exec, tc.starts, r.log)
		}
		if !tc.starts && (!strings.Contains(r.log, "WARN not starting in a non-VNET jail") || !strings.Contains(r.log, "pfasciilogd_files") ||
			strings.Contains(r.log, "CALL kld") || strings.Contains(r.log, "CALL ifconfig")) {
			t.Errorf("classic jail without files: no reason given, or it touched modules/interfaces:\n%s", r.log)
		}
		if tc.jail == "classic" && tc.starts && !slices.Contains(r.exec, "-r") {
			t.Errorf("classic jail: %v does not follow the file", r.exec)
		}
	}
}

func TestRCScriptSignals(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"reload", "kill -HUP 4242"},
		{"stop", "kill -TERM 4242"},
		// stats: rcd_admin_test.go
	} {
		t.Run(tc.arg, func(t *testing.T) {
			rcConf := "pfasciilogd_enable=YES\npfasciilogd_pidfile=@DIR@/pfasciilogd.pid\n"
			r := runRC(t, tc.arg, rcConf, true, "pflog0", "4242")
			if !strings.Contains(r.log, "\n"+tc.want+"\n") {
				t.Errorf("%s: want %q in\n%s", tc.arg, tc.want, r.log)
			}
			if r.exec != nil || len(r.calls) != 0 {
				t.Errorf("%s started something or ran commands: %v %v", tc.arg, r.exec, r.calls)
			}
		})
	}
	r := runRC(t, "reload", "pfasciilogd_enable=YES\npfasciilogd_pidfile=@DIR@/pfasciilogd.pid\n", true, "pflog0", "")
	if !strings.Contains(r.log, "NOTRUNNING") || strings.Contains(r.log, "kill") {
		t.Errorf("reload without a pidfile:\n%s", r.log)
	}
}

// TestRCFlagsAcceptedByDaemon runs the real pfasciilogd with the command
// line the rc.d script assembles (files mode, so no bpf is needed) and
// checks that it starts, writes the log and stops on SIGTERM with status 0.
func TestRCFlagsAcceptedByDaemon(t *testing.T) {
	pfa := testtool.BuildDaemon(t)
	work := t.TempDir()
	capture := captureFile(t, "pflog", 0, []*gen.Record{lineCases[0].p.record(t, time.Now().Unix(), 0)})
	logPath := filepath.Join(work, "pf.log")
	pidPath := filepath.Join(work, "pfasciilogd.pid")
	r := runRC(t, "start", "pfasciilogd_enable=YES\npfasciilogd_files="+capture+
		"\npfasciilogd_logfile="+logPath+"\npfasciilogd_pidfile="+pidPath+"\npfasciilogd_runas=\"\"\npfasciilogd_statefile="+filepath.Join(work, "state")+"\npfasciilogd_statusfile="+filepath.Join(work, "status")+"\npfasciilogd_flags=\"-workers 2\"\n", true, "", "")
	bin := slices.Index(r.exec, "PREFIX/sbin/pfasciilogd")
	if bin < 2 || r.exec[0] != "/usr/sbin/daemon" || r.exec[1] != "-f" {
		t.Fatalf("unexpected start command %v\n%s", r.exec, r.log)
	}
	args := r.exec[bin+1:]
	cmd := exec.Command(pfa, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("pfasciilogd %v stderr:\n%s", args, stderr.String())
		}
	})
	testtool.WaitFor(t, fmt.Sprintf("pfasciilogd %v to write its first line", args), func() bool { return countLines(logPath) == 1 })
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("pfasciilogd %v: %v\n%s", args, err, stderr.String())
		}
	case <-time.After(testtool.HangBound):
		t.Fatalf("pfasciilogd did not stop on SIGTERM within %v", testtool.HangBound)
	}
	if st, err := os.Stat(logPath); err != nil {
		t.Error(err)
	} else if st.Mode().Perm() != 0o640 {
		t.Errorf("log file mode %v, want 0640", st.Mode().Perm())
	}
}
