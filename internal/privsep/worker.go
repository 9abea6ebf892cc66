//go:build linux || freebsd

package privsep

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Worker describes the unprivileged process the parent starts: this same
// program re-executed (Go cannot fork), as the given user, with its end
// of the socketpair as descriptor 3 and EnvFD set.
type Worker struct {
	Path   string   // the executable, usually os.Executable()
	Args   []string // argv[1:]
	UID    int
	GID    int
	Groups []int
	// Env is added to the parent's environment.
	Env []string
}

// Parent is a started worker and the parent's end of the socketpair.
type Parent struct {
	cmd  *exec.Cmd
	conn *os.File
}

// Start starts the worker. The parent keeps root; the worker gets the
// credentials before it runs a single instruction of its own, and the
// signal SIGTERM if the parent dies.
func Start(w Worker) (*Parent, error) {
	if w.UID == 0 {
		return nil, errors.New("privsep: the worker must not run as root")
	}
	pconn, wconn, err := Socketpair()
	if err != nil {
		return nil, err
	}
	defer wconn.Close()
	groups := make([]uint32, len(w.Groups))
	for i, g := range w.Groups {
		groups[i] = uint32(g)
	}
	cmd := exec.Command(w.Path, w.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{wconn} // descriptor 3
	cmd.Env = append(append(os.Environ(), w.Env...), EnvFD+"=3")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(w.UID), Gid: uint32(w.GID), Groups: groups},
		Pdeathsig:  syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		pconn.Close()
		return nil, fmt.Errorf("privsep: start worker %s: %w", w.Path, err)
	}
	return &Parent{cmd: cmd, conn: pconn}, nil
}

// Pid is the worker's process id.
func (p *Parent) Pid() int { return p.cmd.Process.Pid }

// Run serves the worker's requests under policy and forwards every signal
// received on sigs to the worker, until the worker exits; it returns the
// worker's exit status (128+N when signal N killed it).
func (p *Parent) Run(policy *Policy, sigs <-chan os.Signal) int {
	served := make(chan error, 1)
	go func() { served <- Serve(p.conn, policy) }()
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
				policy.logf("privsep: forward %v to worker %d: %v", sig, p.Pid(), err)
			}
		case err := <-served:
			if err != nil {
				policy.logf("%v", err)
			}
			served = nil
		case err := <-exited:
			p.conn.Close()
			return exitStatus(err)
		}
	}
}

func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}
