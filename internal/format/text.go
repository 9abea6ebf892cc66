package format

import (
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
	"github.com/pfasciilogd/pfasciilogd/internal/tcpdump"
)

// Text is the default format: "<timestamp> <tcpdump -n -e -S text>".
type Text struct {
	ts     Timestamper
	prefix tcpdump.PrefixCache
}

// NewText returns a text formatter that prints times in loc.
func NewText(loc *time.Location) *Text {
	return &Text{ts: Timestamper{Loc: loc}}
}

// Append implements Formatter.
func (t *Text) Append(dst []byte, r *Record) []byte {
	dst = t.ts.Append(dst, r.Pkt.Sec, r.Pkt.Nsec)
	dst = append(dst, ' ')
	dst = t.prefix.Append(dst, r.Hdr)
	dst = tcpdump.AppendPacket(dst, r.IP, r.IPWireLen)
	return append(dst, '\n')
}

// AppendEvent implements Formatter.
func (t *Text) AppendEvent(dst []byte, e *record.Event) []byte {
	return appendEventText(dst, e, &t.ts)
}

// AppendPflogPrefix appends what FreeBSD's tcpdump -e prints for a pflog
// header (tcpdump.AppendPflogPrefix).
func AppendPflogPrefix(dst []byte, h *pflog.Header) []byte { return tcpdump.AppendPflogPrefix(dst, h) }

// AppendSafeName appends a NUL-terminated name from a pflog header with
// tcpdump's escapes, spaces and backslashes vis(3) style
// (pflog.AppendSafeName).
func AppendSafeName(dst []byte, name []byte) []byte { return pflog.AppendSafeName(dst, name) }
