package main

import (
	"runtime"
	"syscall"
)

// maxrssKB returns ru_maxrss in kilobytes: Linux and the BSDs report
// kilobytes, Darwin bytes.
func maxrssKB(ru *syscall.Rusage) int64 {
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024
	}
	return int64(ru.Maxrss)
}
