//go:build !freebsd

package capsicum

// Limit reports ErrUnsupported.
func Limit(fd int, r Rights) error { return ErrUnsupported }

// Enter reports ErrUnsupported.
func Enter() error { return ErrUnsupported }

// Supported reports whether this system has Capsicum.
func Supported() bool { return false }
