package tcpdump

import (
	"github.com/pfasciilogd/pfasciilogd/internal/num"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
)

// TCP as tcpdump 4.99's tcp_print prints it with -n -S and without -v,
// including the options it names and the application protocols it
// recognises by port in the few bytes a pflog record usually holds.

// tcpOptNames are tcpdump's names of TCP option kinds; "" means unnamed
// ("unknown-N"), except kind 13 which tcpdump names "" on purpose.
var tcpOptNames = [256]string{
	0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack",
	6: "echo", 7: "echoreply", 8: "TS", 11: "cc", 12: "ccnew",
	19: "md5", 20: "scps", 28: "uto", 29: "tcp-ao", 30: "mptcp",
	34: "tfo", 254: "exp",
}

// tcpOptBad and tcpOptTrunc are the ways the option loop can end early.
const (
	optOK = iota
	optBad
	optTrunc
)

// flagsText is "Flags [S]" for every flag byte, rendered once.
var flagsText = func() (t [256]string) {
	for f := range t {
		t[f] = "Flags [" + string(packet.AppendTCPFlags(nil, uint8(f))) + "]"
	}
	return t
}()

// tcp prints a TCP segment. b is the captured segment, length its length
// from the IP header, iph the IP header, ver the IP version.
func (p *printer) tcp(b []byte, length int, iph []byte, ver int) bool {
	p.proto = "tcp"
	if len(b) < 4 {
		if ver == 6 {
			p.addrs6(iph)
		} else {
			p.addrs4(iph)
		}
		p.s(":")
		return false
	}
	sport, dport := rd16(b), rd16(b[2:])
	p.ports(iph, ver, packet.ProtoTCP, sport, dport)
	if len(b) < 20 {
		p.trunc()
		return true
	}
	hlen := int(b[12]>>4) * 4
	if hlen < 20 {
		p.s(" tcp ")
		p.u(uint64(uint32(length - hlen)))
		p.s(" [bad hdr length ")
		p.u(uint64(hlen))
		p.s(" - too short, < 20]")
		return true
	}
	seq, ack := rd32(b[4:]), rd32(b[8:])
	flags := b[13]
	win, urp := rd16(b[14:]), rd16(b[18:])
	p.s(flagsText[flags])
	if hlen > length {
		p.s(" [bad hdr length ")
		p.u(uint64(hlen))
		p.s(" - too long, > ")
		p.u(uint64(uint32(length)))
		p.s("]")
		return true
	}
	length -= hlen
	if length > 0 || flags&(packet.TCPSyn|packet.TCPFin|packet.TCPRst) != 0 {
		p.s(", seq ")
		p.u(uint64(seq))
		if length > 0 {
			p.s(":")
			p.u(uint64(seq + uint32(length)))
		}
	}
	if flags&packet.TCPAck != 0 {
		p.s(", ack ")
		p.u(uint64(ack))
	}
	p.s(", win ")
	p.u(uint64(win))
	if flags&packet.TCPUrg != 0 {
		p.s(", urg ")
		p.u(uint64(urp))
	}
	if hlen > 20 {
		switch p.tcpOptions(b, hlen, flags) {
		case optBad, optTrunc:
			return true
		case -1:
			return false
		}
	}
	p.s(", length ")
	p.u(uint64(length))
	if length == 0 {
		return true
	}
	if len(b) < hlen {
		return p.shortCaplen(len(b), hlen)
	}
	return p.tcpPayload(b[hlen:], length, sport, dport)
}

// ports prints "SRC.SPORT > DST.DPORT: ", or "SPORT > DPORT: " when the
// transport header does not follow the IP header directly (IPv6
// extension headers, IPv4 AH), as tcpdump does.
func (p *printer) ports(iph []byte, ver int, proto byte, sport, dport int) {
	if ver == 6 {
		if iph[6] == proto {
			p.b = append(appendAddr6(p.b, iph[8:24]), '.')
			p.u(uint64(sport))
			p.s(" > ")
			p.b = append(appendAddr6(p.b, iph[24:40]), '.')
			p.u(uint64(dport))
			p.s(": ")
			return
		}
	} else if iph[9] == proto {
		p.b = appendAddr4Dot(p.b, iph[12:16])
		p.u(uint64(sport))
		p.s(" > ")
		p.b = appendAddr4Dot(p.b, iph[16:20])
		p.u(uint64(dport))
		p.s(": ")
		return
	}
	p.u(uint64(sport))
	p.s(" > ")
	p.u(uint64(dport))
	p.s(": ")
}

// tcpOptions prints ", options [...]". It returns optOK to go on, optBad
// or optTrunc when tcpdump ended the line inside the options, and -1
// when the capture ended (the caller prints the marker).
func (p *printer) tcpOptions(b []byte, hlen int, flags byte) int {
	left := hlen - 20
	cp := 20
	var ch byte
	p.s(", options [")
	for left > 0 {
		if ch != 0 {
			p.b = append(p.b, ch)
		}
		if cp >= len(b) {
			return -1
		}
		opt := b[cp]
		cp++
		olen := 1
		if opt > 1 {
			if cp >= len(b) {
				return -1
			}
			olen = int(b[cp])
			cp++
			if olen < 2 || olen > left {
				return p.optBad(ch)
			}
			left--
		}
		left--
		if opt == 13 || tcpOptNames[opt] != "" {
			p.s(tcpOptNames[opt])
		} else {
			p.s("unknown-")
			p.u(uint64(opt))
		}
		// check is tcpdump's LENCHECK: n more bytes of option data
		// must be within the header and captured.
		check := func(n int) int {
			if n > left {
				return optBad
			}
			if cp+n > len(b) {
				return optTrunc
			}
			return optOK
		}
		datalen := 0
		r := optOK
		switch opt {
		case 2: // mss
			datalen = 2
			if r = check(2); r == optOK {
				p.s(" ")
				p.u(uint64(rd16(b[cp:])))
			}
		case 3: // wscale
			datalen = 1
			if r = check(1); r == optOK {
				p.s(" ")
				p.u(uint64(b[cp]))
			}
		case 5: // sack
			datalen = olen - 2
			if datalen%8 != 0 {
				p.s(" invalid sack")
				break
			}
			p.s(" ")
			p.u(uint64(datalen / 8))
			p.s(" ")
			for i := 0; i < datalen && r == optOK; i += 8 {
				if r = check(i + 4); r != optOK {
					break
				}
				if r = check(i + 8); r != optOK {
					break
				}
				p.s("{")
				p.u(uint64(rd32(b[cp+i:])))
				p.s(":")
				p.u(uint64(rd32(b[cp+i+4:])))
				p.s("}")
			}
		case 6, 7, 11, 12, 13: // echo, echoreply, cc, ccnew, ccecho
			datalen = 4
			if r = check(4); r == optOK {
				p.s(" ")
				p.u(uint64(rd32(b[cp:])))
			}
		case 8: // timestamp
			datalen = 8
			if r = check(8); r == optOK {
				p.s(" val ")
				p.u(uint64(rd32(b[cp:])))
				p.s(" ecr ")
				p.u(uint64(rd32(b[cp+4:])))
			}
		case 19: // TCP MD5 signature; tcpdump has no secret to check it
			datalen = 16
			if r = check(16); r == optOK {
				p.s(" shared secret not supplied with -M, can't check - ")
				for i := 0; i < 16; i++ {
					p.b = num.AppendHex(p.b, uint64(b[cp+i]), 2)
				}
			}
		case 20: // scps
			datalen = 2
			if r = check(2); r == optOK {
				p.s(" cap ")
				p.b = num.AppendHex(p.b, uint64(b[cp]), 2)
				p.s(" id ")
				p.u(uint64(b[cp+1]))
			}
		case 29: // tcp-ao
			datalen = olen - 2
			if datalen < 2 {
				p.invalid()
				break
			}
			if r = check(1); r != optOK {
				break
			}
			p.s(" keyid ")
			p.u(uint64(b[cp]))
			if r = check(2); r != optOK {
				break
			}
			p.s(" rnextkeyid ")
			p.u(uint64(b[cp+1]))
			if datalen > 2 {
				p.s(" mac 0x")
				for i := 2; i < datalen; i++ {
					if r = check(i + 1); r != optOK {
						break
					}
					p.b = num.AppendHex(p.b, uint64(b[cp+i]), 2)
				}
			}
		case 0, 1, 4: // eol, nop, sackOK
		case 28: // uto
			datalen = 2
			if r = check(2); r == optOK {
				v := rd16(b[cp:])
				p.s(" 0x")
				p.b = num.AppendHex(p.b, uint64(v), 0)
				if v&1 != 0 {
					v = (v >> 1) * 60
				} else {
					v >>= 1
				}
				p.s(" ")
				p.u(uint64(v))
			}
		case 30: // mptcp
			datalen = olen - 2
			if r = check(datalen); r == optOK {
				if !p.mptcp(b[cp-2:cp-2+olen], flags) {
					return p.optBad(ch)
				}
			}
		case 34: // tcp fast open
			datalen = olen - 2
			if r = check(datalen); r == optOK {
				p.s(" ")
				p.fastOpen(b[cp : cp+datalen])
			}
		case 254: // experimental (RFC 6994)
			datalen = olen - 2
			if r = check(datalen); r == optOK {
				if datalen < 2 {
					return p.optBad(ch)
				}
				magic := rd16(b[cp:])
				p.s("-")
				if magic == 0xf989 {
					p.s("tfo")
					p.fastOpen(b[cp+2 : cp+datalen])
				} else {
					p.b = num.AppendHex(p.b, uint64(uint16(magic)), 4)
				}
			}
		default:
			datalen = olen - 2
			if datalen > 0 {
				p.s(" 0x")
			}
			for i := 0; i < datalen; i++ {
				if r = check(i + 1); r != optOK {
					break
				}
				p.b = num.AppendHex(p.b, uint64(b[cp+i]), 2)
			}
		}
		switch r {
		case optBad:
			return p.optBad(ch)
		case optTrunc:
			p.trunc()
			if ch != 0 {
				p.s(">")
			}
			return optTrunc
		}
		cp += datalen
		left -= datalen
		datalen++
		if opt > 1 {
			datalen++
		}
		if datalen != olen {
			p.s("[len ")
			p.u(uint64(olen))
			p.s("]")
		}
		ch = ','
		if opt == 0 {
			break
		}
	}
	p.s("]")
	return optOK
}

// optBad ends the options as tcpdump's "bad" label does.
func (p *printer) optBad(ch byte) int {
	p.s("[bad opt]")
	if ch != 0 {
		p.s("]")
	}
	return optBad
}

// fastOpen prints a TCP Fast Open cookie (or cookie request).
func (p *printer) fastOpen(c []byte) {
	switch {
	case len(c) == 0:
		p.s(" cookiereq")
	case len(c)%2 != 0 || len(c) < 4 || len(c) > 16:
		p.invalid()
	default:
		p.s(" cookie ")
		for _, x := range c {
			p.b = num.AppendHex(p.b, uint64(x), 2)
		}
	}
}

// mptcpNames are tcpdump's names of the MPTCP option subtypes.
var mptcpNames = [9]string{"capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "unknown"}

// mptcp prints an MPTCP option (o is the whole option, kind and length
// included). False means tcpdump found it malformed ("[bad opt]").
func (p *printer) mptcp(o []byte, flags byte) bool {
	p.proto = "mptcp"
	n := len(o)
	if n < 3 {
		return false
	}
	sub := int(o[2] >> 4)
	if sub > 8 {
		sub = 8
	}
	p.s(" ")
	p.u(uint64(n))
	p.s(" ")
	p.s(mptcpNames[sub])
	switch sub {
	case 0: // capable
		if !((n == 12 || n == 4) && flags&packet.TCPSyn != 0) &&
			!((n == 20 || n == 22) && flags&(packet.TCPSyn|packet.TCPAck) == packet.TCPAck) {
			return false
		}
		v := o[2] & 0xf
		if v > 1 {
			p.s(" Unknown Version (")
			p.u(uint64(v))
			p.s(")")
			return true
		}
		p.s(" v")
		p.u(uint64(v))
		if o[3]&0x80 != 0 {
			p.s(" csum")
		}
		if n == 12 || n >= 20 {
			p.s(" {0x")
			p.b = num.AppendHex(p.b, rd64(o[4:]), 0)
			if n >= 20 {
				p.s(",0x")
				p.b = num.AppendHex(p.b, rd64(o[12:]), 0)
			}
			p.s("}")
		}
	case 1: // join
		if !(n == 12 && flags&packet.TCPSyn != 0) &&
			!(n == 16 && flags&(packet.TCPSyn|packet.TCPAck) == packet.TCPSyn|packet.TCPAck) &&
			!(n == 24 && flags&packet.TCPAck != 0) {
			return false
		}
		if n != 24 {
			if o[2]&1 != 0 {
				p.s(" backup")
			}
			p.s(" id ")
			p.u(uint64(o[3]))
		}
		switch n {
		case 12:
			p.s(" token 0x")
			p.b = num.AppendHex(p.b, uint64(rd32(o[4:])), 0)
			p.s(" nonce 0x")
			p.b = num.AppendHex(p.b, uint64(rd32(o[8:])), 0)
		case 16:
			p.s(" hmac 0x")
			p.b = num.AppendHex(p.b, rd64(o[4:]), 0)
			p.s(" nonce 0x")
			p.b = num.AppendHex(p.b, uint64(rd32(o[12:])), 0)
		case 24:
			p.s(" hmac 0x")
			for _, x := range o[4:24] {
				p.b = num.AppendHex(p.b, uint64(x), 2)
			}
		}
	case 2: // dss
		if n < 4 || flags&packet.TCPSyn != 0 {
			return false
		}
		f := o[3]
		if f&0x10 != 0 {
			p.s(" fin")
		}
		r := o[4:]
		seqNum := func(wide bool) bool {
			if wide {
				if len(r) < 8 {
					return false
				}
				p.u(rd64(r))
				r = r[8:]
				return true
			}
			if len(r) < 4 {
				return false
			}
			p.u(uint64(rd32(r)))
			r = r[4:]
			return true
		}
		if f&0x01 != 0 {
			p.s(" ack ")
			if !seqNum(f&0x02 != 0) {
				return false
			}
		}
		if f&0x04 != 0 {
			p.s(" seq ")
			if !seqNum(f&0x08 != 0) {
				return false
			}
			if len(r) < 4 {
				return false
			}
			p.s(" subseq ")
			p.u(uint64(rd32(r)))
			r = r[4:]
			if len(r) < 2 {
				return false
			}
			p.s(" len ")
			p.u(uint64(rd16(r)))
			r = r[2:]
			if len(r) >= 2 {
				p.s(" csum 0x")
				p.b = num.AppendHex(p.b, uint64(rd16(r)), 0)
				r = r[2:]
			}
		}
		if len(r) != 0 {
			return false
		}
	case 3: // add-addr
		switch n {
		case 8, 10, 16, 18, 20, 22, 28, 30:
		default:
			return false
		}
		p.s(" ")
		switch o[2] & 0xf {
		case 6:
			p.s("v0-ip6")
		case 4:
			p.s("v0-ip4")
		case 1:
			p.s("v1-echo")
		case 0:
			p.s("v1")
		default:
			p.s("[bad version/echo]")
		}
		p.s(" id ")
		p.u(uint64(o[3]))
		if n <= 18 {
			p.s(" ")
			p.b = appendAddr4(p.b, o[4:8])
			if n == 10 || n == 18 {
				p.s(":")
				p.u(uint64(rd16(o[8:])))
			}
			if n == 16 {
				p.s(" hmac 0x")
				p.b = num.AppendHex(p.b, rd64(o[8:]), 0)
			}
			if n == 18 {
				p.s(" hmac 0x")
				p.b = num.AppendHex(p.b, rd64(o[10:]), 0)
			}
		} else {
			p.s(" ")
			p.b = appendAddr6(p.b, o[4:20])
			if n == 22 || n == 30 {
				p.s(":")
				p.u(uint64(rd16(o[20:])))
			}
			if n == 28 {
				p.s(" hmac 0x")
				p.b = num.AppendHex(p.b, rd64(o[20:]), 0)
			}
			if n == 30 {
				p.s(" hmac 0x")
				p.b = num.AppendHex(p.b, rd64(o[22:]), 0)
			}
		}
	case 4: // rem-addr
		if n < 4 {
			return false
		}
		p.s(" id")
		for _, x := range o[3:] {
			p.s(" ")
			p.u(uint64(x))
		}
	case 5: // prio
		if n != 3 && n != 4 {
			return false
		}
		if o[2]&1 != 0 {
			p.s(" backup")
		} else {
			p.s(" non-backup")
		}
		if n == 4 {
			p.s(" id ")
			p.u(uint64(o[3]))
		}
	case 6: // fail
		if n != 12 {
			return false
		}
		p.s(" seq ")
		p.u(rd64(o[4:]))
	case 7: // fast-close
		if n != 12 {
			return false
		}
		p.s(" key 0x")
		p.b = num.AppendHex(p.b, rd64(o[4:]), 0)
	}
	return true
}

// tcpPayload prints what tcpdump prints for the payload of a segment on
// the ports whose protocols it recognises. d is the captured payload,
// length the payload length from the headers.
func (p *printer) tcpPayload(d []byte, length, sport, dport int) bool {
	port := func(n int) bool { return sport == n || dport == n }
	switch {
	case port(23):
		return p.telnet(d, length)
	case port(25):
		p.s(": ")
		return p.txtproto(d, length, "smtp", "SMTP", nil)
	case port(43):
		p.s(": ")
		return p.txtproto(d, length, "whois", "WHOIS", nil)
	case port(179):
		p.proto = "bgp"
		p.s(": BGP")
		return true
	case port(1723), port(6379):
		return p.unhandled(d)
	case port(22):
		return p.ssh(d, length)
	case port(10288), port(6633), port(6653):
		return p.unhandled(d)
	case port(21):
		p.s(": ")
		return p.txtproto(d, length, "ftp", "FTP", nil)
	case port(80), port(8080):
		p.s(": ")
		return p.txtproto(d, length, "http", "HTTP", httpCmds)
	case port(554), port(8554):
		p.s(": ")
		return p.txtproto(d, length, "rtsp", "RTSP", rtspCmds)
	case port(53):
		return p.dnsTCP(d, length)
	case port(639), port(323), port(646), port(2049):
		return p.unhandled(d)
	}
	return true
}

// unhandled stands for a payload printer tcpdump has and we do not; with
// nothing of the payload captured tcpdump's printers all stop at once.
func (p *printer) unhandled(d []byte) bool {
	return true
}

// httpCmds are the HTTP request methods tcpdump recognises.
var httpCmds = []string{
	"GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY",
	"BMOVE", "MKCOL", "TRACE", "LABEL", "MERGE", "DELETE", "SEARCH",
	"UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS",
	"CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH",
	"BPROPFIND", "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE",
	"UNSUBSCRIBE", "RPC_CONNECT", "VERSION-CONTROL", "BASELINE-CONTROL",
}

// rtspCmds are the RTSP request methods tcpdump recognises.
var rtspCmds = []string{
	"DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY",
	"RECORD", "REDIRECT", "SETUP", "SET_PARAMETER", "TEARDOWN",
}

func isPrint(c byte) bool { return c >= 0x20 && c < 0x7f }

// fetchToken is tcpdump's fetch_token: the token at idx (into tok) and
// the index after it and the white space that follows; 0 when there is
// no token. It never reads past the captured bytes d.
func fetchToken(d []byte, idx, length int, tok *[129]byte) (next, n int) {
	for ; idx < length; idx++ {
		if idx >= len(d) {
			return 0, 0
		}
		c := d[idx]
		if c >= 0x80 {
			return 0, 0
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			break
		}
		if !isPrint(c) {
			return 0, 0
		}
		if n+2 > len(tok) {
			return 0, 0
		}
		tok[n] = c
		n++
	}
	if n == 0 {
		return 0, 0
	}
	for ; idx < length; idx++ {
		if idx >= len(d) {
			break
		}
		c := d[idx]
		if c == '\r' || c == '\n' || !isPrint(c) {
			break
		}
		if c != ' ' && c != '\t' {
			break
		}
	}
	return idx, n
}

// txtproto is tcpdump's txtproto_print without -v: "NAME" and, when the
// payload looks like a request or response, ": first line".
func (p *printer) txtproto(d []byte, length int, proto, name string, cmds []string) bool {
	p.proto = proto
	if len(d) > length {
		d = d[:length]
	}
	printThis := cmds == nil
	if !printThis {
		var tok [129]byte
		idx, n := fetchToken(d, 0, length, &tok)
		if idx != 0 {
			for _, c := range cmds {
				if asciiEqualFold(tok[:n], c) {
					printThis = true
					break
				}
			}
			idx, n = fetchToken(d, idx, length, &tok)
			if idx != 0 && n == 3 && isDigit(tok[0]) && isDigit(tok[1]) && isDigit(tok[2]) {
				printThis = true
			}
		}
	}
	p.s(name)
	if !printThis {
		return true
	}
	if ok, done := p.txtLine(d, 0, length, ": ", true); done {
		return ok
	}
	p.s(": ")
	p.b = append(p.b, d[:length]...)
	p.trunc()
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// asciiEqualFold compares a token with a command name, ignoring ASCII case.
func asciiEqualFold(a []byte, s string) bool {
	if len(a) != len(s) {
		return false
	}
	for i := range a {
		x, y := a[i], s[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ssh prints ": SSH: <version line>" for an SSH identification string.
func (p *printer) ssh(d []byte, length int) bool {
	p.proto = "ssh"
	if len(d) > length {
		d = d[:length]
	}
	const magic = "SSH-"
	for i := 0; i < len(magic); i++ {
		if i >= len(d) {
			return false
		}
		if d[i] != magic[i] {
			return true
		}
	}
	ok, _ := p.txtLine(d, 4, length, ": SSH: ", false)
	return ok
}

// txtLine is the loop of tcpdump's print_txt_line: when d, from start,
// holds printable text (and tabs, if tabs is set) up to LF or CRLF, it
// prints prefix and the text before the line end. done is false when the
// text runs on to length without a line end (the caller decides what to
// print then); ok is false when the capture ends first.
func (p *printer) txtLine(d []byte, start, length int, prefix string, tabs bool) (ok, done bool) {
	for idx := start; idx < length; idx++ {
		if idx >= len(d) {
			return false, true
		}
		c := d[idx]
		switch {
		case c == '\n':
			p.s(prefix)
			p.b = append(p.b, d[:idx]...)
			return true, true
		case c == '\r':
			if idx+1 >= length {
				return true, true
			}
			if idx+1 >= len(d) {
				return false, true
			}
			if d[idx+1] == '\n' {
				p.s(prefix)
				p.b = append(p.b, d[:idx]...)
			}
			return true, true
		case !isPrint(c) && !(tabs && c == '\t'):
			return true, true
		}
	}
	return true, false
}

// telnet prints the telnet commands tcpdump shows at the start of a
// segment; plain data prints nothing.
func (p *printer) telnet(d []byte, length int) bool {
	p.proto = "telnet"
	if len(d) > length {
		d = d[:length]
	}
	if len(d) < 1 {
		return false
	}
	if d[0] != 0xff { // IAC
		return true
	}
	return p.telnetCmds(d, length)
}

// dnsTCP prints what tcpdump prints for DNS over TCP as far as the
// message header; the message itself is not decoded.
func (p *printer) dnsTCP(d []byte, length int) bool {
	p.proto = "domain"
	if len(d) > length {
		d = d[:length]
	}
	if length < 2 {
		p.s(" [DNS over TCP: length ")
		p.u(uint64(length))
		p.s(" < 2]")
		p.invalid()
		return true
	}
	length -= 2
	if len(d) < 2 {
		return false
	}
	if rd16(d) != length {
		p.s(" [prefix length(")
		p.u(uint64(rd16(d)))
		p.s(") != length(")
		p.u(uint64(length))
		p.s(")]")
		p.invalid()
		return true
	}
	p.s(" ")
	if length < 12 {
		p.s("domain [length ")
		p.u(uint64(length))
		p.s(" < 12]")
		p.invalid()
		return true
	}
	if len(d) < 14 {
		p.trunc()
		return true
	}
	return p.dnsMessage(d[2:], length)
}

// telnetCmds would print telnet option negotiation (" [telnet DO ECHO]");
// it is not decoded, so such a segment prints without it.
func (p *printer) telnetCmds(d []byte, length int) bool {
	return true
}

// dnsMessage would decode a DNS message over TCP; it is not decoded (the
// question would need name decompression), so nothing follows the space.
func (p *printer) dnsMessage(d []byte, length int) bool {
	return true
}
