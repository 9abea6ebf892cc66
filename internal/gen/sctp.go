package gen

import "encoding/binary"

// SCTPChunk builds one SCTP chunk: type, flags and body, its length field
// set and padded to a multiple of 4.
func SCTPChunk(typ, flags byte, body []byte) []byte {
	n := 4 + len(body)
	b := make([]byte, 4, n+3)
	b[0], b[1] = typ, flags
	binary.BigEndian.PutUint16(b[2:], uint16(n))
	b = append(b, body...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// SCTPRaw builds an SCTP packet: the common header (verification tag
// vtag, checksum left zero; tcpdump does not check it) and the chunks.
func SCTPRaw(sport, dport uint16, vtag uint32, chunks ...[]byte) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], vtag)
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b
}

// SCTPInit is the body of an INIT or INIT ACK chunk.
func SCTPInit(tag, rwnd uint32, os, mis uint16, tsn uint32, params []byte) []byte {
	b := make([]byte, 16, 16+len(params))
	binary.BigEndian.PutUint32(b[0:], tag)
	binary.BigEndian.PutUint32(b[4:], rwnd)
	binary.BigEndian.PutUint16(b[8:], os)
	binary.BigEndian.PutUint16(b[10:], mis)
	binary.BigEndian.PutUint32(b[12:], tsn)
	return append(b, params...)
}

// DCCPRaw builds a DCCP packet of type typ (0 Request ... 9 SyncAck) with
// 48-bit sequence numbers when ext is set; rest follows the generic
// header (the acknowledgement, service code or reset subheader, options,
// data). The data offset covers the generic header and rest.
func DCCPRaw(sport, dport uint16, typ byte, ext bool, seq uint64, rest []byte) []byte {
	n := 12
	if ext {
		n = 16
	}
	b := make([]byte, n, n+len(rest))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	b[4] = byte((n + len(rest) + 3) / 4)
	b[8] = typ << 1
	if ext {
		b[8] |= 1
		binary.BigEndian.PutUint16(b[10:], uint16(seq>>32))
		binary.BigEndian.PutUint32(b[12:], uint32(seq))
	} else {
		b[9] = byte(seq >> 16)
		binary.BigEndian.PutUint16(b[10:], uint16(seq))
	}
	return append(b, rest...)
}

// TransportCase is an SCTP or DCCP packet payload of the catalogue.
type TransportCase struct {
	Name    string
	Proto   byte // 132 or 33
	Payload []byte
	// MultiLine: tcpdump goes on on more lines (SACK gap blocks,
	// ForCES); the printer keeps the first. Cases only checks the
	// single-line ones.
	MultiLine bool
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func cat(bs ...[]byte) []byte {
	var o []byte
	for _, b := range bs {
		o = append(o, b...)
	}
	return o
}

// SCTPDCCPCases returns SCTP and DCCP packets: every chunk and packet type
// tcpdump names, and malformed ones.
func SCTPDCCPCases() []TransportCase {
	init := SCTPInit(1, 65535, 10, 65535, 1, []byte{0, 5, 0, 8, 192, 0, 2, 10})
	data := func(flags byte, ppid uint32, payload string) []byte {
		return SCTPChunk(0, flags, cat([]byte{0, 0, 0, 7, 0, 1, 0, 2}, be32(ppid), []byte(payload)))
	}
	sack := func(gaps, dups uint16, extra []byte) []byte {
		b := cat(be32(100), be32(65535), []byte{byte(gaps >> 8), byte(gaps), byte(dups >> 8), byte(dups)}, extra)
		return SCTPChunk(3, 0, b)
	}
	ack8 := []byte{0, 0, 0, 0, 0, 0, 0, 9}
	ack4 := []byte{0, 0, 0, 9}
	cs := []TransportCase{
		{"sctp/init", 132, SCTPRaw(5000, 80, 0, SCTPChunk(1, 0, init)), false},
		{"sctp/init-noparams", 132, SCTPRaw(40000, 3868, 0, SCTPChunk(1, 0, SCTPInit(287454020, 65535, 10, 10, 1, nil))), false},
		{"sctp/init-ack", 132, SCTPRaw(80, 5000, 1, SCTPChunk(2, 0, cat(init, []byte{0, 7, 0, 8, 1, 2, 3, 4}))), false},
		{"sctp/init-short", 132, SCTPRaw(5000, 80, 0, SCTPChunk(1, 0, make([]byte, 12))), false},
		{"sctp/abort", 132, SCTPRaw(5000, 80, 7, SCTPChunk(6, 1, nil)), false},
		{"sctp/data", 132, SCTPRaw(5000, 80, 7, data(3, 0, "hello")), false},
		{"sctp/data-unordered-m3ua", 132, SCTPRaw(5000, 80, 7, data(4, 3, "hello")), false},
		{"sctp/data-middle-ppid-unknown", 132, SCTPRaw(5000, 80, 7, data(0, 4242, "abcd")), false},
		{"sctp/data-empty", 132, SCTPRaw(5000, 80, 7, data(3, 0, "")), false},
		{"sctp/data-short", 132, SCTPRaw(5000, 80, 7, SCTPChunk(0, 2, make([]byte, 6))), false},
		{"sctp/data-forces-ppid", 132, SCTPRaw(5000, 80, 7, data(3, 21, string(make([]byte, 24)))), false},
		{"sctp/data-forces-ppid-short", 132, SCTPRaw(5000, 80, 7, data(3, 22, "abcd")), false},
		{"sctp/data-forces-port", 132, SCTPRaw(6704, 80, 7, data(3, 0, "\x10\x01\x00\x06"+string(make([]byte, 20)))), false},
		{"sctp/data-forces-invalid", 132, SCTPRaw(5000, 6705, 7, data(3, 0, "\x10\x08"+string(make([]byte, 22)))), false},
		{"sctp/heartbeat", 132, SCTPRaw(5000, 80, 7, SCTPChunk(4, 0, []byte{0, 1, 0, 8, 1, 2, 3, 4})), false},
		{"sctp/heartbeat-ack", 132, SCTPRaw(5000, 80, 7, SCTPChunk(5, 0, []byte{0, 1, 0, 8, 1, 2, 3, 4})), false},
		{"sctp/shutdown", 132, SCTPRaw(5000, 80, 7, SCTPChunk(7, 0, be32(99))), false},
		{"sctp/shutdown-ack", 132, SCTPRaw(5000, 80, 7, SCTPChunk(8, 0, nil)), false},
		{"sctp/shutdown-complete", 132, SCTPRaw(5000, 80, 7, SCTPChunk(14, 0, nil)), false},
		{"sctp/cookie-echo", 132, SCTPRaw(5000, 80, 7, SCTPChunk(10, 0, []byte("cookie!"))), false},
		{"sctp/cookie-ack", 132, SCTPRaw(5000, 80, 7, SCTPChunk(11, 0, nil)), false},
		{"sctp/op-err", 132, SCTPRaw(5000, 80, 7, SCTPChunk(9, 0, []byte{0, 1, 0, 4})), false},
		{"sctp/ecn", 132, SCTPRaw(5000, 80, 7, SCTPChunk(12, 0, be32(5)), SCTPChunk(13, 0, be32(5))), false},
		{"sctp/fwd-tsn-rel", 132, SCTPRaw(5000, 80, 7, SCTPChunk(0xc0, 0, be32(5)), SCTPChunk(0xc1, 0, be32(5)), SCTPChunk(0xc2, 0, nil)), false},
		{"sctp/unknown-chunk", 132, SCTPRaw(5000, 80, 7, SCTPChunk(0x42, 0, []byte{1})), false},
		{"sctp/sack", 132, SCTPRaw(5000, 80, 7, sack(0, 0, nil)), false},
		{"sctp/sack-gaps", 132, SCTPRaw(5000, 80, 7, sack(1, 1, []byte{0, 2, 0, 4, 0, 0, 0, 50})), false},
		{"sctp/sack-dups", 132, SCTPRaw(5000, 80, 7, sack(0, 1, be32(50))), false},
		{"sctp/sack-gap-short", 132, SCTPRaw(5000, 80, 7, sack(1, 0, []byte{0, 2})), false},
		{"sctp/cookie-echo-data", 132, SCTPRaw(5000, 80, 7, SCTPChunk(10, 0, []byte("cookie")), data(3, 0, "x")), false},
		{"sctp/data-sack", 132, SCTPRaw(5000, 80, 7, data(3, 0, "x"), sack(0, 0, nil)), false},
		{"sctp/no-chunks", 132, SCTPRaw(5000, 80, 7), false},
		{"sctp/short-hdr", 132, SCTPRaw(5000, 80, 7)[:8], false},
		{"sctp/chunk-cut-off", 132, append(SCTPRaw(5000, 80, 7), 1, 0), false},
		{"sctp/chunk-len-0", 132, SCTPRaw(5000, 80, 7, []byte{1, 0, 0, 0}), false},
		{"sctp/chunk-len-long", 132, SCTPRaw(5000, 80, 7, []byte{1, 0, 0, 200, 0, 0, 0, 0}), false},
		{"sctp/chunk-len-odd-end", 132, SCTPRaw(5000, 80, 7, []byte{7, 0, 0, 5, 1}), false},
		{"sctp/chunk-len-odd", 132, SCTPRaw(5000, 80, 7, []byte{7, 0, 0, 7, 1, 2, 3, 0}, SCTPChunk(8, 0, nil)), false},
		{"dccp/request", 33, DCCPRaw(5000, 80, 0, true, 1, be32(0)), false},
		{"dccp/request-service", 33, DCCPRaw(40000, 5004, 0, true, 1, be32(1234)), false},
		{"dccp/request-short-seq", 33, DCCPRaw(5000, 80, 0, false, 1, be32(7)), false},
		{"dccp/request-trunc", 33, DCCPRaw(5000, 80, 0, true, 1, []byte{0, 0}), false},
		{"dccp/response", 33, DCCPRaw(80, 5000, 1, true, 2, cat(ack8, be32(42))), false},
		{"dccp/response-short", 33, DCCPRaw(80, 5000, 1, true, 2, ack8[:4]), false},
		{"dccp/data", 33, DCCPRaw(5000, 80, 2, true, 3, []byte("data")), false},
		{"dccp/data-short-seq", 33, DCCPRaw(5000, 80, 2, false, 3, nil), false},
		{"dccp/ack", 33, DCCPRaw(5000, 80, 3, true, 4, ack8), false},
		{"dccp/ack-short-seq", 33, DCCPRaw(5000, 80, 3, false, 4, cat(ack4, ack4)), false},
		{"dccp/dataack", 33, DCCPRaw(5000, 80, 4, true, 5, cat(ack8, []byte("xy"))), false},
		{"dccp/closereq", 33, DCCPRaw(80, 5000, 5, true, 6, ack8), false},
		{"dccp/close", 33, DCCPRaw(5000, 80, 6, true, 7, ack8), false},
		{"dccp/reset", 33, DCCPRaw(80, 5000, 7, true, 8, cat(ack8, []byte{3, 0, 0, 0})), false},
		{"dccp/reset-invalid-code", 33, DCCPRaw(80, 5000, 7, true, 8, cat(ack8, []byte{200, 0, 0, 0})), false},
		{"dccp/sync", 33, DCCPRaw(5000, 80, 8, true, 9, ack8), false},
		{"dccp/syncack", 33, DCCPRaw(5000, 80, 9, true, 10, ack8), false},
		{"dccp/unknown-type", 33, DCCPRaw(5000, 80, 12, true, 11, ack8), false},
		{"dccp/ack-missing", 33, DCCPRaw(5000, 80, 3, true, 4, nil), false},
		{"dccp/short", 33, DCCPRaw(5000, 80, 0, false, 1, nil)[:8], false},
		{"dccp/ext-short", 33, DCCPRaw(5000, 80, 0, true, 1, nil)[:14], false},
	}
	for i := range cs {
		switch cs[i].Name {
		case "sctp/sack-gaps", "sctp/sack-dups", "sctp/data-forces-ppid", "sctp/data-forces-port", "sctp/data-forces-invalid":
			cs[i].MultiLine = true
		}
	}
	return cs
}
