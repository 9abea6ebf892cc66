package capture

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults and limits for Options.
const (
	// DefaultBufferSize is the kernel buffer asked for with BIOCSBLEN
	// when -B is not given, capped at net.bpf.maxbufsize (512 KiB unless
	// raised; see BufferSizeFor); Live.BufferSize reports what the
	// kernel granted.
	DefaultBufferSize = 2 << 20
	MinBufferSize     = 64 << 10
	MaxBufferSize     = 256 << 20

	// DefaultReadTimeout is the BIOCSRTIMEOUT read timeout: the longest
	// a logged packet waits in the kernel buffer before read(2) hands it
	// over, and the longest Close waits for a blocked Next.
	DefaultReadTimeout = 50 * time.Millisecond
	MinReadTimeout     = time.Millisecond
	MaxReadTimeout     = time.Second

	// MinSnaplen is the smallest Snaplen accepted: pflogd's default,
	// which leaves room for the pflog header and IPv4 and TCP headers.
	MinSnaplen = 116

	// DLTPflog is DLT_PFLOG from sys/net/dlt.h.
	DLTPflog = 117

	// ifNameSize is IFNAMSIZ from sys/net/if.h, the NUL included.
	ifNameSize = 16
)

// Options tune a live capture. The zero value gives the defaults.
type Options struct {
	// BufferSize is the size in bytes of each of the kernel's two
	// capture buffers (BIOCSBLEN) and of the read buffer. 0 means
	// DefaultBufferSize; otherwise MinBufferSize..MaxBufferSize.
	BufferSize int
	// ReadTimeout is the bpf read timeout (BIOCSRTIMEOUT). 0 means
	// DefaultReadTimeout; otherwise MinReadTimeout..MaxReadTimeout.
	ReadTimeout time.Duration
	// Snaplen caps the bytes captured per packet, pflog header included.
	// 0 captures whole packets; otherwise at least MinSnaplen.
	Snaplen int
}

// withDefaults fills in defaults and checks the ranges.
func (o Options) withDefaults() (Options, error) {
	if o.BufferSize == 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.BufferSize < MinBufferSize || o.BufferSize > MaxBufferSize {
		return o, fmt.Errorf("buffer size %d outside %d..%d bytes", o.BufferSize, MinBufferSize, MaxBufferSize)
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.ReadTimeout < MinReadTimeout || o.ReadTimeout > MaxReadTimeout {
		return o, fmt.Errorf("read timeout %v outside %v..%v", o.ReadTimeout, MinReadTimeout, MaxReadTimeout)
	}
	if o.Snaplen != 0 && (o.Snaplen < MinSnaplen || o.Snaplen > 1<<30) {
		return o, fmt.Errorf("snaplen %d: want 0 (whole packets) or %d..%d", o.Snaplen, MinSnaplen, 1<<30)
	}
	return o, nil
}

// checkIface checks that name fits struct ifreq's ifr_name.
func checkIface(name string) error {
	switch {
	case name == "":
		return errors.New("no interface name")
	case len(name) >= ifNameSize:
		return fmt.Errorf("interface name %q longer than %d bytes", name, ifNameSize-1)
	case strings.ContainsAny(name, "\x00/ "):
		return fmt.Errorf("interface name %q contains a NUL, slash or space", name)
	}
	return nil
}

// ifaceMissingAdvice explains ENXIO from BIOCSETIF: the interface does
// not exist (or has no bpf attachment). Inside a jail the pflog module
// can only be loaded on the host; each VNET gets its own pflog0 when the
// module loads.
func ifaceMissingAdvice(iface string, jailed bool) string {
	unit0 := iface == "pflog0"
	var b strings.Builder
	fmt.Fprintf(&b, "interface %s does not exist", iface)
	if !strings.HasPrefix(iface, "pflog") {
		b.WriteString(" (pf logs to pflog interfaces such as pflog0)")
	}
	switch {
	case jailed:
		b.WriteString("; load pflog(4) on the host (kldload pflog, or pflog_load=\"YES\" in /boot/loader.conf), which gives every VNET jail its own pflog0")
		if !unit0 {
			fmt.Fprintf(&b, ", then run ifconfig %s create in the jail", iface)
		}
	default:
		b.WriteString("; load pflog(4) with kldload pflog (it creates pflog0), or enable it at boot with sysrc pflog_enable=YES && service pflog start")
		if !unit0 {
			fmt.Fprintf(&b, "; create other units with ifconfig %s create", iface)
		}
	}
	return b.String()
}

// Grant is the kernel buffer a descriptor asked for and the one
// BIOCSBLEN granted (the kernel caps it at net.bpf.maxbufsize).
type Grant struct {
	Requested int
	Granted   int
}

// AdviceContext is what Grant.Advice needs besides the grant.
type AdviceContext struct {
	// Iface names the interface, e.g. "pflog0".
	Iface string
	// Explicit is set when the administrator chose the size (-B).
	Explicit bool
	// KernelMax is net.bpf.maxbufsize, 0 when unknown.
	KernelMax int
	// Dropped is how many packets the kernel dropped for the descriptor.
	Dropped uint64
	// Jailed: the sysctl is global, only the host can change it.
	Jailed bool
}

// BufferSizeFor is the size to ask for: the one given with -B
// (explicit), else the default capped at what the kernel allows
// (kernelMax, 0 when unknown), so that a default start asks for no more
// than it can get and has nothing to warn about.
func BufferSizeFor(size int, explicit bool, kernelMax int) int {
	if explicit {
		return size
	}
	if size == 0 {
		size = DefaultBufferSize
	}
	if kernelMax > 0 && size > kernelMax {
		size = max(kernelMax, MinBufferSize)
	}
	return size
}

// Advice returns "" or a sentence for the log on how to get a larger
// buffer. It speaks only when the administrator asked for a size the
// kernel did not grant, or when packets were dropped; inside a jail it
// says to change the sysctl on the host, since jails cannot.
func (g Grant) Advice(c AdviceContext) string {
	short := c.Explicit && g.Granted < g.Requested
	if !short && c.Dropped == 0 {
		return ""
	}
	want := g.Requested
	if c.Dropped > 0 && !short {
		want = min(max(2*g.Granted, DefaultBufferSize), MaxBufferSize)
	}
	var b strings.Builder
	switch {
	case c.Dropped > 0 && short:
		fmt.Fprintf(&b, "%s: the kernel dropped %d packets because the bpf buffer of %d bytes filled (it granted %d of the %d asked for with -B)", c.Iface, c.Dropped, g.Granted, g.Granted, g.Requested)
	case short:
		fmt.Fprintf(&b, "%s: the kernel granted a bpf buffer of %d bytes instead of the %d asked for with -B", c.Iface, g.Granted, g.Requested)
	default:
		fmt.Fprintf(&b, "%s: the kernel dropped %d packets because the bpf buffer of %d bytes filled", c.Iface, c.Dropped, g.Granted)
	}
	limit := "net.bpf.maxbufsize"
	if c.KernelMax > 0 {
		limit = fmt.Sprintf("net.bpf.maxbufsize (%d)", c.KernelMax)
	}
	switch {
	case !short && c.KernelMax > 0 && g.Granted < c.KernelMax:
		fmt.Fprintf(&b, "; raise -B up to %s", limit)
		if c.Jailed {
			b.WriteString(" (that limit is global: only the host can raise it)")
		}
	case c.Jailed:
		fmt.Fprintf(&b, "; the limit is %s, a global sysctl that a jail cannot change: on the host run sysctl net.bpf.maxbufsize=%d, add net.bpf.maxbufsize=%d to the host's /etc/sysctl.conf, then restart pfasciilogd in the jail", limit, want, want)
	default:
		fmt.Fprintf(&b, "; the limit is %s: raise it with sysctl net.bpf.maxbufsize=%d (and net.bpf.maxbufsize=%d in /etc/sysctl.conf), then restart pfasciilogd", limit, want, want)
		if !c.Explicit {
			fmt.Fprintf(&b, " with -B %d", want)
		}
	}
	return b.String()
}

// widen turns a 32-bit kernel counter that may wrap into a 64-bit one.
// last is the previous 32-bit reading, total the previous widened value.
type widen struct {
	last  uint32
	total uint64
}

func (w *widen) update(v uint32) uint64 {
	w.total += uint64(v - w.last) // modular: counts through one wrap
	w.last = v
	return w.total
}

// bpfInsn is struct bpf_insn from sys/net/bpf.h.
type bpfInsn struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// Classic BPF opcodes from sys/net/bpf.h; they are the same everywhere.
const (
	bpfLD  = 0x00
	bpfW   = 0x00
	bpfLEN = 0x80
	bpfJMP = 0x05
	bpfJGT = 0x20
	bpfK   = 0x00
	bpfRET = 0x06
	bpfA   = 0x10
)

// acceptFilter returns a read filter that accepts every packet and
// captures all of it (snaplen 0) or its first snaplen bytes. It has more
// than one instruction on purpose: with net.bpf.optimize_writers=1 the
// kernel keeps a descriptor on its writers-only list (seeing no packets)
// until it sets a filter that does not look like pcap_open_live()'s
// one-instruction snaplen filter (bpf_check_upgrade() in sys/net/bpf.c).
func acceptFilter(snaplen int) []bpfInsn {
	if snaplen <= 0 {
		return []bpfInsn{
			{Code: bpfLD | bpfW | bpfLEN}, // A = original length
			{Code: bpfRET | bpfA},         // capture A bytes
		}
	}
	return []bpfInsn{
		{Code: bpfLD | bpfW | bpfLEN},
		{Code: bpfJMP | bpfJGT | bpfK, K: uint32(snaplen), Jt: 0, Jf: 1}, // A > snaplen?
		{Code: bpfRET | bpfK, K: uint32(snaplen)},
		{Code: bpfRET | bpfA},
	}
}
