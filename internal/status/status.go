// Package status renders pfasciilogd's live counters as the status file
// administrators read (service pfasciilogd status|stats), and writes that
// file atomically through a directory descriptor, so that it works in
// Capsicum capability mode.
//
// The format is "key: value" lines; the first line is "pfasciilogd
// status". Keys are fixed words; "output" and "missing_input" repeat, one
// line per output or missing file. Readers split each line at the first
// ": ".
package status

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header is the first line of every status file.
const Header = "pfasciilogd status"

// Output is what one network-like output (syslog, remote syslog, journal)
// did with the lines it was given.
type Output struct {
	Name                      string
	Sent, Dropped, Reconnects uint64
}

// Snapshot is everything the status file shows.
type Snapshot struct {
	Pid      int
	Version  string
	Started  time.Time
	Updated  time.Time
	Sequence uint64 // incremented on every write, for readers waiting for a fresh one

	RecordsRead    uint64
	LinesWritten   uint64
	LinesLost      uint64 // refused by the log file (disk full, ...)
	Malformed      uint64 // records with a bad pflog header
	CorruptSkipped uint64 // corrupt input regions skipped
	KernelReceived uint64
	KernelDropped  uint64
	Decisions      uint64    // scan decisions made
	Suppressed     uint64    // flood control
	BudgetWithheld uint64    // per-packet lines the line budget kept out
	LastRecord     time.Time // zero: no record yet

	Outputs []Output
	Missing []string // -F inputs that do not exist
}

// AppendText appends the status file's text to dst.
func (s *Snapshot) AppendText(dst []byte) []byte {
	line := func(k, v string) {
		dst = append(dst, k...)
		dst = append(dst, ": "...)
		dst = append(dst, v...)
		dst = append(dst, '\n')
	}
	num := func(k string, v uint64) { line(k, strconv.FormatUint(v, 10)) }
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	dst = append(dst, Header+"\n"...)
	line("pid", strconv.Itoa(s.Pid))
	if s.Version != "" {
		line("version", s.Version)
	}
	line("started", ts(s.Started))
	line("updated", ts(s.Updated))
	num("sequence", s.Sequence)
	num("records_read", s.RecordsRead)
	num("lines_written", s.LinesWritten)
	num("lines_lost", s.LinesLost)
	num("malformed_records", s.Malformed)
	num("corrupt_input_skipped", s.CorruptSkipped)
	num("kernel_received", s.KernelReceived)
	num("kernel_dropped", s.KernelDropped)
	num("decisions", s.Decisions)
	num("flood_suppressed", s.Suppressed)
	num("budget_withheld", s.BudgetWithheld)
	line("last_record", ts(s.LastRecord))
	for _, o := range s.Outputs {
		line("output", fmt.Sprintf("%s sent %d dropped %d reconnects %d", clean(o.Name), o.Sent, o.Dropped, o.Reconnects))
	}
	num("missing_inputs", uint64(len(s.Missing)))
	for _, m := range s.Missing {
		line("missing_input", clean(m))
	}
	return dst
}

// clean keeps a name on its line: control bytes become '?'.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// Parse reads a status file's text into its keys and values; repeated
// keys keep every value in order.
func Parse(text string) (map[string][]string, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) == 0 || lines[0] != Header {
		return nil, errors.New("not a pfasciilogd status file: first line is not \"" + Header + "\"")
	}
	m := map[string][]string{}
	for i, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ": ")
		if !ok || k == "" {
			return nil, fmt.Errorf("status line %d: %q is not \"key: value\"", i+2, l)
		}
		m[k] = append(m[k], v)
	}
	return m, nil
}
