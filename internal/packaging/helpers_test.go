package packaging

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/pftest"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

func readFile(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rcDefault returns the default the rc.d script gives to variable v
// (: "${v:=default}" or : "${v=default}").
func rcDefault(t testing.TB, v string) string {
	t.Helper()
	re := regexp.MustCompile(`: "\$\{` + regexp.QuoteMeta(v) + `:?=([^}]*)\}"`)
	m := re.FindStringSubmatch(readFile(t, "rc.d/pfasciilogd"))
	if m == nil {
		t.Fatalf("rc.d/pfasciilogd sets no default for %s", v)
	}
	return m[1]
}

// goConst returns the value of a string constant in cmd/pfasciilogd/main.go.
func goConst(t testing.TB, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `\s*=\s*"([^"]*)"`)
	m := re.FindStringSubmatch(readFile(t, "cmd/pfasciilogd/main.go"))
	if m == nil {
		t.Fatalf("cmd/pfasciilogd/main.go has no constant %s", name)
	}
	return m[1]
}

func TestMain(m *testing.M) {
	// As "pfctl" on a fail2ban test's PATH, this binary is the stand-in.
	pftest.RunPfctlIfCalled()
	testtool.Main(m)
}

// fields splits s on white space.
func fields(s string) []string { return strings.Fields(s) }
