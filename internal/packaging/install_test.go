package packaging

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

const testPrefix = "/opt/pfa"

// plistFiles returns the files a package installs, relative to PREFIX:
// port/pkg-plist after %%...%% substitution, with "@sample X.sample"
// giving both X.sample and X (pkg copies the sample when X is missing),
// plus the scripts USE_RC_SUBR adds to the plist by itself.
func plistFiles(t *testing.T) []string {
	t.Helper()
	subst := strings.NewReplacer(
		"%%PORTEXAMPLES%%", "",
		"%%EXAMPLESDIR%%", "share/examples/pfasciilogd",
		"%%PORTDOCS%%", "",
		"%%DOCSDIR%%", "share/doc/pfasciilogd",
	)
	var files []string
	for _, line := range strings.Split(readFile(t, "port/pkg-plist"), "\n") {
		line = strings.TrimSpace(subst.Replace(line))
		switch {
		case line == "":
		case strings.HasPrefix(line, "@sample "):
			f := strings.TrimSpace(strings.TrimPrefix(line, "@sample "))
			if !strings.HasSuffix(f, ".sample") {
				t.Fatalf("pkg-plist: @sample %s does not end in .sample", f)
			}
			files = append(files, f, strings.TrimSuffix(f, ".sample"))
		case strings.HasPrefix(line, "@"):
			t.Fatalf("pkg-plist: keyword not handled by this test: %s", line)
		default:
			if strings.Contains(line, "%%") {
				t.Fatalf("pkg-plist: unknown substitution in %s", line)
			}
			files = append(files, line)
		}
	}
	m := regexp.MustCompile(`(?m)^USE_RC_SUBR=\s*(.*)$`).FindStringSubmatch(readFile(t, "port/Makefile"))
	if m == nil {
		t.Fatal("port/Makefile: no USE_RC_SUBR")
	}
	for _, s := range fields(m[1]) {
		files = append(files, "etc/rc.d/"+s)
	}
	sort.Strings(files)
	return files
}

// source maps an installed file (relative to PREFIX) to the repository
// file it is made from; "" for the binary.
var installSource = map[string]string{
	"sbin/pfasciilogd":                               "",
	"share/man/man8/pfasciilogd.8.gz":                "cmd/pfasciilogd/pfasciilogd.8",
	"etc/rc.d/pfasciilogd":                           "rc.d/pfasciilogd",
	"etc/newsyslog.conf.d/pfasciilogd.conf":          "newsyslog.conf.d/pfasciilogd.conf",
	"etc/newsyslog.conf.d/pfasciilogd.conf.sample":   "newsyslog.conf.d/pfasciilogd.conf",
	"etc/fail2ban/filter.d/pfasciilogd.conf":         "fail2ban/filter.d/pfasciilogd.conf",
	"etc/fail2ban/action.d/pfasciilogd-pf.conf":      "fail2ban/action.d/pfasciilogd-pf.conf",
	"etc/fail2ban/jail.d/pfasciilogd.conf":           "fail2ban/jail.d/pfasciilogd.conf",
	"etc/fail2ban/jail.d/pfasciilogd.conf.sample":    "fail2ban/jail.d/pfasciilogd.conf",
	"share/examples/pfasciilogd/pf.conf":             "port/examples/pf.conf",
	"share/examples/pfasciilogd/pf-pflog1.conf":      "port/examples/pf-pflog1.conf",
	"etc/fail2ban/filter.d/pfasciilogd-journal.conf": "fail2ban/filter.d/pfasciilogd-journal.conf",

	"share/examples/pfasciilogd/crowdsec/README":                                  "port/examples/crowdsec/README",
	"share/examples/pfasciilogd/crowdsec/acquis.d/pfasciilogd.yaml":               "port/examples/crowdsec/acquis.d/pfasciilogd.yaml",
	"share/examples/pfasciilogd/crowdsec/parsers/s01-parse/pfasciilogd-logs.yaml": "port/examples/crowdsec/parsers/s01-parse/pfasciilogd-logs.yaml",
	"share/examples/pfasciilogd/crowdsec/profiles-range.yaml":                     "port/examples/crowdsec/profiles-range.yaml",
	"share/examples/pfasciilogd/crowdsec/scenarios/pfasciilogd-scan.yaml":         "port/examples/crowdsec/scenarios/pfasciilogd-scan.yaml",
	"share/examples/pfasciilogd/crowdsec/scenarios/pfasciilogd-scan-range.yaml":   "port/examples/crowdsec/scenarios/pfasciilogd-scan-range.yaml",
}

// TestInstallMatchesPlist stages "make install" with bmake and with GNU
// make and compares the tree file by file with port/pkg-plist. The
// newsyslog entry names the user pfasciilogd as owner; newsyslog refuses
// its whole configuration over an unknown user, so without that account
// only the .sample may be installed (issue 10 point 3). Whether it exists
// is asked with ID, here a stand-in for id(1).
func TestInstallMatchesPlist(t *testing.T) {
	plist := plistFiles(t)
	for _, f := range plist {
		if _, ok := installSource[f]; !ok {
			t.Errorf("pkg-plist lists %s, which this test does not know", f)
		}
	}
	const activeNewsyslog = "etc/newsyslog.conf.d/pfasciilogd.conf"
	for _, mk := range []struct{ name, pkg string }{{"bmake", "bmake"}, {"make", "make"}} {
		// The entry names the group too (newsyslog refuses an unknown
		// group as it does a user): a user made by hand with another
		// primary group must not activate it.
		for _, acc := range []struct {
			name        string
			user, group bool
		}{{"without-user", false, false}, {"with-user", true, true}, {"user-without-group", true, false}} {
			userExists := acc.user && acc.group
			t.Run(mk.name+"/"+acc.name, func(t *testing.T) {
				makePath := testtool.Need(t, mk.name, mk.pkg)
				dest := t.TempDir()
				bin := t.TempDir()
				tools := t.TempDir()
				exit := func(ok bool) int {
					if ok {
						return 0
					}
					return 1
				}
				// Stand-ins for id(1) and pw(8) that know of the account
				// as this case has it (pw only answers groupshow).
				id, pw := filepath.Join(tools, "id"), filepath.Join(tools, "pw")
				must(t, os.WriteFile(id, []byte(fmt.Sprintf("#!/bin/sh\ncase $1 in -u) echo 1001 ;; pfasciilogd) exit %d ;; *) exec id \"$@\" ;; esac\n", exit(acc.user))), 0o755))
				must(t, os.WriteFile(pw, []byte(fmt.Sprintf("#!/bin/sh\n[ \"$1 $2\" = \"groupshow pfasciilogd\" ] && exit %d\necho \"pw $*: not in this test\" >&2; exit 1\n", exit(acc.group))), 0o755))
				install := func() string {
					t.Helper()
					cmd := exec.Command(makePath, "install", "DESTDIR="+dest, "PREFIX="+testPrefix,
						"BIN="+bin, "VERSION=9.8.7-test", "ID="+id, "PW="+pw)
					cmd.Dir = root
					cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "MAKEFLAGS=")
					out, err := cmd.CombinedOutput()
					if err != nil {
						t.Fatalf("%s install: %v\n%s", mk.name, err, out)
					}
					return string(out)
				}
				out := install()
				var want []string
				for _, f := range plist {
					if f != activeNewsyslog || userExists {
						want = append(want, f)
					}
				}
				got := stagedFiles(t, dest)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("%s install staged\n  %s\nwant\n  %s", mk.name,
						strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
				if !userExists && !strings.Contains(out, "NOTE: user or group pfasciilogd does not exist") {
					t.Errorf("install without the user does not say why the newsyslog entry is not active:\n%s", out)
				}
				for _, f := range want {
					checkInstalled(t, filepath.Join(dest, testPrefix, f), f)
				}
				// What newsyslog reads ([!.]*.conf in newsyslog.conf.d)
				// names only existing users and groups.
				users, groups := systemAccounts(t)
				users["pfasciilogd"], groups["pfasciilogd"] = acc.user, acc.group
				checkNewsyslogDir(t, filepath.Join(dest, testPrefix, "etc/newsyslog.conf.d"), users, groups)

				// A second install keeps a changed configuration file, as
				// pkg's @sample does, and refreshes the sample.
				conf := filepath.Join(dest, testPrefix, "etc/fail2ban/jail.d/pfasciilogd.conf")
				must(t, os.WriteFile(conf, []byte("# mine\n"), 0o644))
				install()
				if b, _ := os.ReadFile(conf); string(b) != "# mine\n" {
					t.Errorf("second install overwrote the configured %s", conf)
				}
			})
		}
	}
}

// systemAccounts returns this system's user and group names.
func systemAccounts(t *testing.T) (users, groups map[string]bool) {
	users, groups = map[string]bool{}, map[string]bool{}
	for file, m := range map[string]map[string]bool{"/etc/passwd": users, "/etc/group": groups} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if name, _, ok := strings.Cut(l, ":"); ok && name != "" {
				m[name] = true
			}
		}
	}
	return users, groups
}

// checkNewsyslogDir checks every file newsyslog would read from dir
// (newsyslog.conf's <include> .../newsyslog.conf.d/[!.]*.conf): each line
// parses per newsyslog.conf(5), and its owner and group exist (newsyslog
// refuses the whole configuration otherwise).
func checkNewsyslogDir(t *testing.T, dir string, users, groups map[string]bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "[!.]*.conf"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		if err := checkNewsyslog(string(b), users, groups); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// checkNewsyslog checks newsyslog.conf(5) text as newsyslog reads it.
func checkNewsyslog(text string, users, groups map[string]bool) error {
	es, err := newsyslogLines(text)
	if err != nil {
		return err
	}
	for _, e := range es {
		isNum := func(s string) bool { _, err := strconv.Atoi(s); return err == nil }
		if e.owner != "" && !users[e.owner] && !isNum(e.owner) {
			return fmt.Errorf("newsyslog: unknown user %s (newsyslog refuses the whole configuration)", e.owner)
		}
		if e.group != "" && !groups[e.group] && !isNum(e.group) {
			return fmt.Errorf("newsyslog: unknown group %s (newsyslog refuses the whole configuration)", e.group)
		}
	}
	return nil
}

func TestCheckNewsyslog(t *testing.T) {
	users, groups := map[string]bool{"root": true}, map[string]bool{"wheel": true}
	for text, ok := range map[string]bool{
		"/var/log/x root:wheel 640 7 * @T00 JC /var/run/x.pid": true,
		"/var/log/x 640 7 * @T00 JC":                           true,
		"/var/log/x 0:0 640 7 * @T00 JC":                       true,
		"/var/log/x nobody:wheel 640 7 * @T00 JC":              false,
		"/var/log/x root:staff 640 7 * @T00 JC":                false,
	} {
		if err := checkNewsyslog(text, users, groups); (err == nil) != ok {
			t.Errorf("%s: %v", text, err)
		}
	}
}

func stagedFiles(t *testing.T, dest string) []string {
	t.Helper()
	base := filepath.Join(dest, testPrefix)
	var got []string
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(base, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("installed outside PREFIX: %s", p)
			return nil
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

// checkInstalled compares one installed file with its source: %%PREFIX%%
// replaced, man page gzipped, modes as the port installs them.
func checkInstalled(t *testing.T, path, rel string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	wantMode := fs.FileMode(0o644)
	if rel == "sbin/pfasciilogd" || rel == "etc/rc.d/pfasciilogd" {
		wantMode = 0o755
	}
	if st.Mode().Perm() != wantMode {
		t.Errorf("%s: mode %v, want %v", rel, st.Mode().Perm(), wantMode)
	}
	src := installSource[rel]
	if src == "" {
		out, err := exec.Command(path, "-V").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "9.8.7-test") {
			t.Errorf("%s -V: %v %q, want the version from make VERSION=9.8.7-test", rel, err, out)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(rel, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(got))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if got, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
	}
	want := strings.ReplaceAll(readFile(t, src), "%%PREFIX%%", testPrefix)
	if string(got) != want {
		t.Errorf("%s differs from %s with PREFIX=%s substituted", rel, src, testPrefix)
	}
	if bytes.Contains(got, []byte("%%")) {
		t.Errorf("%s still has a %%%%...%%%% placeholder", rel)
	}
}

// TestPortInstallsPlist checks that the port's Makefile installs every
// file of its pkg-plist from the source tree (the USE_RC_SUBR script comes
// from files/), so that the port and "make install" agree.
func TestPortInstallsPlist(t *testing.T) {
	mk := readFile(t, "port/Makefile")
	for _, f := range plistFiles(t) {
		if f == "sbin/pfasciilogd" {
			if !strings.Contains(mk, "GO_TARGET=\t./cmd/pfasciilogd:${PREFIX}/sbin/pfasciilogd") {
				t.Errorf("port/Makefile: GO_TARGET does not install sbin/pfasciilogd")
			}
			continue
		}
		if strings.HasPrefix(f, "etc/rc.d/") {
			if _, err := os.Stat(filepath.Join(root, "port/files", filepath.Base(f)+".in")); err != nil {
				t.Errorf("USE_RC_SUBR: %v", err)
			}
			continue
		}
		if strings.HasSuffix(f, ".conf") && (strings.Contains(f, "newsyslog") || strings.Contains(f, "jail.d")) {
			continue // the @sample copy is made by pkg
		}
		src := installSource[f]
		if !strings.Contains(mk, "${WRKSRC}/"+src) {
			t.Errorf("port/Makefile does not install %s (from %s)", f, src)
		}
	}
	for _, v := range []string{"USES=\t\tgo:", "modules", "GO_MODULE=", "GO_BUILDFLAGS=", "-X main.version=${DISTVERSIONFULL}",
		"SUB_FILES=\tpkg-message", "CGO_ENABLED=\t0", ".include <bsd.port.mk>"} {
		if !strings.Contains(mk, v) {
			t.Errorf("port/Makefile lacks %q", v)
		}
	}
}
