//go:build freebsd

package jail

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Detect reads the sysctls security.jail.jailed and security.jail.vnet
// (both int, sys/kern/kern_jail.c) and checks for /dev/bpf.
func Detect() (Env, error) {
	var env Env
	j, err := unix.SysctlUint32("security.jail.jailed")
	if err != nil {
		return env, fmt.Errorf("sysctl security.jail.jailed: %w", err)
	}
	env.Jailed = j != 0
	if env.Jailed {
		v, err := unix.SysctlUint32("security.jail.vnet")
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return env, fmt.Errorf("sysctl security.jail.vnet: %w", err)
		}
		env.VNET = err == nil && v != 0
	}
	_, err = os.Stat("/dev/bpf")
	env.BPF = err == nil
	return env, nil
}
