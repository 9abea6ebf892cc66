//go:build !freebsd

package jail

// Detect reports "not jailed": jails are FreeBSD's.
func Detect() (Env, error) { return Env{}, nil }
