// Package source defines what every packet source (pcap and pcapng files,
// followed files, live BPF capture) hands to the rest of the daemon: one
// captured record at a time, in a buffer the source reuses.
package source

import (
	"errors"
	"fmt"
)

// Packet is one captured record. Data is valid only until the next call
// to Next on the same source.
type Packet struct {
	Sec     int64  // capture time, seconds since the epoch
	Nsec    int32  // nanoseconds within the second
	WireLen int    // original length on the wire (pcap orig_len / bh_datalen)
	Data    []byte // captured bytes (len(Data) is the capture length)
}

// Source yields captured records.
type Source interface {
	// Next fills p with the next record. It returns io.EOF at the end of
	// a finite source, a *SkipError when it skipped corrupt input and can
	// go on, and any other error when it cannot go on.
	Next(p *Packet) error
	// Pending reports whether Next can return a record without waiting
	// for input. The pipeline hands its batch to the output whenever this
	// turns false, so no line waits behind a blocking read.
	Pending() bool
	// Name names the source in messages (a path or an interface).
	Name() string
	// Close releases the source; a Next blocked in another goroutine
	// returns soon after.
	Close() error
}

// SkipError reports input that a source skipped to reach the next good
// record. The source stays usable.
type SkipError struct {
	Name    string // source name
	Offset  int64  // byte offset of the skipped input, -1 if unknown
	Skipped int64  // bytes skipped, 0 if unknown
	Reason  string
}

func (e *SkipError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("%s: skipped corrupt input: %s", e.Name, e.Reason)
	}
	return fmt.Sprintf("%s: offset %d: skipped %d bytes of corrupt input: %s", e.Name, e.Offset, e.Skipped, e.Reason)
}

// IsSkip reports whether err is a *SkipError.
func IsSkip(err error) bool {
	var s *SkipError
	return errors.As(err, &s)
}

// Stats are counters a source may expose (live capture's kernel drops).
type Stats struct {
	Received uint64 // packets the kernel saw (live capture)
	Dropped  uint64 // packets the kernel dropped (live capture)
}

// StatsSource is implemented by sources that have kernel counters.
type StatsSource interface {
	Stats() (Stats, error)
}
