//go:build !freebsd

package capture

import (
	"errors"
	"fmt"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// ErrUnsupported is what Open returns on systems without FreeBSD's bpf(4).
var ErrUnsupported = errors.New("live capture from pflog interfaces needs FreeBSD's bpf(4); on this system use -r FILE")

// Live exists on every system so that callers compile; outside FreeBSD
// Open never returns one.
type Live struct{ iface string }

// Open fails outside FreeBSD.
func Open(iface string, opts Options) (*Live, error) {
	return nil, fmt.Errorf("bpf %s: %w", iface, ErrUnsupported)
}

// Name returns the interface name.
func (l *Live) Name() string { return l.iface }

// BufferSize returns zeros.
func (l *Live) BufferSize() Grant { return Grant{} }

// OpenDescriptor fails outside FreeBSD.
func OpenDescriptor(iface string, opts Options) (int, error) {
	return -1, fmt.Errorf("bpf %s: %w", iface, ErrUnsupported)
}

// FromDescriptor fails outside FreeBSD.
func FromDescriptor(iface string, fd int, opts Options) (*Live, error) {
	return nil, fmt.Errorf("bpf %s: %w", iface, ErrUnsupported)
}

// KernelMaxBufferSize fails outside FreeBSD.
func KernelMaxBufferSize() (int, error) { return 0, ErrUnsupported }

// Pending returns false.
func (l *Live) Pending() bool { return false }

// Next returns ErrUnsupported.
func (l *Live) Next(p *source.Packet) error { return ErrUnsupported }

// Close does nothing.
func (l *Live) Close() error { return nil }

// Stats returns ErrUnsupported.
func (l *Live) Stats() (source.Stats, error) { return source.Stats{}, ErrUnsupported }

// SetDevDir does nothing outside FreeBSD.
func SetDevDir(fd int) {}

// Fd returns -1.
func (l *Live) Fd() int { return -1 }
