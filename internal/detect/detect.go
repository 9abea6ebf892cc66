// Package detect decides which sources are scanning this host, from one
// decoded pflog record at a time, in fixed memory and without allocating.
//
// The input is a Probe: the few facts of one record the decision needs
// (time, source, protocol, destination port, rule, interface), filled by
// the adapter in probe.go from what the pipeline decoded. The detector
// never reads packet bytes itself.
//
// # What counts
//
// A source's evidence is the set of distinct (protocol, destination port)
// pairs it tried, each remembered with the time it was last tried; a
// repeat to one port refreshes that time and never adds to the count, so a
// client retrying a blocked port at any rate is one port for ever. ICMP
// and ICMPv6 echo requests count one "port" per destination address (a
// ping sweep), protocols without ports one per protocol.
//
// Ports below 1024 weigh Config.PrivilegedWeight (default 3), all others
// Config.OtherWeight (default 1), as scanlogd weighs them: a handful of
// closed service ports is already a scan, while high ports are touched by
// stray replies more often.
//
// # Windows
//
// Two windows are judged on every new port: a source is decided against
// when the weight of the distinct ports it tried within the last
// Fast.Span reaches Fast.Threshold, or within the last Slow.Span reaches
// Slow.Threshold. Defaults (see DefaultConfig): 24 within 5 s (8
// privileged or 24 other ports: scanlogd's 7 privileged ports in 3 s and
// CrowdSec's 15 distinct ports with a 5 s leak, raised by one port so that
// a mail client's autoconfiguration, the 7 mail ports within a second, is
// not a scan) and 30 within 1 h (10 privileged or 30 other ports: a slow
// scanner at one port per 10-20 s is decided within minutes; 10 distinct
// closed service ports in an hour do not happen by accident on a server
// that opens a few).
//
// # IPv6 prefixes
//
// IPv6 sources are keyed by their Config.Prefix6 prefix (default /64):
// every address of one /64 adds to the same evidence, a neighbour in
// another /64 never does. The decision names the /64 when more than one
// address took part, the single address otherwise (Config.AlwaysPrefix
// names the prefix always). Link-local sources and sources in a /64 that
// holds one of this host's own addresses are keyed by their full address:
// a decision never names a network this host is part of.
//
// IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96) and
// IPv4-compatible (::/96) sources, multicast, loopback and unspecified
// sources are never counted (Stats.Bogus): such a source cannot be
// reached, and fail2ban turns a mapped address into an IPv4 address, so a
// decision naming one would ban an IPv4 host the packet never came from.
//
// # Never against ourselves
//
// Config.Own (this host's addresses and networks) and Config.Ignore are
// never decided against, and nor is any source of an outbound record
// (Kind Own) when Config.LearnOwn is set: those are learned into a small
// fixed set.
//
// # Memory and eviction
//
// Two tables of fixed size, allocated by New. Sources with one port so
// far live in the probation table: Config.ProbationSize slots of
// ProbationBytes (16) bytes, each a 64-bit fingerprint of the source, the
// port and the time, in 4-way buckets of one cache line (a new source
// takes the oldest slot of its bucket). A source moves to the protected table
// (Config.TableSize entries of EntryBytes, 8-way set-associative, each
// with a side slot of SlotBytes that the eviction choice and Tick read
// instead of the entry) with its second distinct port. A flood of one-off (spoofed) sources therefore
// only ever overwrites other one-off sources, and a one-port source is
// remembered for ProbationSize/rate seconds on average under a flood of
// that many new sources a second (26 s at 20,000 a second with the
// default 2^19 slots; 93 per cent still after 10 s): a slow scanner's
// second port nearly always finds its first, and otherwise its third
// finds the second.
// In the protected table the victim is an entry whose evidence has left
// the slow window, else one with the fewest distinct ports, the newest of
// those first: spoofed sources with two ports evict each other, and a
// source accumulating evidence is the last to go. Addresses are hashed
// with a per-detector random seed, so a spoofer cannot aim at one bucket.
//
// # Decisions
//
// A decision is made once per scanner; the source is then held for
// Config.Hold (default 1 h, the shipped jail's bantime) and decided again
// only if it still scans after the hold. At most Config.MaxPerMinute new
// decisions are made per minute of capture time; beyond it decisions
// wait (Stats.Limited counts them) and one Decision of kind LimitReached
// says so. Waiting decisions are made by Tick once the minute turns, even
// when the scanner has gone quiet. Tick also expires evidence older than
// the slow window.
//
// Spoofing: everything here is decided from packets without a handshake
// and so can be forged by anyone who can send packets with a false source
// address, SYNs included. The per-minute cap bounds the damage; Own and
// Ignore protect what must never be banned.
//
// A Detector is not safe for concurrent use; the pipeline keeps one.
package detect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"time"
	"unsafe"
)

// Kind tells the detector what a record is.
type Kind uint8

// Kinds of Probe.
const (
	KindOther Kind = iota // not evidence: a pass, a reply, a late FIN/ACK/RST, ...
	KindProbe             // an inbound blocked packet that tries to open something
	KindOwn               // an outbound record: its source is one of this host's
)

// Probe is what the detector learns from one record.
type Probe struct {
	Time  int64      // capture time, ns since the Unix epoch
	Kind  Kind       // see the constants
	Src   netip.Addr // the packet's source
	Proto uint8      // IP protocol (after IPv6 extension headers)
	Port  uint16     // destination port; for ICMP echo a hash of the destination; 0 for protocols without ports
	Cut   bool       // the record was cut before its TCP flags (see Classify)
	Rule  uint32     // pf rule number
	Iface [16]byte   // interface name, NUL-padded as in the pflog header
}

// Window is one detection window.
type Window struct {
	Span      time.Duration // how far back distinct ports count
	Threshold int           // weight of distinct ports that makes a decision
}

// Config configures a Detector. Zero fields take the defaults of
// DefaultConfig; use DefaultConfig and change fields.
type Config struct {
	Fast, Slow       Window
	PrivilegedWeight int           // weight of a port below 1024 (default 3)
	OtherWeight      int           // weight of any other port (default 1)
	Prefix6          int           // IPv6 prefix length sources add up in (default 64; 128 = per address)
	AlwaysPrefix     bool          // name the IPv6 prefix even when one address took part
	Hold             time.Duration // after a decision, the source is not decided again for this long (default 1h)
	MaxPerMinute     int           // new decisions per minute of capture time (default 60)
	TableSize        int           // protected entries, sources with 2+ ports (default 8192; rounded up to a power of two)
	ProbationSize    int           // probation slots, sources with one port (default 1<<19; rounded up to a power of two)
	Own              []netip.Prefix
	Ignore           []netip.Prefix
	LearnOwn         bool // learn own addresses from Kind Own probes (default in DefaultConfig: true)
	// Seed keys the tables' hash; 0 picks a random one, so a spoofer
	// cannot aim at one bucket. A fixed seed makes a run over a file
	// reproducible (plain -r).
	Seed uint64
}

// Defaults.
const (
	DefaultFastSpan      = 5 * time.Second
	DefaultFastThreshold = 24
	DefaultSlowSpan      = time.Hour
	DefaultSlowThreshold = 30
	DefaultPrivWeight    = 3
	DefaultOtherWeight   = 1
	DefaultPrefix6       = 64
	DefaultHold          = time.Hour
	DefaultMaxPerMinute  = 60
	DefaultTableSize     = 8192
	DefaultProbationSize = 1 << 19

	// MaxPorts is how many distinct ports an entry remembers; a window's
	// threshold can be at most MaxPorts*OtherWeight.
	MaxPorts = 32
	// MaxSpan is the longest window (times are kept in milliseconds).
	MaxSpan = 7 * 24 * time.Hour
	// CutMaxPort: a TCP record cut before its flags counts only when its
	// destination port is below this and its source port is 1024 or above.
	CutMaxPort = 512

	ways     = 8
	ownSlots = 512
)

// DefaultConfig returns the defaults, with LearnOwn on.
func DefaultConfig() Config {
	return Config{
		Fast:             Window{DefaultFastSpan, DefaultFastThreshold},
		Slow:             Window{DefaultSlowSpan, DefaultSlowThreshold},
		PrivilegedWeight: DefaultPrivWeight,
		OtherWeight:      DefaultOtherWeight,
		Prefix6:          DefaultPrefix6,
		Hold:             DefaultHold,
		MaxPerMinute:     DefaultMaxPerMinute,
		TableSize:        DefaultTableSize,
		ProbationSize:    DefaultProbationSize,
		LearnOwn:         true,
	}
}

func (c *Config) fill() {
	d := DefaultConfig()
	if c.Fast.Span == 0 {
		c.Fast.Span = d.Fast.Span
	}
	if c.Fast.Threshold == 0 {
		c.Fast.Threshold = d.Fast.Threshold
	}
	if c.Slow.Span == 0 {
		c.Slow.Span = d.Slow.Span
	}
	if c.Slow.Threshold == 0 {
		c.Slow.Threshold = d.Slow.Threshold
	}
	if c.PrivilegedWeight == 0 {
		c.PrivilegedWeight = d.PrivilegedWeight
	}
	if c.OtherWeight == 0 {
		c.OtherWeight = d.OtherWeight
	}
	if c.Prefix6 == 0 {
		c.Prefix6 = d.Prefix6
	}
	if c.Hold == 0 {
		c.Hold = d.Hold
	}
	if c.MaxPerMinute == 0 {
		c.MaxPerMinute = d.MaxPerMinute
	}
	if c.TableSize == 0 {
		c.TableSize = d.TableSize
	}
	if c.ProbationSize == 0 {
		c.ProbationSize = d.ProbationSize
	}
}

// Validate reports the first invalid setting of c (after defaults),
// worded for a flag or rc.conf variable.
func (c Config) Validate() error {
	c.fill()
	for _, w := range []struct {
		name string
		w    Window
	}{{"fast", c.Fast}, {"slow", c.Slow}} {
		if w.w.Span < time.Second || w.w.Span > MaxSpan {
			return fmt.Errorf("detect: %s window %v: want 1s to %v", w.name, w.w.Span, MaxSpan)
		}
		if w.w.Threshold < 2 || w.w.Threshold > MaxPorts*c.OtherWeight || w.w.Threshold > MaxPorts*c.PrivilegedWeight {
			return fmt.Errorf("detect: %s threshold %d: want 2 to %d (%d ports of the lightest weight)",
				w.name, w.w.Threshold, MaxPorts*min(c.OtherWeight, c.PrivilegedWeight), MaxPorts)
		}
	}
	if c.PrivilegedWeight < 1 || c.PrivilegedWeight > 100 || c.OtherWeight < 1 || c.OtherWeight > 100 {
		return errors.New("detect: port weights must be 1 to 100")
	}
	if c.Prefix6 < 8 || c.Prefix6 > 128 {
		return fmt.Errorf("detect: IPv6 prefix /%d: want /8 to /128 (64 recommended)", c.Prefix6)
	}
	if c.Hold < 0 {
		return fmt.Errorf("detect: hold %v is negative", c.Hold)
	}
	if c.MaxPerMinute < 1 {
		return fmt.Errorf("detect: decision limit %d per minute: want at least 1", c.MaxPerMinute)
	}
	if c.TableSize < ways || c.TableSize > 1<<22 || c.ProbationSize < 2 || c.ProbationSize > 1<<26 {
		return fmt.Errorf("detect: table sizes %d/%d: want %d to %d and 2 to %d", c.TableSize, c.ProbationSize, ways, 1<<22, 1<<26)
	}
	for _, p := range append(append([]netip.Prefix(nil), c.Own...), c.Ignore...) {
		if !p.IsValid() {
			return fmt.Errorf("detect: invalid prefix %v in the own/ignore list", p)
		}
	}
	return nil
}

// Stats are a Detector's counters since New.
type Stats struct {
	Probes     uint64 // Kind Probe records seen
	Decisions  uint64 // scan decisions made
	Limited    uint64 // decisions made to wait by MaxPerMinute
	LimitHits  uint64 // minutes in which the limit was reached
	Evictions  uint64 // protected entries evicted while they held evidence
	Probation  uint64 // probation entries evicted (one-off sources)
	Ignored    uint64 // probes from own or ignored sources
	Bogus      uint64 // probes from unusable sources (mapped, multicast, ...)
	Cut        uint64 // probes from records cut before their TCP flags (see Classify)
	Entries    int    // protected entries in use
	TableSize  int    // protected capacity
	Probations int    // probation slots in use (Tick frees stale ones within 64 ticks)
	Bytes      int    // memory of both tables and the own set
}

// EntryBytes is the size of one protected entry.
const EntryBytes = int(unsafe.Sizeof(entry{}))

// ProbationBytes is the size of one probation entry.
const ProbationBytes = int(unsafe.Sizeof(pentry{}))

// key identifies a source: an IPv4 address, an IPv6 address, or an IPv6
// prefix (the address masked to plen bits).
type key struct {
	hi, lo uint64 // the address or prefix, big-endian halves (IPv4: lo's low 32 bits)
	plen   uint8  // 32, or the IPv6 prefix length
	v6     bool
}

type entry struct {
	k       key
	n       uint8 // ports used
	pending bool  // decided, waiting for the per-minute limit
	multi   bool  // more than one address of the prefix took part
	single  bool  // held after a decision that named one address of the prefix
	addrs   uint64
	iid     key   // the first address seen (the one named when !multi)
	base    int64 // times[] are ms since base
	first   int64 // first probe of the current evidence
	last    int64 // last probe
	hold    int64 // no decision before this (ns); 0 = none
	born    int64 // when the entry was promoted
	rule    uint32
	iface   [16]byte
	ports   [MaxPorts]uint32 // proto<<16 | port
	times   [MaxPorts]uint32 // ms since base the port was last tried
	pwindow uint8            // window of the pending decision
}

// pentry is a probation slot: a source with one port so far.
type pentry struct {
	fp   uint32 // fingerprint of the source key; 0 = empty
	port uint32 // proto<<24 | port<<8 | 8-bit hash of the address
	sec  uint32 // capture time, Unix seconds
	fp2  uint32 // more fingerprint bits
}

const pways = 4 // probation slots per bucket: 64 bytes

// slot is what victim, Tick and Flush need of a protected entry, kept in
// a small array beside the table (SlotBytes a slot): choosing a victim
// then reads the bucket's eight slots, four adjacent cache lines, instead
// of eight entries of EntryBytes and the times of their ports, and Tick
// and Flush read the table's entries only when one is pending. The
// copies are made by sync after every change of an entry; slowN caches
// windowPorts(slow), which depends on the entry alone (its last probe,
// base and times), not on the time it is asked at.
type slot struct {
	last, born, hold int64 // the entry's
	pending          bool  // the entry's
	slowOK           bool  // slowN is the entry's windowPorts over the slow window
	slowN            uint8
}

// SlotBytes is the size of one protected slot's side data.
const SlotBytes = int(unsafe.Sizeof(slot{}))

// Detector holds the tables. See the package documentation.
type Detector struct {
	cfg        Config
	fast, slow int64 // spans in ms
	hold       int64 // ns
	tab        []entry
	tags       []uint32 // per protected slot: 32 bits of the key's hash, 0 = empty
	slots      []slot   // per protected slot: what victim and Tick read (see slot)
	ptab       []pentry
	mask       uint64
	pmask      uint64
	seed0      uint64
	seed1      uint64
	own        [ownSlots]key
	minute     int64
	inMinute   int
	limitSaid  bool
	npending   int
	st         Stats
	out        Decision
	now        int64          // latest capture time seen
	learned    bool           // the own set holds something
	nEntries   int            // protected slots in use
	nProb      int            // probation slots in use
	sweep      int            // next probation slot Tick looks at
	never      []netip.Prefix // Own and Ignore
	ownNets    []key          // the Prefix6 prefixes holding a configured own address
}

// New returns a Detector for cfg (zero fields take the defaults), or the
// error of cfg.Validate.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.fill()
	cfg.Own = append([]netip.Prefix(nil), cfg.Own...)
	cfg.Ignore = append([]netip.Prefix(nil), cfg.Ignore...)
	for i := range cfg.Own {
		cfg.Own[i] = cfg.Own[i].Masked()
	}
	for i := range cfg.Ignore {
		cfg.Ignore[i] = cfg.Ignore[i].Masked()
	}
	nb := pow2(cfg.TableSize / ways)
	pb := pow2(cfg.ProbationSize / pways)
	cfg.TableSize, cfg.ProbationSize = nb*ways, pb*pways
	d := &Detector{
		cfg:   cfg,
		fast:  cfg.Fast.Span.Milliseconds(),
		slow:  cfg.Slow.Span.Milliseconds(),
		hold:  int64(cfg.Hold),
		tab:   make([]entry, nb*ways),
		tags:  make([]uint32, nb*ways),
		slots: make([]slot, nb*ways),
		ptab:  make([]pentry, pb*pways),
		mask:  uint64(nb - 1),
		pmask: uint64(pb - 1),
		seed0: rand.Uint64(),
		seed1: rand.Uint64(),
	}
	if cfg.Seed != 0 {
		d.seed0, d.seed1 = cfg.Seed, cfg.Seed*0x9e3779b97f4a7c15
	}
	d.never = append(append([]netip.Prefix(nil), cfg.Own...), cfg.Ignore...)
	for _, p := range cfg.Own {
		if a := addrKey(p.Addr()); a.v6 && p.Bits() >= cfg.Prefix6 {
			d.ownNets = append(d.ownNets, prefixKey(&a, cfg.Prefix6))
		}
	}
	d.st.TableSize = len(d.tab)
	d.st.Bytes = len(d.tab)*EntryBytes + len(d.tags)*4 + len(d.slots)*SlotBytes + len(d.ptab)*ProbationBytes + int(unsafe.Sizeof(d.own))
	return d, nil
}

func pow2(n int) int {
	if n < 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// Config returns the configuration in use (defaults filled, sizes rounded).
func (d *Detector) Config() Config { return d.cfg }

// Stats returns the counters.
func (d *Detector) Stats() Stats {
	s := d.st
	s.Entries, s.Probations = d.nEntries, d.nProb
	return s
}

func (d *Detector) hash(k *key) uint64 {
	hi, lo := bits.Mul64(k.hi^d.seed0, k.lo^d.seed1^uint64(k.plen)<<56)
	return hi ^ lo
}

// bogus reports sources that are never counted (see the package doc).
func bogus(k *key) bool {
	if !k.v6 {
		b0 := byte(k.lo >> 24)
		return b0 == 0 || b0 == 127 || b0 >= 224
	}
	if k.hi>>56 == 0xff || (k.hi == 0 && k.lo <= 1) { // multicast, ::, ::1
		return true
	}
	mid := uint32(k.lo >> 32)
	// ::/96 (compatible), ::ffff:0:0/96 (mapped), ::ffff:0:0:0/96 (translated)
	return k.hi == 0 && (mid == 0 || mid == 0xffff || mid == 0xffff0000)
}

func linkLocal(k *key) bool { return k.v6 && k.hi>>54 == 0xfe80>>6 }

func inList(l []netip.Prefix, a netip.Addr) bool {
	for _, p := range l {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ownSlot returns the slot of k in the learned own set.
func (d *Detector) ownSlot(k *key) *key {
	return &d.own[d.hash(k)&(ownSlots-1)]
}

func (d *Detector) learn(a netip.Addr) {
	if !a.IsValid() {
		return
	}
	k := addrKey(a)
	if bogus(&k) {
		return
	}
	*d.ownSlot(&k) = k
	d.learned = true
	if k.v6 && !linkLocal(&k) && d.cfg.Prefix6 < 128 {
		n := prefixKey(&k, d.cfg.Prefix6)
		*d.ownSlot(&n) = n
	}
}

func (d *Detector) isOwn(k *key) bool {
	return d.learned && *d.ownSlot(k) == *k
}

func addrKey(a netip.Addr) key {
	b := a.As16()
	k := key{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]), plen: 128, v6: true}
	if a.Is4() {
		k.hi, k.lo, k.plen, k.v6 = 0, k.lo&0xffffffff, 32, false
	}
	return k
}

func (k *key) addr() netip.Addr {
	if !k.v6 {
		return netip.AddrFrom4([4]byte{byte(k.lo >> 24), byte(k.lo >> 16), byte(k.lo >> 8), byte(k.lo)})
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k.hi)
	binary.BigEndian.PutUint64(b[8:], k.lo)
	return netip.AddrFrom16(b)
}

// prefixKey masks the IPv6 address key a to plen bits.
func prefixKey(a *key, plen int) key {
	k := key{hi: a.hi, lo: a.lo, plen: uint8(plen), v6: true}
	if plen < 64 {
		k.hi &= ^uint64(0) << (64 - plen)
		k.lo = 0
	} else {
		k.lo &= ^uint64(0) << (128 - plen)
	}
	return k
}

// ownNet reports whether the prefix k holds one of this host's
// addresses, configured or learned.
func (d *Detector) ownNet(k *key) bool {
	if d.isOwn(k) {
		return true
	}
	for i := range d.ownNets {
		if d.ownNets[i] == *k {
			return true
		}
	}
	return false
}

func (d *Detector) weight(port uint32) int {
	proto, p := uint8(port>>16), uint16(port)
	if p < 1024 && hasPorts(proto) {
		return d.cfg.PrivilegedWeight
	}
	return d.cfg.OtherWeight
}

func hasPorts(proto uint8) bool {
	switch proto {
	case protoTCP, protoUDP, protoSCTP, protoDCCP, protoUDPLite:
		return true
	}
	return false
}

// Observe counts one probe and returns the decision it caused, or nil.
// The returned Decision is owned by the detector and valid until the next
// call of Observe or Tick. Probes must come in capture-time order per
// source (slightly out-of-order times are treated as now).
func (d *Detector) Observe(p *Probe) *Decision {
	switch p.Kind {
	case KindOwn:
		if d.cfg.LearnOwn {
			d.learn(p.Src)
		}
		return nil
	case KindProbe:
	default:
		return nil
	}
	d.st.Probes++
	if p.Cut {
		d.st.Cut++
	}
	src := p.Src
	if !src.IsValid() {
		d.st.Bogus++
		return nil
	}
	ak := addrKey(src)
	if bogus(&ak) {
		d.st.Bogus++
		return nil
	}
	if d.isOwn(&ak) || (len(d.never) > 0 && inList(d.never, src)) {
		d.st.Ignored++
		return nil
	}
	k := ak
	if ak.v6 && d.cfg.Prefix6 < 128 && !linkLocal(&ak) {
		k = prefixKey(&ak, d.cfg.Prefix6)
		if d.ownNet(&k) {
			k = ak
		}
	}
	port := uint32(p.Proto)<<16 | uint32(p.Port)
	now := p.Time

	if now > d.now {
		d.now = now
	}
	h := d.hash(&k)
	base := int(h&d.mask) * ways
	tag := uint32(h>>32) | 1
	for i, t := range d.tags[base : base+ways] {
		if t == tag && d.tab[base+i].k == k {
			return d.touch(base+i, &ak, port, p)
		}
	}
	// Not protected: probation.
	fp, fp2 := uint32(h>>32)|1, uint32(h)
	pb := d.ptab[int((h>>20)&d.pmask)*pways:][:pways]
	a8 := addr8(&ak)
	sec := uint32(now / 1e9)
	slowS := uint32(d.slow / 1000)
	v := 0
	for i := range pb {
		e := &pb[i]
		if e.fp != fp || e.fp2 != fp2 || sec-e.sec > slowS {
			if e.fp == 0 || (pb[v].fp != 0 && e.sec < pb[v].sec) {
				v = i
			}
			continue
		}
		if e.port>>8 == port {
			if e.port&0xff != uint32(a8) {
				e.port = port<<8 | uint32(a8^1) // another address: remember "more than one"
			}
			e.sec = sec
			return nil
		}
		// A second distinct port: promote.
		pe := *e
		*e = pentry{}
		d.nProb--
		vi := d.victim(base, tag, now)
		ne := &d.tab[vi]
		d.start(ne, &k, &ak, now)
		ne.multi = pe.port&0xff != uint32(a8)
		ne.first = min(int64(pe.sec)*1e9, now)
		ne.ports[0] = pe.port >> 8
		ne.times[0] = d.ms(ne, ne.first)
		ne.n = 1
		return d.touch(vi, &ak, port, p)
	}
	if pb[v].fp != 0 && sec-pb[v].sec <= slowS {
		d.st.Probation++
	}
	if pb[v].fp == 0 {
		d.nProb++
	}
	pb[v] = pentry{fp: fp, fp2: fp2, port: port<<8 | uint32(a8), sec: sec}
	return nil
}

func addr8(k *key) uint8 {
	x := (k.lo ^ k.hi) * 0x9e3779b97f4a7c15
	return uint8(x >> 56)
}

// ms converts t to milliseconds since e.base, clamped to the uint32 range.
func (d *Detector) ms(e *entry, t int64) uint32 {
	v := (t - e.base) / 1e6
	if v < 0 {
		return 0
	}
	if v > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(v)
}

func (d *Detector) start(e *entry, k, ak *key, now int64) {
	*e = entry{k: *k, iid: *ak, base: now - int64(MaxSpan), first: now, last: now, born: now}
}

// victim picks the protected slot a new source takes and returns its
// index, with the slot's tag set to tag (see pick).
func (d *Detector) victim(base int, tag uint32, now int64) int {
	i, n, empty := d.pick(base, now)
	if empty {
		d.nEntries++
	} else {
		if n > 0 {
			d.st.Evictions++
		}
		if d.slots[i].pending {
			d.npending--
		}
	}
	d.tags[i] = tag
	return i
}

// pick chooses among the protected slots of the bucket at base: an empty
// one (empty), else one whose evidence has left the slow window and which
// is neither held nor pending, else the one with the fewest distinct
// ports in the slow window (held and pending entries count as full), the
// most recently promoted of those first; n is that count. It reads the
// side slots only, and an entry only when its count is not cached yet.
func (d *Detector) pick(base int, now int64) (best, bestN int, empty bool) {
	best = -1
	for i := base; i < base+ways; i++ {
		if d.tags[i] == 0 {
			return i, 0, true
		}
		m := &d.slots[i]
		n := MaxPorts + 1
		if !m.pending && m.hold <= now {
			if !m.slowOK {
				m.slowN, m.slowOK = uint8(d.windowPorts(&d.tab[i], now, d.slow)), true
			}
			n = int(m.slowN)
		}
		if best < 0 || n < bestN || (n == bestN && n > 0 && m.born > d.slots[best].born) ||
			(n == bestN && n == 0 && m.last < d.slots[best].last) {
			best, bestN = i, n
		}
	}
	return best, bestN, false
}

// sync copies into slot i what victim and Tick need of its entry; every
// change of an entry is followed by it.
func (d *Detector) sync(i int) {
	e := &d.tab[i]
	d.slots[i] = slot{last: e.last, born: e.born, hold: e.hold, pending: e.pending}
}

// windowPorts counts e's ports tried within span ms of now.
func (d *Detector) windowPorts(e *entry, now int64, span int64) int {
	// The window ends at the last probe counted, not at now: a decision
	// the per-minute limit held back is made later (Tick, Flush) and must
	// still report the evidence that crossed the threshold, not a fast
	// window that has emptied since (it said "0 ports ()").
	cut := (e.last-e.base)/1e6 - span
	n := 0
	for i := 0; i < int(e.n); i++ {
		if int64(e.times[i]) >= cut {
			n++
		}
	}
	return n
}

// windowWeight sums the weights of e's ports tried within span ms of now.
func (d *Detector) windowWeight(e *entry, now int64, span int64) int {
	// The window ends at the last probe counted, not at now: a decision
	// the per-minute limit held back is made later (Tick, Flush) and must
	// still report the evidence that crossed the threshold, not a fast
	// window that has emptied since (it said "0 ports ()").
	cut := (e.last-e.base)/1e6 - span
	w := 0
	for i := 0; i < int(e.n); i++ {
		if int64(e.times[i]) >= cut {
			w += d.weight(e.ports[i])
		}
	}
	return w
}

// touch counts p in the protected slot i.
func (d *Detector) touch(i int, ak *key, port uint32, p *Probe) *Decision {
	dec := d.count(&d.tab[i], ak, port, p)
	d.sync(i)
	return dec
}

func (d *Detector) count(e *entry, ak *key, port uint32, p *Probe) *Decision {
	now := p.Time
	if now < e.last {
		now = e.last // out of order: treat as now
	}
	e.last = now
	if e.iid != *ak {
		e.multi = true
	}
	e.addrs |= 1 << (ak.lo * 0x9e3779b97f4a7c15 >> 58)
	e.rule = p.Rule
	e.iface = p.Iface
	if e.hold > now && e.single && e.iid != *ak {
		// The decision named one address of this prefix; another one
		// scans now: count afresh, and the next decision names the prefix.
		e.hold, e.single, e.multi = 0, false, true
	}
	if e.hold > now || e.pending {
		return nil // decided: wait for the hold (or the limit) to end
	}
	if now-e.base >= 1<<31*1e6 {
		// Rebase far from the uint32 limit; evidence that old is gone.
		e.n = 0
		e.base = now - int64(MaxSpan)
		e.first = now
	}
	t := d.ms(e, now)
	i := 0
	for ; i < int(e.n); i++ {
		if e.ports[i] == port {
			break
		}
	}
	if i < int(e.n) {
		old := e.times[i]
		e.times[i] = t
		if int64(old) >= int64(t)-d.fast {
			return nil // a repeat within the fast window changes nothing
		}
	} else if e.n < MaxPorts {
		e.ports[e.n], e.times[e.n] = port, t
		e.n++
	} else {
		o := 0
		for j := 1; j < MaxPorts; j++ {
			if e.times[j] < e.times[o] {
				o = j
			}
		}
		e.ports[o], e.times[o] = port, t
	}
	win := uint8(0)
	if d.windowWeight(e, now, d.fast) >= d.cfg.Fast.Threshold {
		win = WindowFast
	} else if d.windowWeight(e, now, d.slow) >= d.cfg.Slow.Threshold {
		win = WindowSlow
	}
	if win == 0 {
		return nil
	}
	return d.decide(e, win, now)
}

// decide makes e's decision now, or makes it wait for the limit.
func (d *Detector) decide(e *entry, win uint8, now int64) *Decision {
	m := now / int64(time.Minute)
	if m != d.minute {
		d.minute, d.inMinute, d.limitSaid = m, 0, false
	}
	if d.inMinute >= d.cfg.MaxPerMinute {
		if !e.pending {
			e.pending = true
			e.pwindow = win
			d.npending++
			d.st.Limited++
		}
		if !d.limitSaid {
			d.limitSaid = true
			d.st.LimitHits++
			d.out = Decision{Event: EventLimit, At: now, Limit: d.cfg.MaxPerMinute}
			return &d.out
		}
		return nil
	}
	d.inMinute++
	d.st.Decisions++
	d.fill(&d.out, e, win, now)
	e.pending = false
	e.n = 0
	e.multi = false
	e.addrs = 0
	e.single = e.k.v6 && e.k.plen < 128 && d.out.Source.IsSingleIP()
	e.hold = now + d.hold
	if d.hold == 0 {
		e.hold = now + 1
	}
	return &d.out
}

func (d *Detector) fill(o *Decision, e *entry, win uint8, now int64) {
	*o = Decision{Event: EventScan, At: now, Window: win, Rule: e.rule, Iface: e.iface, Last: e.last}
	span := d.slow
	if win == WindowFast {
		span = d.fast
	}
	// The window ends at the last probe counted, not at now: a decision
	// the per-minute limit held back is made later (Tick, Flush) and must
	// still report the evidence that crossed the threshold, not a fast
	// window that has emptied since (it said "0 ports ()").
	cut := (e.last-e.base)/1e6 - span
	firstMS := int64(-1)
	for i := 0; i < int(e.n); i++ {
		if int64(e.times[i]) < cut {
			continue
		}
		o.Ports++
		if firstMS < 0 || int64(e.times[i]) < firstMS {
			firstMS = int64(e.times[i])
		}
		o.addProto(uint8(e.ports[i] >> 16))
	}
	o.First = e.base + firstMS*1e6
	if o.First < e.first {
		o.First = e.first
	}
	if o.First > now {
		o.First = now
	}
	o.Addresses = bits.OnesCount64(e.addrs)
	if e.multi && o.Addresses < 2 {
		o.Addresses = 2
	}
	if !e.multi {
		o.Addresses = 1
	}
	if !e.k.v6 {
		o.Source = netip.PrefixFrom(e.k.addr(), 32)
		return
	}
	if e.k.plen < 128 && (e.multi || d.cfg.AlwaysPrefix) {
		o.Source = netip.PrefixFrom(e.k.addr(), int(e.k.plen))
		return
	}
	o.Source = netip.PrefixFrom(e.iid.addr(), 128)
}

// Tick is called from the pipeline's ticker with the current capture
// time (ns). It makes the decisions the per-minute limit held back, once
// the minute has turned, and frees entries whose evidence has left the
// slow window and whose hold has ended. emit receives each decision
// (valid during the call only).
func (d *Detector) Tick(now int64, emit func(*Decision)) {
	m := now / int64(time.Minute)
	if m != d.minute {
		d.minute, d.inMinute, d.limitSaid = m, 0, false
	}
	if now > d.now {
		d.now = now
	}
	slowNS := int64(d.cfg.Slow.Span)
	for i, t := range d.tags {
		if t == 0 {
			continue
		}
		m := &d.slots[i]
		if m.pending {
			if d.inMinute >= d.cfg.MaxPerMinute {
				continue
			}
			e := &d.tab[i]
			e.pending = false
			d.npending--
			dec := d.decide(e, e.pwindow, max(now, e.last))
			d.sync(i)
			if dec != nil {
				emit(dec)
			}
			continue
		}
		if m.hold <= now && m.last+slowNS < now {
			// The entry is left as it is: nothing reads an entry whose
			// tag is 0, and start overwrites all of it.
			*m = slot{}
			d.tags[i] = 0
			d.nEntries--
		}
	}
	// Probation slots older than the slow window already count as empty
	// to Observe; free them a 64th of the table per tick, so that
	// Stats.Probations follows.
	n := max(len(d.ptab)/64, min(len(d.ptab), 64))
	slowS := uint32(d.slow / 1000)
	sec := uint32(now / 1e9)
	for range n {
		e := &d.ptab[d.sweep]
		if e.fp != 0 && sec-e.sec > slowS {
			*e = pentry{}
			d.nProb--
		}
		if d.sweep++; d.sweep == len(d.ptab) {
			d.sweep = 0
		}
	}
}

// Flush makes the decisions the per-minute limit still holds back at the
// end of the input (a file read with -r, or shutdown): they are made at
// the start of each following minute of capture time, as Tick would have
// made them, so the output depends only on the records. now is the last
// record's capture time.
func (d *Detector) Flush(now int64, emit func(*Decision)) {
	for d.npending > 0 {
		now = (now/int64(time.Minute) + 1) * int64(time.Minute)
		before := d.npending
		d.flushPending(now, emit)
		if d.npending >= before {
			return // cannot happen: a new minute admits at least one
		}
	}
}

// flushPending makes pending decisions at now, up to the limit, and
// frees nothing else (unlike Tick).
func (d *Detector) flushPending(now int64, emit func(*Decision)) {
	m := now / int64(time.Minute)
	if m != d.minute {
		d.minute, d.inMinute, d.limitSaid = m, 0, false
	}
	for i, t := range d.tags {
		if t == 0 {
			continue
		}
		if !d.slots[i].pending || d.inMinute >= d.cfg.MaxPerMinute {
			continue
		}
		e := &d.tab[i]
		e.pending = false
		d.npending--
		dec := d.decide(e, e.pwindow, max(now, e.last))
		d.sync(i)
		if dec != nil {
			emit(dec)
		}
	}
}
