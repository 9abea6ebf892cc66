package tcpdump

import "github.com/pfasciilogd/pfasciilogd/internal/packet"

// UDP as tcpdump 4.99's udp_print prints it with -n and without -v. The
// application protocols tcpdump decodes (DNS, NTP, SNMP, ...) are not
// decoded: their datagrams print as "UDP, length N".

// udp prints a UDP datagram. b is the captured datagram, length its length
// from the IP header.
func (p *printer) udp(b []byte, length int, iph []byte, ver int, fragmented bool) bool {
	p.proto = "udp"
	if len(b) < 4 {
		// udpipaddr_print without ports: addresses only when UDP follows
		// the IP header directly.
		if ver == 6 && iph[6] == packet.ProtoUDP {
			p.addrs6(iph)
			p.s(": ")
		} else if ver == 4 && iph[9] == packet.ProtoUDP {
			p.addrs4(iph)
			p.s(": ")
		}
		return false
	}
	sport, dport := rd16(b), rd16(b[2:])
	p.ports(iph, ver, packet.ProtoUDP, sport, dport)
	if length < 8 {
		p.s("truncated-udp ")
		p.u(uint64(uint32(length)))
		return true
	}
	if len(b) < 6 {
		return false
	}
	ulen := rd16(b[4:])
	if ulen == 0 && length > 65535 {
		ulen = length
	}
	if ulen < 8 {
		p.s("truncated-udplength ")
		p.u(uint64(ulen))
		return true
	}
	ulen -= 8
	length -= 8
	if ulen < length {
		length = ulen
	}
	if len(b) < 8 {
		return false
	}
	if udpDecoded(sport, dport) || (len(b) > 12 && b[12] == 2 && (atalkPort(sport) || atalkPort(dport))) {
		// tcpdump decodes this application protocol; we print the
		// generic form with the length its printer is given: the UDP
		// length cut to the bytes the IP header carries.
		p.s("UDP, length ")
		p.u(uint64(length))
		return true
	}
	if len(b) >= 16 && ((dport == 2049 && rd32(b[12:]) == 0) || (sport == 2049 && rd32(b[12:]) == 1)) {
		// An NFS call or reply, which tcpdump decodes.
		p.s("UDP, length ")
		p.u(uint64(length))
		return true
	}
	if ulen > length && !fragmented {
		p.s("UDP, bad length ")
		p.u(uint64(ulen))
		p.s(" > ")
		p.u(uint64(length))
		return true
	}
	p.s("UDP, length ")
	p.u(uint64(ulen))
	return true
}

// atalkPort reports whether port is one of the DDP-in-UDP ports.
func atalkPort(port int) bool {
	return uint(port-16512) < 128 || uint(port-200) < 128 || uint(port-768) < 128
}

// udpDecoded reports whether tcpdump decodes the application protocol on
// one of these ports (print-udp.c's port switch).
func udpDecoded(sport, dport int) bool {
	if udpPortSet[uint16(sport)>>6]>>(sport&63)&1 != 0 || udpPortSet[uint16(dport)>>6]>>(dport&63)&1 != 0 {
		return true
	}
	if dport == 3456 || dport == 4567 || dport == 1985 || sport == 49152 ||
		dport == 3784 || dport == 4784 || dport == 6784 || dport == 3785 ||
		dport == 12223 || sport == 12223 {
		return true
	}
	return (sport >= 7000 && sport <= 7009) || (dport >= 7000 && dport <= 7009)
}

// udpPorts are the ports on which tcpdump decodes UDP payloads when either
// the source or the destination port matches.
var udpPorts = [...]int{
	53, 5353, 525, 69, 67, 68, 520, 654, 500, 4500, 7500, 8500, 161, 162,
	123, 88, 750, 1701, 137, 138, 2103, 2104, 521, 546, 547, 5359, 6696,
	6697, 8231, 496, 1645, 1812, 1646, 1813, 1700, 3799, 921, 646, 698,
	3503, 701, 1589, 6343, 12222, 5060, 514, 8472, 4789, 6081, 4342, 4790,
	17754, 6635, 319, 320, 30490,
}

// udpPortSet has a bit set for each of udpPorts (8 KiB; one look-up a
// port, where the list took up to 56 comparisons).
var udpPortSet = func() (t [1024]uint64) {
	for _, pt := range udpPorts {
		t[pt>>6] |= 1 << (pt & 63)
	}
	return t
}()
