package detect

// This file is the adapter from what the pipeline decodes today
// (pflog.Header, packet.Summary) to a Probe. It is the only file of the
// package that knows those types; when the pipeline's record changes,
// only Classify changes.

import (
	"encoding/binary"

	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// Classify fills p from one decoded record: its capture time (ns), pflog
// header and packet summary. It reads only the summary, never the packet's
// bytes a second time, and counts SCTP and DCCP records as the text
// printer (internal/tcpdump) shows them. It is pure and does not allocate.
//
// A record is a probe (KindProbe) when pf blocked it inbound and it tries
// to open something:
//
//   - TCP without ACK and without RST: a SYN (with any ECN bits, behind
//     any IPv6 extension headers or IPv4 options), and the FIN, NULL and
//     Xmas scans. Every segment of an established or closing connection
//     carries ACK (RFC 9293), so replies to this host's connections and
//     late FIN/ACK, ACK and RST of its services' clients never count;
//   - UDP and UDP-Lite, except what looks like a service answering one of
//     this host's requests: source port below 1024, destination port 1024
//     or above (DNS, NTP, ... replies after pf forgot the state);
//   - ICMP echo, timestamp and address mask requests, ICMPv6 echo
//     requests and node information queries;
//   - SCTP INIT (chunk type 1, verification tag 0) and DCCP Request
//     (packet type 0), when the text printer shows them as such: the
//     first chunk's type captured with valid lengths (a whole INIT the
//     capture cut counts), the Request's generic header and service
//     code captured (see packet.SCTPFirst and packet.DCCPFirst);
//   - any other protocol (counted once per protocol: a protocol scan).
//
// Never probes: passes and every other action, outbound and forwarded
// records (an outbound record is KindOwn: its source is this host's),
// later fragments, packets to multicast or limited-broadcast destinations
// (LAN discovery chatter), ICMP errors and replies.
//
// Records cut before their flags: pflogd's default 116-byte snapshot
// length keeps only the ports of an IPv6 TCP segment. Such a record
// counts (with Probe.Cut set) only when its destination port is below
// CutMaxPort (512) and its source port is 1024 or above. A reply to one
// of this host's own connections goes to that connection's local port,
// which the kernel takes from the ephemeral range (10000-65535 on
// FreeBSD) and bindresvport(3) and rresvport(3) from 512-1023, and comes
// from the remote service's port, below 1024 for the usual services: it
// does not fall under the rule, unless a program binds a TCP port below
// 512 itself and connects from it to a service on a high port. A late
// segment of a client of one of this host's services below 512 (after pf
// expired its state) does, but once per service, as every repeat to one
// port counts once: the thresholds must stay above three times the number
// of such services the same client uses. A scanner's SYNs to the classic
// service ports (22, 23, 25, 80, 443, 445, ...) count. The same rule
// applies to SCTP and DCCP records the printer cuts ("[|sctp]",
// "[|dccp]") or stops before (IPv6 extension headers it does not get
// past) when what was captured may be an INIT or a Request; a first chunk
// or packet type captured and known to be another, or a header the
// printer shows as malformed ("truncated-sctp", "Bad chunk length",
// "truncated-DCCP-Request"), never counts.
func Classify(p *Probe, t int64, h *pflog.Header, s *packet.Summary) {
	*p = Probe{Time: t, Src: s.Src, Rule: h.RuleNr, Iface: h.IfName}
	if s.Version == 0 || !s.Src.IsValid() {
		return
	}
	switch h.Dir {
	case pflog.DirOut:
		p.Kind = KindOwn
		return
	case pflog.DirIn:
	default:
		return
	}
	if h.Action != pflog.ActionDrop {
		return
	}
	if s.FragOff != 0 {
		return // a later fragment: its first fragment was the probe
	}
	if s.Dst.IsMulticast() || (s.Dst.Is4() && s.Dst.As4() == [4]byte{255, 255, 255, 255}) {
		return
	}
	p.Proto = s.Proto
	switch s.Proto {
	case packet.ProtoTCP:
		if !s.HasPort {
			return
		}
		p.Port = s.DstPort
		if s.L4Cap >= 14 {
			if s.TCPFlags&(packet.TCPAck|packet.TCPRst) == 0 {
				p.Kind = KindProbe
			}
			return
		}
		cut(p, s.SrcPort, s.DstPort)
	case packet.ProtoUDP:
		if !s.HasPort {
			return
		}
		udp(p, s.SrcPort, s.DstPort)
	case protoUDPLite:
		if !s.HasPort {
			return
		}
		udp(p, s.SrcPort, s.DstPort)
	case packet.ProtoICMP:
		if !s.HasICMP {
			return
		}
		switch s.ICMPType {
		case 8, 13, 15, 17: // echo, timestamp, information, address mask requests
			p.Kind, p.Port = KindProbe, dstHash(s)
		}
	case packet.ProtoICMPv6:
		if !s.HasICMP {
			return
		}
		switch s.ICMPType {
		case 128, 139: // echo request, node information query
			p.Kind, p.Port = KindProbe, dstHash(s)
		}
	case protoSCTP, protoDCCP:
		if !s.HasPort {
			return
		}
		p.Port = s.DstPort
		v := packet.DCCPFirst(s)
		if s.Proto == protoSCTP {
			v = packet.SCTPFirst(s)
		}
		switch v {
		case packet.ShownOpener, packet.ShownCutOpener:
			// A cut INIT counts too: its type was captured, and an INIT
			// opens an association and answers nothing.
			if s.Proto == protoDCCP || s.SCTPVTag == 0 { // an INIT has verification tag 0
				p.Kind = KindProbe
			}
		case packet.ShownUnseen:
			cut(p, s.SrcPort, s.DstPort)
		}
	case packet.ProtoNoNext, packet.ProtoHopOpts, packet.ProtoRouting, packet.ProtoFragment,
		packet.ProtoDstOpts, packet.ProtoAH:
		// Extension headers the decoder could not get past (cut short):
		// nothing to count.
	default:
		p.Kind = KindProbe // another protocol: one "port" per protocol
	}
}

func cut(p *Probe, sport, dport uint16) {
	if dport < CutMaxPort && sport >= 1024 {
		p.Kind, p.Cut = KindProbe, true
	}
}

func udp(p *Probe, sport, dport uint16) {
	p.Port = dport
	if sport < 1024 && dport >= 1024 {
		return // a service answering one of our requests
	}
	p.Kind = KindProbe
}

// dstHash folds the destination address into 16 bits: an echo sweep
// counts one "port" per address pinged.
func dstHash(s *packet.Summary) uint16 {
	b := s.Dst.As16()
	x := binary.BigEndian.Uint64(b[0:8]) ^ binary.BigEndian.Uint64(b[8:16])*0x9e3779b97f4a7c15
	return uint16(x>>48) ^ uint16(x>>32) ^ uint16(x>>16) ^ uint16(x)
}
