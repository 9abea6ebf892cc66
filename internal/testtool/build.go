package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// BuildDaemon returns the path of a pfasciilogd binary built from this
// source tree, built once per test binary (later calls return the same
// path) into a temporary directory that Main removes. $PFASCIILOGD_BIN,
// when set, names a binary to use instead.
func BuildDaemon(t testing.TB) string {
	t.Helper()
	bin, err := Daemon()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Daemon is BuildDaemon for TestMain, before any test runs.
func Daemon() (string, error) {
	if p := os.Getenv("PFASCIILOGD_BIN"); p != "" {
		return p, nil
	}
	build.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			build.err = err
			return
		}
		build.dir, build.err = os.MkdirTemp("", "pfasciilogd-test-bin")
		if build.err != nil {
			return
		}
		bin := filepath.Join(build.dir, "pfasciilogd")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/pfasciilogd")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/pfasciilogd: %v\n%s", err, out)
			return
		}
		build.bin = bin
	})
	return build.bin, build.err
}

// Main runs the package's tests and removes what BuildDaemon built. Use
// it as the body of TestMain:
//
//	func TestMain(m *testing.M) { testtool.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// moduleRoot finds the directory holding go.mod, from the test's working
// directory (its package directory) upwards.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		dir = parent
	}
}
