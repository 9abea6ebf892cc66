//go:build linux

package output

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	"github.com/pfasciilogd/pfasciilogd/internal/budget"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// Journal writes each record as one systemd journal entry whose MESSAGE
// is the formatted line and whose fields carry the record's values, for
// journalctl filters (journalctl PF_ACTION=block PF_DPORT=22) and for
// fail2ban's systemd backend:
//
//	SYSLOG_IDENTIFIER=pfasciilogd  PRIORITY=6 (info)
//	PF_RULE        rule number
//	PF_SUBRULE     rule number inside the anchor   (only inside anchors)
//	PF_ANCHOR      anchor name                     (only inside anchors)
//	PF_RIDENTIFIER ridentifier                     (only when not 0)
//	PF_UID         socket owner's uid              (only when pf knew it)
//	PF_ACTION      pass, block, match, ...         (FreeBSD's words; "unknown" otherwise)
//	PF_REASON      match, state-mismatch, ...
//	PF_DIR         in, out, in/out
//	PF_IF          interface
//	PF_AF          inet or inet6
//	PF_PROTO       tcp, udp, icmp, icmp6, ... (the number when unnamed)
//	PF_SRC PF_DST  addresses                       (when captured)
//	PF_SPORT PF_DPORT  ports                       (TCP, UDP)
//	PF_TCPFLAGS    tcpdump's letters: S, S., P., R, ...
//	PF_ICMPTYPE PF_ICMPCODE                        (ICMP, ICMPv6)
//	PF_LEN         IP packet length on the wire
//	PF_TRUNCATED   1 when the capture cut off a field the decoder needed, else 0
//
// Names are printed the way the text format prints them (tcpdump's
// escapes), so a field never holds a control byte.
//
// Stage events (flood-control summaries) carry PF_EVENT=flood_summary,
// PF_SOURCE (the address; absent for a merged overflow summary),
// PF_SOURCES, PF_SUPPRESSED and PF_WINDOW (seconds).
//
// Journal is an ordinary sink: the daemon hands it whole batches through
// WriteBatch, each line with its record or event, in input order, from
// the one writer goroutine of each source. Write(batch) takes lines that
// have no record (the daemon's own notices): each line becomes an entry
// with MESSAGE and SYSLOG_IDENTIFIER only.
//
// go-systemd's journal.Send takes a map[string]string; the sink reuses
// one map, but the library and the string values still allocate a little
// per entry. journald is a local, per-entry protocol; use the file or
// syslog sinks where every allocation counts.
type Journal struct {
	mu   sync.Mutex
	vars map[string]string
	bare map[string]string
	buf  []byte
	msg  []byte // a decision's MESSAGE
	n    deliveryCounters
}

// OpenJournal checks that journald listens and returns the sink.
func OpenJournal() (*Journal, error) {
	if !journal.Enabled() {
		return nil, ErrNoJournald
	}
	return &Journal{
		vars: make(map[string]string, 24),
		bare: map[string]string{"SYSLOG_IDENTIFIER": JournalIdentifier},
		buf:  make([]byte, 0, 64),
	}, nil
}

// WriteBatch implements BatchSink: one entry per line, with the fields
// of its record or event. It returns the first error; every line is
// tried.
func (j *Journal) WriteBatch(b *Batch) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var first error
	start := 0
	for i := range b.Lines {
		l := &b.Lines[i]
		line := b.Buf[start:l.End]
		start = l.End
		var err error
		switch {
		case l.Rec != nil:
			err = j.sendRecord(line, l.Rec)
		case l.Ev != nil:
			err = j.sendEvent(line, l.Ev)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// WriteRecord sends one entry: MESSAGE is line (its newline removed), the
// PF_* fields come from r (its packet summary, decoded once per record).
func (j *Journal) WriteRecord(line []byte, r *record.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sendRecord(line, r)
}

// WriteEvent sends one entry for a stage event rendered as line.
func (j *Journal) WriteEvent(line []byte, e *record.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sendEvent(line, e)
}

func (j *Journal) sendRecord(line []byte, r *record.Record) error {
	j.fill(r, r.Summary())
	return j.send(line, j.vars)
}

func (j *Journal) sendEvent(line []byte, e *record.Event) error {
	v := j.vars
	clear(v)
	v["SYSLOG_IDENTIFIER"] = JournalIdentifier
	switch e.Kind {
	case record.KindFlood:
		s := &e.Flood
		v["PF_EVENT"] = "flood_summary"
		if s.AddrLen != 0 {
			j.buf = s.Source().AppendTo(j.buf[:0])
			v["PF_SOURCE"] = string(j.buf)
		}
		v["PF_SOURCES"] = j.num(uint64(s.Sources))
		v["PF_SUPPRESSED"] = j.num(s.Suppressed)
		j.buf = strconv.AppendFloat(j.buf[:0], s.Window.Seconds(), 'f', -1, 64)
		v["PF_WINDOW"] = string(j.buf)
	case record.KindBudget:
		s := &e.Budget
		v["PF_EVENT"] = "line_budget"
		v["PF_WITHHELD"] = j.num(s.Withheld)
		v["PF_FIRST_LINES"] = j.num(s.Firsts)
		j.buf = budget.AppendSeconds(j.buf[:0], s.At-s.Start)
		v["PF_WINDOW"] = string(j.buf)
		v["PF_BUDGET"] = j.num(uint64(s.Rate))
	case record.KindScan:
		// MESSAGE is the line after its timestamp (contract 1), so a
		// journal reader matches "pfasciilogd: scan from ..." with or
		// without a time of its own.
		d := &e.Scan
		v["PF_EVENT"] = "scan"
		j.buf = d.AppendSource(j.buf[:0])
		v["PF_SOURCE"] = string(j.buf)
		v["PF_SCOPE"] = d.Scope()
		v["PF_PORTS"] = j.num(uint64(d.Ports))
		v["PF_WINDOW"] = d.WindowName()
		v["PF_RULE"] = j.num(uint64(d.Rule))
		v["PF_INTERFACE"] = j.name(d.Interface())
		j.msg = d.AppendMessage(j.msg[:0])
		return j.send(j.msg, v)
	case record.KindLimit:
		v["PF_EVENT"] = "decision_limit"
		v["PF_LIMIT"] = j.num(uint64(e.Scan.Limit))
		j.msg = e.Scan.AppendMessage(j.msg[:0])
		return j.send(j.msg, v)
	}
	return j.send(line, v)
}

func (j *Journal) send(line []byte, vars map[string]string) error {
	line = bytes.TrimSuffix(line, newline)
	if err := journal.Send(string(line), journal.PriInfo, vars); err != nil {
		j.n.dropped.Add(1)
		return fmt.Errorf("journald: send: %w", err)
	}
	j.n.sent.Add(1)
	return nil
}

func (j *Journal) fill(r *record.Record, s *packet.Summary) {
	v := j.vars
	clear(v)
	h := r.Hdr
	v["SYSLOG_IDENTIFIER"] = JournalIdentifier
	v["PF_RULE"] = j.num(uint64(h.RuleNr))
	if h.InAnchor() {
		v["PF_SUBRULE"] = j.num(uint64(h.SubRuleNr))
		v["PF_ANCHOR"] = j.name(h.Anchor())
	}
	if h.RIdentifier != 0 {
		v["PF_RIDENTIFIER"] = j.num(uint64(h.RIdentifier))
	}
	if h.UID != pflog.NoUID {
		v["PF_UID"] = j.num(uint64(h.UID))
	}
	v["PF_ACTION"] = word(pflog.ActionWord(h.Layout, h.Action))
	v["PF_REASON"] = word(pflog.ReasonWord(h.Layout, h.Reason))
	v["PF_DIR"] = word(pflog.DirWord(h.Layout, h.Dir))
	v["PF_IF"] = j.name(h.Interface())
	v["PF_AF"] = pflog.AFWord(h.AF)
	v["PF_LEN"] = j.num(uint64(max(r.IPWireLen, 0)))
	if s.Truncated {
		v["PF_TRUNCATED"] = "1"
	} else {
		v["PF_TRUNCATED"] = "0"
	}
	if s.Version == 0 {
		return
	}
	if p := packet.ProtoName(s.Proto); p != "" {
		v["PF_PROTO"] = p
	} else {
		v["PF_PROTO"] = j.num(uint64(s.Proto))
	}
	j.buf = s.Src.AppendTo(j.buf[:0])
	v["PF_SRC"] = string(j.buf)
	j.buf = s.Dst.AppendTo(j.buf[:0])
	v["PF_DST"] = string(j.buf)
	if s.HasPort {
		v["PF_SPORT"] = j.num(uint64(s.SrcPort))
		v["PF_DPORT"] = j.num(uint64(s.DstPort))
	}
	if s.Proto == packet.ProtoTCP && s.TCPHdrLen != 0 {
		j.buf = packet.AppendTCPFlags(j.buf[:0], s.TCPFlags)
		v["PF_TCPFLAGS"] = string(j.buf)
	}
	if s.HasICMP {
		v["PF_ICMPTYPE"] = j.num(uint64(s.ICMPType))
		v["PF_ICMPCODE"] = j.num(uint64(s.ICMPCode))
	}
}

// num formats small numbers from a table, others into a new string.
func (j *Journal) num(v uint64) string {
	if v < uint64(len(smallNums)) {
		return smallNums[v]
	}
	j.buf = strconv.AppendUint(j.buf[:0], v, 10)
	return string(j.buf)
}

var smallNums = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return
}()

func (j *Journal) name(b []byte) string {
	j.buf = pflog.AppendSafeName(j.buf[:0], b)
	return string(j.buf)
}

func word(w string) string {
	if w == "" {
		return "unknown"
	}
	return w
}

// Write sends each line of batch as an entry without PF_* fields.
func (j *Journal) Write(batch []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var first error
	for len(batch) > 0 {
		var line []byte
		line, batch, _ = bytes.Cut(batch, newline)
		if len(line) == 0 {
			continue
		}
		if err := journal.Send(string(line), journal.PriInfo, j.bare); err != nil {
			j.n.dropped.Add(1)
			if first == nil {
				first = fmt.Errorf("journald: send: %w", err)
			}
			continue
		}
		j.n.sent.Add(1)
	}
	return first
}

// Stats returns the delivery counters (Reconnects stays 0: the library
// sends each entry as its own datagram).
func (j *Journal) Stats() DeliveryStats { return j.n.stats() }

// Reopen does nothing: every entry is its own datagram.
func (j *Journal) Reopen() error { return nil }

// Close does nothing: the library owns its socket.
func (j *Journal) Close() error { return nil }
