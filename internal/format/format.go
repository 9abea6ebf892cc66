// Package format turns one decoded pflog record into one line of text.
//
// The default text format is a local, microsecond timestamp followed by
// exactly what FreeBSD's `tcpdump -n -e -S` prints for the record. Every
// formatter appends to a caller-owned buffer and allocates nothing per
// record.
package format

import (
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// Record is one decoded pflog record: the capture metadata, the pflog
// header and the packet that follows it.
type Record struct {
	Pkt *source.Packet
	Hdr *pflog.Header
	// IP is the packet after the pflog header, as captured (it may be
	// cut short by the snapshot length).
	IP []byte
	// IPWireLen is the packet's length on the wire (without the pflog
	// header), as pf logged it.
	IPWireLen int
}

// Formatter appends one line, ending in '\n', for a record.
type Formatter interface {
	Append(dst []byte, r *Record) []byte
}
