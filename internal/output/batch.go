package output

import "github.com/pfasciilogd/pfasciilogd/internal/record"

// Batch is a run of complete lines with, for each line, the record or
// event it was rendered from, for sinks that want more than the text
// (journald's fields).
type Batch struct {
	Buf   []byte // the lines, each ending in '\n'
	Lines []Line // one per line of Buf, in order; empty unless WantsLines
}

// Line is one line of a Batch: Buf[previous End:End], and the record or
// the event (exactly one is set) it came from. Both stay valid only
// during the Write.
type Line struct {
	End int
	Rec *record.Record
	Ev  *record.Event
}

// Add appends the line line ends at (len(b.Buf) after it was appended).
func (b *Batch) Add(r *record.Record, e *record.Event) {
	b.Lines = append(b.Lines, Line{End: len(b.Buf), Rec: r, Ev: e})
}

// Reset empties the batch, keeping its storage.
func (b *Batch) Reset() { b.Buf, b.Lines = b.Buf[:0], b.Lines[:0] }

// BatchSink is implemented by sinks that take each line with its record.
// A sink that does not gets Buf through Write.
type BatchSink interface {
	WriteBatch(b *Batch) error
}

// WantsLines reports whether s (or any sink of a Multi) takes the lines'
// records, so the pipeline must fill Batch.Lines and keep records until
// the write.
func WantsLines(s Sink) bool {
	switch s := s.(type) {
	case Multi:
		for _, m := range s {
			if WantsLines(m) {
				return true
			}
		}
		return false
	case BatchSink:
		return true
	}
	return false
}

// WriteBatch hands b to s: through WriteBatch when s takes records,
// through Write otherwise.
func WriteBatch(s Sink, b *Batch) error {
	if bs, ok := s.(BatchSink); ok {
		return bs.WriteBatch(b)
	}
	return s.Write(b.Buf)
}

// WriteBatch implements BatchSink: every member gets the batch in the
// form it takes. It returns the first error.
func (m Multi) WriteBatch(b *Batch) error {
	var first error
	for _, s := range m {
		if err := WriteBatch(s, b); err != nil && first == nil {
			first = err
		}
	}
	return first
}
