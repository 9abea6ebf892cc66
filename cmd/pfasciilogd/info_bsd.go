//go:build freebsd || darwin || netbsd || openbsd || dragonfly

package main

import (
	"os"
	"syscall"
)

func isInfo(s os.Signal) bool { return s == syscall.SIGINFO }
