// Package privilege gives up root: after the daemon has opened its bpf
// devices, pid file and log, it switches to an unprivileged user and its
// groups, and checks that root cannot be regained.
package privilege

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"syscall"
)

// Account is a resolved user to run as.
type Account struct {
	Name   string
	UID    int
	GID    int
	Groups []int
}

// Lookup resolves a user name (or numeric uid) from the password and
// group databases. It must run before the daemon enters a sandbox.
func Lookup(name string) (*Account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			u, err = user.LookupId(name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	a := &Account{Name: u.Username}
	if a.UID, err = strconv.Atoi(u.Uid); err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
	}
	if a.GID, err = strconv.Atoi(u.Gid); err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
	}
	a.Groups = []int{a.GID}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil && g != a.GID {
				a.Groups = append(a.Groups, g)
			}
		}
	}
	return a, nil
}

// ErrRegained is returned when root could be regained after dropping.
var ErrRegained = errors.New("could regain root after dropping privileges")

// Drop switches the whole process to a: supplementary groups, gid, then
// uid (Go applies these to every thread). Dropping to root is refused.
func Drop(a *Account) error {
	if a.UID == 0 {
		return fmt.Errorf("drop privileges: user %s is root", a.Name)
	}
	if err := syscall.Setgroups(a.Groups); err != nil {
		return fmt.Errorf("drop privileges to %s: setgroups: %w", a.Name, err)
	}
	if err := syscall.Setgid(a.GID); err != nil {
		return fmt.Errorf("drop privileges to %s: setgid %d: %w", a.Name, a.GID, err)
	}
	if err := syscall.Setuid(a.UID); err != nil {
		return fmt.Errorf("drop privileges to %s: setuid %d: %w", a.Name, a.UID, err)
	}
	if syscall.Setuid(0) == nil {
		return fmt.Errorf("drop privileges to %s: %w", a.Name, ErrRegained)
	}
	return nil
}
