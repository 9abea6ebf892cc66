//go:build freebsd || darwin || netbsd || openbsd || dragonfly

package daemon

import (
	"os"
	"syscall"
)

// infoSignals are the extra signals that ask for statistics: SIGINFO
// (^T on the terminal) exists on the BSDs.
var infoSignals = []os.Signal{syscall.SIGINFO}
