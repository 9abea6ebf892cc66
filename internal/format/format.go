// Package format renders the pipeline's records and stage events as
// lines: text (a local, microsecond timestamp followed by exactly what
// FreeBSD's `tcpdump -n -e -S` prints, from internal/tcpdump), JSON and
// pfSense's filterlog CSV. Every formatter appends to a caller-owned
// buffer and allocates nothing per record.
package format

import (
	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
	"github.com/pfasciilogd/pfasciilogd/internal/timestamp"
)

// Timestamper formats capture times (internal/timestamp).
type Timestamper = timestamp.Stamper

// Record is the pipeline's decoded record (internal/record).
type Record = record.Record

// Formatter appends one line, ending in '\n', for a record or an event.
type Formatter interface {
	Append(dst []byte, r *Record) []byte
	// AppendEvent renders an event a stage reported (a flood-control
	// summary) in the same form as the records' lines.
	AppendEvent(dst []byte, e *record.Event) []byte
}

// appendEventText renders an event in the daemon's own voice after a
// timestamp: "<ts> pfasciilogd: ...".
func appendEventText(dst []byte, e *record.Event, ts *Timestamper) []byte {
	switch e.Kind {
	case record.KindFlood:
		return flood.AppendSummary(dst, &e.Flood, ts.Append)
	case record.KindBudget:
		return budget.AppendSummary(dst, &e.Budget, ts.Append)
	case record.KindScan, record.KindLimit:
		return e.Scan.AppendText(dst, ts.Append)
	}
	return dst
}
