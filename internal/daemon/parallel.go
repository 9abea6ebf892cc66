package daemon

import (
	"sync"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// The parallel pipeline: this goroutine reads records, applies flood
// control (which must see them in order) and copies the records it keeps
// into chunks; Workers goroutines decode and format whole chunks; a
// writer goroutine hands the formatted chunks to the output in input
// order. Memory is bounded by the 2*Workers+2 chunks, allocated once.

// A chunk is a run of records (or ready-made lines) on its way through
// the workers to the writer.
type chunk struct {
	raw   []byte    // the records' bytes, and ready-made lines
	items []item    // what raw holds, in order
	out   []byte    // the formatted lines
	lines uint64    // lines in out
	read  uint64    // records read for this chunk (statistics)
	done  chan bool // a worker finished out
}

type item struct {
	off, n int32
	wire   int32 // WireLen; -1 marks a ready-made line
	nsec   int32
	sec    int64
}

const (
	chunkItems = 1024
	chunkRaw   = 192 << 10
)

func (d *Daemon) pumpParallel(src source.Source, workers int) error {
	st := d.cfg.Stats
	n := 2*workers + 2
	free := make(chan *chunk, n)
	for i := 0; i < n; i++ {
		free <- &chunk{raw: make([]byte, 0, chunkRaw+(64<<10)), items: make([]item, 0, chunkItems),
			out: make([]byte, 0, FlushSize+4096), done: make(chan bool, 1)}
	}
	work := make(chan *chunk, n)
	order := make(chan *chunk, n)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.formatChunks(work, src.Name())
		}()
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for c := range order {
			<-c.done
			st.Read.Add(c.read)
			if len(c.out) > 0 {
				d.write(c.out, c.lines)
			}
			c.raw, c.items, c.read = c.raw[:0], c.items[:0], 0
			free <- c
		}
	}()

	cur := <-free
	var (
		pkt     source.Packet
		hdr     pflog.Header
		lim     *flood.Limiter
		lastNow int64
		fst     flood.Stats
		ts      = format.Timestamper{Loc: time.Local}
	)
	emit := func(s *flood.Summary) {
		off := len(cur.raw)
		cur.raw = d.summary(cur.raw, s, ts.Append)
		cur.items = append(cur.items, item{off: int32(off), n: int32(len(cur.raw) - off), wire: -1})
	}
	dispatch := func() {
		if lim != nil {
			lim.Expire(lastNow, emit)
			st.addFlood(lim, &fst)
		}
		if len(cur.items) == 0 && cur.read == 0 {
			return
		}
		order <- cur
		work <- cur
		cur = <-free
	}
	if d.cfg.Flood.MaxPerSource > 0 {
		lim = flood.New(d.cfg.Flood)
	}
	defer func() {
		if lim != nil {
			lim.Flush(lastNow, emit)
		}
		dispatch()
		close(work)
		close(order)
		<-writerDone
		wg.Wait()
	}()
	for {
		more, err := d.next(src, &pkt)
		if !more {
			return err
		}
		cur.read++
		keep := true
		if lim != nil {
			if ip, err := pflog.Decode(pkt.Data, &hdr); err == nil {
				lastNow = pkt.Sec*1e9 + int64(pkt.Nsec)
				keep = admit(lim, &hdr, ip, lastNow, emit)
			}
		}
		if keep {
			cur.items = append(cur.items, item{off: int32(len(cur.raw)), n: int32(len(pkt.Data)),
				wire: int32(min(pkt.WireLen, 1<<30)), nsec: pkt.Nsec, sec: pkt.Sec})
			cur.raw = append(cur.raw, pkt.Data...)
		}
		if len(cur.items) >= chunkItems || len(cur.raw) >= chunkRaw || !src.Pending() {
			dispatch()
		}
	}
}

// formatChunks decodes and formats the chunks it receives.
func (d *Daemon) formatChunks(work <-chan *chunk, name string) {
	st := d.cfg.Stats
	f := d.cfg.NewFormatter()
	var (
		pkt source.Packet
		hdr pflog.Header
		rec = format.Record{Pkt: &pkt, Hdr: &hdr}
	)
	for c := range work {
		c.out, c.lines = c.out[:0], 0
		for _, it := range c.items {
			data := c.raw[it.off : it.off+it.n]
			if it.wire < 0 {
				c.out = append(c.out, data...)
				c.lines++
				continue
			}
			pkt.Sec, pkt.Nsec, pkt.WireLen, pkt.Data = it.sec, it.nsec, int(it.wire), data
			ip, err := pflog.Decode(data, &hdr)
			if err != nil {
				st.Malformed.Add(1)
				d.complain(&d.malLog, "%s: skipped malformed record (%d bytes): %v", name, len(data), err)
				continue
			}
			rec.IP = ip
			rec.IPWireLen = max(pkt.WireLen-pflog.HeaderSize(hdr.Length), len(ip))
			c.out = f.Append(c.out, &rec)
			c.lines++
		}
		c.done <- true
	}
}
