package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"github.com/pfasciilogd/pfasciilogd/internal/capsicum"
	"github.com/pfasciilogd/pfasciilogd/internal/capture"
	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/jail"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
	"github.com/pfasciilogd/pfasciilogd/internal/pidfile"
	"github.com/pfasciilogd/pfasciilogd/internal/privilege"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/stage"
)

// start opens everything in the order privilege separation needs (pid
// file, inputs, outputs), gives up root and ambient authority, and runs.
func start(o *options, log *daemon.Logger, sigs <-chan os.Signal) error {
	// Detect the jail once, before any sandbox: see jail.Init.
	if _, err := jail.Init(); err != nil {
		return err
	}
	w, err := privsepWorker(o)
	if err != nil {
		return err
	}
	var account *privilege.Account
	if o.user != "" {
		a, err := lookupUser(o.user)
		if err != nil {
			return err
		}
		account = a
	}
	if w == nil && wantPrivsep(o, account) {
		return runParent(o, log, sigs, account)
	}
	// Load the time zone now: after the sandbox is entered it could not be.
	time.Now().In(time.Local).Zone()

	pid, err := createPidfile(o)
	if err != nil {
		return err
	}
	defer pid.Remove()

	st, resume, closeState, err := openState(o, w, log)
	if err != nil {
		return err
	}
	defer closeState()

	devDir := -1
	srcs, watch, openFailed, err := openSources(o, log, &devDir, resume, w, st)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()

	outs, err := openOutputs(o, log, account)
	if err != nil {
		return err
	}
	stats := &daemon.Stats{}
	dets := &detectors{}
	var keeper *statusKeeper
	if o.statusFile != "" {
		if keeper, err = newStatusKeeper(o, stats, srcs, outs, dets, log, account); err != nil {
			outs.sink.Close()
			return err
		}
		defer keeper.close()
	}
	newFormatter := formatterFor(o)

	if account != nil && w == nil {
		if err := privilege.Drop(account); err != nil {
			outs.sink.Close()
			return err
		}
	}
	sandbox(o, log, srcs, outs, pid, devDir, keeper)
	if o.service() {
		log.Infof("%s started: reading %s, writing %s (%s format)%s", version,
			strings.Join(names(srcs), ", "), strings.Join(outs.names, ", "), o.format, runningAs(account))
	}
	stopWatch := watchMissing(o, log)
	defer stopWatch()
	report := func() string {
		r := outs.report()
		if m := followedMissing(o); len(m) > 0 {
			if r != "" {
				r += "; "
			}
			r += "missing inputs: " + strings.Join(m, ", ")
		}
		return r
	}
	if keeper != nil {
		sigs = keeper.start(sigs)
	}
	stopTick := make(chan struct{})
	go tick(stopTick, st, watch)
	err = daemon.Run(daemon.Config{
		Workers:      workers(o),
		Flood:        flood.Config{MaxPerSource: o.maxPerSource, Window: o.window, Seed: fileSeed(o)},
		Stages:       stages(o, stats, dets, log),
		Sources:      keeper.wrap(srcs),
		Stats:        stats,
		Sequential:   !o.follow && len(o.files) > 0,
		NewFormatter: newFormatter,
		Sink:         st.sink(w.sink(outs.sink)),
		SinkName:     strings.Join(outs.names, ", "),
		Log:          log,
		Signals:      sigs,
		Quiet:        !o.service(),
		Report:       report,
		Warn:         func(err error) bool { return errors.Is(err, pcapfile.ErrTruncated) },
	})
	close(stopTick)
	st.saveNow()
	if keeper != nil {
		keeper.stop()
	}
	return exitStatus(err, openFailed, stats, outs, log)
}

// fileSeed is the tables' hash seed: fixed for plain -r, so the same file
// gives the same lines on every run and for any -workers even when the
// tables fill; random (0) for a service, which a spoofer watches live.
func fileSeed(o *options) uint64 {
	if o.service() {
		return 0
	}
	return 0x70666173636969 // "pfascii"
}

// stages makes the per-source stages after flood control: the detector
// (unless -nodetect). Flood control comes first (daemon.Config.Flood);
// the line budget, when it is wired, comes after detection, so that the
// detector reads every record and its decisions are never cut.
func stages(o *options, stats *daemon.Stats, dets *detectors, log *daemon.Logger) func(input string) []stage.Stage {
	// One bucket for every source: the budget is global.
	var b *budget.Bucket
	if o.lineBudget > 0 {
		b = budget.New(o.lineBudget, &stats.Budget)
	}
	if o.noDetect && b == nil {
		return nil
	}
	return func(input string) []stage.Stage {
		var ss []stage.Stage
		if !o.noDetect {
			cfg := o.detect
			cfg.Seed = fileSeed(o)
			d, err := stage.NewDetect(cfg, stage.DetectCounters{Decisions: &stats.Decisions,
				Limited: &stats.DetectLimited, Evictions: &stats.DetectEvictions, Entries: &stats.DetectEntries})
			if err != nil { // parse validated the configuration
				log.Errorf("detection off: %v", err)
			} else {
				dets.add(input, d.Stats())
				ss = append(ss, d)
			}
		}
		// Last: the detector has seen every record before a line is held back.
		if b != nil {
			ss = append(ss, stage.NewBudget(b, stage.BudgetConfig{}))
		}
		return ss
	}
}

// exitStatus tells the truth about the run (exit status 1): an input
// that could not be opened or read, corrupt input skipped, lines the
// output refused or a network output dropped. The reasons were logged as
// they happened; this adds one summary.
func exitStatus(runErr error, openFailed int, st *daemon.Stats, outs *outputs, log *daemon.Logger) error {
	var why []string
	if openFailed > 0 {
		why = append(why, fmt.Sprintf("%d input(s) could not be opened", openFailed))
	}
	if runErr != nil {
		if !errors.Is(runErr, daemon.ErrFailed) {
			return runErr
		}
		why = append(why, "an input failed while it was read")
	}
	if n := st.Skipped.Load(); n > 0 {
		why = append(why, fmt.Sprintf("%d corrupt input region(s) skipped", n))
	}
	if n := st.Lost.Load(); n > 0 {
		why = append(why, fmt.Sprintf("%d line(s) lost on output", n))
	}
	for _, d := range outs.delivery {
		if n := d.stats().Dropped; n > 0 {
			why = append(why, fmt.Sprintf("%d line(s) not delivered to %s", n, d.name))
		}
	}
	if len(why) == 0 {
		return nil
	}
	log.Errorf("exit status 1: %s", strings.Join(why, "; "))
	return errReported
}

// lookupUser finds the account of -u, with a message that says what to do.
func lookupUser(name string) (*privilege.Account, error) {
	a, err := privilege.Lookup(name)
	var unknown user.UnknownUserError
	var unknownID user.UnknownUserIdError
	switch {
	case err == nil:
		return a, nil
	case errors.As(err, &unknown), errors.As(err, &unknownID):
		return nil, fmt.Errorf("-u %s: no such user; create it (pw useradd %s -d /nonexistent -s /usr/sbin/nologin) or name an existing one", name, name)
	}
	return nil, fmt.Errorf("-u %s: cannot look the user up: %v", name, errors.Unwrap(err))
}

// watchMissing warns about -F files that do not exist (yet), at start
// and then every missingEvery while they are still missing: the daemon
// waits for them, which a typo in pfasciilogd_files would make silent.
// Each file that appears is logged once, the last just before the watch
// ends. It returns the function that stops the watch.
func watchMissing(o *options, log *daemon.Logger) (stop func()) {
	m := followedMissing(o)
	for _, p := range m {
		log.Warnf("%s does not exist (yet): waiting for it; check the path (-r, pfasciilogd_files) if pflogd should have written it", p)
	}
	if len(m) == 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(missingEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				now := followedMissing(o)
				for _, p := range m {
					if !slices.Contains(now, p) {
						log.Infof("%s exists now: reading it", p)
					}
				}
				for _, p := range now {
					log.Warnf("%s still does not exist: waiting for it; check the path (-r, pfasciilogd_files)", p)
				}
				if len(now) == 0 {
					return
				}
				m = now
			}
		}
	}()
	return func() { close(done) }
}

// followedMissing lists the -F files that are not there.
func followedMissing(o *options) []string {
	if !o.follow {
		return nil
	}
	return missingInputs(o.files)
}

// missingInputs lists the followed files that are not there.
func missingInputs(files []string) []string {
	var m []string
	for _, p := range files {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			m = append(m, p)
		}
	}
	return m
}

func runningAs(a *privilege.Account) string {
	if a == nil {
		return ""
	}
	return ", running as " + a.Name
}

func names(srcs []source.Source) []string {
	n := make([]string, len(srcs))
	for i, s := range srcs {
		n[i] = s.Name()
	}
	return n
}

// openSources opens every input. Plain -r files that cannot be opened
// are reported and counted (failed), and the others are still read; any
// other failure ends the start.
func openSources(o *options, log *daemon.Logger, devDir *int, resume map[string]pcapfile.Position, w *worker, st *stateKeeper) (srcs []source.Source, watch *liveWatch, failed int, err error) {
	fail := func(err error) ([]source.Source, *liveWatch, int, error) {
		for _, s := range srcs {
			s.Close()
		}
		return nil, nil, 0, err
	}
	if len(o.files) == 0 {
		if err := jail.CheckLive(jail.StartEnv(), true); err != nil {
			return nil, nil, 0, err
		}
		if runtime.GOOS == "freebsd" && w == nil && capsicum.Decide(sandboxSetup(o)).Enter {
			// Clone bpf devices through a descriptor of /dev, so that a
			// destroyed pflog interface can be reopened in capability
			// mode (only then: otherwise bpf is opened by path).
			if fd, err := openDir("/dev"); err == nil {
				capture.SetDevDir(fd)
				*devDir = fd
			}
		}
		k, err := kernelFor(o, w)
		if err != nil {
			return nil, nil, 0, err
		}
		srcs, watch, err = openLive(o.ifaces, k, log)
		return srcs, watch, 0, err
	}
	for _, path := range o.files {
		var (
			s   source.Source
			err error
		)
		if o.follow {
			opts := pcapfile.FollowOptions{LinkType: pcapfile.LinkTypePFLOG, Open: followOpen(w)}
			if pos, ok := resume[path]; ok {
				opts.Resume = &pos
			}
			var f *pcapfile.Follower
			if f, err = pcapfile.Follow(path, opts); err == nil {
				s = st.track(f)
			}
		} else {
			s, err = checkLinkType(pcapfile.Open(path))
		}
		if err != nil {
			if o.follow {
				return fail(err)
			}
			log.Errorf("%v", err)
			failed++
			continue
		}
		srcs = append(srcs, s)
	}
	if len(srcs) == 0 {
		return nil, nil, failed, errReported
	}
	return srcs, nil, failed, nil
}

// checkLinkType accepts only pflog captures.
func checkLinkType(r *pcapfile.Reader, err error) (source.Source, error) {
	if err != nil {
		return nil, err
	}
	if err := r.CheckLinkType(pcapfile.LinkTypePFLOG); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// outputs is every sink the lines go to.
type outputs struct {
	sink   output.Sink
	names  []string
	file   *output.File
	stdout bool
	report func() string
	// delivery counts what each network-like output did with the lines.
	delivery []counted
}

type counted struct {
	name  string
	stats func() output.DeliveryStats
}

func openOutputs(o *options, log *daemon.Logger, account *privilege.Account) (*outputs, error) {
	outs := &outputs{}
	var sinks output.Multi
	var delivery []counted
	fail := func(err error) (*outputs, error) {
		sinks.Close()
		return nil, err
	}
	onError := func(what string) func(error) {
		return func(err error) {
			// Name the output once: most errors name it already.
			if msg := err.Error(); strings.Contains(msg, what) {
				log.Warnf("%s", msg)
			} else {
				log.Warnf("%s: %s", what, msg)
			}
		}
	}
	switch o.out {
	case "none":
	case "-":
		sinks = append(sinks, output.NewStream("standard output", os.Stdout))
		outs.names = append(outs.names, "standard output")
		outs.stdout = true
	default:
		f, err := output.OpenFile(o.out)
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, &adviseReopen{File: f, path: o.out, user: account})
		outs.names = append(outs.names, o.out)
		outs.file = f
	}
	var facility output.Facility
	if o.lineSyslog || len(o.remotes) > 0 {
		facility, _ = output.ParseFacility(o.facility) // checked by parse
	}
	if o.lineSyslog {
		s, err := output.OpenSyslog(output.SyslogConfig{Facility: facility, Tag: o.tag, OnError: onError("syslog")})
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, s)
		outs.names = append(outs.names, "syslog")
		delivery = append(delivery, counted{"syslog", s.Stats})
	}
	for _, url := range o.remotes {
		network, addr, _ := output.ParseRemoteURL(url) // checked by parse
		r, err := output.OpenRemote(output.RemoteConfig{Network: network, Addr: addr, Facility: facility,
			AppName: o.tag, OnError: onError(url)})
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, r)
		outs.names = append(outs.names, url)
		delivery = append(delivery, counted{url, r.Stats})
	}
	if o.journal {
		j, err := output.OpenJournal()
		if err != nil {
			return fail(journalError(err))
		}
		sinks = append(sinks, j)
		outs.names = append(outs.names, "journal")
		delivery = append(delivery, counted{"journal", j.Stats})
	}
	outs.delivery = delivery
	if len(sinks) == 1 {
		outs.sink = sinks[0]
	} else {
		outs.sink = sinks
	}
	outs.report = func() string {
		var parts []string
		for _, d := range delivery {
			st := d.stats()
			parts = append(parts, fmt.Sprintf("%s: sent %d, dropped %d, reconnects %d", d.name, st.Sent, st.Dropped, st.Reconnects))
		}
		return strings.Join(parts, "; ")
	}
	return outs, nil
}

// formatterFor makes the formatter -format names (one per goroutine that
// formats: formatters keep caches).
func formatterFor(o *options) func() format.Formatter {
	host, _ := os.Hostname()
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	return func() format.Formatter {
		switch o.format {
		case "json":
			return format.NewJSON(time.Local)
		case "filterlog":
			return format.NewFilterlog(time.Local, host)
		}
		return format.NewText(time.Local)
	}
}

// sandboxSetup is what capsicum.Decide needs to know of this run: all
// of it is in the options, so that the sources can be opened for the
// decision before the outputs are.
func sandboxSetup(o *options) capsicum.Setup {
	return capsicum.Setup{Supported: capsicum.Supported(), Disabled: o.noCapsicum, Service: o.service(),
		FollowPath: o.follow, Reconnect: o.reconnects()}
}

// reconnects reports whether an output must connect again by address
// after losing its peer (syslog, a remote collector, journald).
func (o *options) reconnects() bool { return o.lineSyslog || len(o.remotes) > 0 || o.journal }

// sandbox limits what the process can still do once everything is open:
// when capsicum.Decide says so, it limits each kept descriptor to the
// rights it needs and enters Capsicum capability mode; when Decide
// declines with a message, it logs it.
func sandbox(o *options, log *daemon.Logger, srcs []source.Source, outs *outputs, pid *pidfile.File, devDir int, keeper *statusKeeper) {
	dec := capsicum.Decide(sandboxSetup(o))
	if !dec.Enter {
		if dec.Message != "" {
			log.Infof("%s", dec.Message)
		}
		return
	}
	limit := func(fd int, r capsicum.Rights) error {
		if fd < 0 {
			return nil
		}
		return capsicum.Limit(fd, r)
	}
	var errs []error
	if devDir >= 0 {
		errs = append(errs, limit(devDir, capsicum.BPFDevices))
	}
	for _, s := range srcs {
		if l, ok := s.(interface{ Fd() int }); ok {
			errs = append(errs, limit(l.Fd(), capsicum.Read|capsicum.BPFStats))
		}
	}
	if outs.file != nil {
		dir, file := outs.file.Fd()
		errs = append(errs, limit(dir, capsicum.Directory), limit(file, capsicum.Append))
	}
	if pid != nil {
		errs = append(errs, limit(pid.Fd(), capsicum.Append))
	}
	if keeper != nil {
		errs = append(errs, limit(keeper.w.Fd(), capsicum.Directory|capsicum.Rename))
	}
	errs = append(errs, limit(2, capsicum.Append), limit(log.SyslogFd(), capsicum.Append))
	if outs.stdout {
		errs = append(errs, limit(1, capsicum.Append))
	}
	if err := errors.Join(errs...); err != nil {
		log.Warnf("not entering Capsicum capability mode: %v", err)
		return
	}
	if err := capsicum.Enter(); err != nil {
		log.Warnf("%v", err)
		return
	}
	log.Infof("entered Capsicum capability mode")
}

// workers is how many goroutines format per source: -workers, or one per
// CPU up to 4. Every count writes the same output.
func workers(o *options) int {
	if o.stateFile != "" {
		return 1 // -state: the position is exact only when one goroutine reads and writes
	}
	if o.workers > 0 {
		return o.workers
	}
	return min(runtime.GOMAXPROCS(0), 4)
}

// createPidfile creates and locks -p's pid file; nil without -p (the
// nil *pidfile.File's Remove does nothing).
func createPidfile(o *options) (*pidfile.File, error) {
	if o.pidfile == "" {
		return nil, nil
	}
	return pidfile.Create(o.pidfile)
}
