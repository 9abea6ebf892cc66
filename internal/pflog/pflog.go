// Package pflog decodes and encodes the header that pf(4) puts in front of
// every packet it logs to a pflog(4) interface (link type DLT_PFLOG, 117).
//
// Three layouts exist, told apart by the header's first byte (its length):
//
//	69  FreeBSD >= 13.1: 72 bytes on the wire, with ridentifier at offset 64
//	61  FreeBSD <= 13.0, Darwin, NetBSD: 64 bytes on the wire
//	100 OpenBSD: 100 bytes, with rewritten addresses and ports after dir
//
// The packet follows the header at length rounded up to a multiple of 4.
// rulenr, subrulenr and ridentifier are big-endian; uid, pid, rule_uid and
// rule_pid are in the logging host's byte order, which is little-endian on
// every platform pf runs on today (amd64, arm64, i386, riscv64, powerpc64le).
//
// The word tables (actions, reasons, directions) are FreeBSD's
// (sys/netpfil/pf/pf.h), extended with OpenBSD's extra values where they do
// not collide, so that the text matches what FreeBSD's tcpdump prints.
package pflog

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Layout identifies one of the pflog header layouts.
type Layout uint8

// The known layouts, named after the systems that write them.
const (
	LayoutUnknown Layout = iota
	LayoutFreeBSD        // length 69, 72 bytes, has ridentifier (FreeBSD >= 13.1)
	LayoutLegacy         // length 61, 64 bytes (FreeBSD <= 13.0, Darwin, NetBSD)
	LayoutOpenBSD        // length 100, 100 bytes
)

// Header lengths as stored in the header's first byte.
const (
	LenFreeBSD = 69
	LenLegacy  = 61
	LenOpenBSD = 100
)

// Field sizes and offsets shared by all layouts.
const (
	IfNameSize  = 16
	RulesetSize = 16

	offAF        = 1
	offAction    = 2
	offReason    = 3
	offIfName    = 4
	offRuleset   = 20
	offRuleNr    = 36
	offSubRuleNr = 40
	offUID       = 44
	offPID       = 48
	offRuleUID   = 52
	offRulePID   = 56
	offDir       = 60
	offRIdent    = 64 // FreeBSD >= 13.1 only
	// OpenBSD only.
	offRewritten = 61
	offNAF       = 62
	offSAddr     = 64
	offDAddr     = 80
	offSPort     = 96
	offDPort     = 98
)

// NoAnchor is the subrulenr value pf uses for a rule outside any anchor.
const NoAnchor = 0xffffffff

// NoUID is the uid value pf uses when no socket owner is known (UID_MAX).
const NoUID = 0xffffffff

// Address families as pf writes them (BSD values).
const (
	AFInet        = 2
	AFInet6BSD    = 24 // OpenBSD, NetBSD
	AFInet6Darwin = 30
	AFInet6       = 28 // FreeBSD
)

// Header is a decoded pflog header. IfName and Ruleset keep the raw,
// NUL-padded bytes; use Interface and Anchor for the printable part.
type Header struct {
	Layout      Layout
	Length      uint8 // header length field (byte 0)
	AF          uint8
	Action      uint8
	Reason      uint8
	Dir         uint8
	IfName      [IfNameSize]byte
	Ruleset     [RulesetSize]byte
	RuleNr      uint32
	SubRuleNr   uint32
	UID         uint32
	PID         uint32
	RuleUID     uint32
	RulePID     uint32
	RIdentifier uint32 // LayoutFreeBSD only; 0 when absent

	// OpenBSD only: the addresses and ports after translation.
	Rewritten uint8
	NAF       uint8
	SAddr     [16]byte
	DAddr     [16]byte
	SPort     uint16 // network order as on the wire, decoded to host value
	DPort     uint16
}

// Errors returned by Decode. They mark a single bad record; the caller
// skips it and goes on.
var (
	ErrShort     = errors.New("pflog header: record shorter than its header")
	ErrBadLength = errors.New("pflog header: unknown header length")
)

// hostOrder is the byte order of the host fields (uid, pid, ...). pf
// writes them in the logging host's order; every current pf platform is
// little-endian.
var hostOrder = binary.LittleEndian

// HeaderSize returns the on-wire size of a header whose length byte is n,
// that is n rounded up to a multiple of 4.
func HeaderSize(n uint8) int { return (int(n) + 3) &^ 3 }

// LayoutOf returns the layout for a header length byte.
func LayoutOf(n uint8) Layout {
	switch n {
	case LenFreeBSD:
		return LayoutFreeBSD
	case LenLegacy:
		return LayoutLegacy
	case LenOpenBSD:
		return LayoutOpenBSD
	}
	return LayoutUnknown
}

// Decode fills h from the start of rec and returns the packet that follows
// the header (possibly empty). It never panics and never allocates.
func Decode(rec []byte, h *Header) (packet []byte, err error) {
	if len(rec) < 1 {
		return nil, ErrShort
	}
	n := rec[0]
	layout := LayoutOf(n)
	if layout == LayoutUnknown {
		return nil, fmt.Errorf("%w %d", ErrBadLength, n)
	}
	size := HeaderSize(n)
	if len(rec) < size {
		return nil, ErrShort
	}
	*h = Header{
		Layout:    layout,
		Length:    n,
		AF:        rec[offAF],
		Action:    rec[offAction],
		Reason:    rec[offReason],
		Dir:       rec[offDir],
		RuleNr:    binary.BigEndian.Uint32(rec[offRuleNr:]),
		SubRuleNr: binary.BigEndian.Uint32(rec[offSubRuleNr:]),
		UID:       hostOrder.Uint32(rec[offUID:]),
		PID:       hostOrder.Uint32(rec[offPID:]),
		RuleUID:   hostOrder.Uint32(rec[offRuleUID:]),
		RulePID:   hostOrder.Uint32(rec[offRulePID:]),
	}
	copy(h.IfName[:], rec[offIfName:offIfName+IfNameSize])
	copy(h.Ruleset[:], rec[offRuleset:offRuleset+RulesetSize])
	switch layout {
	case LayoutFreeBSD:
		h.RIdentifier = binary.BigEndian.Uint32(rec[offRIdent:])
	case LayoutOpenBSD:
		h.Rewritten = rec[offRewritten]
		h.NAF = rec[offNAF]
		copy(h.SAddr[:], rec[offSAddr:offSAddr+16])
		copy(h.DAddr[:], rec[offDAddr:offDAddr+16])
		h.SPort = binary.BigEndian.Uint16(rec[offSPort:])
		h.DPort = binary.BigEndian.Uint16(rec[offDPort:])
	}
	return rec[size:], nil
}

// AppendEncoded appends the wire form of h to dst, using h.Layout (or
// LayoutFreeBSD when unset). It is the inverse of Decode and is used to
// build test and benchmark captures.
func (h *Header) AppendEncoded(dst []byte) []byte {
	layout := h.Layout
	if layout == LayoutUnknown {
		layout = LayoutFreeBSD
	}
	var n uint8
	switch layout {
	case LayoutFreeBSD:
		n = LenFreeBSD
	case LayoutLegacy:
		n = LenLegacy
	default:
		n = LenOpenBSD
	}
	start := len(dst)
	dst = append(dst, make([]byte, HeaderSize(n))...)
	b := dst[start:]
	b[0] = n
	b[offAF] = h.AF
	b[offAction] = h.Action
	b[offReason] = h.Reason
	copy(b[offIfName:offIfName+IfNameSize], h.IfName[:])
	copy(b[offRuleset:offRuleset+RulesetSize], h.Ruleset[:])
	binary.BigEndian.PutUint32(b[offRuleNr:], h.RuleNr)
	binary.BigEndian.PutUint32(b[offSubRuleNr:], h.SubRuleNr)
	hostOrder.PutUint32(b[offUID:], h.UID)
	hostOrder.PutUint32(b[offPID:], h.PID)
	hostOrder.PutUint32(b[offRuleUID:], h.RuleUID)
	hostOrder.PutUint32(b[offRulePID:], h.RulePID)
	b[offDir] = h.Dir
	switch layout {
	case LayoutFreeBSD:
		binary.BigEndian.PutUint32(b[offRIdent:], h.RIdentifier)
	case LayoutOpenBSD:
		b[offRewritten] = h.Rewritten
		b[offNAF] = h.NAF
		copy(b[offSAddr:], h.SAddr[:])
		copy(b[offDAddr:], h.DAddr[:])
		binary.BigEndian.PutUint16(b[offSPort:], h.SPort)
		binary.BigEndian.PutUint16(b[offDPort:], h.DPort)
	}
	return dst
}

// SetIfName stores name (truncated to 15 bytes) as the interface name.
func (h *Header) SetIfName(name string) {
	h.IfName = [IfNameSize]byte{}
	copy(h.IfName[:IfNameSize-1], name)
}

// SetRuleset stores name (truncated to 15 bytes) as the anchor name.
func (h *Header) SetRuleset(name string) {
	h.Ruleset = [RulesetSize]byte{}
	copy(h.Ruleset[:RulesetSize-1], name)
}

// Interface returns the interface name up to its first NUL byte.
func (h *Header) Interface() []byte { return CString(h.IfName[:]) }

// Anchor returns the ruleset (anchor) name up to its first NUL byte.
func (h *Header) Anchor() []byte { return CString(h.Ruleset[:]) }

// InAnchor reports whether the logging rule sits in an anchor.
func (h *Header) InAnchor() bool { return h.SubRuleNr != NoAnchor }

// IsIPv6AF reports whether af is one of the AF_INET6 values pf uses.
func IsIPv6AF(af uint8) bool {
	return af == AFInet6 || af == AFInet6BSD || af == AFInet6Darwin
}

// CString returns a NUL-padded name field (an interface, an anchor) up to
// its first NUL.
func CString(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}
