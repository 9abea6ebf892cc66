// Package testtool holds what the project's tests share: finding the real
// programs they check the daemon against (tcpdump, tshark, fail2ban,
// mandoc, ...), skipping loudly when something is missing, waiting on a
// peer's progress, building the daemon once, and the -update flag that
// rewrites golden files.
//
// A missing tool, missing root or a missing system facility skips the
// test on a developer's machine and fails it in CI (CI=true), where
// .ci/run installs every tool. Each such skip is also appended to the
// file named by $PFASCIILOGD_TEST_SKIPS, which `make test` sets and sums
// up after the run (internal/testtool/skips.awk), because plain go test
// hides the messages of skipped tests in passing packages.
package testtool

import (
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// SkipsEnv names the file `make test` collects skips in. It is read only
// when a test skips, so the go test cache stays valid for packages that
// skip nothing, and a package that skipped runs again (its skips are
// counted again) because the file name changes every run.
const SkipsEnv = "PFASCIILOGD_TEST_SKIPS"

var update = flag.Bool("update", false, "rewrite golden files and seed corpora from the code")

// Update reports whether the test binary runs with -update: tests then
// rewrite their golden files under testdata/ instead of comparing. This
// is the project's one convention for regenerating expected output:
//
//	go test ./internal/format -run TestGolden -update
func Update() bool { return *update }

// CI reports whether the tests run in CI (CI set to anything but "" or
// "false"), where every skip for a missing tool is a failure.
func CI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Need returns the path of the named program, or skips (fails under CI)
// when it is not installed. pkg names the Debian package that has it.
func Need(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	Missing(t, "TOOL", name, "apt-get install "+pkg, name+" is not installed")
	return ""
}

// NeedFile returns path when it exists, or skips (fails under CI) naming
// the program it is and the Debian package that has it; for programs
// outside PATH such as /lib/systemd/systemd-journald. The first existing
// path wins.
func NeedFile(t testing.TB, name, pkg string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	Missing(t, "TOOL", name, "apt-get install "+pkg, name+" is not installed (looked at "+strings.Join(paths, ", ")+")")
	return ""
}

// NeedRoot skips (fails under CI) unless the test runs as root; what
// names what the test does that needs it.
func NeedRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	Missing(t, "ROOT", "root", "run the tests as root", what+" needs root")
}

// Missing skips the test (fails it under CI) because something it needs
// is not on this machine. kind groups the summary ("TOOL", "ROOT",
// "SYSTEM"), name is the missing thing, hint what gets it, why the
// sentence for the log. Use it only for what the machine lacks, never to
// switch a test off.
func Missing(t testing.TB, kind, name, hint, why string) {
	t.Helper()
	msg := "NEEDS " + kind + " " + name + ": " + why + " (" + hint + "); this test did NOT run"
	record(t, kind, name, hint)
	if CI() {
		t.Fatal(msg)
	}
	t.Skip("\n\n*** " + msg + " ***\n")
}

// childMarker matches Missing's message (skip or, under CI, failure) as
// a child test binary prints it.
var childMarker = regexp.MustCompile(`NEEDS (\S+) (\S+): .* \(([^()]*)\); this test did NOT run`)

// ChildEnv returns env without the skips file, for a test that re-runs
// its own binary (in a namespace, as another user): the parent reports
// the child's skips with ReportChild, so the go test cache sees them.
func ChildEnv(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, SkipsEnv+"=") {
			out = append(out, e)
		}
	}
	return out
}

// ReportChild records, for make test's summary, the skips for missing
// tools in the output of a child test binary run with -test.v.
func ReportChild(t testing.TB, out []byte) {
	t.Helper()
	for _, m := range childMarker.FindAllSubmatch(out, -1) {
		t.Logf("the child run skipped a test: NEEDS %s %s (%s)", m[1], m[2], m[3])
		record(t, string(m[1]), string(m[2]), string(m[3]))
	}
}

// record appends one tab-separated line to the skips file, if make test
// asked for one. A single short O_APPEND write keeps the lines of test
// binaries running at once whole.
func record(t testing.TB, kind, name, hint string) {
	path := os.Getenv(SkipsEnv)
	if path == "" {
		return
	}
	verb := "skipped"
	if CI() {
		verb = "failed"
	}
	clean := func(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(s) }
	line := clean(kind) + "\t" + clean(name) + "\t" + clean(hint) + "\t" + verb + "\t" + clean(t.Name()) + "\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Logf("record skip in %s: %v", path, err)
		return
	}
	if _, err := f.Write([]byte(line)); err != nil {
		t.Logf("record skip in %s: %v", path, err)
	}
	f.Close()
}
