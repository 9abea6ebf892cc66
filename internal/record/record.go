// Package record holds the values that flow through the daemon's
// pipeline: Record, one pflog record decoded once (capture metadata,
// pflog header, the packet's summary, all over the source's bytes), and
// Event, something a per-source stage reports (a flood-control summary,
// a scan decision) that the formats render and the sinks receive
// like a line.
package record

import (
	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"github.com/pfasciilogd/pfasciilogd/internal/detect"
	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// Record is one decoded pflog record: the capture metadata, the pflog
// header and the packet that follows it. IP aliases Pkt.Data; nothing is
// copied. Every stage, format and sink reads the same value.
type Record struct {
	Pkt *source.Packet
	Hdr *pflog.Header
	// IP is the packet after the pflog header, as captured (it may be
	// cut short by the snapshot length).
	IP []byte
	// IPWireLen is the packet's length on the wire (without the pflog
	// header), as pf logged it.
	IPWireLen int

	sum     *packet.Summary // storage for Summary (see UseSummary)
	summary bool            // *sum holds IP's summary
}

// UseSummary gives the record storage for its packet summary, so that a
// pipeline can keep records small and their summaries in an array of
// their own. Without it, the first Summary allocates it.
func (r *Record) UseSummary(s *packet.Summary) { r.sum, r.summary = s, false }

// Decode decodes the pflog header of r.Pkt.Data into r.Hdr and sets IP
// and IPWireLen. r.Pkt and r.Hdr must be set. The packet summary is
// decoded on first use (Summary), at most once per record.
func (r *Record) Decode() error {
	r.summary = false
	ip, err := pflog.Decode(r.Pkt.Data, r.Hdr)
	if err != nil {
		r.IP, r.IPWireLen = nil, 0
		return err
	}
	r.IP = ip
	r.IPWireLen = max(r.Pkt.WireLen-pflog.HeaderSize(r.Hdr.Length), len(ip))
	return nil
}

// Summary returns the summary of the packet (packet.Decode of IP),
// decoding it on the first call for this record. It is valid until the
// record is decoded again or IP changes.
func (r *Record) Summary() *packet.Summary {
	if !r.summary {
		if r.sum == nil {
			r.sum = new(packet.Summary)
		}
		packet.Decode(r.IP, r.IPWireLen, r.sum)
		r.summary = true
	}
	return r.sum
}

// Reset forgets the cached summary (after IP was set by hand).
func (r *Record) Reset() { r.summary = false }

// Time returns the capture time in nanoseconds since the epoch.
func (r *Record) Time() int64 { return r.Pkt.Sec*1e9 + int64(r.Pkt.Nsec) }

// Kind tells what an Event holds.
type Kind uint8

// The kinds of events.
const (
	KindNone   Kind = iota
	KindFlood       // Flood holds a flood-control summary
	KindBudget      // Budget holds a line-budget summary
	KindScan        // Scan holds a scan decision (detect.EventScan)
	KindLimit       // Scan holds the "decision limit reached" notice (detect.EventLimit)
)

// Event is what a stage reports besides records. It is a plain value (no
// pointers into reused buffers), so it can wait in a batch.
type Event struct {
	Kind   Kind
	Flood  flood.Summary
	Budget budget.Summary
	Scan   detect.Decision
}

// Time returns the event's capture time in nanoseconds since the epoch.
func (e *Event) Time() int64 {
	switch e.Kind {
	case KindFlood:
		return e.Flood.At
	case KindBudget:
		return e.Budget.At
	case KindScan, KindLimit:
		return e.Scan.At
	}
	return 0
}
