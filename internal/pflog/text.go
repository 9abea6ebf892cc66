package pflog

// AFWord returns "inet" or "inet6" for a pflog address family, or
// "unknown".
func AFWord(af uint8) string {
	switch {
	case af == AFInet:
		return "inet"
	case IsIPv6AF(af):
		return "inet6"
	}
	return "unknown"
}

// AppendSafeName appends a NUL-terminated name from a pflog header the way
// tcpdump's nd_printjnp does: printable ASCII as is, bytes with the high
// bit set as "M-" and control bytes as "^x". Where tcpdump would print a
// space or a backslash as is, we print "\040" and "\\" (vis(3) style): a
// name can then never contain white space, so readers that take the
// interface or anchor as one word (the fail2ban filter) cannot be fooled
// by a crafted name that looks like the rest of a line.
func AppendSafeName(dst []byte, name []byte) []byte {
	for _, c := range name {
		if c >= 0x80 {
			dst = append(dst, 'M', '-')
			c &= 0x7f
		}
		switch {
		case c < 0x20 || c == 0x7f:
			dst = append(dst, '^', c^0x40)
		case c == ' ':
			dst = append(dst, `\040`...)
		case c == '\\':
			dst = append(dst, '\\', '\\')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
