package journaldtest

import "golang.org/x/sys/unix"

// mountTmpfs mounts a fresh tmpfs on target (in the test's private mount
// namespace).
func mountTmpfs(target, mode string) error {
	return unix.Mount("tmpfs", target, "tmpfs", 0, "mode="+mode)
}
