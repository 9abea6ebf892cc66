package format

// AppendPacket appends tcpdump's text for an IP packet. PLACEHOLDER: the
// real printer is being written (IPv4/IPv6/TCP/UDP/ICMP/ICMPv6).
func AppendPacket(dst []byte, ip []byte, wireLen int) []byte {
	return append(dst, "[|ip]"...)
}
