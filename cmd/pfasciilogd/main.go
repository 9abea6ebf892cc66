// Command pfasciilogd turns pf's binary packet log (pflog interfaces, and
// the pcap files pflogd writes) into one text line per logged packet, for
// fail2ban and other text log readers. See pfasciilogd(8).
//
// This file only parses flags and wires the packages together.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/capture"
	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/jail"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
	"github.com/pfasciilogd/pfasciilogd/internal/pidfile"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// version is set at build time: -ldflags "-X main.version=...".
var version = "dev"

const (
	defaultInterface = "pflog0"
	defaultLog       = "/var/log/pf.log"
	defaultPidfile   = "/var/run/pfasciilogd.pid"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	ifaces      listFlag
	files       listFlag
	follow      bool
	out         string
	pidfile     string
	format      string
	useSyslog   bool
	bufSize     string
	readTimeout time.Duration
	showVersion bool
	set         map[string]bool
}

func usage(fs *flag.FlagSet) func() {
	return func() {
		fmt.Fprintf(fs.Output(), `usage: pfasciilogd [-FSV] [-i interface]... [-r file]... [-o logfile] [-p pidfile]
                  [-format text|json|filterlog] [-B bufsize] [-t timeout]

Turn pf's binary log into one text line per logged packet.

`)
		fs.PrintDefaults()
	}
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{set: map[string]bool{}}
	fs := flag.NewFlagSet("pfasciilogd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&o.ifaces, "i", "capture live from pflog `interface` (repeatable; default "+defaultInterface+")")
	fs.Var(&o.files, "r", "read pcap/pcapng `file` (\"-\" = standard input; repeatable)")
	fs.BoolVar(&o.follow, "F", false, "with -r: follow the file as pflogd writes it, across rotation")
	fs.StringVar(&o.out, "o", "", "append lines to `logfile` (\"-\" = standard output; default "+defaultLog+" for live capture and -F, standard output for -r)")
	fs.StringVar(&o.pidfile, "p", "", "write and lock `pidfile` (default "+defaultPidfile+" for live capture and -F; \"none\" disables)")
	fs.StringVar(&o.format, "format", "text", "line `format`: text, json or filterlog")
	fs.BoolVar(&o.useSyslog, "S", false, "also send the daemon's own messages to syslog (facility daemon)")
	fs.StringVar(&o.bufSize, "B", "2m", "bpf buffer `size` for live capture (k/m suffix)")
	fs.DurationVar(&o.readTimeout, "t", 50*time.Millisecond, "bpf read `timeout` for live capture (bounds line latency)")
	fs.BoolVar(&o.showVersion, "V", false, "print the version and exit")
	fs.Usage = usage(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if len(o.files) > 0 && len(o.ifaces) > 0 {
		return nil, errors.New("use either -i (live capture) or -r (files), not both")
	}
	if o.follow && len(o.files) == 0 {
		return nil, errors.New("-F needs -r FILE")
	}
	if o.follow {
		for _, f := range o.files {
			if f == "-" {
				return nil, errors.New("-F cannot follow standard input")
			}
		}
	}
	live := len(o.files) == 0
	if live && len(o.ifaces) == 0 {
		o.ifaces = listFlag{defaultInterface}
	}
	service := live || o.follow
	if !o.set["o"] {
		o.out = "-"
		if service {
			o.out = defaultLog
		}
	}
	if !o.set["p"] && service {
		o.pidfile = defaultPidfile
	}
	if o.pidfile == "none" {
		o.pidfile = ""
	}
	switch o.format {
	case "text", "json", "filterlog":
	default:
		return nil, fmt.Errorf("unknown -format %q: want text, json or filterlog", o.format)
	}
	return o, nil
}

func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m"), strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// Take the signals before anything else, so that a SIGHUP (newsyslog)
	// or SIGUSR1 arriving during start-up is handled, not fatal.
	sigs := daemon.Notify()
	o, err := parse(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "pfasciilogd: %v\n", err)
		return 2
	}
	if o.showVersion {
		fmt.Println("pfasciilogd", version)
		return 0
	}
	log := daemon.NewLogger(os.Stderr)
	defer log.Close()
	if o.useSyslog {
		if err := log.UseSyslog("pfasciilogd"); err != nil {
			log.Warnf("%v; messages go to standard error only", err)
		}
	}
	if err := start(o, log, sigs); err != nil {
		log.Errorf("%v", err)
		return 1
	}
	return 0
}

func start(o *options, log *daemon.Logger, sigs <-chan os.Signal) error {
	var pid *pidfile.File
	if o.pidfile != "" {
		p, err := pidfile.Create(o.pidfile)
		if err != nil {
			return err
		}
		pid = p
		defer pid.Remove()
	}

	srcs, err := openSources(o, log)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()

	sink, sinkName, err := openSink(o)
	if err != nil {
		return err
	}

	newFormatter, err := formatterFor(o.format)
	if err != nil {
		return err
	}

	if len(o.files) == 0 || o.follow {
		log.Infof("%s started: reading %s, writing %s (%s format)", version, strings.Join(names(srcs), ", "), sinkName, o.format)
	}
	stats := &daemon.Stats{}
	err = daemon.Run(daemon.Config{
		Sources:      srcs,
		Sequential:   !o.follow && len(o.files) > 0,
		NewFormatter: newFormatter,
		Sink:         sink,
		SinkName:     sinkName,
		Log:          log,
		Stats:        stats,
		Signals:      sigs,
		Warn:         func(err error) bool { return errors.Is(err, pcapfile.ErrTruncated) },
	})
	if len(o.files) == 0 || o.follow || stats.Malformed.Load()+stats.Skipped.Load()+stats.Lost.Load() > 0 {
		log.Infof("exiting: %s", stats)
	}
	return err
}

func names(srcs []source.Source) []string {
	n := make([]string, len(srcs))
	for i, s := range srcs {
		n[i] = s.Name()
	}
	return n
}

func openSources(o *options, log *daemon.Logger) ([]source.Source, error) {
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
		for _, iface := range o.ifaces {
			s, err := capture.Open(iface, capture.Options{BufferSize: size, ReadTimeout: o.readTimeout})
			if err != nil {
				return fail(err)
			}
			if advice := capture.ShortBufferAdvice(s.BufferSize()); advice != "" {
				log.Warnf("%s: %s", iface, advice)
			}
			srcs = append(srcs, s)
		}
		return srcs, nil
	}
	for _, path := range o.files {
		var (
			s   source.Source
			err error
		)
		switch {
		case o.follow:
			s, err = pcapfile.Follow(path, pcapfile.FollowOptions{LinkType: pcapfile.LinkTypePFLOG})
		case path == "-":
			s, err = checkLinkType(pcapfile.NewReader("standard input", os.Stdin))
		default:
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

func openSink(o *options) (output.Sink, string, error) {
	if o.out == "-" {
		return output.NewStream("standard output", os.Stdout), "standard output", nil
	}
	f, err := output.OpenFile(o.out)
	if err != nil {
		return nil, "", err
	}
	return f, o.out, nil
}

func formatterFor(name string) (func() format.Formatter, error) {
	switch name {
	case "text":
		return func() format.Formatter { return format.NewText(time.Local) }, nil
	}
	return nil, fmt.Errorf("-format %s is not available yet", name)
}
