package packet

// Shown is what the text printer (internal/tcpdump, as tcpdump's
// sctp_print and dccp_print) shows of an SCTP record's first chunk or a
// DCCP record's packet type, worked out from the Summary alone. Flood
// control and the scan detector both judge SCTP and DCCP openers by it,
// so neither reads the transport bytes again and the two cannot drift.
type Shown uint8

// The values of Shown.
const (
	// ShownOther: another chunk or packet type, or a malformed header.
	ShownOther Shown = iota
	// ShownOpener: printed whole as "(1) [INIT]" (before the ForCES
	// port check) or "DCCP-Request (service=N)".
	ShownOpener
	// ShownCutOpener: an SCTP INIT, whole in the packet the IP header
	// describes and with its chunk type captured, that the capture cut
	// (printed "[|sctp]"; at pflogd's 116 bytes every IPv4 INIT is).
	ShownCutOpener
	// ShownUnseen: cut ("[|sctp]", "[|dccp]") or hidden behind IPv6
	// extension headers before its type, and maybe an opener.
	ShownUnseen
)

// l4Seen returns the transport header's length as the IP header gives it
// and how much of it the printer sees (the capture, cut at the end of the
// IP datagram). ok is false when the printer stops at the IP header's
// length (IPv4 "bad-len", an IPv6 payload length of 0).
func l4Seen(s *Summary) (length, capt int, ok bool) {
	if s.TotalLen < s.HdrLen || s.TotalLen == 0 || (s.Version == 6 && s.TotalLen == 40) {
		return 0, 0, false
	}
	return s.L4Len, min(s.L4Cap, s.L4Len), true
}

// Hidden reports whether the printer stops at IPv6 extension headers
// before the transport header (the headers are there but not ExtPlain).
func (s *Summary) Hidden() bool { return s.ExtLen > 0 && !s.ExtPlain }

// SCTPFirst is what the printer shows of s's first SCTP chunk, in the
// order sctp_print checks the lengths. s must be SCTP.
func SCTPFirst(s *Summary) Shown {
	// A first chunk captured and known to be no INIT is none, whatever
	// the printer shows.
	maybe := ShownUnseen
	if s.HasSCTPChunk && s.SCTPChunk != SCTPInit {
		maybe = ShownOther
	}
	length, capt, ok := l4Seen(s)
	switch {
	case !ok || length < 12: // "truncated-sctp"
		return ShownOther
	case capt < 12:
		return maybe
	case length-12 < 4: // no chunk, "chunk descriptor cut off"
		return ShownOther
	case capt < 16:
		return maybe
	}
	n := int(s.SCTPChunkLen)
	switch {
	case n < 4 || length-12 < (4-n%4)%4: // "Bad chunk length"
		return ShownOther
	case s.Hidden():
		return maybe
	case maybe == ShownOther:
		return ShownOther
	case length < 12+n:
		return maybe // the chunk runs past the packet the IP header describes
	case capt < 12+n:
		return ShownCutOpener
	}
	return ShownOpener
}

// DCCPFirst is what the printer shows of s's DCCP packet type, in the
// order dccp_print checks the lengths. s must be DCCP.
func DCCPFirst(s *Summary) Shown {
	maybe := ShownUnseen
	if s.HasDCCPType && s.DCCPType != DCCPRequest {
		maybe = ShownOther
	}
	length, capt, ok := l4Seen(s)
	if !ok {
		return ShownOther
	}
	if capt < 12 {
		return maybe
	}
	fixed := 12 // the generic header
	if s.DCCPExt {
		fixed = 16
	}
	switch {
	case length < fixed: // "truncated-dccp"
		return ShownOther
	case capt < fixed:
		return maybe
	case maybe == ShownOther:
		return ShownOther
	case length < fixed+4: // "truncated-DCCP-Request"
		return ShownOther
	case capt < fixed+4 || s.Hidden():
		return ShownUnseen
	}
	return ShownOpener
}
