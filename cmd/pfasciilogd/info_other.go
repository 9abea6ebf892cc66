//go:build !(freebsd || darwin || netbsd || openbsd || dragonfly)

package main

import "os"

func isInfo(os.Signal) bool { return false }
