//go:build !freebsd

package main

import (
	"fmt"
	"runtime"
)

const bpfDevice = "/dev/bpf"

// checkBPF: live capture reads FreeBSD's bpf(4) only.
func checkBPF() error {
	return fmt.Errorf("live capture needs FreeBSD's bpf(4), not available on %s: read files with -r", runtime.GOOS)
}
