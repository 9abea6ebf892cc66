package detect

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/jsonstr"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/timestamp"
)

// Events a Decision reports.
const (
	EventScan  = 1 // a source was decided to be scanning
	EventLimit = 2 // the per-minute decision limit was reached
)

// Windows a scan decision was made in.
const (
	WindowFast = 1
	WindowSlow = 2
)

// IP protocol numbers the detector names.
const (
	protoICMP    = 1
	protoTCP     = 6
	protoUDP     = 17
	protoDCCP    = 33
	protoICMPv6  = 58
	protoSCTP    = 132
	protoUDPLite = 136
)

// ProtoCount is the number of distinct ports of one protocol.
type ProtoCount struct {
	Proto uint8
	N     uint16
}

// Decision is one event of the detector: a scan decision (Event
// EventScan) or the notice that the per-minute limit was reached (Event
// EventLimit, with only At and Limit set).
type Decision struct {
	Event     uint8
	At        int64        // capture time of the decision (ns)
	Source    netip.Prefix // the address (/32, /128) or the IPv6 prefix decided against
	Addresses int          // addresses of the prefix that took part (1 for an address)
	Ports     int          // distinct (protocol, port) pairs in the window
	Protos    [MaxPorts]ProtoCount
	NProtos   int
	Window    uint8 // WindowFast or WindowSlow
	First     int64 // first and last probe counted (ns)
	Last      int64
	Rule      uint32
	Iface     [16]byte
	Limit     int // EventLimit: the limit per minute
}

func (o *Decision) addProto(p uint8) {
	for i := 0; i < o.NProtos; i++ {
		if o.Protos[i].Proto == p {
			o.Protos[i].N++
			return
		}
	}
	if o.NProtos < len(o.Protos) {
		o.Protos[o.NProtos] = ProtoCount{p, 1}
		o.NProtos++
	}
}

// sorted returns the protocol counts in the contract's order: tcp, udp,
// sctp, dccp, icmp, icmp6, then the others by number.
func (o *Decision) sorted() [MaxPorts]ProtoCount {
	s := o.Protos
	n := o.NProtos
	for i := 1; i < n; i++ {
		for j := i; j > 0 && protoRank(s[j].Proto) < protoRank(s[j-1].Proto); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func protoRank(p uint8) int {
	switch p {
	case protoTCP:
		return 0
	case protoUDP:
		return 1
	case protoSCTP:
		return 2
	case protoDCCP:
		return 3
	case protoICMP:
		return 4
	case protoICMPv6:
		return 5
	}
	return 6 + int(p)
}

func appendProtoName(dst []byte, p uint8) []byte {
	switch p {
	case protoTCP:
		return append(dst, "tcp"...)
	case protoUDP:
		return append(dst, "udp"...)
	case protoSCTP:
		return append(dst, "sctp"...)
	case protoDCCP:
		return append(dst, "dccp"...)
	case protoICMP:
		return append(dst, "icmp"...)
	case protoICMPv6:
		return append(dst, "icmp6"...)
	}
	dst = append(dst, "ip-proto-"...)
	return strconv.AppendUint(dst, uint64(p), 10)
}

// Scope returns "ip" for an address and "range" for a prefix.
func (o *Decision) Scope() string {
	if o.Source.IsSingleIP() {
		return "ip"
	}
	return "range"
}

// Interface is the name of the interface the crossing record was logged
// on (Iface up to its NUL).
func (o *Decision) Interface() []byte { return pflog.CString(o.Iface[:]) }

// WindowName returns "fast" or "slow".
func (o *Decision) WindowName() string {
	if o.Window == WindowFast {
		return "fast"
	}
	return "slow"
}

// Duration returns Last-First rounded to the second.
func (o *Decision) Duration() time.Duration {
	return time.Duration(o.Last - o.First).Round(time.Second)
}

// AppendSource appends the source as the decision line names it: the
// address, or the prefix in CIDR form.
func (o *Decision) AppendSource(dst []byte) []byte {
	if o.Source.IsSingleIP() {
		return o.Source.Addr().AppendTo(dst)
	}
	return o.Source.AppendTo(dst)
}

// AppendMessage appends the line's text after the timestamp, without a
// newline (journald's MESSAGE):
//
//	pfasciilogd: scan from 203.0.113.40: 12 ports (tcp 10, udp 2) in 2m24s, slow window, rule 7 on vtnet0
//	pfasciilogd: scan from 2001:db8:bad:7::/64: 14 ports (tcp 14) from 5 addresses in 40s, fast window, rule 7 on vtnet0
//	pfasciilogd: decision limit reached: 60 new decisions this minute, further decisions wait for the next
//
// Everything naming an address comes before the first ": " after "scan
// from"; nothing later is taken from packet bytes except the interface
// name, escaped so that it never contains white space.
func (o *Decision) AppendMessage(dst []byte) []byte {
	if o.Event == EventLimit {
		dst = append(dst, "pfasciilogd: decision limit reached: "...)
		dst = strconv.AppendInt(dst, int64(o.Limit), 10)
		return append(dst, " new decisions this minute, further decisions wait for the next"...)
	}
	dst = append(dst, "pfasciilogd: scan from "...)
	dst = o.AppendSource(dst)
	dst = append(dst, ": "...)
	dst = strconv.AppendInt(dst, int64(o.Ports), 10)
	if o.Ports == 1 {
		dst = append(dst, " port ("...)
	} else {
		dst = append(dst, " ports ("...)
	}
	s := o.sorted()
	for i := 0; i < o.NProtos; i++ {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = appendProtoName(dst, s[i].Proto)
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, uint64(s[i].N), 10)
	}
	dst = append(dst, ')')
	if !o.Source.IsSingleIP() {
		dst = append(dst, " from "...)
		dst = strconv.AppendInt(dst, int64(o.Addresses), 10)
		if o.Addresses == 1 {
			dst = append(dst, " address"...)
		} else {
			dst = append(dst, " addresses"...)
		}
	}
	dst = append(dst, " in "...)
	dst = appendDuration(dst, o.Duration())
	dst = append(dst, ", "...)
	dst = append(dst, o.WindowName()...)
	dst = append(dst, " window, rule "...)
	dst = strconv.AppendUint(dst, uint64(o.Rule), 10)
	dst = append(dst, " on "...)
	return pflog.AppendSafeName(dst, o.Interface()) // as the per-packet lines name it
}

// AppendText appends the whole text line: the timestamp ts renders, a
// space, AppendMessage and a newline.
func (o *Decision) AppendText(dst []byte, ts func(dst []byte, sec int64, nsec int32) []byte) []byte {
	sec, nsec := timestamp.Split(o.At)
	dst = ts(dst, sec, nsec)
	dst = append(dst, ' ')
	dst = o.AppendMessage(dst)
	return append(dst, '\n')
}

// AppendJSON appends the decision as one JSON object and a newline:
//
//	{"timestamp":"…","event":"scan","source":"203.0.113.40","scope":"ip","prefix_len":32,"addresses":1,"ports":12,"protocols":{"tcp":10,"udp":2},"window":"slow","first":"…","last":"…","duration_s":144,"rule":7,"interface":"vtnet0"}
//	{"timestamp":"…","event":"decision_limit","limit":60}
func (o *Decision) AppendJSON(dst []byte, ts func(dst []byte, sec int64, nsec int32) []byte) []byte {
	sec, nsec := timestamp.Split(o.At)
	dst = append(dst, `{"timestamp":"`...)
	dst = ts(dst, sec, nsec)
	if o.Event == EventLimit {
		dst = append(dst, `","event":"decision_limit","limit":`...)
		dst = strconv.AppendInt(dst, int64(o.Limit), 10)
		return append(dst, "}\n"...)
	}
	dst = append(dst, `","event":"scan","source":"`...)
	dst = o.AppendSource(dst)
	dst = append(dst, `","scope":"`...)
	dst = append(dst, o.Scope()...)
	dst = append(dst, `","prefix_len":`...)
	dst = strconv.AppendInt(dst, int64(o.Source.Bits()), 10)
	dst = append(dst, `,"addresses":`...)
	dst = strconv.AppendInt(dst, int64(o.Addresses), 10)
	dst = append(dst, `,"ports":`...)
	dst = strconv.AppendInt(dst, int64(o.Ports), 10)
	dst = append(dst, `,"protocols":{`...)
	s := o.sorted()
	for i := 0; i < o.NProtos; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = appendProtoName(dst, s[i].Proto)
		dst = append(dst, `":`...)
		dst = strconv.AppendUint(dst, uint64(s[i].N), 10)
	}
	dst = append(dst, `},"window":"`...)
	dst = append(dst, o.WindowName()...)
	dst = append(dst, `","first":"`...)
	sec, nsec = timestamp.Split(o.First)
	dst = ts(dst, sec, nsec)
	dst = append(dst, `","last":"`...)
	sec, nsec = timestamp.Split(o.Last)
	dst = ts(dst, sec, nsec)
	dst = append(dst, `","duration_s":`...)
	dst = strconv.AppendInt(dst, int64(o.Duration()/time.Second), 10)
	dst = append(dst, `,"rule":`...)
	dst = strconv.AppendUint(dst, uint64(o.Rule), 10)
	dst = append(dst, `,"interface":`...)
	dst = jsonstr.Append(dst, o.Interface()) // as the per-packet JSON names it
	return append(dst, "}\n"...)
}

// appendDuration appends d (whole seconds) as time.Duration.String does,
// without allocating: "0s", "40s", "2m24s", "1h0m0s".
func appendDuration(dst []byte, d time.Duration) []byte {
	s := int64(d / time.Second)
	if s < 0 {
		s = 0
	}
	h, m := s/3600, s/60%60
	s %= 60
	if h > 0 {
		dst = strconv.AppendInt(dst, h, 10)
		dst = append(dst, 'h')
	}
	if h > 0 || m > 0 {
		dst = strconv.AppendInt(dst, m, 10)
		dst = append(dst, 'm')
	}
	dst = strconv.AppendInt(dst, s, 10)
	return append(dst, 's')
}
