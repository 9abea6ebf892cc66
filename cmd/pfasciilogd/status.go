package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/privilege"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/stage"
	"github.com/pfasciilogd/pfasciilogd/internal/status"
)

// statusInterval is how often the status file is rewritten.
const statusInterval = 2 * time.Second

// missingEvery is how often a missing -F input is warned about again.
var missingEvery = 10 * time.Minute

// statusKeeper rewrites the -status file on a tick and when SIGINFO or
// SIGUSR2 asks for statistics. It reads the daemon's counters and keeps
// the one thing they do not hold: the time of the last record.
type statusKeeper struct {
	w       *status.Writer
	o       *options
	stats   *daemon.Stats
	srcs    []source.Source
	outs    *outputs
	dets    *detectors
	log     *daemon.Logger
	started time.Time
	last    atomic.Int64 // unix seconds of the last record read
	seq     uint64
	mu      sync.Mutex
	done    chan struct{}
	wg      sync.WaitGroup
}

func newStatusKeeper(o *options, st *daemon.Stats, srcs []source.Source, outs *outputs, dets *detectors, log *daemon.Logger, acct *privilege.Account) (*statusKeeper, error) {
	if err := makeStatusDir(o.statusFile, acct); err != nil {
		return nil, err
	}
	w, err := status.Open(o.statusFile)
	if err != nil {
		return nil, err
	}
	k := &statusKeeper{w: w, o: o, stats: st, srcs: srcs, outs: outs, dets: dets, log: log, started: time.Now(),
		done: make(chan struct{})}
	if err := k.write(); err != nil {
		w.Close()
		return nil, fmt.Errorf("%v: the directory must be writable by the user the daemon runs as", err)
	}
	return k, nil
}

// makeStatusDir creates the status file's directory when it is missing
// (/var/run is emptied at boot), for the user the daemon will run as: the
// file is replaced while running, which takes write access to the
// directory.
func makeStatusDir(path string, acct *privilege.Account) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("status file %s: %w", path, err)
	}
	if acct != nil {
		if err := os.Chown(dir, acct.UID, acct.GID); err != nil {
			return fmt.Errorf("status file %s: %w", path, err)
		}
	}
	return nil
}

// snapshot gathers every counter now.
func (k *statusKeeper) snapshot() *status.Snapshot {
	st := k.stats
	k.seq++
	s := &status.Snapshot{
		Pid: os.Getpid(), Version: version, Started: k.started, Updated: time.Now(), Sequence: k.seq,
		RecordsRead: st.Read.Load(), LinesWritten: st.Written.Load(), LinesLost: st.Lost.Load(),
		Malformed: st.Malformed.Load(), CorruptSkipped: st.Skipped.Load(),
		Decisions: st.Decisions.Load(), Limited: st.DetectLimited.Load(),
		DetectTracked: st.DetectEntries.Load(), DetectEvictions: st.DetectEvictions.Load(),
		Suppressed: st.Suppressed.Load(), FloodSummaries: st.Summaries.Load(), FloodEvictions: st.Evictions.Load(),
		BudgetRate: k.o.lineBudget, BudgetWithheld: st.Budget.Withheld.Load(), BudgetSummaries: st.Budget.Summaries.Load(),
	}
	if sec := k.last.Load(); sec != 0 {
		s.LastRecord = time.Unix(sec, 0)
	}
	for _, src := range k.srcs {
		if ss, ok := src.(source.StatsSource); ok {
			if c, err := ss.Stats(); err == nil {
				s.KernelReceived += c.Received
				s.KernelDropped += c.Dropped
			}
		}
	}
	for _, d := range k.outs.delivery {
		c := d.stats()
		s.Outputs = append(s.Outputs, status.Output{Name: d.name, Sent: c.Sent, Dropped: c.Dropped, Reconnects: c.Reconnects})
	}
	s.Detectors = k.dets.snapshot()
	s.Missing = followedMissing(k.o)
	return s
}

// detectors lists every input's detection stage, for the status file:
// the pipelines add theirs as they start (in their own goroutines), the
// status keeper reads their published counters (stage.DetectStats).
type detectors struct {
	mu   sync.Mutex
	list []namedDetector
}

type namedDetector struct {
	input string
	stats *stage.DetectStats
}

// add registers the detection stage of input. A nil list keeps nothing.
func (d *detectors) add(input string, st *stage.DetectStats) {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.list = append(d.list, namedDetector{input, st})
	d.mu.Unlock()
}

// snapshot returns each input's counters now, in the order the inputs'
// pipelines started (plain -r: the order of the files).
func (d *detectors) snapshot() []status.Detector {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	list := d.list
	d.mu.Unlock()
	out := make([]status.Detector, 0, len(list))
	for _, nd := range list {
		n := nd.stats.Load()
		out = append(out, status.Detector{Input: nd.input,
			Tracked: int64(n.Entries), Table: int64(n.TableSize), Probation: int64(n.Probations),
			Probes: n.Probes, Decisions: n.Decisions, Limited: n.Limited, LimitMinutes: n.LimitHits,
			Evicted: n.Evictions, ProbationEvicted: n.Probation, Cut: n.Cut, Ignored: n.Ignored, Bogus: n.Bogus})
	}
	return out
}

func (k *statusKeeper) write() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.snapshot()
	return k.w.Write(s.AppendText(nil))
}

// start begins the ticks and returns the signal channel for the daemon:
// SIGINFO and SIGUSR2 rewrite the file first, then go on to the daemon
// (which logs the statistics too).
func (k *statusKeeper) start(sigs <-chan os.Signal) <-chan os.Signal {
	fwd := make(chan os.Signal, 64)
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		t := time.NewTicker(statusInterval)
		defer t.Stop()
		var failing bool
		report := func(err error) {
			if err != nil && !failing {
				k.log.Warnf("%v (further failures not shown until it works again)", err)
			}
			failing = err != nil
		}
		for {
			select {
			case <-k.done:
				return
			case <-t.C:
				report(k.write())
			case sig := <-sigs:
				if sig == syscall.SIGUSR2 || isInfo(sig) {
					report(k.write())
				}
				fwd <- sig
			}
		}
	}()
	return fwd
}

// stop ends the ticks and writes the final counters.
func (k *statusKeeper) stop() {
	close(k.done)
	k.wg.Wait()
	if err := k.write(); err != nil {
		k.log.Warnf("%v", err)
	}
}

// close removes the file at the end of a service (a stale file would
// look like a running daemon) and releases the directory. After plain
// -r runs the file stays: it holds that run's final counters.
func (k *statusKeeper) close() {
	if k.o.service() {
		k.w.Remove()
	}
	k.w.Close()
}

// wrap returns the sources the daemon reads: each one notes the time of
// the record it returns. A nil keeper leaves them as they are.
func (k *statusKeeper) wrap(srcs []source.Source) []source.Source {
	if k == nil {
		return srcs
	}
	out := make([]source.Source, len(srcs))
	for i, s := range srcs {
		t := &timed{Source: s, last: &k.last}
		if ss, ok := s.(source.StatsSource); ok {
			out[i] = &timedStats{timed: t, stats: ss}
		} else {
			out[i] = t
		}
	}
	return out
}

type timed struct {
	source.Source
	last *atomic.Int64
}

func (t *timed) Next(p *source.Packet) error {
	err := t.Source.Next(p)
	if err == nil {
		t.last.Store(p.Sec)
	}
	return err
}

type timedStats struct {
	*timed
	stats source.StatsSource
}

func (t *timedStats) Stats() (source.Stats, error) { return t.stats.Stats() }

// adviseReopen is the log file sink with a message that says what a
// failed reopen means and what to do: the daemon keeps writing the old
// file, which newsyslog has already renamed.
type adviseReopen struct {
	*output.File
	path string
	user *privilege.Account
}

func (a *adviseReopen) Reopen() error { return a.advise(a.File.Reopen()) }

func (a *adviseReopen) CheckRotated() (bool, error) {
	ok, err := a.File.CheckRotated()
	return ok, a.advise(err)
}

func (a *adviseReopen) advise(err error) error {
	if err == nil {
		return nil
	}
	msg := "still writing to the previous file (renamed by rotation)"
	if errors.Is(err, fs.ErrPermission) && a.user != nil {
		msg += fmt.Sprintf("; user %s may not open or create %s: let newsyslog create it for that user "+
			"(owner %s in newsyslog.conf.d), or chown %s %s, then send SIGHUP", a.user.Name, a.path, a.user.Name, a.user.Name, a.path)
	}
	// %w keeps the cause: the privsep worker asks its parent on EACCES.
	return fmt.Errorf("%w; %s", err, msg)
}

// journalError says why the journal cannot be used: not running at all,
// or a socket nobody listens on.
func journalError(err error) error { return journalErrorAt(err, "/run/systemd/journal/socket") }

func journalErrorAt(err error, sock string) error {
	if !errors.Is(err, output.ErrNoJournald) {
		return err
	}
	if _, serr := os.Stat(sock); serr == nil {
		return fmt.Errorf("-journal: %s exists but nothing answers on it: start systemd-journald (systemctl start systemd-journald) or leave -journal out", sock)
	}
	return fmt.Errorf("-journal: systemd-journald is not running here (no %s): leave -journal out, or use -syslog", sock)
}
