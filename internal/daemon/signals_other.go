//go:build !(freebsd || darwin || netbsd || openbsd || dragonfly)

package daemon

import "os"

// infoSignals: no SIGINFO here; SIGUSR2 asks for statistics.
var infoSignals = []os.Signal{}
