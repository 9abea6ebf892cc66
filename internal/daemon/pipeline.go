package daemon

import (
	"sync"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/stage"
)

// The pipeline of one source, the same for every worker count: the
// reading goroutine decodes each record once (record.Record, in a slot of
// the current chunk), runs the source's stages over it in input order and
// collects the records whose lines are written and the stages' events
// into the chunk. With one worker the reader also formats each line as it
// goes and writes full chunks itself; with more, whole chunks go to the
// workers, which format them, and a writer hands them to the sinks in
// input order. Either way the output is a function of the records alone:
// byte-identical for any worker count. Memory is bounded by the chunks,
// allocated once (2*workers+2 of them).
//
// Records are copied into the chunk only when they must outlive the
// source's buffer (workers format them later, or a sink such as journald
// takes them with their lines); otherwise a record is formatted where the
// source put it.

// chunk is a run of records and events on its way to the sinks.
type chunk struct {
	pkts   []source.Packet
	hdrs   []pflog.Header
	recs   []record.Record // recs[i].Pkt = &pkts[i], .Hdr = &hdrs[i], summary in sums[i]
	sums   []packet.Summary
	nrec   int
	events []record.Event
	items  []item // what the chunk holds, in order
	raw    []byte // copies of the records' bytes
	batch  output.Batch
	lines  uint64 // lines in batch.Buf
	read   uint64 // records read into this chunk (statistics)
	done   chan struct{}
}

// item is one line of a chunk: a record or an event, and where its line
// ends in batch.Buf once formatted.
type item struct {
	idx  int32
	end  int32
	ev   bool
	late bool // a record the worker decodes (no stage needed it earlier)
	skip bool // a malformed record: no line
}

const (
	chunkItems  = 1024
	chunkEvents = 64 // a record rarely brings more than one
	chunkRaw    = 192 << 10
)

func newChunk(persist bool) *chunk {
	n := 1
	if persist {
		n = chunkItems
	}
	c := &chunk{
		pkts:   make([]source.Packet, n),
		hdrs:   make([]pflog.Header, n),
		recs:   make([]record.Record, n),
		sums:   make([]packet.Summary, n),
		events: make([]record.Event, 0, 64),
		items:  make([]item, 0, chunkItems+64),
		batch:  output.Batch{Buf: make([]byte, 0, FlushSize+4096)},
		done:   make(chan struct{}, 1),
	}
	if persist {
		c.raw = make([]byte, 0, chunkRaw+(64<<10))
	}
	for i := range c.recs {
		c.recs[i].Pkt, c.recs[i].Hdr = &c.pkts[i], &c.hdrs[i]
		c.recs[i].UseSummary(&c.sums[i])
	}
	return c
}

func (c *chunk) reset() {
	c.nrec, c.lines, c.read = 0, 0, 0
	c.events, c.items, c.raw = c.events[:0], c.items[:0], c.raw[:0]
	c.batch.Reset()
}

func (c *chunk) empty() bool { return c.read == 0 && len(c.items) == 0 && len(c.batch.Buf) == 0 }

// format renders every item of c with f, decoding the records no stage
// needed before (p.malformed reports those that fail).
func (c *chunk) format(f format.Formatter, p *pipe) {
	buf := c.batch.Buf[:0]
	lines := uint64(0)
	for i := range c.items {
		it := &c.items[i]
		switch {
		case it.ev:
			buf = f.AppendEvent(buf, &c.events[it.idx])
		case it.late && p.decode(&c.recs[it.idx]) != nil:
			it.skip = true
			continue
		default:
			buf = f.Append(buf, &c.recs[it.idx])
		}
		lines++
		it.end = int32(len(buf))
	}
	c.batch.Buf = buf
	c.lines = lines
}

// pipe runs one source's pipeline.
type pipe struct {
	d       *Daemon
	src     source.Source
	stages  []stage.Stage
	flood   *stage.Flood
	inline  bool // format in the reading goroutine (one worker)
	persist bool // records stay in the chunk until written
	lines   bool // the sinks take each line with its record
	late    bool // records are decoded by the workers (no stage, several workers)
	f       format.Formatter

	cur               *chunk
	free, work, order chan *chunk
	wg                sync.WaitGroup
	writerDone        chan struct{}

	// mu is held by the reader except while it waits for input, and by
	// the ticker when it runs the stages' timers.
	mu       sync.Mutex
	between  bool      // the stages' timers run: Emit may send full chunks on
	live     bool      // timers run from the ticker (not for -r files)
	idle     bool      // the reader waits for input
	idleWall time.Time // when it started to wait
	lastNow  int64     // capture time of the newest record
	seen     bool      // lastNow is set
	closed   bool
}

func (d *Daemon) newPipe(src source.Source) *pipe {
	cfg := &d.cfg
	p := &pipe{d: d, src: src, live: !cfg.Sequential}
	if cfg.Flood.MaxPerSource > 0 {
		p.flood = stage.NewFlood(cfg.Flood)
		p.stages = append(p.stages, p.flood)
	}
	if cfg.Stages != nil {
		p.stages = append(p.stages, cfg.Stages(src.Name())...)
	}
	p.lines = output.WantsLines(cfg.Sink)
	workers := cfg.Workers
	p.inline = workers <= 1
	p.persist = !p.inline || p.lines
	if p.inline {
		p.f = cfg.NewFormatter()
		p.cur = newChunk(p.persist)
		return p
	}
	// Without stages nothing needs a record before it is formatted: the
	// workers decode it (still once), so the reader only copies.
	p.late = len(p.stages) == 0
	n := 2*workers + 2
	p.free = make(chan *chunk, n)
	for i := 0; i < n; i++ {
		p.free <- newChunk(true)
	}
	p.work = make(chan *chunk, n)
	p.order = make(chan *chunk, n)
	for i := 0; i < workers; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			f := cfg.NewFormatter()
			for c := range p.work {
				c.format(f, p)
				c.done <- struct{}{}
			}
		}()
	}
	p.writerDone = make(chan struct{})
	go func() {
		defer close(p.writerDone)
		for c := range p.order {
			<-c.done
			p.write(c)
			c.reset()
			p.free <- c
		}
	}()
	p.cur = <-p.free
	return p
}

// run moves every record of the source through the pipeline. It returns
// nil at the end of the source or on shutdown.
func (p *pipe) run() error {
	d := p.d
	var pkt source.Packet
	p.mu.Lock()
	defer p.finish()
	for {
		var more bool
		var err error
		if !p.src.Pending() {
			// Nothing more without waiting: no line waits behind the read.
			p.dispatch()
			p.idle, p.idleWall = true, time.Now()
			p.mu.Unlock()
			more, err = d.next(p.src, &pkt)
			p.mu.Lock()
			p.idle = false
		} else {
			more, err = d.next(p.src, &pkt)
		}
		if !more {
			return err
		}
		p.add(&pkt)
		if p.full() {
			p.dispatch()
		}
	}
}

// full reports whether the current chunk must go before it takes more.
func (p *pipe) full() bool {
	c := p.cur
	return len(c.items) >= chunkItems || len(c.events) >= chunkEvents || len(c.raw) >= chunkRaw ||
		len(c.batch.Buf) >= FlushSize || (p.persist && c.nrec == len(c.recs))
}

// timers runs fn (the stages' Tick or Flush) between records, sending
// each chunk on as it fills: a final flush or a quiet minute may release
// thousands of held decisions at once, and they must not grow one chunk
// past its bounds.
func (p *pipe) timers(fn func(s stage.Stage)) {
	p.between = true
	for _, s := range p.stages {
		fn(s)
	}
	p.between = false
}

// finish flushes the stages and the last chunk and stops the goroutines;
// it is called with mu held and releases it.
func (p *pipe) finish() {
	defer p.mu.Unlock()
	p.timers(func(s stage.Stage) { s.Flush(p.lastNow, p) })
	p.dispatch()
	p.closed = true
	if !p.inline {
		close(p.work)
		close(p.order)
		<-p.writerDone
		p.wg.Wait()
	}
}

// add takes one record from the source.
func (p *pipe) add(pkt *source.Packet) {
	c := p.cur
	c.read++
	i := 0
	if p.persist {
		i = c.nrec
	}
	r := &c.recs[i]
	*r.Pkt = *pkt
	off := len(c.raw)
	if p.persist {
		c.raw = append(c.raw, pkt.Data...)
		r.Pkt.Data = c.raw[off:len(c.raw):len(c.raw)]
	}
	if p.late {
		c.nrec++
		c.items = append(c.items, item{idx: int32(i), late: true})
		return
	}
	if err := p.decode(r); err != nil {
		c.raw = c.raw[:off]
		return
	}
	p.lastNow, p.seen = r.Time(), true
	if len(p.stages) > 0 && !stage.Run(p.stages, r, p) {
		c.raw = c.raw[:off]
		return
	}
	if p.persist {
		c.nrec++
	}
	p.put(item{idx: int32(i)}, r, nil)
}

// decode decodes r's pflog header, and counts and reports it when it is
// malformed.
func (p *pipe) decode(r *record.Record) error {
	err := r.Decode()
	if err != nil {
		p.d.cfg.Stats.Malformed.Add(1)
		p.d.complain(&p.d.malLog, "%s: skipped malformed record (%d bytes): %v", p.src.Name(), len(r.Pkt.Data), err)
	}
	return err
}

// Emit implements stage.Emitter: the event takes its place among the
// lines, after the lines of the records before it.
func (p *pipe) Emit(e *record.Event) {
	c := p.cur
	c.events = append(c.events, *e)
	p.put(item{idx: int32(len(c.events) - 1), ev: true}, nil, &c.events[len(c.events)-1])
	if p.between && p.full() {
		p.dispatch() // no record of this chunk is in a stage's hands
	}
}

func (p *pipe) put(it item, r *record.Record, e *record.Event) {
	c := p.cur
	if p.inline {
		if e != nil {
			c.batch.Buf = p.f.AppendEvent(c.batch.Buf, e)
		} else {
			c.batch.Buf = p.f.Append(c.batch.Buf, r)
		}
		c.lines++
		if !p.lines {
			return
		}
		it.end = int32(len(c.batch.Buf))
	}
	c.items = append(c.items, it)
}

// dispatch sends the current chunk on its way.
func (p *pipe) dispatch() {
	if p.flood != nil {
		p.d.cfg.Stats.addFlood(p.flood.Delta())
	}
	c := p.cur
	if c.empty() {
		return
	}
	if p.inline {
		p.write(c)
		c.reset()
		return
	}
	p.order <- c
	p.work <- c
	p.cur = <-p.free
}

// write hands a formatted chunk to the sinks.
func (p *pipe) write(c *chunk) {
	st := p.d.cfg.Stats
	st.Read.Add(c.read)
	if len(c.batch.Buf) == 0 {
		return
	}
	if p.lines {
		b := &c.batch
		b.Lines = b.Lines[:0]
		for _, it := range c.items {
			if it.skip {
				continue
			}
			l := output.Line{End: int(it.end)}
			if it.ev {
				l.Ev = &c.events[it.idx]
			} else {
				l.Rec = &c.recs[it.idx]
			}
			b.Lines = append(b.Lines, l)
		}
	}
	p.d.write(&c.batch, c.lines)
}

// tick runs the stages' timers while the reader waits for input, so that
// what they hold (the summary of a source that went quiet) is written
// without waiting for the next record. The capture clock is the newest
// record's time plus the wall time since the reader started waiting.
func (p *pipe) tick(wall time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || !p.live || !p.idle || !p.seen || len(p.stages) == 0 {
		return
	}
	now := p.lastNow + int64(wall.Sub(p.idleWall))
	p.timers(func(s stage.Stage) { s.Tick(now, p) })
	p.dispatch()
}
