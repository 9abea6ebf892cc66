package tcpdump

import "github.com/pfasciilogd/pfasciilogd/internal/num"

// SCTP and DCCP as tcpdump 4.99's sctp_print and dccp_print print them
// with -n and without -v. Both print the addresses with the ports from
// the IP header they are given, also behind IPv6 extension headers.
//
// Where tcpdump goes on on another line ("\n\t\t[gap ack block ...",
// "\n\tForCES ..."), only the first line is kept: a log line is one line.

// sctpChunkNames are tcpdump's names for SCTP chunk types.
var sctpChunkNames = [256]string{
	0x00: "DATA", 0x01: "INIT", 0x02: "INIT ACK", 0x03: "SACK",
	0x04: "HB REQ", 0x05: "HB ACK", 0x06: "ABORT", 0x07: "SHUTDOWN",
	0x08: "SHUTDOWN ACK", 0x09: "OP ERR", 0x0a: "COOKIE ECHO",
	0x0b: "COOKIE ACK", 0x0c: "ECN ECHO", 0x0d: "ECN CWR",
	0x0e: "SHUTDOWN COMPLETE", 0xc0: "FOR CUM TSN", 0xc1: "REL CTRL",
	0xc2: "REL CTRL ACK",
}

// sctpPPIDNames are tcpdump's names for DATA payload protocol identifiers.
var sctpPPIDNames = [...]string{
	1: "ISDN Q.921", 2: "M2UA", 3: "M3UA", 4: "SUA", 5: "M2PA", 6: "V5.2",
	7: "H.248", 8: "BICC", 9: "TALI", 10: "DUA", 11: "ASAP", 12: "ENRP",
	13: "H.323", 14: "Q.IPC", 15: "SIMCO", 16: "DDPSC", 17: "DDPSSC",
	18: "S1AP", 19: "RUA", 20: "HNBAP", 21: "ForCES HP", 22: "ForCES MP",
	23: "ForCES LP", 24: "SBc-AP", 25: "NBAP", 27: "X2AP",
}

// forcesChannel names the ForCES SCTP ports.
func forcesChannel(port int) string {
	switch port {
	case 6704:
		return "ForCES HP"
	case 6705:
		return "ForCES MP"
	case 6706:
		return "ForCES LP"
	}
	return ""
}

// addrPorts appends "SRC.sport > DST.dport: " from the IP header iph.
func (p *printer) addrPorts(iph []byte, ver int, sport, dport int) {
	if ver == 6 {
		p.b = appendAddr6(p.b, iph[8:24])
	} else {
		p.b = appendAddr4(p.b, iph[12:16])
	}
	p.s(".")
	p.u(uint64(sport))
	p.s(" > ")
	if ver == 6 {
		p.b = appendAddr6(p.b, iph[24:40])
	} else {
		p.b = appendAddr4(p.b, iph[16:20])
	}
	p.s(".")
	p.u(uint64(dport))
	p.s(": ")
}

// sctp prints an SCTP packet. b is the captured packet, length its length
// from the IP header. It reports false when the capture ended.
func (p *printer) sctp(b []byte, length int, iph []byte, ver int) bool {
	p.proto = "sctp"
	if length < 12 {
		p.s("truncated-sctp - ")
		p.u(uint64(12 - length))
		p.s(" bytes missing!")
		return true
	}
	if len(b) < 12 {
		return false
	}
	sport, dport := rd16(b), rd16(b[2:])
	p.addrPorts(iph, ver, sport, dport)
	p.b = p.b[:len(p.b)-2]
	p.s(": sctp")
	forces := false
	if n := forcesChannel(sport); n != "" {
		p.s("[")
		p.s(n)
		p.s("]")
		forces = true
	}
	if n := forcesChannel(dport); n != "" {
		p.s("[")
		p.s(n)
		p.s("]")
		forces = true
	}
	off := 12
	rem := uint32(length) - 12 // tcpdump's u_int arithmetic
	sep := " ("
	for count := uint64(1); rem != 0; count++ {
		if rem < 4 {
			p.s(sep)
			p.u(count)
			p.s(") [chunk descriptor cut off at end of packet]")
			return true
		}
		if len(b) < off+4 {
			return false
		}
		clen := rd16(b[off+2:])
		if clen < 4 {
			p.s(sep)
			p.u(count)
			p.s(") [Bad chunk length ")
			p.u(uint64(clen))
			p.s(", < size of chunk descriptor]")
			return true
		}
		align := uint32((4 - clen%4) % 4)
		if rem < align {
			p.s(sep)
			p.u(count)
			p.s(") [Bad chunk length ")
			p.u(uint64(clen))
			p.s(", > remaining data in packet]")
			return true
		}
		if len(b) < off+clen {
			return false
		}
		id, flg := b[off], b[off+1]
		c := b[off+4 : off+clen]
		off += clen
		rem -= uint32(clen)
		p.s(sep)
		p.u(count)
		p.s(") [")
		if n := sctpChunkNames[id]; n != "" {
			p.s(n)
		} else {
			p.s("Unknown chunk type: 0x")
			p.b = num.AppendHex(p.b, uint64(id), 0)
		}
		p.s("] ")
		switch id {
		case 0x00: // DATA
			if flg&4 != 0 {
				p.s("(U)")
			}
			if flg&2 != 0 {
				p.s("(B)")
			}
			if flg&1 != 0 {
				p.s("(E)")
			}
			if flg&7 != 0 {
				p.s(" ")
			}
			if len(c) < 12 {
				p.bogus(clen)
				return true
			}
			ppid := rd32(c[8:])
			p.s("[TSN: ")
			p.u(uint64(rd32(c)))
			p.s("] [SID: ")
			p.u(uint64(rd16(c[4:])))
			p.s("] [SSEQ ")
			p.u(uint64(rd16(c[6:])))
			p.s("] [PPID ")
			if ppid < uint32(len(sctpPPIDNames)) && sctpPPIDNames[ppid] != "" {
				p.s(sctpPPIDNames[ppid])
			} else {
				p.s("0x")
				p.b = num.AppendHex(p.b, uint64(ppid), 0)
			}
			p.s("] ")
			if len(c) == 12 {
				p.bogus(clen)
				return true
			}
			if ppid >= 21 && ppid <= 23 {
				forces = true
			}
			if forces {
				// forces_print: a header it can read starts a new
				// line; only a cut or invalid one shows here.
				d := b[off-clen+16:]
				if len(d) < 24 {
					p.s(" [|forces]")
				} else if !forcesTypeValid(d[1]) {
					p.s("Invalid ForCES message type ")
					p.u(uint64(d[1]))
					return true
				} else {
					return true
				}
				p.proto = "sctp"
			}
		case 0x01, 0x02: // INIT, INIT ACK
			if len(c) < 16 {
				p.bogus(clen)
				return true
			}
			p.s("[init tag: ")
			p.u(uint64(rd32(c)))
			p.s("] [rwnd: ")
			p.u(uint64(rd32(c[4:])))
			p.s("] [OS: ")
			p.u(uint64(rd16(c[8:])))
			p.s("] [MIS: ")
			p.u(uint64(rd16(c[10:])))
			p.s("] [init TSN: ")
			p.u(uint64(rd32(c[12:])))
			p.s("] ")
		case 0x03: // SACK
			if len(c) < 12 {
				p.bogus(clen)
				return true
			}
			p.s("[cum ack ")
			p.u(uint64(rd32(c)))
			p.s("] [a_rwnd ")
			p.u(uint64(rd32(c[4:])))
			p.s("] [#gap acks ")
			p.u(uint64(rd16(c[8:])))
			p.s("] [#dup tsns ")
			p.u(uint64(rd16(c[10:])))
			p.s("] ")
			left := len(c) - 12
			if left != 0 && rd16(c[8:]) > 0 {
				if left < 4 {
					p.bogus(clen)
				}
				return true // gap blocks go on new lines
			}
			if left != 0 && rd16(c[10:]) > 0 {
				if left < 4 {
					p.bogus(clen)
				}
				return true // duplicate TSNs go on new lines
			}
		}
		sep = ", ("
		if align != 0 {
			if len(b) < off+int(align) {
				return false
			}
			off += int(align)
			rem -= align
		}
	}
	return true
}

// bogus ends an SCTP chunk whose length is too short for its fields.
func (p *printer) bogus(clen int) {
	p.s("bogus chunk length ")
	p.u(uint64(clen))
	p.s("]")
}

// forcesTypeValid is tcpdump's tom_valid for a ForCES message type.
func forcesTypeValid(t byte) bool {
	return t > 0 && !(t >= 7 && t <= 0xe) && t != 0x10 && t <= 0x14
}

// dccpTypeNames are tcpdump's names for DCCP packet types.
var dccpTypeNames = [16]string{
	"DCCP-Request", "DCCP-Response", "DCCP-Data", "DCCP-Ack", "DCCP-DataAck",
	"DCCP-CloseReq", "DCCP-Close", "DCCP-Reset", "DCCP-Sync", "DCCP-SyncAck",
}

// dccpResetCodes are tcpdump's names for DCCP reset codes.
var dccpResetCodes = [...]string{
	"unspecified", "closed", "aborted", "no_connection", "packet_error",
	"option_error", "mandatory_error", "connection_refused",
	"bad_service_code", "too_busy", "bad_init_cookie", "aggression_penalty",
}

// dccp prints a DCCP packet. b is the captured packet, length its length
// from the IP header. It reports false when the capture ended.
func (p *printer) dccp(b []byte, length int, iph []byte, ver int) bool {
	p.proto = "dccp"
	if len(b) < 12 {
		return false
	}
	if length < 12 {
		p.s("truncated-dccp - ")
		p.u(uint64(12 - length))
		p.s(" bytes missing!")
		return true
	}
	x := b[8]&1 != 0
	fixed := 12
	if x {
		fixed = 16
	}
	if length < fixed {
		p.s("truncated-dccp - ")
		p.u(uint64(fixed - length))
		p.s(" bytes missing!")
		return true
	}
	if len(b) < fixed {
		return false
	}
	p.addrPorts(iph, ver, rd16(b), rd16(b[2:]))
	p.s("DCCP ")
	typ := int(b[8]>>1) & 0xf
	name := dccpTypeNames[typ]
	need := 0
	switch typ {
	case 0:
		need = 4
	case 1, 7:
		need = 12
	case 3, 4, 5, 6, 8, 9:
		need = 8
	}
	if need > 0 {
		fixed += need
		if length < fixed {
			p.s("truncated-")
			p.s(name)
			p.s(" - ")
			p.u(uint64(fixed - length))
			p.s(" bytes missing!")
			return true
		}
	}
	switch typ {
	case 0, 1, 7:
		if len(b) < fixed {
			return false
		}
		p.s(name)
		if typ == 7 {
			p.s(" (code=")
			if c := int(b[fixed-4]); c < len(dccpResetCodes) {
				p.s(dccpResetCodes[c])
			} else {
				p.s("invalid")
			}
			p.s(") ")
		} else {
			p.s(" (service=")
			p.u(uint64(rd32(b[fixed-4:])))
			p.s(") ")
		}
	case 2, 3, 4, 5, 6, 8, 9:
		p.s(name)
		p.s(" ")
	default:
		p.s("unknown-type-")
		p.u(uint64(typ))
		p.s(" ")
	}
	if typ != 0 && typ != 2 {
		var ack uint64
		if x {
			if len(b) < 24 {
				return false
			}
			ack = uint64(rd16(b[18:]))<<32 | uint64(rd32(b[20:]))
		} else {
			if len(b) < 16 {
				return false
			}
			ack = uint64(b[13])<<16 | uint64(rd16(b[14:]))
		}
		p.s("(ack=")
		p.u(ack)
		p.s(") ")
	}
	return true
}
