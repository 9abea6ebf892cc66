package privsep

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// serve runs Serve on one end of a socketpair and returns a Client on the
// other, both in this process.
func serve(t *testing.T, p *Policy) *Client {
	t.Helper()
	pc, wc, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(pc, p) }()
	c := NewClient(wc)
	t.Cleanup(func() {
		c.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		pc.Close()
	})
	return c
}

func TestProtocol(t *testing.T) {
	dir := t.TempDir()
	allowed := filepath.Join(dir, "pflog")
	other := filepath.Join(dir, "other")
	for _, f := range []string{allowed, other} {
		if err := os.WriteFile(f, []byte("content of "+filepath.Base(f)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu      sync.Mutex // the race detector cannot see the socket's ordering
		refused []string
		saved   []byte
	)
	p := &Policy{
		Interfaces: []string{"pflog0"},
		OpenIface: func(name string) (int, error) {
			r, w, err := os.Pipe()
			if err != nil {
				return -1, err
			}
			w.WriteString("bpf " + name)
			w.Close()
			fd, err := unix.Dup(int(r.Fd()))
			r.Close()
			return fd, err
		},
		Files:     []string{allowed, filepath.Join(dir, "missing")},
		SaveState: func(b []byte) error { mu.Lock(); saved = append([]byte(nil), b...); mu.Unlock(); return nil },
		Logf:      func(f string, a ...any) { mu.Lock(); refused = append(refused, f); mu.Unlock() },
	}
	c := serve(t, p)

	f, err := c.Open(allowed)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(f); string(b) != "content of pflog" {
		t.Fatalf("read %q", b)
	}
	f.Close()

	for _, path := range []string{other, allowed + "/../other", "/etc/passwd", ""} {
		_, err := c.Open(path)
		if !errors.Is(err, syscall.EPERM) {
			t.Errorf("Open(%q) = %v, want EPERM", path, err)
		}
	}
	if _, err := c.Interface("em0"); !errors.Is(err, syscall.EPERM) {
		t.Errorf("Interface(em0) = %v, want EPERM", err)
	}
	mu.Lock()
	nRefused := len(refused)
	mu.Unlock()
	if nRefused != 5 {
		t.Errorf("parent logged %d refusals, want 5", len(refused))
	}
	if _, err := c.Open(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}

	fd, err := c.Interface("pflog0")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := unix.Read(fd, b)
	unix.Close(fd)
	if string(b[:n]) != "bpf pflog0" {
		t.Fatalf("interface descriptor reads %q", b[:n])
	}
	err = c.SaveState([]byte("1 2 3 /var/log/pflog\n"))
	mu.Lock()
	got := string(saved)
	mu.Unlock()
	if err != nil || got != "1 2 3 /var/log/pflog\n" {
		t.Fatalf("SaveState: %v, parent got %q", err, got)
	}
	if _, err := c.request(99, "bogus", "x", []byte("x")); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("unknown op: %v", err)
	}
}

func TestNoStateSaverRefused(t *testing.T) {
	c := serve(t, &Policy{})
	if err := c.SaveState([]byte("x")); !errors.Is(err, syscall.EPERM) {
		t.Fatalf("SaveState without a state file = %v, want EPERM", err)
	}
	if err := c.CreateLog(); !errors.Is(err, syscall.EPERM) {
		t.Fatalf("CreateLog without a log = %v, want EPERM", err)
	}
}

func TestCreateLog(t *testing.T) {
	calls := 0
	c := serve(t, &Policy{CreateLog: func() error { calls++; return nil }})
	if err := c.CreateLog(); err != nil || calls != 1 {
		t.Fatalf("CreateLog: %v, %d calls", err, calls)
	}
	// A path smuggled in as argument is refused, not used.
	if _, err := c.request(OpCreateLog, "create", "log", []byte("/etc/passwd")); !errors.Is(err, syscall.EPERM) || calls != 1 {
		t.Fatalf("CreateLog with a path: %v, %d calls", err, calls)
	}
}

func TestFIFOIsNotOpened(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	c := serve(t, &Policy{Files: []string{fifo}})
	if _, err := c.Open(fifo); err == nil {
		t.Fatal("a FIFO at the configured path was handed out")
	}
}

// The worker half of TestWorkerAsNobody: this test binary re-executed as
// nobody by Start, with EnvFD set. It reads commands on stdin ("open
// PATH"), asks the parent, and prints the file's content or the error.
func TestMain(m *testing.M) {
	if os.Getenv(EnvFD) != "" {
		os.Exit(workerMain())
	}
	os.Exit(m.Run())
}

func workerMain() int {
	c, err := ClientFromEnv()
	if err != nil || c == nil {
		println("worker:", err)
		return 3
	}
	out := bufio.NewWriter(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		path, ok := strings.CutPrefix(sc.Text(), "open ")
		if !ok {
			continue
		}
		// Opening by path itself must fail: the file is root's.
		if _, err := os.Open(path); err == nil {
			out.WriteString("direct open worked: not unprivileged\n")
		}
		f, err := c.Open(path)
		if err != nil {
			out.WriteString("error: " + err.Error() + "\n")
		} else {
			b, _ := io.ReadAll(f)
			f.Close()
			out.WriteString("read: " + string(b) + "\n")
		}
		out.WriteString("uid " + strconv.Itoa(os.Getuid()) + "\n")
		out.Flush()
	}
	return 0
}

// TestWorkerAsNobody: a worker running as nobody reopens a root-only 0600
// file after it was rotated (renamed away and created again root 0600, as
// newsyslog does to /var/log/pflog) through the parent, and is refused a
// path outside the whitelist.
func TestWorkerAsNobody(t *testing.T) {
	testtool.NeedRoot(t, "starting a worker as nobody")
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)

	// The test binary may sit in a directory only root can enter: copy
	// it where nobody can execute it.
	bin := copyExecutable(t)
	dir := t.TempDir() // 0700 root: nobody cannot even look inside
	log := filepath.Join(dir, "pflog")
	if err := os.WriteFile(log, []byte("first file"), 0o600); err != nil {
		t.Fatal(err)
	}

	stdin, toWorker, _ := os.Pipe()
	fromWorker, stdout, _ := os.Pipe()
	oldIn, oldOut := os.Stdin, os.Stdout
	os.Stdin, os.Stdout = stdin, stdout
	p, err := Start(Worker{Path: bin, Args: []string{"-test.run=^$"}, UID: uid, GID: gid, Groups: []int{gid}})
	os.Stdin, os.Stdout = oldIn, oldOut
	stdin.Close()
	stdout.Close()
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		logged []string
	)
	policy := &Policy{Files: []string{log}, Logf: func(f string, a ...any) { mu.Lock(); logged = append(logged, f); mu.Unlock() }}
	status := make(chan int, 1)
	go func() { status <- p.Run(policy, nil) }()

	rd := bufio.NewReader(fromWorker)
	ask := func(path string) (reply, uidLine string) {
		t.Helper()
		if _, err := io.WriteString(toWorker, "open "+path+"\n"); err != nil {
			t.Fatal(err)
		}
		reply, err1 := rd.ReadString('\n')
		uidLine, err2 := rd.ReadString('\n')
		if err1 != nil || err2 != nil {
			t.Fatalf("worker: %v %v (exit %d)", err1, err2, <-status)
		}
		if strings.HasPrefix(reply, "direct") {
			t.Fatalf("worker: %s", reply)
		}
		return strings.TrimSpace(reply), strings.TrimSpace(uidLine)
	}

	if r, u := ask(log); r != "read: first file" || u != "uid "+nobody.Uid {
		t.Fatalf("first open: %q, %q", r, u)
	}
	// newsyslog: rename, create a new file root 0600.
	if err := os.Rename(log, log+".0"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, []byte("second file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r, _ := ask(log); r != "read: second file" {
		t.Fatalf("after rotation: %q", r)
	}
	for _, path := range []string{log + ".0", "/etc/shadow", dir + "/../" + filepath.Base(dir) + "/pflog"} {
		if r, _ := ask(path); !strings.Contains(r, "is not configured") {
			t.Errorf("%s: %q, want a refusal", path, r)
		}
	}
	toWorker.Close()
	if s := <-status; s != 0 {
		t.Fatalf("worker exit status %d", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 3 {
		t.Errorf("parent logged %q, want 3 refusals", logged)
	}
}

func copyExecutable(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "privsep-bin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "worker")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}
