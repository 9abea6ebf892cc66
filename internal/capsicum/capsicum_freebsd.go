//go:build freebsd

package capsicum

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Limit restricts fd to r.
func Limit(fd int, r Rights) error {
	var list []uint64
	if r&Read != 0 {
		list = append(list, unix.CAP_READ, unix.CAP_FSTAT, unix.CAP_EVENT)
	}
	if r&Append != 0 {
		list = append(list, unix.CAP_WRITE, unix.CAP_FSTAT, unix.CAP_FTRUNCATE, unix.CAP_EVENT)
	}
	if r&Directory != 0 {
		// openat(O_CREAT|O_WRONLY|O_APPEND) and fstatat of one name.
		list = append(list, unix.CAP_LOOKUP, unix.CAP_CREATE, unix.CAP_WRITE,
			unix.CAP_FSTAT, unix.CAP_FSTATAT, unix.CAP_FTRUNCATE)
	}
	if r&Rename != 0 {
		list = append(list, unix.CAP_LOOKUP, unix.CAP_CREATE, unix.CAP_WRITE, unix.CAP_FSTATAT,
			unix.CAP_FTRUNCATE, unix.CAP_RENAMEAT_SOURCE, unix.CAP_RENAMEAT_TARGET, unix.CAP_UNLINKAT)
	}
	if r&(BPFStats|BPFDevices) != 0 {
		list = append(list, unix.CAP_IOCTL)
	}
	if r&BPFDevices != 0 {
		list = append(list, unix.CAP_LOOKUP, unix.CAP_READ, unix.CAP_FSTAT, unix.CAP_EVENT)
	}
	rights, err := unix.CapRightsInit(list)
	if err != nil {
		return fmt.Errorf("capsicum: rights for fd %d: %w", fd, err)
	}
	if err := unix.CapRightsLimit(uintptr(fd), rights); err != nil {
		return fmt.Errorf("capsicum: limit fd %d: %w", fd, err)
	}
	if r&(BPFStats|BPFDevices) != 0 {
		cmds := []uint64{unix.BIOCGSTATS}
		if r&BPFDevices != 0 {
			// What capture.Open does to a fresh descriptor.
			cmds = append(cmds, unix.BIOCSBLEN, unix.BIOCSTSTAMP, unix.BIOCGTSTAMP,
				unix.BIOCSETIF, unix.BIOCGDLT, unix.BIOCSETF, unix.BIOCSDIRECTION,
				unix.BIOCIMMEDIATE, unix.BIOCSRTIMEOUT, unix.BIOCGBLEN, unix.BIOCLOCK)
		}
		list, err := ioctlList(cmds)
		if err != nil {
			return err
		}
		if _, _, e := unix.Syscall(unix.SYS_CAP_IOCTLS_LIMIT, uintptr(fd),
			uintptr(unsafe.Pointer(&list[0])), uintptr(len(list))); e != 0 {
			return fmt.Errorf("capsicum: limit ioctls on fd %d: %w", fd, e)
		}
	}
	return nil
}

// Enter enters capability mode. There is no way back.
func Enter() error {
	if err := unix.CapEnter(); err != nil {
		return fmt.Errorf("capsicum: cap_enter: %w", err)
	}
	return nil
}

// Supported reports whether this system has Capsicum.
func Supported() bool { return true }
