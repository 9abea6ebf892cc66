package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/pftest"
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

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
	buildOut  []byte
)

// daemon builds cmd/pfasciilogd once per test binary and returns its path.
// PFASCIILOGD_BIN names an already built binary to test instead.
func daemon(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PFASCIILOGD_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "pfasciilogd-packaging-")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "pfasciilogd")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/pfasciilogd")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build ./cmd/pfasciilogd: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}

func TestMain(m *testing.M) {
	// As "pfctl" on a fail2ban test's PATH, this binary is the stand-in.
	pftest.RunPfctlIfCalled()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// fields splits s on white space.
func fields(s string) []string { return strings.Fields(s) }
