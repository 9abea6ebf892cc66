package format

import (
	"strconv"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// Text is the default format: "<timestamp> <tcpdump -n -e -S text>".
type Text struct {
	ts Timestamper
}

// NewText returns a text formatter that prints times in loc.
func NewText(loc *time.Location) *Text {
	return &Text{ts: Timestamper{Loc: loc}}
}

// Append implements Formatter.
func (t *Text) Append(dst []byte, r *Record) []byte {
	dst = t.ts.Append(dst, r.Pkt.Sec, r.Pkt.Nsec)
	dst = append(dst, ' ')
	dst = AppendPflogPrefix(dst, r.Hdr)
	dst = AppendPacket(dst, r.IP, r.IPWireLen)
	return append(dst, '\n')
}

// AppendEvent implements Formatter.
func (t *Text) AppendEvent(dst []byte, e *record.Event) []byte {
	return appendEventText(dst, e, &t.ts)
}

// AppendPflogPrefix appends what FreeBSD's tcpdump -e prints for a pflog
// header: "rule N/R(reason) [uid U] [ridentifier I]: action dir on IF: ".
// Anchor and interface names are printed with non-printable bytes escaped
// the way tcpdump does it, so a crafted name cannot forge a line.
func AppendPflogPrefix(dst []byte, h *pflog.Header) []byte {
	dst = append(dst, "rule "...)
	dst = strconv.AppendUint(dst, uint64(h.RuleNr), 10)
	if h.InAnchor() {
		dst = append(dst, '.')
		dst = AppendSafeName(dst, h.Anchor())
		dst = append(dst, '.')
		dst = strconv.AppendUint(dst, uint64(h.SubRuleNr), 10)
	}
	dst = append(dst, '/')
	dst = pflog.AppendReason(dst, h)
	if h.UID != pflog.NoUID {
		dst = append(dst, " [uid "...)
		dst = strconv.AppendUint(dst, uint64(h.UID), 10)
		dst = append(dst, ']')
	}
	if h.RIdentifier != 0 {
		dst = append(dst, " [ridentifier "...)
		dst = strconv.AppendUint(dst, uint64(h.RIdentifier), 10)
		dst = append(dst, ']')
	}
	dst = append(dst, ": "...)
	dst = pflog.AppendAction(dst, h)
	dst = append(dst, ' ')
	dst = pflog.AppendDir(dst, h)
	dst = append(dst, " on "...)
	dst = AppendSafeName(dst, h.Interface())
	return append(dst, ": "...)
}

// AppendSafeName appends a NUL-terminated name from a pflog header with
// tcpdump's escapes, spaces and backslashes vis(3) style
// (pflog.AppendSafeName).
func AppendSafeName(dst []byte, name []byte) []byte { return pflog.AppendSafeName(dst, name) }
