package main

import (
	"errors"
	"fmt"
	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/jail"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
	"github.com/pfasciilogd/pfasciilogd/internal/privilege"
)

// checker collects what configtest (-n) found: "ok" lines go to out,
// warnings and errors to errOut, so that rc.d can keep only the latter.
type checker struct {
	out, errOut io.Writer
	errors      int
	warnings    int
}

func (c *checker) ok(what, format string, args ...any) {
	fmt.Fprintf(c.out, "ok: %s: %s\n", what, fmt.Sprintf(format, args...))
}

func (c *checker) warn(what, format string, args ...any) {
	c.warnings++
	fmt.Fprintf(c.errOut, "pfasciilogd: warning: %s: %s\n", what, fmt.Sprintf(format, args...))
}

func (c *checker) fail(what, format string, args ...any) {
	c.errors++
	fmt.Fprintf(c.errOut, "pfasciilogd: error: %s: %s\n", what, fmt.Sprintf(format, args...))
}

// configtest checks everything the flags name without starting: the
// run-as user, inputs, log, pid, state and status files, outputs. It
// changes nothing: no file is created, no device configured.
func configtest(o *options, out, errOut io.Writer) int {
	c := &checker{out: out, errOut: errOut}
	var acct *privilege.Account
	if o.user != "" {
		a, err := lookupUser(o.user)
		if err != nil {
			c.fail("user", "%v", err)
		} else {
			acct = a
			c.ok("user", "runs as %s (uid %d, gid %d) after opening its files", a.Name, a.UID, a.GID)
		}
	}
	if len(o.files) == 0 {
		checkLive(c, o)
	} else {
		for _, p := range o.files {
			checkFile(c, o, p, acct)
		}
	}
	checkLog(c, o, acct)
	if o.pidfile != "" && checkDir(c, "pid file", o.pidfile, nil) {
		if pid, running := lockedBy(o.pidfile); running {
			c.warn("pid file "+o.pidfile, "pfasciilogd already runs with it (pid %s): a second one with this pidfile would not start", pid)
		}
	}
	if o.stateFile != "" {
		checkDir(c, "state file", o.stateFile, nil)
	}
	if o.statusFile != "" {
		checkStatus(c, o.statusFile, acct)
	}
	checkOutputs(c, o)
	c.ok("format", "%s", o.format)
	if o.lineBudget > 0 {
		c.ok("line budget", "%d per-packet lines/s from all inputs, burst %d; over it first lines of new sources are summarised first", o.lineBudget, o.lineBudget*budget.BurstSeconds)
	} else {
		c.ok("line budget", "off: every line is written")
	}
	checkDetect(c, o)
	if c.errors > 0 {
		fmt.Fprintf(errOut, "pfasciilogd: configuration test failed: %d error(s), %d warning(s)\n", c.errors, c.warnings)
		return 1
	}
	fmt.Fprintf(out, "pfasciilogd: configuration OK (%d warning(s))\n", c.warnings)
	return 0
}

func checkLive(c *checker, o *options) {
	env, err := jail.Detect()
	if err == nil {
		err = jail.CheckLive(env, true)
	}
	if err != nil {
		c.fail("live capture", "%v", err)
	}
	if err := checkBPF(); err != nil {
		c.fail("bpf", "%v", err)
	} else {
		c.ok("bpf", "%s can be opened", bpfDevice)
	}
	for _, name := range o.ifaces {
		if err := checkInterface(name, net.InterfaceByName); err != nil {
			c.fail("interface "+name, "%v", err)
		} else {
			c.ok("interface "+name, "exists")
		}
	}
	c.ok("bpf buffer", "%d bytes asked for (the kernel may grant less), read timeout %v", o.bufBytes, o.readTimeout)
}

// checkInterface reports whether a capture interface exists, with what
// to do when it does not.
func checkInterface(name string, lookup func(string) (*net.Interface, error)) error {
	if _, err := lookup(name); err != nil {
		if strings.HasPrefix(name, "pflog") {
			return fmt.Errorf("no such interface: create it (kldload pflog; ifconfig %s create up), as service pfasciilogd start does", name)
		}
		return fmt.Errorf("no such interface: name a pflog(4) interface with -i")
	}
	return nil
}

func checkFile(c *checker, o *options, path string, acct *privilege.Account) {
	what := "input " + path
	if path == "-" {
		c.ok("input", "standard input (not checked)")
		return
	}
	fi, err := os.Stat(path)
	if o.follow && errors.Is(err, os.ErrNotExist) {
		c.warn(what, "does not exist (yet): the daemon waits for it; check the path if pflogd should have written it")
		return
	}
	if err != nil {
		c.fail(what, "%v", plainErr(err))
		return
	}
	if fi.IsDir() {
		c.fail(what, "is a directory: name the pcap file pflogd writes (e.g. /var/log/pflog)")
		return
	}
	if o.follow && fi.Size() == 0 {
		c.ok(what, "empty; followed as pflogd writes it")
		return
	}
	r, err := pcapfile.Open(path)
	if err == nil {
		err = r.CheckLinkType(pcapfile.LinkTypePFLOG)
		r.Close()
	}
	if err != nil {
		c.fail(what, "%v", plainErr(err))
		return
	}
	if o.follow && acct != nil && !canAccess(fi, acct, 4) {
		c.warn(what, "user %s cannot read it: after pflogd's rotation the daemon could not reopen it", acct.Name)
	}
	c.ok(what, "a pflog capture")
}

func checkLog(c *checker, o *options, acct *privilege.Account) {
	switch o.out {
	case "none":
		c.ok("log", "none (lines go only to the other outputs)")
		return
	case "-":
		c.ok("log", "standard output")
		return
	}
	what := "log " + o.out
	fi, err := os.Stat(o.out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if checkDir(c, "log directory", o.out, nil) {
			c.ok(what, "will be created (mode %04o)", output.FileMode)
		}
		return
	case err != nil:
		c.fail(what, "%v", plainErr(err))
		return
	case !fi.Mode().IsRegular():
		c.fail(what, "not a regular file: name a file, or use -o - for standard output")
		return
	}
	f, err := os.OpenFile(o.out, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		c.fail(what, "cannot be opened for appending: %v", plainErr(err))
		return
	}
	f.Close()
	if acct != nil && !canAccess(fi, acct, 2) {
		c.warn(what, "user %s may not write it: reopening after rotation works only when newsyslog creates the new file for that user (owner %s in newsyslog.conf.d); or chown %s %s",
			acct.Name, acct.Name, acct.Name, o.out)
	}
	c.ok(what, "can be appended to")
}

// checkDir checks that the directory of path exists and can take new
// files: as root (the daemon creates pid file and log before it drops
// root), or, with acct, as that user (the status file is replaced while
// running).
func checkDir(c *checker, what, path string, acct *privilege.Account) bool {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		c.fail(what, "directory %s: %v", dir, plainErr(err))
		return false
	}
	if !fi.IsDir() {
		c.fail(what, "%s is not a directory", dir)
		return false
	}
	if acct != nil {
		if !canAccess(fi, acct, 3) {
			c.fail(what, "user %s cannot create files in %s: install -d -o %s -m 755 %s (rc.d does this for its default)", acct.Name, dir, acct.Name, dir)
			return false
		}
	} else if err := syscall.Access(dir, 2|1); err != nil {
		c.fail(what, "cannot create files in %s: %v", dir, err)
		return false
	}
	c.ok(what, "%s", path)
	return true
}

// checkStatus: the daemon creates a missing status directory for its
// user; an existing one must let that user replace files in it.
func checkStatus(c *checker, path string, acct *privilege.Account) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if checkDir(c, "status directory", dir, nil) {
			c.ok("status file", "%s will be created%s", dir, forUser(acct))
		}
		return
	}
	checkDir(c, "status file", path, acct)
}

func forUser(a *privilege.Account) string {
	if a == nil {
		return ""
	}
	return " for user " + a.Name
}

func checkOutputs(c *checker, o *options) {
	if o.lineSyslog {
		s, err := output.OpenSyslog(output.SyslogConfig{Tag: o.tag})
		if err != nil {
			c.fail("syslog", "%v: is syslogd running?", err)
		} else {
			s.Close()
			c.ok("syslog", "%s answers (facility %s, tag %s)", output.DefaultSyslogPath(), o.facility, o.tag)
		}
	}
	for _, u := range o.remotes {
		network, addr, _ := output.ParseRemoteURL(u)
		if network != "tcp" {
			c.ok(u, "UDP: sent without a connection (not checked)")
			continue
		}
		conn, err := net.DialTimeout(network, addr, 3*time.Second)
		if err != nil {
			c.warn(u, "not reachable now (%v): lines are dropped and counted until it is", plainErr(err))
			continue
		}
		conn.Close()
		c.ok(u, "accepts connections")
	}
	if o.journal {
		j, err := output.OpenJournal()
		if err != nil {
			c.fail("journal", "%v", journalError(err))
		} else {
			j.Close()
			c.ok("journal", "systemd-journald answers")
		}
	}
}

// lockedBy reports whether a running pfasciilogd holds the lock of the
// pidfile at path, and the pid it wrote.
func lockedBy(path string) (pid string, running bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		return "", false
	}
	b := make([]byte, 32)
	n, _ := f.Read(b)
	return strings.TrimSpace(string(b[:n])), true
}

// canAccess reports whether acct may access fi with the permission bits
// want (4 read, 2 write, 1 execute/search; combined), as the kernel
// decides for a non-root user: owner bits, else group bits, else other.
func canAccess(fi os.FileInfo, acct *privilege.Account, want uint32) bool {
	uid, gid, ok := owner(fi)
	if !ok {
		return true // cannot tell: do not guess
	}
	return modeAllows(uint32(fi.Mode().Perm()), uid, gid, acct.UID, acct.Groups, want)
}

// modeAllows is the kernel's permission check for a non-root user.
func modeAllows(perm uint32, fileUID, fileGID, uid int, groups []int, want uint32) bool {
	if uid == 0 {
		return true
	}
	var bits uint32
	switch {
	case uid == fileUID:
		bits = perm >> 6
	case contains(groups, fileGID):
		bits = perm >> 3
	default:
		bits = perm
	}
	return bits&want == want
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func owner(fi os.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// plainErr drops the operation and path of an *os.PathError when the
// message names the path already.
func plainErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe == err {
		return pe.Err
	}
	return err
}

// checkDetect prints the detection settings (parse validated them).
func checkDetect(c *checker, o *options) {
	if o.noDetect {
		c.ok("detection", "off (-nodetect): no decision lines")
		return
	}
	d := o.detect
	c.ok("detection", "fast window %s, slow window %s, weights %d,%d (ports below 1024, others), IPv6 per /%d%s, hold %v, at most %d decisions per minute, table %d + %d probation slots",
		windowString(d.Fast), windowString(d.Slow), d.PrivilegedWeight, d.OtherWeight, d.Prefix6,
		map[bool]string{true: " (always named)", false: ""}[d.AlwaysPrefix], d.Hold, d.MaxPerMinute, d.TableSize, d.ProbationSize)
	learn := "learned from outbound records"
	if !d.LearnOwn {
		learn = "not learned (-nolearn-own)"
	}
	c.ok("detection: own addresses", "%s; %s", prefixList(d.Own), learn)
	c.ok("detection: ignored", "%s", prefixList(d.Ignore))
}

func prefixList(l []netip.Prefix) string {
	if len(l) == 0 {
		return "none"
	}
	s := make([]string, len(l))
	for i, p := range l {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
