package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

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
	"github.com/pfasciilogd/pfasciilogd/internal/state"
)

// start opens everything in the order privilege separation needs (pid
// file, inputs, outputs), gives up root and ambient authority, and runs.
func start(o *options, log *daemon.Logger, sigs <-chan os.Signal) error {
	var account *privilege.Account
	if o.user != "" {
		a, err := privilege.Lookup(o.user)
		if err != nil {
			return err
		}
		account = a
	}
	// Load the time zone now: after the sandbox is entered it could not be.
	time.Now().In(time.Local).Zone()

	var pid *pidfile.File
	if o.pidfile != "" {
		p, err := pidfile.Create(o.pidfile)
		if err != nil {
			return err
		}
		pid = p
		defer pid.Remove()
	}

	var st *state.File
	resume := map[string]pcapfile.Position{}
	if o.stateFile != "" {
		f, err := state.Open(o.stateFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if resume, err = f.Load(); err != nil {
			return err
		}
		st = f
	}

	devDir := -1
	srcs, err := openSources(o, log, &devDir, resume)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()

	outs, err := openOutputs(o, log)
	if err != nil {
		return err
	}
	newFormatter := formatterFor(o)

	if account != nil {
		if err := privilege.Drop(account); err != nil {
			outs.sink.Close()
			return err
		}
	}
	if o.service() {
		sandbox(o, log, srcs, outs, pid, devDir)
		log.Infof("%s started: reading %s, writing %s (%s format)%s", version,
			strings.Join(names(srcs), ", "), strings.Join(outs.names, ", "), o.format, runningAs(account))
	}
	err = daemon.Run(daemon.Config{
		Workers:      workers(o),
		Flood:        flood.Config{MaxPerSource: o.maxPerSource, Window: o.window},
		Sources:      srcs,
		Sequential:   !o.follow && len(o.files) > 0,
		NewFormatter: newFormatter,
		Sink:         outs.sink,
		SinkName:     strings.Join(outs.names, ", "),
		Log:          log,
		Signals:      sigs,
		Quiet:        !o.service(),
		Report:       outs.report,
		Warn:         func(err error) bool { return errors.Is(err, pcapfile.ErrTruncated) },
	})
	if st != nil {
		saveState(st, srcs, log)
	}
	return err
}

// saveState records how far each followed file was read, for -state.
func saveState(st *state.File, srcs []source.Source, log *daemon.Logger) {
	m := map[string]pcapfile.Position{}
	for _, s := range srcs {
		if f, ok := s.(*pcapfile.Follower); ok {
			if pos, ok := f.Position(); ok {
				m[f.Name()] = pos
			}
		}
	}
	if err := st.Save(m); err != nil {
		log.Errorf("%v", err)
	}
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

func openSources(o *options, log *daemon.Logger, devDir *int, resume map[string]pcapfile.Position) ([]source.Source, error) {
	var srcs []source.Source
	fail := func(err error) ([]source.Source, error) {
		for _, s := range srcs {
			s.Close()
		}
		return nil, err
	}
	if len(o.files) == 0 {
		size, err := parseSize(o.bufSize)
		if err != nil {
			return nil, fmt.Errorf("-B: %w", err)
		}
		env, err := jail.Detect()
		if err != nil {
			return nil, err
		}
		if err := jail.CheckLive(env, true); err != nil {
			return nil, err
		}
		if runtime.GOOS == "freebsd" && !o.noCapsicum {
			// Clone bpf devices through a descriptor of /dev, so that a
			// destroyed pflog interface can be reopened in capability mode.
			if fd, err := openDir("/dev"); err == nil {
				capture.SetDevDir(fd)
				*devDir = fd
			}
		}
		opts := capture.Options{BufferSize: size, ReadTimeout: o.readTimeout}
		for _, iface := range o.ifaces {
			l, err := capture.Open(iface, opts)
			if err != nil {
				return fail(err)
			}
			if advice := capture.ShortBufferAdvice(l.BufferSize()); advice != "" {
				log.Warnf("%s: %s", iface, advice)
			}
			iface := iface
			srcs = append(srcs, source.NewRetrying(l,
				func() (source.Source, error) { return capture.Open(iface, opts) },
				func(msg string, err error) {
					if err != nil {
						log.Errorf("%s: %s: %v", iface, msg, err)
					} else {
						log.Infof("%s: %s", iface, msg)
					}
				}))
		}
		return srcs, nil
	}
	for _, path := range o.files {
		var (
			s   source.Source
			err error
		)
		if o.follow {
			opts := pcapfile.FollowOptions{LinkType: pcapfile.LinkTypePFLOG}
			if pos, ok := resume[path]; ok {
				opts.Resume = &pos
			}
			s, err = pcapfile.Follow(path, opts)
		} else {
			s, err = checkLinkType(pcapfile.Open(path))
		}
		if err != nil {
			return fail(err)
		}
		srcs = append(srcs, s)
	}
	return srcs, nil
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
	sink    output.Sink
	names   []string
	file    *output.File
	stdout  bool
	netLike bool // a sink that must connect again after losing its peer
	report  func() string
}

func openOutputs(o *options, log *daemon.Logger) (*outputs, error) {
	outs := &outputs{}
	var sinks output.Multi
	type counted struct {
		name  string
		stats func() output.DeliveryStats
	}
	var delivery []counted
	fail := func(err error) (*outputs, error) {
		sinks.Close()
		return nil, err
	}
	onError := func(what string) func(error) {
		return func(err error) { log.Warnf("%s: %v", what, err) }
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
		sinks = append(sinks, f)
		outs.names = append(outs.names, o.out)
		outs.file = f
	}
	var facility output.Facility
	if o.lineSyslog || len(o.remotes) > 0 {
		f, err := output.ParseFacility(o.facility)
		if err != nil {
			return fail(fmt.Errorf("-syslog-facility: %w", err))
		}
		facility = f
	}
	if o.lineSyslog {
		s, err := output.OpenSyslog(output.SyslogConfig{Facility: facility, Tag: o.tag, OnError: onError("syslog")})
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, s)
		outs.names = append(outs.names, "syslog")
		outs.netLike = true
		delivery = append(delivery, counted{"syslog", s.Stats})
	}
	for _, url := range o.remotes {
		network, addr, err := output.ParseRemoteURL(url)
		if err != nil {
			return fail(fmt.Errorf("-syslog-remote: %w", err))
		}
		r, err := output.OpenRemote(output.RemoteConfig{Network: network, Addr: addr, Facility: facility,
			AppName: o.tag, OnError: onError(url)})
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, r)
		outs.names = append(outs.names, url)
		outs.netLike = true
		delivery = append(delivery, counted{url, r.Stats})
	}
	if o.journal {
		j, err := output.OpenJournal()
		if err != nil {
			return fail(err)
		}
		sinks = append(sinks, j)
		outs.names = append(outs.names, "journal")
		outs.netLike = true
		delivery = append(delivery, counted{"journal", j.Stats})
	}
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

// sandbox limits what the process can still do once everything is open:
// on FreeBSD it limits each kept descriptor to the rights it needs and
// enters Capsicum capability mode. Sinks that must connect again after
// losing their peer (syslog, remote syslog) and files followed by path
// (-F) cannot work in capability mode; then it says so and stays out.
func sandbox(o *options, log *daemon.Logger, srcs []source.Source, outs *outputs, pid *pidfile.File, devDir int) {
	if !capsicum.Supported() || o.noCapsicum {
		return
	}
	var why []string
	if o.follow {
		why = append(why, "-F follows a file by its path")
	}
	if outs.netLike {
		why = append(why, "syslog and journal outputs reconnect by address")
	}
	if o.useSyslog {
		why = append(why, "-S reconnects to syslogd by path")
	}
	if len(why) > 0 {
		log.Infof("not entering Capsicum capability mode: %s", strings.Join(why, "; "))
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
	errs = append(errs, limit(2, capsicum.Append))
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
	if o.workers > 0 {
		return o.workers
	}
	return min(runtime.GOMAXPROCS(0), 4)
}
