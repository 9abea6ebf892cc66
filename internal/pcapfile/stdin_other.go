//go:build !unix

package pcapfile

import (
	"io"
	"os"
)

func stdin() io.Reader { return os.Stdin }
