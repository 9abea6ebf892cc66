package stage

import (
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
)

// BudgetConfig configures one source's line-budget stage.
type BudgetConfig struct {
	// TableSize is the number of sources remembered (rounded up to a
	// power of two; default DefaultBudgetTable).
	TableSize int
	// Hold is how long a source counts as seen (default 1 minute).
	Hold time.Duration
	// Window is the length of a summary's window (default 1 s).
	Window time.Duration
}

// DefaultBudgetTable is the default number of sources a line-budget
// stage remembers: 16384 entries of 32 bytes, 512 KiB per source.
const DefaultBudgetTable = 16384

// budgetWays is how many slots a source may occupy (its probe sequence).
const budgetWays = 4

type budgetSlot struct {
	addr [16]byte
	last int64  // capture time (ns) the source was last seen
	n    uint32 // records seen within Hold of each other; 0: empty slot
	alen uint8
}

// Budget is the global line budget (internal/budget) as a stage, the
// last of a source's pipeline. Every line it keeps draws one token from
// the bucket all sources share. Sources seen before (within Hold) draw
// down to an empty bucket; a source's first record may only draw while
// more than one second's worth of tokens is left. So under a flood of
// one-off (spoofed) sources their first lines are withheld and the last
// second of the budget stays for sources with repeated evidence; what is
// withheld is reported in one summary per window. Lines that flood
// control already suppressed draw nothing; events (decisions, flood
// summaries, its own summaries) never pass through it.
//
// The table of sources is fixed: a new source takes an empty or expired
// slot of its four, else the oldest slot of a source seen once; sources
// seen twice are never pushed out by new ones before Hold has passed.
type Budget struct {
	b       *budget.Bucket
	clk     budget.Clock
	tab     []budgetSlot
	mask    uint32
	hold    int64
	window  int64
	reserve int

	open bool // a window with withheld lines is open
	sum  budget.Summary
	ev   record.Event
}

// NewBudget returns a line-budget stage for one source drawing from b.
func NewBudget(b *budget.Bucket, cfg BudgetConfig) *Budget {
	size := cfg.TableSize
	if size <= 0 {
		size = DefaultBudgetTable
	}
	n := budgetWays
	for n < size {
		n <<= 1
	}
	if cfg.Hold <= 0 {
		cfg.Hold = time.Minute
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Second
	}
	return &Budget{b: b, tab: make([]budgetSlot, n), mask: uint32(n - 1),
		hold: int64(cfg.Hold), window: int64(cfg.Window), reserve: b.Rate(),
		ev: record.Event{Kind: record.KindBudget}}
}

// Record implements Stage.
func (s *Budget) Record(r *record.Record, suppressed bool, emit Emitter) bool {
	now := r.Time()
	if s.open && now-s.sum.Start >= s.window {
		s.close(s.sum.Start+s.window, emit)
	}
	if suppressed {
		return true
	}
	var key [16]byte
	var alen uint8
	if sm := r.Summary(); sm.Src.Is4() {
		a := sm.Src.As4()
		copy(key[:], a[:])
		alen = 4
	} else if sm.Src.Is6() {
		key = sm.Src.As16()
		alen = 16
	}
	seen := s.seen(&key, alen, now)
	reserve := 0
	if !seen {
		reserve = s.reserve
	}
	if s.b.Take(s.b.Now(&s.clk, now), reserve) {
		return true
	}
	if !s.open {
		s.open = true
		s.sum = budget.Summary{Start: now, Rate: s.b.Rate()}
	}
	s.sum.Withheld++
	if !seen {
		s.sum.Firsts++
	}
	return false
}

// seen looks the source up, counts this record, and reports whether the
// source was seen before within Hold.
func (s *Budget) seen(key *[16]byte, alen uint8, now int64) bool {
	h := budgetHash(key, alen)
	victim, vfresh, vlast := -1, true, int64(0)
	for i := uint32(0); i < budgetWays; i++ {
		j := int((h + i) & s.mask)
		e := &s.tab[j]
		fresh := e.n != 0 && now-e.last <= s.hold
		if e.n != 0 && e.alen == alen && e.addr == *key {
			if !fresh {
				e.n, e.last = 1, now
				return false
			}
			e.n++
			e.last = max(e.last, now)
			return true
		}
		// Victim: the first empty or expired slot, else the oldest
		// source seen once; a source seen twice is kept.
		switch {
		case !fresh:
			if vfresh {
				victim, vfresh = j, false
			}
		case e.n == 1 && vfresh && (victim < 0 || e.last < vlast):
			victim, vlast = j, e.last
		}
	}
	if victim >= 0 {
		s.tab[victim] = budgetSlot{addr: *key, alen: alen, n: 1, last: now}
	}
	return false
}

// budgetHash mixes an address into a slot index. It is fixed (no random
// seed), so the output of a file does not change from run to run.
func budgetHash(k *[16]byte, alen uint8) uint32 {
	var a, b uint64
	for i := 0; i < 8; i++ {
		a = a<<8 | uint64(k[i])
		b = b<<8 | uint64(k[8+i])
	}
	x := a*0x9e3779b97f4a7c15 ^ b*0xc2b2ae3d27d4eb4f ^ uint64(alen)
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 29
	return uint32(x)
}

// close writes the open window's summary at capture time at.
func (s *Budget) close(at int64, emit Emitter) {
	s.open = false
	s.sum.At = at
	c := s.b.Counters()
	c.Withheld.Add(s.sum.Withheld)
	c.Summaries.Add(1)
	s.ev.Budget = s.sum
	emit.Emit(&s.ev)
}

// Tick implements Stage.
func (s *Budget) Tick(now int64, emit Emitter) {
	if s.open && now-s.sum.Start >= s.window {
		s.close(s.sum.Start+s.window, emit)
	}
}

// Flush implements Stage.
func (s *Budget) Flush(now int64, emit Emitter) {
	if s.open {
		s.close(min(max(now, s.sum.Start), s.sum.Start+s.window), emit)
	}
}
