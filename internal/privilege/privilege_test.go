package privilege

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func TestLookup(t *testing.T) {
	a, err := Lookup("root")
	if err != nil {
		t.Fatal(err)
	}
	if a.UID != 0 || a.Name != "root" {
		t.Fatalf("root resolved as %+v", a)
	}
	if _, err := Lookup("0"); err != nil {
		t.Fatalf("numeric uid: %v", err)
	}
	if _, err := Lookup("no-such-user-pfasciilogd"); err == nil || !strings.Contains(err.Error(), "no-such-user-pfasciilogd") {
		t.Fatalf("unknown user: %v", err)
	}
	if err := Drop(a); err == nil {
		t.Fatal("Drop to root accepted")
	}
}

// TestDropInChild drops to nobody in a child process (this one must stay
// root for the other tests) and checks the child's ids.
func TestDropInChild(t *testing.T) {
	if os.Getenv("PRIVILEGE_CHILD") == "1" {
		a, err := Lookup("nobody")
		if err != nil {
			t.Fatal(err)
		}
		if err := Drop(a); err != nil {
			t.Fatal(err)
		}
		if os.Getuid() != a.UID || os.Geteuid() != a.UID || os.Getgid() != a.GID {
			t.Fatalf("ids after drop: uid %d euid %d gid %d", os.Getuid(), os.Geteuid(), os.Getgid())
		}
		if f, err := os.OpenFile("/etc/shadow", os.O_RDONLY, 0); err == nil {
			f.Close()
			t.Fatal("still reads /etc/shadow after dropping root")
		}
		return
	}
	testtool.NeedRoot(t, "dropping privileges")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestDropInChild$", "-test.v")
	cmd.Env = append(os.Environ(), "PRIVILEGE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
