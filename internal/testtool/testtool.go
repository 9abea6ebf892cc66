// Package testtool lets tests find the real programs they check the daemon
// against (tcpdump, tshark, fail2ban, mandoc, ...). A missing tool skips
// the test with a loud message on a developer's machine and fails it in
// CI (CI=true), where .ci/run installs every tool.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of the named program, or skips (fails under CI)
// when it is not installed. pkg names the Debian package that has it.
func Need(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := "NEEDS TOOL: " + name + " is not installed (apt-get install " + pkg + "); this real-tool test did NOT run"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip("\n\n*** " + msg + " ***\n")
	return ""
}

// NeedRoot skips (fails under CI) unless the test runs as root; what
// names what the test does that needs it.
func NeedRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	msg := "NEEDS ROOT: " + what + "; this test did NOT run"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip("\n\n*** " + msg + " ***\n")
}
