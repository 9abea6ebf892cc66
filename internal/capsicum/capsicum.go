// Package capsicum puts the daemon into FreeBSD's Capsicum capability
// mode: every descriptor it keeps is limited to the rights it needs, and
// the process can then open nothing by path, connect nowhere and reach no
// global namespace. On other systems the calls report ErrUnsupported and
// change nothing. Decide, the same everywhere, says whether a given setup
// should enter capability mode at all, and what to say when it does not.
package capsicum

import (
	"errors"
	"fmt"
)

// ErrUnsupported is returned where Capsicum does not exist.
var ErrUnsupported = errors.New("capsicum: not supported on this system")

// Rights are the kinds of access a kept descriptor needs.
type Rights uint32

const (
	// Read: read(2), and fstat for the pcap reader.
	Read Rights = 1 << iota
	// Append: write(2) and fstat/ftruncate on an append-only log.
	Append
	// Directory: openat/fstatat of the log file inside it, for reopening.
	Directory
	// BPFStats: the BIOCGSTATS ioctl on a bpf descriptor.
	BPFStats
	// BPFDevices: on a descriptor of /dev, clone bpf devices (openat
	// "bpf") and set them up for a pflog interface; the new descriptors
	// inherit these rights.
	BPFDevices
	// Rename: on a directory descriptor, create, replace and remove
	// files inside it (renameat, unlinkat): the status file.
	Rename
)

// ulong is C's u_long on FreeBSD, the type of cap_ioctls_limit(2)'s
// list: as wide as a pointer on every FreeBSD architecture (ILP32 and
// LP64), so 4 bytes on i386 and armv7, 8 on amd64 and arm64.
type ulong = uintptr

// ioctlList turns ioctl commands into the array cap_ioctls_limit(2)
// reads: u_long entries. A list of uint64 would be read as twice as many
// half-entries on 32-bit FreeBSD. A command that does not fit is an
// error, not a silent truncation.
func ioctlList(cmds []uint64) ([]ulong, error) {
	list := make([]ulong, len(cmds))
	for i, c := range cmds {
		if uint64(ulong(c)) != c {
			return nil, fmt.Errorf("capsicum: ioctl %#x does not fit in u_long", c)
		}
		list[i] = ulong(c)
	}
	return list, nil
}
