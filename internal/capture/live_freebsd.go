//go:build freebsd

package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pfasciilogd/pfasciilogd/internal/jail"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// bpfDevice is the cloning bpf device: every open gets a new descriptor.
const bpfDevice = "/dev/bpf"

// bpfDInOut is BPF_D_INOUT from enum bpf_direction in sys/net/bpf.h
// (BPF_D_IN, BPF_D_INOUT, BPF_D_OUT); x/sys/unix does not define it.
// pflog hands packets to bpf with bpf_mtap2() and an mbuf whose rcvif is
// the real interface or NULL, never pflog0, so BPF_D_IN would hide every
// one of them. BPF_D_INOUT is the kernel's default and what pflogd gets
// from libpcap; Open sets it anyway so a changed default cannot bite.
const bpfDInOut = 1

// ifreq is struct ifreq from sys/net/if.h as far as BIOCSETIF reads it:
// the name, then a union of 16 bytes on 64-bit FreeBSD.
type ifreq struct {
	Name [ifNameSize]byte
	_    [16]byte
}

// Compile-time checks that our types match the sizes encoded in the
// ioctl numbers (IOCPARM_LEN, bits 16..28).
const iocParmMask = 0x1fff

var (
	_ [unsafe.Sizeof(ifreq{}) - (unix.BIOCSETIF >> 16 & iocParmMask)]byte
	_ [(unix.BIOCSETIF >> 16 & iocParmMask) - unsafe.Sizeof(ifreq{})]byte
	_ [unsafe.Sizeof(unix.Timeval{}) - (unix.BIOCSRTIMEOUT >> 16 & iocParmMask)]byte
	_ [(unix.BIOCSRTIMEOUT >> 16 & iocParmMask) - unsafe.Sizeof(unix.Timeval{})]byte
	_ [unsafe.Sizeof(unix.BpfStat{}) - (unix.BIOCGSTATS >> 16 & iocParmMask)]byte
	_ [unsafe.Sizeof(unix.BpfProgram{}) - (unix.BIOCSETF >> 16 & iocParmMask)]byte
	_ [unsafe.Sizeof(bpfInsn{}) - unsafe.Sizeof(unix.BpfInsn{})]byte
	_ [unsafe.Sizeof(unix.BpfInsn{}) - unsafe.Sizeof(bpfInsn{})]byte
)

// Live is a live capture from a pflog interface through bpf(4). Next and
// Pending belong to one goroutine; Close and Stats may be called from
// others.
type Live struct {
	iface     string
	name      string // "bpf pflog0", used in errors
	buf       []byte // exactly the kernel buffer size: read(2) wants that
	p         BufferParser
	requested int

	mu      sync.Mutex
	fd      int
	reading bool // a read(2) is in progress; Close leaves fd to it
	closed  bool
	recv    widen
	drop    widen
}

// Open opens a bpf descriptor on iface (pflog0), checks that it is a
// pflog interface and configures it: buffer size, nanosecond time
// stamps, a read timeout, all directions, batching (no immediate mode)
// and an accept-all filter; then it locks the descriptor (BIOCLOCK) as
// pflogd does. It needs root (or read access to /dev/bpf).
func Open(iface string, opts Options) (*Live, error) {
	fd, err := OpenDescriptor(iface, opts)
	if err != nil {
		return nil, err
	}
	return FromDescriptor(iface, fd, opts)
}

// OpenDescriptor does Open's work up to BIOCLOCK and returns the bpf
// descriptor: the privileged parent (internal/privsep) calls it for the
// unprivileged worker, which wraps the descriptor with FromDescriptor.
func OpenDescriptor(iface string, opts Options) (int, error) {
	name := "bpf " + iface
	if err := checkIface(iface); err != nil {
		return -1, fmt.Errorf("bpf: %w", err)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return -1, fmt.Errorf("%s: %w", name, err)
	}
	fd, err := openBPF()
	if err != nil {
		return -1, openError(iface, err)
	}
	if err := setup(fd, iface, name, opts); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// FromDescriptor makes a Live of a bpf descriptor that OpenDescriptor
// set up (here or in the privileged parent). opts.BufferSize is what was
// asked for, for Live.BufferSize. On error fd is closed.
func FromDescriptor(iface string, fd int, opts Options) (*Live, error) {
	name := "bpf " + iface
	opts, err := opts.withDefaults()
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// read(2) fails with EINVAL unless its size is the buffer size.
	var blen uint32
	if err := ioctlPtr(fd, unix.BIOCGBLEN, unsafe.Pointer(&blen)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: BIOCGBLEN: %w", name, err)
	}
	var dlt uint32
	if err := ioctlPtr(fd, unix.BIOCGDLT, unsafe.Pointer(&dlt)); err != nil || dlt != DLTPflog {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: descriptor is not attached to a pflog interface (BIOCGDLT %d, %v)", name, dlt, err)
	}
	l := &Live{iface: iface, name: name, fd: fd, requested: opts.BufferSize, buf: make([]byte, blen)}
	l.p.Name = name
	l.p.Align = int(unsafe.Sizeof(uint(0))) // BPF_ALIGNMENT is sizeof(long)
	return l, nil
}

// MaxBufferSize reads the sysctl net.bpf.maxbufsize: the largest buffer
// BIOCSBLEN grants. The sysctl is global: inside a jail it shows the
// host's value and only the host can change it.
func KernelMaxBufferSize() (int, error) {
	v, err := unix.SysctlUint32("net.bpf.maxbufsize")
	if err != nil {
		return 0, fmt.Errorf("sysctl net.bpf.maxbufsize: %w", err)
	}
	return int(v), nil
}

// devDir, when not -1, is a descriptor of /dev through which Open clones
// bpf devices with openat(2): that keeps working in Capsicum capability
// mode, where open(2) by path does not, so a pflog interface destroyed and
// created again can still be reopened.
var devDir atomic.Int64

func init() { devDir.Store(-1) }

// SetDevDir makes Open clone bpf devices through fd, a descriptor of the
// directory holding bpf (/dev). Call it before entering capability mode.
func SetDevDir(fd int) { devDir.Store(int64(fd)) }

func openBPF() (int, error) {
	if d := devDir.Load(); d >= 0 {
		return unix.Openat(int(d), "bpf", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	return unix.Open(bpfDevice, unix.O_RDONLY|unix.O_CLOEXEC, 0)
}

// Fd returns the bpf descriptor, for limiting its rights (Capsicum).
func (l *Live) Fd() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fd
}

func openError(iface string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		if jerr := jail.CheckLive(jail.StartEnv(), true); jerr != nil {
			return fmt.Errorf("bpf %s: open %s: %w", iface, bpfDevice, jerr)
		}
		return fmt.Errorf("bpf %s: open %s: %w (is bpf(4) in the kernel and /dev/bpf unhidden by devfs rules?)", iface, bpfDevice, err)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Errorf("bpf %s: open %s: %w (live capture needs root, or read access to %s)", iface, bpfDevice, err, bpfDevice)
	}
	return fmt.Errorf("bpf %s: open %s: %w", iface, bpfDevice, err)
}

func setup(fd int, iface, name string, opts Options) error {
	// BIOCSBLEN must come before BIOCSETIF: buffers cannot change once
	// attached. The kernel clamps the size to net.bpf.maxbufsize and
	// writes back what it granted.
	blen := uint32(opts.BufferSize)
	if err := ioctlPtr(fd, unix.BIOCSBLEN, unsafe.Pointer(&blen)); err != nil {
		return fmt.Errorf("%s: BIOCSBLEN %d: %w", name, opts.BufferSize, err)
	}
	ts := uint32(unix.BPF_T_NANOTIME)
	if err := ioctlPtr(fd, unix.BIOCSTSTAMP, unsafe.Pointer(&ts)); err != nil {
		return fmt.Errorf("%s: BIOCSTSTAMP BPF_T_NANOTIME: %w", name, err)
	}
	if err := ioctlPtr(fd, unix.BIOCGTSTAMP, unsafe.Pointer(&ts)); err != nil {
		return fmt.Errorf("%s: BIOCGTSTAMP: %w", name, err)
	}
	if ts != unix.BPF_T_NANOTIME {
		return fmt.Errorf("%s: kernel uses time stamp type %#x, not BPF_T_NANOTIME", name, ts)
	}

	var ifr ifreq
	copy(ifr.Name[:], iface)
	if err := ioctlPtr(fd, unix.BIOCSETIF, unsafe.Pointer(&ifr)); err != nil {
		if errors.Is(err, unix.ENXIO) {
			return fmt.Errorf("%s: BIOCSETIF: %w: %s", name, err, ifaceMissingAdvice(iface, jail.StartEnv().Jailed))
		}
		return fmt.Errorf("%s: BIOCSETIF: %w", name, err)
	}
	var dlt uint32
	if err := ioctlPtr(fd, unix.BIOCGDLT, unsafe.Pointer(&dlt)); err != nil {
		return fmt.Errorf("%s: BIOCGDLT: %w", name, err)
	}
	if dlt != DLTPflog {
		return fmt.Errorf("%s: data link type is %d, not DLT_PFLOG (%d): %s is not a pflog(4) interface", name, dlt, DLTPflog, iface)
	}

	// The filter goes in after BIOCSETIF so that it moves the descriptor
	// to the readers' list even with net.bpf.optimize_writers=1.
	f := acceptFilter(opts.Snaplen)
	prog := unix.BpfProgram{Len: uint32(len(f)), Insns: (*unix.BpfInsn)(unsafe.Pointer(&f[0]))}
	if err := ioctlPtr(fd, unix.BIOCSETF, unsafe.Pointer(&prog)); err != nil {
		return fmt.Errorf("%s: BIOCSETF: %w", name, err)
	}
	dir := uint32(bpfDInOut)
	if err := ioctlPtr(fd, unix.BIOCSDIRECTION, unsafe.Pointer(&dir)); err != nil {
		return fmt.Errorf("%s: BIOCSDIRECTION BPF_D_INOUT: %w", name, err)
	}
	// Immediate mode off: read(2) returns when a buffer fills or the
	// read timeout passes, so records arrive in batches.
	var imm uint32
	if err := ioctlPtr(fd, unix.BIOCIMMEDIATE, unsafe.Pointer(&imm)); err != nil {
		return fmt.Errorf("%s: BIOCIMMEDIATE 0: %w", name, err)
	}
	tv := unix.NsecToTimeval(opts.ReadTimeout.Nanoseconds())
	if err := ioctlPtr(fd, unix.BIOCSRTIMEOUT, unsafe.Pointer(&tv)); err != nil {
		return fmt.Errorf("%s: BIOCSRTIMEOUT %v: %w", name, opts.ReadTimeout, err)
	}
	if err := ioctlPtr(fd, unix.BIOCLOCK, nil); err != nil {
		return fmt.Errorf("%s: BIOCLOCK: %w", name, err)
	}
	return nil
}

// ioctlPtr is ioctl(2) with a pointer argument.
func ioctlPtr(fd int, req uint, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

// Name returns the interface name, e.g. "pflog0".
func (l *Live) Name() string { return l.iface }

// BufferSize returns the kernel buffer size asked for and the one
// granted; see Grant.Advice.
func (l *Live) BufferSize() Grant { return Grant{Requested: l.requested, Granted: len(l.buf)} }

// Pending reports whether records of the last read are left.
func (l *Live) Pending() bool { return l.p.Pending() }

// Next fills p with the next record. It blocks until the kernel hands
// over a buffer (when one fills or the read timeout passes with packets
// waiting). After Close it returns io.EOF.
func (l *Live) Next(p *source.Packet) error {
	for {
		if l.p.Pending() {
			ok, err := l.p.Next(p)
			if ok {
				return nil
			}
			if err != nil {
				return err
			}
			continue
		}
		n, err := l.read()
		if err != nil {
			return err
		}
		l.p.Reset(l.buf[:n]) // n == 0: the read timed out empty
	}
}

func (l *Live) read() (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return 0, io.EOF
	}
	l.reading = true
	fd := l.fd
	l.mu.Unlock()

	n, err := unix.Read(fd, l.buf)
	for err == unix.EINTR {
		n, err = unix.Read(fd, l.buf)
	}

	l.mu.Lock()
	l.reading = false
	if l.closed {
		unix.Close(fd)
		l.fd = -1
		l.mu.Unlock()
		return 0, io.EOF
	}
	l.mu.Unlock()
	switch {
	case errors.Is(err, unix.ENXIO):
		return 0, fmt.Errorf("%s: read: %w: the interface is gone (destroyed, or pflog unloaded)", l.name, err)
	case err != nil:
		return 0, fmt.Errorf("%s: read: %w", l.name, err)
	case n < 0:
		n = 0
	}
	return n, nil
}

// Close releases the descriptor. A Next blocked in read(2) returns io.EOF
// within the read timeout and closes the descriptor then.
func (l *Live) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.reading {
		return nil
	}
	err := unix.Close(l.fd)
	l.fd = -1
	if err != nil {
		return fmt.Errorf("%s: close: %w", l.name, err)
	}
	return nil
}

// Stats returns the kernel's counters (BIOCGSTATS): packets that reached
// this descriptor and packets dropped because both kernel buffers were
// full. The kernel keeps 32-bit counters; Stats widens them, which is
// exact as long as it is called at least once per 2^32 packets.
func (l *Live) Stats() (source.Stats, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return source.Stats{}, fmt.Errorf("%s: stats: %w", l.name, os.ErrClosed)
	}
	var s unix.BpfStat
	if err := ioctlPtr(l.fd, unix.BIOCGSTATS, unsafe.Pointer(&s)); err != nil {
		return source.Stats{}, fmt.Errorf("%s: BIOCGSTATS: %w", l.name, err)
	}
	return source.Stats{Received: l.recv.update(s.Recv), Dropped: l.drop.update(s.Drop)}, nil
}
