//go:build !linux

package output

import "github.com/pfasciilogd/pfasciilogd/internal/record"

// Journal is the journald sink; off Linux there is no journald, so the
// journal client is not linked in and OpenJournal always fails.
type Journal struct{}

// OpenJournal returns ErrNoJournald: journald runs only on Linux.
func OpenJournal() (*Journal, error) { return nil, ErrNoJournald }

// WriteBatch implements BatchSink.
func (j *Journal) WriteBatch(*Batch) error { return ErrNoJournald }

// WriteRecord sends one entry for a record.
func (j *Journal) WriteRecord([]byte, *record.Record) error { return ErrNoJournald }

// WriteEvent sends one entry for a stage event.
func (j *Journal) WriteEvent([]byte, *record.Event) error { return ErrNoJournald }

// Write implements Sink.
func (j *Journal) Write([]byte) error { return ErrNoJournald }

// Stats returns the delivery counters.
func (j *Journal) Stats() DeliveryStats { return DeliveryStats{} }

// Reopen implements Sink.
func (j *Journal) Reopen() error { return nil }

// Close implements Sink.
func (j *Journal) Close() error { return nil }
