// Package status renders pfasciilogd's live counters as the status file
// administrators read (service pfasciilogd status|stats), and writes that
// file atomically through a directory descriptor, so that it works in
// Capsicum capability mode.
//
// The format is "key: value" lines; the first line is "pfasciilogd
// status". Keys are fixed words; "output", "detector" and
// "missing_input" repeat, one line per output, input with a detector, or
// missing file. Readers split each line at the first ": " and ignore keys
// they do not know: new counters are added as new keys (or as new
// "word N" pairs at the end of a repeated line), never by changing what
// a key means.
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

// Detector is what one input's scan detector counted (each input has a
// detector of its own; see internal/detect's Stats).
type Detector struct {
	Input            string
	Tracked          int64  // sources with evidence in the table now
	Table            int64  // the table's capacity
	Probation        int64  // one-port sources remembered now
	Probes           uint64 // records that counted as probes
	Decisions        uint64 // scan decisions made
	Limited          uint64 // decisions the per-minute limit made wait
	LimitMinutes     uint64 // minutes in which the limit was reached
	Evicted          uint64 // sources with evidence pushed out of the full table
	ProbationEvicted uint64 // one-port sources pushed out of probation
	Cut              uint64 // probes from records cut before their TCP flags
	Ignored          uint64 // probes from own or ignored sources
	Bogus            uint64 // probes from unusable sources (multicast, ...)
}

// detectorFields are a "detector" line's "word N" pairs, in order, after
// the input's name.
var detectorFields = []struct {
	word string
	u    func(*Detector) *uint64
	i    func(*Detector) *int64
}{
	{word: "tracked", i: func(d *Detector) *int64 { return &d.Tracked }},
	{word: "table", i: func(d *Detector) *int64 { return &d.Table }},
	{word: "probation", i: func(d *Detector) *int64 { return &d.Probation }},
	{word: "probes", u: func(d *Detector) *uint64 { return &d.Probes }},
	{word: "decisions", u: func(d *Detector) *uint64 { return &d.Decisions }},
	{word: "limited", u: func(d *Detector) *uint64 { return &d.Limited }},
	{word: "limit_minutes", u: func(d *Detector) *uint64 { return &d.LimitMinutes }},
	{word: "evicted", u: func(d *Detector) *uint64 { return &d.Evicted }},
	{word: "probation_evicted", u: func(d *Detector) *uint64 { return &d.ProbationEvicted }},
	{word: "cut", u: func(d *Detector) *uint64 { return &d.Cut }},
	{word: "ignored", u: func(d *Detector) *uint64 { return &d.Ignored }},
	{word: "bogus", u: func(d *Detector) *uint64 { return &d.Bogus }},
}

// appendDetector appends a "detector" line's value.
func appendDetector(dst []byte, d *Detector) []byte {
	dst = append(dst, clean(d.Input)...)
	for _, f := range detectorFields {
		dst = append(dst, ' ')
		dst = append(dst, f.word...)
		dst = append(dst, ' ')
		if f.u != nil {
			dst = strconv.AppendUint(dst, *f.u(d), 10)
		} else {
			dst = strconv.AppendInt(dst, *f.i(d), 10)
		}
	}
	return dst
}

// ParseDetector reads the value of a "detector" line. The input's name
// comes first and may hold spaces, so the line is read from its end, as
// "word N" pairs (word: lower-case letters and '_'), down to the first
// field that is not one; what is left is the name. Words it does not
// know (a newer daemon's) are skipped; counters the line lacks stay zero.
func ParseDetector(v string) (Detector, error) {
	var d Detector
	f := strings.Split(v, " ")
	end, pairs := len(f), 0
	for ; end >= 3 && isWord(f[end-2]); end -= 2 {
		word, n := f[end-2], f[end-1]
		i, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			break
		}
		for _, fl := range detectorFields {
			switch {
			case fl.word != word:
			case fl.i != nil:
				*fl.i(&d) = i
			case i < 0:
				return d, fmt.Errorf("detector line %q: %s %s: a count is never negative", v, word, n)
			default:
				*fl.u(&d) = uint64(i)
			}
		}
		pairs++
	}
	if pairs == 0 || end == 0 {
		return d, fmt.Errorf("detector line %q is not \"INPUT tracked N table N ...\"", v)
	}
	d.Input = strings.Join(f[:end], " ")
	return d, nil
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '_' && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}

// Snapshot is everything the status file shows.
type Snapshot struct {
	Pid      int
	Version  string
	Started  time.Time
	Updated  time.Time
	Sequence uint64 // incremented on every write, for readers waiting for a fresh one

	RecordsRead     uint64
	LinesWritten    uint64
	LinesLost       uint64 // refused by the log file (disk full, ...)
	Malformed       uint64 // records with a bad pflog header
	CorruptSkipped  uint64 // corrupt input regions skipped
	KernelReceived  uint64
	KernelDropped   uint64
	Decisions       uint64    // scan decisions made, all inputs
	Limited         uint64    // decisions the per-minute limit made wait, all inputs
	DetectTracked   int64     // sources with evidence tracked, all inputs
	DetectEvictions uint64    // sources with evidence evicted from a full table, all inputs
	Suppressed      uint64    // flood control: records counted, not written
	FloodSummaries  uint64    // flood control: summary lines
	FloodEvictions  uint64    // flood control: sources evicted from the full table
	BudgetRate      int       // the line budget, lines per second (0: off)
	BudgetWithheld  uint64    // per-packet lines the line budget kept out
	BudgetSummaries uint64    // the line budget's summary lines
	LastRecord      time.Time // zero: no record yet

	Outputs   []Output
	Detectors []Detector // one per input, while detection is on
	Missing   []string   // -F inputs that do not exist
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
	num("decisions_limited", s.Limited)
	line("detector_tracked", strconv.FormatInt(s.DetectTracked, 10))
	num("detector_evicted", s.DetectEvictions)
	num("flood_suppressed", s.Suppressed)
	num("flood_summaries", s.FloodSummaries)
	num("flood_evicted", s.FloodEvictions)
	line("budget_rate", strconv.Itoa(s.BudgetRate))
	num("budget_withheld", s.BudgetWithheld)
	num("budget_summaries", s.BudgetSummaries)
	line("last_record", ts(s.LastRecord))
	for _, o := range s.Outputs {
		line("output", fmt.Sprintf("%s sent %d dropped %d reconnects %d", clean(o.Name), o.Sent, o.Dropped, o.Reconnects))
	}
	for i := range s.Detectors {
		dst = append(dst, "detector: "...)
		dst = appendDetector(dst, &s.Detectors[i])
		dst = append(dst, '\n')
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
