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

	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
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
	ifaces       listFlag
	files        listFlag
	follow       bool
	out          string
	pidfile      string
	stateFile    string
	format       string
	useSyslog    bool
	user         string
	noCapsicum   bool
	bufSize      string
	readTimeout  time.Duration
	lineSyslog   bool
	facility     string
	tag          string
	remotes      listFlag
	journal      bool
	maxPerSource int
	workers      int
	window       time.Duration
	showVersion  bool
	set          map[string]bool
}

// service reports whether the daemon runs as a long-lived service (live
// capture or following a file) rather than converting files and exiting.
func (o *options) service() bool { return len(o.files) == 0 || o.follow }

func usage(fs *flag.FlagSet) func() {
	return func() {
		fmt.Fprintf(fs.Output(), `usage: pfasciilogd [-FSV] [-i interface]... [-r file]... [-o logfile] [-p pidfile] [-state file]
                  [-u user] [-format text|json|filterlog] [-B bufsize] [-t timeout]
                  [-syslog] [-syslog-remote url]... [-journal]
                  [-max-per-source N -window duration] [-workers N]

Turn pf's binary log into one text line per logged packet. See pfasciilogd(8).

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
	fs.StringVar(&o.stateFile, "state", "", "with -F: remember in `file` how far each file was read, and resume there after a restart")
	fs.StringVar(&o.out, "o", "", "append lines to `logfile` (\"-\" = standard output, \"none\" = no file; default "+defaultLog+" for live capture and -F, standard output for -r)")
	fs.StringVar(&o.pidfile, "p", "", "write and lock `pidfile` (default "+defaultPidfile+" for live capture and -F; \"none\" disables)")
	fs.StringVar(&o.format, "format", "text", "line `format`: text, json or filterlog")
	fs.BoolVar(&o.useSyslog, "S", false, "also send the daemon's own messages to syslog (facility daemon)")
	fs.StringVar(&o.user, "u", "", "after opening devices, pid file and log, run as `user`")
	fs.BoolVar(&o.noCapsicum, "nocapsicum", false, "do not enter Capsicum capability mode (FreeBSD)")
	fs.StringVar(&o.bufSize, "B", "2m", "bpf buffer `size` for live capture (k/m suffix)")
	fs.DurationVar(&o.readTimeout, "t", 50*time.Millisecond, "bpf read `timeout` for live capture (bounds line latency)")
	fs.BoolVar(&o.lineSyslog, "syslog", false, "also send every line to the local syslogd")
	fs.StringVar(&o.facility, "syslog-facility", "daemon", "`facility` for -syslog and -syslog-remote")
	fs.StringVar(&o.tag, "syslog-tag", "pfasciilogd", "`tag` (APP-NAME) for -syslog and -syslog-remote")
	fs.Var(&o.remotes, "syslog-remote", "also send every line to a syslog collector at `url`, RFC 5424: udp://host[:port] or tcp://host[:port] (repeatable)")
	fs.BoolVar(&o.journal, "journal", false, "also send every record to the systemd journal, with structured fields")
	fs.IntVar(&o.maxPerSource, "max-per-source", 0, "flood control: write at most `N` lines per source address, kind of packet and window, then one summary (0 = off; keep it >= fail2ban's maxretry)")
	fs.DurationVar(&o.window, "window", time.Minute, "flood control: window `length` for -max-per-source (keep it <= fail2ban's findtime)")
	fs.IntVar(&o.workers, "workers", 0, "`N` goroutines decode and format per input (default: one per CPU, at most 4; 1 = all in one)")
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
	if o.stateFile != "" && !o.follow {
		return nil, errors.New("-state needs -F")
	}
	for _, f := range o.files {
		if o.follow && f == "-" {
			return nil, errors.New("-F cannot follow standard input")
		}
	}
	if len(o.files) == 0 && len(o.ifaces) == 0 {
		o.ifaces = listFlag{defaultInterface}
	}
	if !o.set["o"] {
		o.out = "-"
		if o.service() {
			o.out = defaultLog
		}
	}
	if !o.set["p"] && o.service() {
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
	if o.workers < 0 || o.workers > 64 {
		return nil, errors.New("-workers must be between 1 and 64")
	}
	if o.maxPerSource < 0 || o.maxPerSource > 65535 {
		return nil, errors.New("-max-per-source must be between 0 (off) and 65535")
	}
	if o.maxPerSource > 0 && o.window <= 0 {
		return nil, errors.New("-window must be positive")
	}
	if o.out == "none" && !o.lineSyslog && len(o.remotes) == 0 && !o.journal {
		return nil, errors.New("-o none leaves no output: add -syslog, -syslog-remote or -journal")
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

// signals is subscribed while the program is still initialising, before
// main runs, so that a SIGHUP (newsyslog) or SIGUSR1 arriving during
// start-up is handled, not fatal.
var signals = daemon.Notify()

func run(args []string) int {
	sigs := signals
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
		return exitCode(err) // privsep.go: the worker's status in the parent
	}
	return 0
}
