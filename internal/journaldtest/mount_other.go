//go:build !linux

package journaldtest

import "errors"

// mountTmpfs is Linux-only: journald runs only there.
func mountTmpfs(target, mode string) error {
	return errors.New("mount namespaces need Linux")
}
