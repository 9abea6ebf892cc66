//go:build unix

package pcapfile

import (
	"io"
	"os"
	"syscall"
)

// stdin returns standard input. When it is a pipe or a socket it is put
// in non-blocking mode and wrapped anew, so that Go's poller serves it
// and Close unblocks a pending Read. Only the read end of the pipe (ours)
// is affected; a terminal or a regular file is left alone.
func stdin() io.Reader {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return os.Stdin
	}
	if err := syscall.SetNonblock(0, true); err != nil {
		return os.Stdin
	}
	return os.NewFile(0, "/dev/stdin")
}
