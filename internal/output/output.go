// Package output holds the sinks the daemon writes its lines to: a log
// file that can be reopened after rotation, standard output, and (in
// their own files) syslog and journald.
//
// A sink receives batches of complete lines, each ending in '\n'. Writes,
// reopens and closes on one sink may come from different goroutines; every
// sink serialises them itself.
package output

// Sink takes batches of complete lines.
type Sink interface {
	// Write takes a batch of whole lines. The sink must not keep the slice.
	Write(batch []byte) error
	// Reopen closes and reopens the underlying file or connection, for log
	// rotation. Sinks without one return nil.
	Reopen() error
	// Close flushes and releases the sink.
	Close() error
}

// newline separates the lines of a batch.
var newline = []byte{'\n'}
