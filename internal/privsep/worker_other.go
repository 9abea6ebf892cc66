//go:build !(linux || freebsd)

package privsep

import (
	"errors"
	"os"
)

// Worker describes the unprivileged process; see the Linux/FreeBSD build.
type Worker struct {
	Path   string
	Args   []string
	UID    int
	GID    int
	Groups []int
	Env    []string
}

// Parent is a started worker.
type Parent struct{}

// Start is not supported here.
func Start(w Worker) (*Parent, error) {
	return nil, errors.New("privsep: not supported on this system")
}

// Pid returns 0.
func (p *Parent) Pid() int { return 0 }

// Run returns 1.
func (p *Parent) Run(policy *Policy, sigs <-chan os.Signal) int { return 1 }
