// Package daemon runs pfasciilogd's pipeline: per source it pulls
// records, decodes each once (internal/record), passes it through the
// per-source stages (flood control, internal/stage), formats the lines
// and the stages' events into reused batches and hands whole batches,
// each line with its record, to the sinks (pipeline.go). One ticker drives
// every timer: the stages' (a quiet source's flood summary) and the log
// file's rotation check. It also owns the process-level behaviour: signals
// (reopen, statistics, shutdown) and the daemon's own messages.
package daemon

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/stage"
)

// FlushSize is the batch size at which a batch goes to the output even if
// the source has more records ready.
const FlushSize = 128 << 10

// Tick is the period of the daemon's one ticker: the stages' timers
// run on every tick, the rotation check every RotationCheck.
const Tick = time.Second

// RotationCheck is how often the daemon checks that the log's path still
// names the file it writes (renamed or deleted without a signal).
const RotationCheck = 2 * Tick

// Config is what Run needs: everything already opened.
type Config struct {
	// Sources are read in order, one after the other, when Sequential is
	// set (plain -r); otherwise each runs in its own goroutine (live
	// capture, -F) until shutdown.
	Sources    []source.Source
	Sequential bool
	// NewFormatter makes one formatter per reading goroutine (formatters
	// keep per-goroutine caches).
	NewFormatter func() format.Formatter
	Sink         output.Sink
	// SinkName names the output in messages (a path or "standard output").
	SinkName string
	Log      *Logger
	Stats    *Stats
	// Warn classifies a source error as a warning that ends the source
	// without failing the run (a file cut off mid-record). May be nil.
	Warn func(error) bool
	// Quiet leaves out the closing statistics when nothing went wrong
	// (plain -r runs print only lines).
	Quiet bool
	// Report, if set, adds to the statistics message (output delivery
	// counters and the like).
	Report func() string
	// Signals delivers the signals the daemon acts on; nil means Run
	// subscribes itself. main subscribes first thing (Notify), so that a
	// SIGHUP from newsyslog during start-up cannot kill the process.
	Signals <-chan os.Signal
	// Flood caps the lines written per source address and window when
	// Flood.MaxPerSource > 0 (see internal/flood): the first stage of
	// every source's pipeline, with a limiter of its own.
	Flood flood.Config
	// Stages, if set, makes the further stages of one source's pipeline
	// (called once per source, with the source's name, from the goroutine
	// that will run them); they run after flood control and see every
	// record (see stage.Stage).
	Stages func(input string) []stage.Stage
	// Workers > 1 spreads formatting over that many goroutines per
	// source (a reader, the workers and a writer run concurrently); 0 or
	// 1 runs the same pipeline in one goroutine. The output is the same.
	Workers int
}

// Notify subscribes to every signal the daemon handles and returns the
// channel to pass in Config.Signals.
func Notify() chan os.Signal {
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, append([]os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2,
		syscall.SIGTERM, syscall.SIGINT}, infoSignals...)...)
	return sigs
}

// Daemon is a running pipeline.
type Daemon struct {
	cfg      Config
	stopping atomic.Bool
	malLog   throttle
	skipLog  throttle
	lostLog  throttle
	failing  atomic.Bool // the last write failed
	logMu    sync.Mutex

	pipesMu   sync.Mutex
	pipes     []*pipe // running pipelines, for the ticker
	tickPipes []*pipe
}

// ErrFailed is returned by Run when at least one source failed; the
// failures have been logged.
var ErrFailed = errors.New("one or more inputs failed")

// Run runs the pipeline until every source ends (plain files) or a
// SIGTERM/SIGINT arrives, and returns nil on a clean end.
func Run(cfg Config) error {
	if cfg.Stats == nil {
		cfg.Stats = &Stats{}
	}
	d := &Daemon{cfg: cfg}
	d.malLog.interval = 10 * time.Second
	d.skipLog.interval = 10 * time.Second
	d.lostLog.interval = 10 * time.Second

	sigs := cfg.Signals
	if sigs == nil {
		sigs = Notify()
	}

	var failed atomic.Bool
	var wg sync.WaitGroup
	run := func(srcs []source.Source) {
		defer wg.Done()
		for _, src := range srcs {
			if d.stopping.Load() {
				return
			}
			p := d.newPipe(src)
			d.addPipe(p)
			err := p.run()
			d.removePipe(p)
			if err != nil {
				if cfg.Warn != nil && cfg.Warn(err) {
					cfg.Log.Warnf("%v", err)
				} else {
					cfg.Log.Errorf("%v", err)
					failed.Store(true)
				}
			}
		}
	}
	if cfg.Sequential {
		wg.Add(1)
		go run(cfg.Sources)
	} else {
		for _, s := range cfg.Sources {
			wg.Add(1)
			go run([]source.Source{s})
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	ticker := time.NewTicker(Tick)
	defer ticker.Stop()
	rotation, checkRotation := cfg.Sink.(output.RotationChecker)
	var nextRotationCheck time.Time

loop:
	for {
		select {
		case <-done:
			break loop
		case now := <-ticker.C:
			d.tick(now)
			if checkRotation && !now.Before(nextRotationCheck) {
				nextRotationCheck = now.Add(RotationCheck - Tick/2)
				reopened, err := rotation.CheckRotated()
				if err != nil {
					d.complain(&d.lostLog, "%v", err)
				} else if reopened {
					cfg.Log.Warnf("%s was renamed or deleted without a signal; reopened it", cfg.SinkName)
				}
			}
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP, syscall.SIGUSR1:
				if err := cfg.Sink.Reopen(); err != nil {
					cfg.Log.Errorf("reopen after %v: %v", sig, err)
				} else {
					cfg.Log.Infof("reopened %s on %v", cfg.SinkName, sig)
				}
			case syscall.SIGTERM, syscall.SIGINT:
				cfg.Log.Infof("%v: shutting down", sig)
				d.stop()
				select {
				case <-done:
				case <-time.After(3 * time.Second):
					cfg.Log.Warnf("inputs did not stop within 3s; exiting anyway")
				}
				break loop
			default: // SIGUSR2, SIGINFO
				cfg.Log.Infof("statistics: %s", d.statistics())
			}
		}
	}
	d.stop()
	if err := cfg.Sink.Close(); err != nil {
		cfg.Log.Errorf("%v", err)
	}
	st := cfg.Stats
	if !cfg.Quiet || st.Malformed.Load()+st.Skipped.Load()+st.Lost.Load() > 0 {
		cfg.Log.Infof("exiting: %s", d.statistics())
	}
	if failed.Load() {
		return ErrFailed
	}
	return nil
}

// statistics renders every counter for a log message.
func (d *Daemon) statistics() string {
	d.refreshKernelStats()
	msg := d.cfg.Stats.String()
	if d.cfg.Report != nil {
		if extra := d.cfg.Report(); extra != "" {
			msg += "; " + extra
		}
	}
	return msg
}

func (d *Daemon) stop() {
	if d.stopping.Swap(true) {
		return
	}
	for _, s := range d.cfg.Sources {
		s.Close()
	}
}

func (d *Daemon) refreshKernelStats() {
	var recv, drop uint64
	have := false
	for _, s := range d.cfg.Sources {
		ss, ok := s.(source.StatsSource)
		if !ok {
			continue
		}
		st, err := ss.Stats()
		if err != nil {
			continue
		}
		have = true
		recv += st.Received
		drop += st.Dropped
	}
	if have {
		d.cfg.Stats.Received.Store(recv)
		d.cfg.Stats.Dropped.Store(drop)
	}
}

func (d *Daemon) addPipe(p *pipe) {
	d.pipesMu.Lock()
	d.pipes = append(d.pipes, p)
	d.pipesMu.Unlock()
}

func (d *Daemon) removePipe(p *pipe) {
	d.pipesMu.Lock()
	for i, q := range d.pipes {
		if q == p {
			d.pipes = append(d.pipes[:i], d.pipes[i+1:]...)
			break
		}
	}
	d.pipesMu.Unlock()
}

// tick runs every pipeline's timers.
func (d *Daemon) tick(now time.Time) {
	d.pipesMu.Lock()
	pipes := append(d.tickPipes[:0], d.pipes...)
	d.tickPipes = pipes
	d.pipesMu.Unlock()
	for _, p := range pipes {
		p.tick(now)
	}
}

// next reads the next record of src into pkt. It counts and reports
// skipped corrupt input and goes on; it returns false at the end of the
// source or on shutdown (with a nil error), or on a failure of the source.
func (d *Daemon) next(src source.Source, pkt *source.Packet) (bool, error) {
	for !d.stopping.Load() {
		err := src.Next(pkt)
		if err == nil {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		var skip *source.SkipError
		if errors.As(err, &skip) {
			d.cfg.Stats.Skipped.Add(1)
			d.complain(&d.skipLog, "%v", err)
			continue
		}
		if d.stopping.Load() {
			return false, nil
		}
		return false, err
	}
	return false, nil
}

// complain logs through a throttle shared by all goroutines.
func (d *Daemon) complain(t *throttle, format string, args ...any) {
	d.logMu.Lock()
	ok, held := t.allow(time.Now())
	d.logMu.Unlock()
	if !ok {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if held > 0 {
		msg += fmt.Sprintf(" (and %d more like it not shown)", held)
	}
	d.cfg.Log.Warnf("%s", msg)
}

// write hands one batch of lines to the sinks and keeps the statistics.
func (d *Daemon) write(batch *output.Batch, lines uint64) {
	st := d.cfg.Stats
	if err := output.WriteBatch(d.cfg.Sink, batch); err != nil {
		written, lost := uint64(0), lines
		var sw *output.ShortWriteError
		if errors.As(err, &sw) {
			written, lost = uint64(sw.Written), uint64(sw.Lost)
			d.complain(&d.lostLog, "%v", err)
		} else {
			d.complain(&d.lostLog, "%v (%d lines lost)", err, lines)
		}
		st.Written.Add(written)
		st.Lost.Add(lost)
		d.failing.Store(true)
	} else {
		st.Written.Add(lines)
		if d.failing.Swap(false) {
			d.cfg.Log.Infof("writing to %s again; %d lines lost so far", d.cfg.SinkName, st.Lost.Load())
		}
	}
}
