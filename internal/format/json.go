package format

import (
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/jsonstr"
	"github.com/pfasciilogd/pfasciilogd/internal/num"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// JSON is the -format json formatter: one JSON object per line, written
// by hand into the caller's buffer (no encoding/json, no allocation per
// record). The field names below are a stable interface; new fields may
// be added, existing ones are never renamed or retyped.
//
// Always present:
//
//	timestamp        string  capture time, local, RFC 3339 with µs: "2025-11-21T11:16:42.123456+01:00"
//	rule             number  pf rule number
//	subrule          number  rule number inside the anchor; null outside anchors
//	anchor           string  anchor (ruleset) name; null outside anchors
//	ridentifier      number  rule's ridentifier (FreeBSD >= 13.1); 0 when none
//	uid              number  socket owner's uid; null when pf knew none
//	action           string  FreeBSD's word: pass, block, scrub, nat, rdr, match, ...; "unknown" for values pf does not define
//	reason           string  FreeBSD's word: match, bad-offset, fragment, short, state-mismatch, ...; "unknown" likewise
//	direction        string  in, out, in/out (fwd on OpenBSD); "unknown" likewise
//	interface        string  interface name
//	af               string  address family from the pflog header: inet, inet6, or "unknown"
//	ip_version       number  4 or 6 from the packet; 0 when the IP header was not captured
//	wire_length      number  IP packet length on the wire (pflog header excluded)
//	captured_length  number  IP packet bytes captured
//	truncated        bool    the capture ended before a field the decoder needed
//
// Present when the IP header was captured:
//
//	src, dst         string  addresses (IPv6 in RFC 5952 form)
//	proto_num        number  transport protocol number (after IPv6 extension headers and AH)
//	proto            string  its name (tcp, udp, icmp, icmp6, igmp, gre, esp, ah, carp, sctp, ...); null when unnamed
//	length           number  IP length from the header (IPv4 total length, IPv6 40 + payload length)
//	ttl              number  TTL / hop limit
//	tos              number  TOS / traffic class
//	ip_id            number  IPv4 identification or IPv6 fragment identification
//	fragment         bool    the packet is a fragment
//	frag_offset      number  fragment offset in bytes
//	ip_options       bool    IPv4 options or IPv6 hop-by-hop/routing/destination options present
//	flow_label       number  IPv6 only
//
// Present when the transport header was captured (far enough):
//
//	sport, dport     number  TCP and UDP ports
//	tcp_flags        string  tcpdump's letters: "S", "S.", "P.", "F.", "R", ".", "none"
//	tcp_seq, tcp_ack, tcp_win, tcp_urg  number  (when the whole fixed TCP header was captured)
//	payload_length   number  TCP data / UDP payload / ICMP data length, from the IP lengths
//	icmp_type, icmp_code  number  ICMP and ICMPv6
//	icmp_id, icmp_seq     number  echo and timestamp messages
//
// Strings are escaped so that every line is valid JSON whatever bytes an
// interface or anchor name holds: quotes, backslashes and control bytes
// as \" \\ \uXXXX, bytes that are not UTF-8 as \ufffd.
type JSON struct {
	ts Timestamper
}

// NewJSON returns a JSON formatter that prints times in loc.
func NewJSON(loc *time.Location) *JSON {
	return &JSON{ts: Timestamper{Loc: loc}}
}

// AppendEvent implements Formatter: events are JSON objects too, so that
// every line of the stream is JSON.
func (j *JSON) AppendEvent(dst []byte, e *record.Event) []byte {
	switch e.Kind {
	case record.KindFlood:
		return AppendFloodSummaryJSON(dst, &e.Flood, j.ts.Append)
	case record.KindBudget:
		return AppendBudgetSummaryJSON(dst, &e.Budget, j.ts.Append)
	case record.KindScan, record.KindLimit:
		return e.Scan.AppendJSON(dst, j.ts.Append)
	}
	return dst
}

// Append implements Formatter.
func (j *JSON) Append(dst []byte, r *Record) []byte {
	s := r.Summary()
	h := r.Hdr
	dst = append(dst, `{"timestamp":"`...)
	dst = j.ts.Append(dst, r.Pkt.Sec, r.Pkt.Nsec)
	dst = append(dst, `","rule":`...)
	dst = num.AppendUint(dst, uint64(h.RuleNr))
	if h.InAnchor() {
		dst = append(dst, `,"subrule":`...)
		dst = num.AppendUint(dst, uint64(h.SubRuleNr))
		dst = append(dst, `,"anchor":`...)
		dst = jsonstr.Append(dst, h.Anchor())
	} else {
		dst = append(dst, `,"subrule":null,"anchor":null`...)
	}
	dst = append(dst, `,"ridentifier":`...)
	dst = num.AppendUint(dst, uint64(h.RIdentifier))
	if h.UID == pflog.NoUID {
		dst = append(dst, `,"uid":null`...)
	} else {
		dst = append(dst, `,"uid":`...)
		dst = num.AppendUint(dst, uint64(h.UID))
	}
	dst = append(dst, `,"action":"`...)
	dst = append(dst, orUnknown(pflog.ActionWord(h.Layout, h.Action))...)
	dst = append(dst, `","reason":"`...)
	dst = append(dst, orUnknown(pflog.ReasonWord(h.Layout, h.Reason))...)
	dst = append(dst, `","direction":"`...)
	dst = append(dst, orUnknown(pflog.DirWord(h.Layout, h.Dir))...)
	dst = append(dst, `","interface":`...)
	dst = jsonstr.Append(dst, h.Interface())
	dst = append(dst, `,"af":"`...)
	dst = append(dst, AFWord(h.AF)...)
	dst = append(dst, `","ip_version":`...)
	dst = num.AppendUint(dst, uint64(s.Version))
	if s.Version != 0 {
		dst = append(dst, `,"src":"`...)
		dst = s.Src.AppendTo(dst)
		dst = append(dst, `","dst":"`...)
		dst = s.Dst.AppendTo(dst)
		dst = append(dst, `","proto_num":`...)
		dst = num.AppendUint(dst, uint64(s.Proto))
		if name := ProtoName(s.Proto); name != "" {
			dst = append(dst, `,"proto":"`...)
			dst = append(dst, name...)
			dst = append(dst, '"')
		} else {
			dst = append(dst, `,"proto":null`...)
		}
		dst = appendField(dst, `,"length":`, uint64(s.TotalLen))
		dst = appendField(dst, `,"ttl":`, uint64(s.TTL))
		dst = appendField(dst, `,"tos":`, uint64(s.TOS))
		dst = appendField(dst, `,"ip_id":`, uint64(s.ID))
		dst = appendBool(dst, `,"fragment":`, s.Fragment)
		dst = appendField(dst, `,"frag_offset":`, uint64(s.FragOff))
		dst = appendBool(dst, `,"ip_options":`, s.Options)
		if s.Version == 6 {
			dst = appendField(dst, `,"flow_label":`, uint64(s.FlowLabel))
		}
	}
	if s.HasPort {
		dst = appendField(dst, `,"sport":`, uint64(s.SrcPort))
		dst = appendField(dst, `,"dport":`, uint64(s.DstPort))
	}
	if s.Proto == packet.ProtoTCP && s.TCPHdrLen != 0 {
		dst = append(dst, `,"tcp_flags":"`...)
		dst = packet.AppendTCPFlags(dst, s.TCPFlags)
		dst = append(dst, '"')
		if s.HasTCPHdr {
			dst = appendField(dst, `,"tcp_seq":`, uint64(s.Seq))
			dst = appendField(dst, `,"tcp_ack":`, uint64(s.Ack))
			dst = appendField(dst, `,"tcp_win":`, uint64(s.Window))
			dst = appendField(dst, `,"tcp_urg":`, uint64(s.Urgent))
		}
		dst = appendField(dst, `,"payload_length":`, uint64(s.PayloadLen))
	}
	if s.Proto == packet.ProtoUDP && s.UDPLen != 0 {
		dst = appendField(dst, `,"payload_length":`, uint64(s.PayloadLen))
	}
	if s.HasICMP {
		dst = appendField(dst, `,"icmp_type":`, uint64(s.ICMPType))
		dst = appendField(dst, `,"icmp_code":`, uint64(s.ICMPCode))
		if s.HasEcho {
			dst = appendField(dst, `,"icmp_id":`, uint64(s.ICMPID))
			dst = appendField(dst, `,"icmp_seq":`, uint64(s.ICMPSeq))
		}
		dst = appendField(dst, `,"payload_length":`, uint64(s.PayloadLen))
	}
	dst = appendField(dst, `,"wire_length":`, uint64(max(r.IPWireLen, 0)))
	dst = appendField(dst, `,"captured_length":`, uint64(len(r.IP)))
	dst = appendBool(dst, `,"truncated":`, s.Truncated)
	return append(dst, "}\n"...)
}

func appendField(dst []byte, name string, v uint64) []byte {
	dst = append(dst, name...)
	return num.AppendUint(dst, v)
}

func appendBool(dst []byte, name string, v bool) []byte {
	dst = append(dst, name...)
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

func orUnknown(w string) string {
	if w == "" {
		return "unknown"
	}
	return w
}

// AFWord returns "inet" or "inet6" for a pflog address family, or
// "unknown" (pflog.AFWord).
func AFWord(af uint8) string { return pflog.AFWord(af) }

// ProtoName returns a short lower-case name for an IP protocol number
// (packet.ProtoName).
func ProtoName(p uint8) string { return packet.ProtoName(p) }
