//go:build freebsd

package main

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

const bpfDevice = "/dev/bpf"

// checkBPF opens a bpf(4) device and closes it again.
func checkBPF() error {
	fd, err := unix.Open(bpfDevice, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			return fmt.Errorf("%s: %v: live capture must start as root (drop privileges with -u)", bpfDevice, err)
		}
		if errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("%s does not exist: in a jail, a devfs ruleset must unhide bpf (see pfasciilogd(8), JAILS)", bpfDevice)
		}
		return fmt.Errorf("%s: %v", bpfDevice, err)
	}
	unix.Close(fd)
	return nil
}
