// Package flood caps the lines the daemon writes per source address and
// time window, so that a port scan or a SYN flood of hundreds of thousands
// of packets a second leaves a log of bounded size that still makes
// fail2ban ban exactly the hosts it would have banned without the cap.
//
// A Limiter keeps, per source address, a window that starts with the
// source's first record and lasts Config.Window of capture time. Within a
// window the first MaxPerSource records of each Class are allowed; further
// records are counted, not written. When the window ends (noticed lazily
// on the source's next record, on eviction, or by the Expire sweep the
// pipeline runs before every record and on every tick) one Summary reports how many records were suppressed, and
// AppendSummary renders it as a log line that no fail2ban filter of this
// project matches.
//
// Why classes: fail2ban counts only some lines of a source (the shipped
// filter takes inbound "block" lines that open something: TCP SYN without
// ACK, UDP, ICMP echo requests). A single per-source cap would let a host
// whose legitimate, logged traffic (pass rules, late ACKs) used up the cap
// scan unnoticed in the same window. The cap therefore applies separately
// to each Class, and classes are chosen so that within one class either
// every line matches the filter or none does. With MaxPerSource at least
// the jail's maxretry and Window at most its findtime, every source that
// reaches maxretry matching lines within findtime without the cap still
// has maxretry matching lines within findtime with it: the first
// MaxPerSource lines of its class in the window are always written.
// Records the cap lets through are never fewer than fail2ban needs, and
// eviction only ever lets more through.
//
// Memory is fixed at New: a set-associative table of TableSize entries
// (8 ways per bucket). A full bucket evicts, in this order of preference,
// an entry whose window has ended, the least recently seen entry that has
// suppressed nothing (a one-off spoofed source), the least recently seen
// entry. Evicting an entry that had suppressed records emits its summary
// first, so no count is lost. Addresses are hashed with a per-Limiter
// random seed, so spoofed sources cannot be chosen to collide.
//
// A Limiter is not safe for concurrent use; the daemon keeps one per
// pipeline goroutine. Allow and the summary methods never allocate.
package flood

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/timestamp"
)

// Defaults for zero Config fields.
const (
	DefaultTableSize = 65536
	DefaultWindow    = time.Minute
	// MaxMaxPerSource is the largest cap (counts are 16-bit).
	MaxMaxPerSource = 65535
)

// Config configures a Limiter.
type Config struct {
	// MaxPerSource is how many records of one Class a source may have
	// written per window (at least 1, at most MaxMaxPerSource). Set it to
	// at least the fail2ban jail's maxretry.
	MaxPerSource int
	// Window is the length of a source's window in capture time
	// (default DefaultWindow). Keep it at most the jail's findtime.
	Window time.Duration
	// TableSize is the number of sources tracked at once, rounded up to a
	// power of two, at least 8 (default DefaultTableSize; 64 bytes each).
	TableSize int
	// Seed keys the table's hash; 0 picks a random one, so a spoofer
	// cannot aim at one bucket. A fixed seed makes a run over a file
	// reproducible (plain -r).
	Seed uint64
}

// Class partitions a source's records so that the cap never hides a line
// fail2ban would count behind lines it would not. See ClassOf.
type Class uint8

// The classes ClassOf returns.
const (
	ClassOther  Class = iota // not an inbound block (pass, outbound, other actions)
	ClassTCPSyn              // block in: openers: TCP with SYN set and ACK clear, SCTP INIT, DCCP Request
	ClassTCP                 // block in: TCP, any other flags
	ClassUDP                 // block in: UDP with its ports captured
	ClassEcho                // block in: ICMP or ICMPv6 echo request
	ClassICMP                // block in: other ICMP or ICMPv6
	ClassPorts               // block in: other protocols printed with ports (SCTP, DCCP, UDP-Lite)
	ClassOpaque              // block in: anything else: cut short, fragments, other protocols
	NumClasses
)

// Summary reports the records suppressed from one source in one window.
type Summary struct {
	Addr       [16]byte // the source address; the first AddrLen bytes count
	AddrLen    uint8    // 4 or 16; 0 in the overflow summary (see Sources)
	Sources    uint32   // sources merged into this summary (1 unless overflow)
	Suppressed uint64   // records counted but not written
	Start      int64    // capture time (ns) the window started
	At         int64    // capture time (ns) the window was closed
	Window     time.Duration
}

// Source returns the summary's source address (invalid for an overflow
// summary).
func (s *Summary) Source() netip.Addr {
	switch s.AddrLen {
	case 4:
		return netip.AddrFrom4([4]byte(s.Addr[:4]))
	case 16:
		return netip.AddrFrom16(s.Addr)
	}
	return netip.Addr{}
}

// Stats are a Limiter's counters since New.
type Stats struct {
	Allowed    uint64 // records allowed
	Suppressed uint64 // records counted, not written
	Summaries  uint64 // summaries emitted
	Evictions  uint64 // entries evicted while their window was still open
	Entries    int    // sources tracked now
	TableSize  int    // capacity of the table
}

const ways = 8

type entry struct {
	addr       [16]byte
	alen       uint8 // 0: empty slot
	suppressed uint32
	gen        uint32 // bumped whenever the slot starts a new window
	start      int64
	last       int64
	counts     [NumClasses]uint16
}

type ref struct {
	slot int32
	gen  uint32
}

const pendingMax = 64

// Limiter counts records per source and decides which to write.
type Limiter struct {
	max    uint16
	window int64
	mask   uint64 // bucket index mask
	seed0  uint64
	seed1  uint64
	tab    []entry

	// open lists the entries that suppressed something in their current
	// window, so Expire finds them without scanning the table.
	open    []ref
	nextDue int64 // no entry in open ends before this (capture ns)

	pending  [pendingMax]Summary
	npending int
	overflow Summary

	st Stats
}

// New returns a Limiter. MaxPerSource is clamped to 1..MaxMaxPerSource.
func New(cfg Config) *Limiter {
	n := cfg.MaxPerSource
	if n < 1 {
		n = 1
	}
	if n > MaxMaxPerSource {
		n = MaxMaxPerSource
	}
	w := cfg.Window
	if w <= 0 {
		w = DefaultWindow
	}
	size := cfg.TableSize
	if size <= 0 {
		size = DefaultTableSize
	}
	if size < ways {
		size = ways
	}
	size = 1 << bits.Len(uint(size-1))
	l := &Limiter{
		max:     uint16(n),
		window:  int64(w),
		mask:    uint64(size/ways - 1),
		seed0:   rand.Uint64() | 1,
		seed1:   rand.Uint64(),
		tab:     make([]entry, size),
		open:    make([]ref, 0, size+1),
		nextDue: maxTime,
	}
	if cfg.Seed != 0 {
		l.seed0, l.seed1 = cfg.Seed|1, cfg.Seed*0x9e3779b97f4a7c15
	}
	l.st.TableSize = size
	return l
}

const maxTime = int64(^uint64(0) >> 1)

// Config returns the effective configuration.
func (l *Limiter) Config() Config {
	return Config{MaxPerSource: int(l.max), Window: time.Duration(l.window), TableSize: len(l.tab)}
}

// Stats returns the counters.
func (l *Limiter) Stats() Stats { return l.st }

func (l *Limiter) hash(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^l.seed0, b^l.seed1)
	return hi ^ lo
}

// Allow counts one record of class c from src (a 4- or 16-byte address,
// the packet summary's Src) captured at now (ns since the epoch) and reports whether
// to write it. It may close a window and queue its summary: call
// Summaries whenever Pending reports true, before writing the record's
// line, to keep the log in time order.
func (l *Limiter) Allow(src []byte, c Class, now int64) bool {
	var key [16]byte
	alen := uint8(len(src))
	if alen != 4 && alen != 16 {
		l.st.Allowed++
		return true // not an address: never suppress what we cannot attribute
	}
	copy(key[:], src)
	if c >= NumClasses {
		c = ClassOpaque
	}
	a := binary.LittleEndian.Uint64(key[0:8])
	b := binary.LittleEndian.Uint64(key[8:16]) ^ uint64(alen)
	base := int((l.hash(a, b) & l.mask) * ways)
	bucket := l.tab[base : base+ways : base+ways]

	var e *entry
	slot := -1
	for i := range bucket {
		if bucket[i].alen == alen && bucket[i].addr == key {
			e, slot = &bucket[i], base+i
			break
		}
	}
	if e == nil {
		slot = base + l.victim(bucket, now)
		e = &l.tab[slot]
		if e.alen != 0 {
			if now-e.start < l.window {
				l.st.Evictions++
			}
			l.close(e, now)
		} else {
			l.st.Entries++
		}
		e.addr, e.alen = key, alen
		l.reset(e, now)
	} else if now-e.start >= l.window || e.start-now > l.window {
		// The window ended (or the clock went back by more than one).
		l.close(e, now)
		l.reset(e, now)
	}
	e.last = now
	if e.counts[c] < l.max {
		e.counts[c]++
		l.st.Allowed++
		return true
	}
	if e.suppressed == 0 {
		e.suppressed = 1
		l.open = append(l.open, ref{slot: int32(slot), gen: e.gen})
		if len(l.open) == cap(l.open) {
			l.compact()
		}
		if end := e.start + l.window; end < l.nextDue {
			l.nextDue = end
		}
	} else if e.suppressed < ^uint32(0) {
		e.suppressed++
	}
	l.st.Suppressed++
	return false
}

// victim picks the slot of bucket to (re)use for a new source.
func (l *Limiter) victim(bucket []entry, now int64) int {
	quiet, any := -1, 0
	for i := range bucket {
		e := &bucket[i]
		if e.alen == 0 || now-e.start >= l.window {
			return i
		}
		if e.suppressed == 0 && (quiet < 0 || e.last < bucket[quiet].last) {
			quiet = i
		}
		if e.last < bucket[any].last {
			any = i
		}
	}
	if quiet >= 0 {
		return quiet
	}
	return any
}

func (l *Limiter) reset(e *entry, now int64) {
	e.gen++
	e.start = now
	e.suppressed = 0
	e.counts = [NumClasses]uint16{}
}

// close queues the summary of e's window if it suppressed anything.
func (l *Limiter) close(e *entry, now int64) {
	if e.suppressed == 0 {
		return
	}
	s := Summary{Addr: e.addr, AddrLen: e.alen, Sources: 1, Suppressed: uint64(e.suppressed),
		Start: e.start, At: now, Window: time.Duration(l.window)}
	e.suppressed = 0
	e.gen++ // invalidates the entry's ref in open
	if l.npending < pendingMax {
		l.pending[l.npending] = s
		l.npending++
		return
	}
	// Nobody drained the queue: merge, so that no count is lost.
	o := &l.overflow
	if o.Sources == 0 {
		o.Start = s.Start
	}
	o.Sources++
	o.Suppressed += s.Suppressed
	o.At = now
	o.Window = s.Window
}

// Pending reports whether summaries wait for Summaries.
func (l *Limiter) Pending() bool { return l.npending > 0 || l.overflow.Sources > 0 }

// Summaries hands every queued summary to emit, oldest first, and empties
// the queue. The *Summary is valid only during the call.
func (l *Limiter) Summaries(emit func(*Summary)) {
	for i := 0; i < l.npending; i++ {
		l.st.Summaries++
		emit(&l.pending[i])
	}
	l.npending = 0
	if l.overflow.Sources > 0 {
		l.st.Summaries++
		emit(&l.overflow)
		l.overflow = Summary{}
	}
}

// Expire closes every window that ended at or before now (capture time,
// ns) and had suppressed records, and hands all queued summaries to emit.
// The daemon calls it once per batch and on an idle tick, with the
// capture time of the newest record plus the wall time that passed since,
// so that the summary of a source that fell silent is not held back. It
// costs nothing until the earliest such window ends.
func (l *Limiter) Expire(now int64, emit func(*Summary)) {
	if now >= l.nextDue {
		l.sweep(now, false)
	}
	l.Summaries(emit)
}

// Flush closes every window that suppressed records, whether or not it
// has ended (at the end of the input, or at shutdown), and hands the
// summaries to emit. now is the capture time of the last record.
func (l *Limiter) Flush(now int64, emit func(*Summary)) {
	l.sweep(now, true)
	l.Summaries(emit)
}

func (l *Limiter) sweep(now int64, all bool) {
	next := maxTime
	keep := l.open[:0]
	for _, r := range l.open {
		e := &l.tab[r.slot]
		if e.gen != r.gen || e.suppressed == 0 {
			continue // closed or reused since
		}
		end := e.start + l.window
		if all || now >= end {
			l.close(e, now)
			// The entry stays, with a fresh count, until its window would
			// have ended; a new window starts with its next record.
			e.counts = [NumClasses]uint16{}
			e.start = now - l.window // ended: the next record opens a new one
			continue
		}
		if end < next {
			next = end
		}
		keep = append(keep, r)
	}
	l.open = keep
	l.nextDue = next
}

// compact drops stale refs from open. Every slot has at most one live
// ref, so afterwards len(open) <= len(tab) < cap(open): open never grows.
func (l *Limiter) compact() {
	keep := l.open[:0]
	for _, r := range l.open {
		e := &l.tab[r.slot]
		if e.gen == r.gen && e.suppressed > 0 {
			keep = append(keep, r)
		}
	}
	l.open = keep
}

// ClassOf classifies a record for Allow from its packet summary (the
// decode the formats print from, so flood control and the printed line
// agree). blockIn tells whether pf logged it with action block
// (pflog.ActionDrop) and direction in: the only lines fail2ban's filter
// looks at. Whatever the printer cannot print as a complete opener is
// ClassOpaque, which the shipped filter never matches in its normal mode:
// a TCP header cut before its fixed 20 bytes (printed "[|tcp]") or with a
// data offset below 5 ("[bad hdr length]"), an echo request cut before
// its id and sequence, later fragments, IPv6 extension headers tcpdump
// stops at (packet.Summary.ExtPlain). SCTP INIT and DCCP Request count
// with TCP SYNs only when the line shows them as the filter reads them
// ("sctp (1) [INIT]", "DCCP DCCP-Request"), without extension headers.
func ClassOf(blockIn bool, s *packet.Summary) Class {
	if !blockIn {
		return ClassOther
	}
	if s.Version == 0 || s.L4Off == 0 || s.FragOff != 0 || (s.ExtLen > 0 && !s.ExtPlain) {
		return ClassOpaque
	}
	switch s.Proto {
	case packet.ProtoTCP:
		if !s.HasTCPHdr || s.TCPHdrLen < 20 {
			return ClassOpaque
		}
		if s.TCPFlags&(packet.TCPSyn|packet.TCPAck) == packet.TCPSyn {
			return ClassTCPSyn
		}
		return ClassTCP
	case packet.ProtoUDP:
		if !s.HasPort {
			return ClassOpaque
		}
		return ClassUDP
	case packet.ProtoICMP, packet.ProtoICMPv6:
		if !s.HasICMP {
			return ClassOpaque
		}
		if (s.Proto == packet.ProtoICMP && s.ICMPType == 8) || (s.Proto == packet.ProtoICMPv6 && s.ICMPType == 128) {
			if !s.HasEcho {
				return ClassOpaque // cut before id and sequence: not printed as an echo request
			}
			return ClassEcho
		}
		return ClassICMP
	case packet.ProtoSCTP, packet.ProtoDCCP, packet.ProtoUDPLite:
		if s.L4Cap < 4 {
			return ClassOpaque
		}
		if s.ExtLen == 0 && (sctpInitPrinted(s) || dccpRequestPrinted(s)) {
			return ClassTCPSyn
		}
		return ClassPorts
	}
	return ClassOpaque
}

// sctpInitPrinted reports whether the printer shows s as "sctp (1)
// [INIT]": the first chunk is an INIT printed whole and the ports are
// not ForCES ports (printed "sctp[ForCES HP]").
func sctpInitPrinted(s *packet.Summary) bool {
	forces := func(p uint16) bool { return p >= 6704 && p <= 6706 }
	return s.Proto == packet.ProtoSCTP && packet.SCTPFirst(s) == packet.ShownOpener && !forces(s.SrcPort) && !forces(s.DstPort)
}

// dccpRequestPrinted reports whether the printer shows s as "DCCP
// DCCP-Request (service=N)".
func dccpRequestPrinted(s *packet.Summary) bool {
	return s.Proto == packet.ProtoDCCP && packet.DCCPFirst(s) == packet.ShownOpener
}

// AppendSummary appends the log line for s:
//
//	2026-11-21T01:48:13.748353+01:00 pfasciilogd: suppressed 1234 lines from 192.0.2.7 in 10m0s window
//
// ts appends the timestamp for a capture time in the text format's form
// (pass (*format.Timestamper).Append); the line takes the time the window
// was closed, so the log stays in time order. The line starts, after the
// timestamp, with "pfasciilogd:" where a packet line has "rule N": no
// filter of this project matches it and it cannot be read as a packet.
func AppendSummary(dst []byte, s *Summary, ts func(dst []byte, sec int64, nsec int32) []byte) []byte {
	sec, nsec := timestamp.Split(s.At)
	dst = ts(dst, sec, nsec)
	dst = append(dst, " pfasciilogd: suppressed "...)
	dst = strconv.AppendUint(dst, s.Suppressed, 10)
	dst = append(dst, " lines from "...)
	if s.AddrLen == 0 {
		dst = strconv.AppendUint(dst, uint64(s.Sources), 10)
		dst = append(dst, " sources"...)
	} else {
		dst = s.Source().AppendTo(dst)
	}
	dst = append(dst, " in "...)
	dst = appendDuration(dst, s.Window)
	return append(dst, " window\n"...)
}

// appendDuration appends d the way time.Duration.String does for the
// whole-second and sub-second values a window takes, without allocating.
func appendDuration(dst []byte, d time.Duration) []byte {
	if d <= 0 || d%time.Second != 0 {
		dst = strconv.AppendInt(dst, int64(d/time.Millisecond), 10)
		return append(dst, "ms"...)
	}
	s := int64(d / time.Second)
	if h := s / 3600; h > 0 {
		dst = strconv.AppendInt(dst, h, 10)
		dst = append(dst, 'h')
	}
	if s >= 60 {
		dst = strconv.AppendInt(dst, s/60%60, 10)
		dst = append(dst, 'm')
	}
	dst = strconv.AppendInt(dst, s%60, 10)
	return append(dst, 's')
}
