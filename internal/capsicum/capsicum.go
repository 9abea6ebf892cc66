// Package capsicum puts the daemon into FreeBSD's Capsicum capability
// mode: every descriptor it keeps is limited to the rights it needs, and
// the process can then open nothing by path, connect nowhere and reach no
// global namespace. On other systems the calls report ErrUnsupported and
// change nothing.
package capsicum

import "errors"

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
