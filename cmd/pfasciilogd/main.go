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
	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
	"github.com/pfasciilogd/pfasciilogd/internal/detect"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
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
	statusFile   string
	format       string
	useSyslog    bool
	user         string
	noCapsicum   bool
	bufSize      string
	bufBytes     int
	readTimeout  time.Duration
	lineSyslog   bool
	facility     string
	tag          string
	remotes      listFlag
	journal      bool
	maxPerSource int
	lineBudget   int // lines/s for all sources; 0 = off
	workers      int
	window       time.Duration
	showVersion  bool
	configtest   bool
	set          map[string]bool

	// detection (internal/detect)
	noDetect     bool
	detFast      string
	detSlow      string
	detWeights   string
	detPrefix6   int
	detName      bool
	detHold      time.Duration
	detLimit     int
	detTable     int
	detProbation int
	own, ignore  listFlag
	noLearnOwn   bool
	detect       detect.Config // from the flags above, validated
}

// service reports whether the daemon runs as a long-lived service (live
// capture or following a file) rather than converting files and exiting.
func (o *options) service() bool { return len(o.files) == 0 || o.follow }

// synopsis is the usage line, as in the manual's SYNOPSIS. Single-letter
// flags combine as with getopt(3) (-FS, -Fr file, -B4m); the others are
// whole words.
const synopsis = `usage: pfasciilogd [-FhnSV] [-B bufsize] [-i interface]... [-o logfile]
                   [-p pidfile] [-r file]... [-t timeout] [-u user]
                   [-format text|json|filterlog] [-journal] [-line-budget N]
                   [-max-per-source N [-window duration]] [-nocapsicum]
                   [-state file] [-status file] [-syslog]
                   [-syslog-facility facility] [-syslog-remote url]...
                   [-syslog-tag tag] [-workers N]
                   [-nodetect | [-detect-fast N/duration] [-detect-slow N/duration]
                    [-detect-weights P,O] [-detect-prefix6 N] [-detect-name-prefix]
                    [-detect-hold duration] [-detect-limit N] [-detect-table N]
                    [-detect-probation N] [-own prefix]... [-ignore prefix]...
                    [-nolearn-own]]
`

// usageText is what -h prints: the synopsis, what -S and -syslog each
// do (they are easy to confuse), and every flag.
func usageText(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(synopsis)
	b.WriteString(`
Turn pf's binary log into one text line per logged packet. See pfasciilogd(8).
-S sends the daemon's own messages to syslog; -syslog sends every packet line.

`)
	out := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(out)
	return b.String()
}

// usageError is a command line the daemon refuses: exit status 2. The
// synopsis follows only when the flags themselves could not be read.
type usageError struct {
	msg      string
	synopsis bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// shortFlags are the single-letter flags: true for those taking a value.
var shortFlags = map[byte]bool{'F': false, 'h': false, 'n': false, 'S': false, 'V': false,
	'B': true, 'i': true, 'o': true, 'p': true, 'r': true, 't': true, 'u': true}

// splitShort rewrites getopt(3)-style clusters of single-letter flags
// (-FS, -Fr file, -ipflog0, -B4m) into one argument per flag for package
// flag. Arguments that name a whole-word flag (-syslog, -state) and
// everything after "--" or a flag's value are left alone.
func splitShort(args []string, fs *flag.FlagSet) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' || a[1] == '-' {
			out = append(out, args[i:]...)
			break
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if fs.Lookup(name) != nil || len(a) == 2 {
			out = append(out, a)
			if f := fs.Lookup(name); f != nil && !strings.Contains(a, "=") && !isBool(f) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		var split []string
		ok := true
		for j := 1; j < len(a); j++ {
			takes, known := shortFlags[a[j]]
			if !known {
				ok = false
				break
			}
			split = append(split, "-"+string(a[j]))
			if takes {
				if j+1 < len(a) {
					split = append(split, a[j+1:])
				} else if i+1 < len(args) {
					i++
					split = append(split, args[i])
				}
				break
			}
		}
		if !ok {
			out = append(out, a) // package flag names the unknown flag
			continue
		}
		out = append(out, split...)
	}
	return out
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("pfasciilogd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(&o.ifaces, "i", "capture live from pflog `interface` (repeatable; default "+defaultInterface+")")
	fs.Var(&o.files, "r", "read pcap/pcapng `file` (\"-\" = standard input; repeatable)")
	fs.BoolVar(&o.follow, "F", false, "with -r: follow the file as pflogd writes it, across rotation")
	fs.BoolVar(&o.configtest, "n", false, "configtest: check the flags and everything they name, print what was found, exit 0 or 1")
	fs.StringVar(&o.stateFile, "state", "", "with -F: remember in `file` how far each file was read, and resume there after a restart")
	fs.StringVar(&o.statusFile, "status", "", "rewrite `file` with the live counters every 2 s and on SIGINFO/SIGUSR2")
	fs.StringVar(&o.out, "o", "", "append lines to `logfile` (\"-\" = standard output, \"none\" = no file; default "+defaultLog+" for live capture and -F, standard output for -r)")
	fs.StringVar(&o.pidfile, "p", "", "write and lock `pidfile` (default "+defaultPidfile+" for live capture and -F; \"none\" disables)")
	fs.StringVar(&o.format, "format", "text", "line `format`: text, json or filterlog")
	fs.BoolVar(&o.useSyslog, "S", false, "send the daemon's own messages (not the lines: see -syslog) to syslog too, facility daemon")
	fs.StringVar(&o.user, "u", "", "after opening devices, pid file and log, run as `user`")
	fs.BoolVar(&o.noCapsicum, "nocapsicum", false, "do not enter Capsicum capability mode (FreeBSD)")
	fs.StringVar(&o.bufSize, "B", "2m", "bpf buffer `size` for live capture (k/m suffix)")
	fs.DurationVar(&o.readTimeout, "t", 50*time.Millisecond, "bpf read `timeout` for live capture (bounds line latency)")
	fs.BoolVar(&o.lineSyslog, "syslog", false, "send every line (not the daemon's messages: see -S) to the local syslogd too")
	fs.StringVar(&o.facility, "syslog-facility", "daemon", "`facility` for -syslog and -syslog-remote")
	fs.StringVar(&o.tag, "syslog-tag", "pfasciilogd", "`tag` (APP-NAME) for -syslog and -syslog-remote")
	fs.Var(&o.remotes, "syslog-remote", "send every line to a syslog collector at `url` too, RFC 5424: udp://host[:port] or tcp://host[:port] (repeatable)")
	fs.BoolVar(&o.journal, "journal", false, "send every record to the systemd journal too, with structured fields")
	fs.IntVar(&o.maxPerSource, "max-per-source", 0, "flood control: write at most `N` lines per source address, kind of packet and window, then one summary (0 = off; keep it >= fail2ban's maxretry)")
	fs.DurationVar(&o.window, "window", time.Minute, "flood control: window `length` for -max-per-source (keep it <= fail2ban's findtime)")
	fs.IntVar(&o.lineBudget, "line-budget", budget.DefaultRate, "write at most `N` per-packet lines a second from all inputs together; over it lines are summarised, one-off sources first, decision lines never (0 = off; default off for plain -r)")
	fs.IntVar(&o.workers, "workers", 0, "`N` goroutines decode and format per input, 1 to 64 (default: one per CPU, at most 4; 1 = all in one)")
	fs.BoolVar(&o.showVersion, "V", false, "print the version and exit")
	dc := detect.DefaultConfig()
	fs.BoolVar(&o.noDetect, "nodetect", false, "do not detect scanners (no decision lines; per-packet lines only)")
	fs.StringVar(&o.detFast, "detect-fast", windowString(dc.Fast), "detection: fast window, `N/duration`: decide when the weight of distinct ports within duration reaches N")
	fs.StringVar(&o.detSlow, "detect-slow", windowString(dc.Slow), "detection: slow window, `N/duration`")
	fs.StringVar(&o.detWeights, "detect-weights", fmt.Sprintf("%d,%d", dc.PrivilegedWeight, dc.OtherWeight), "detection: weight of a port below 1024 and of any other port, `P,O`")
	fs.IntVar(&o.detPrefix6, "detect-prefix6", dc.Prefix6, "detection: IPv6 sources add up per /`N` (128 = per address)")
	fs.BoolVar(&o.detName, "detect-name-prefix", false, "detection: name the IPv6 prefix even when one address of it took part")
	fs.DurationVar(&o.detHold, "detect-hold", dc.Hold, "detection: after a decision, do not decide against the source again for `duration` (keep it = fail2ban's bantime)")
	fs.IntVar(&o.detLimit, "detect-limit", dc.MaxPerMinute, "detection: at most `N` new decisions per minute; more wait for the next minute")
	fs.IntVar(&o.detTable, "detect-table", dc.TableSize, "detection: `N` sources accumulating evidence (2+ ports) are tracked")
	fs.IntVar(&o.detProbation, "detect-probation", dc.ProbationSize, "detection: `N` slots for sources seen with one port")
	fs.Var(&o.own, "own", "detection: this host's address or `prefix`, never decided against (repeatable; own addresses are also learned from outbound records)")
	fs.Var(&o.ignore, "ignore", "detection: never decide against this address or `prefix` (repeatable)")
	fs.BoolVar(&o.noLearnOwn, "nolearn-own", false, "detection: do not learn own addresses from outbound records")
	return fs
}

// parse reads the command line. It returns flag.ErrHelp for -h and a
// *usageError for every command line it refuses.
func parse(args []string) (*options, error) {
	o := &options{set: map[string]bool{}}
	fs := newFlagSet(o)
	if err := fs.Parse(splitShort(args, fs)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &usageError{msg: err.Error(), synopsis: true}
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if o.showVersion {
		return o, nil
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q: flags only (see -h)", fs.Arg(0))
	}
	if len(o.files) > 0 && len(o.ifaces) > 0 {
		return nil, usagef("use either -i (live capture) or -r (files), not both")
	}
	if o.follow && len(o.files) == 0 {
		return nil, usagef("-F needs -r FILE")
	}
	if o.stateFile != "" && !o.follow {
		return nil, usagef("-state needs -F")
	}
	for _, f := range o.files {
		if o.follow && f == "-" {
			return nil, usagef("-F cannot follow standard input")
		}
	}
	if len(o.files) > 0 {
		for _, f := range []string{"B", "t"} {
			if o.set[f] {
				return nil, usagef("-%s applies to live capture (-i), not to -r", f)
			}
		}
	}
	if len(o.files) == 0 && len(o.ifaces) == 0 {
		o.ifaces = listFlag{defaultInterface}
	}
	if len(o.files) == 0 {
		n, err := parseSize(o.bufSize)
		if err != nil {
			return nil, usagef("-B: %v: want a number of bytes with an optional k or m suffix, e.g. 2m", err)
		}
		o.bufBytes = n
		if o.readTimeout <= 0 {
			return nil, usagef("-t must be positive, e.g. 50ms")
		}
	}
	if !o.set["o"] {
		o.out = "-"
		if o.service() {
			o.out = defaultLog
		}
	}
	if o.out == "" {
		return nil, usagef("-o needs a path, \"-\" or \"none\"")
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
		return nil, usagef("unknown -format %q: want text, json or filterlog", o.format)
	}
	if o.set["workers"] && (o.workers < 1 || o.workers > 64) {
		return nil, usagef("-workers must be between 1 and 64 (leave it out for one per CPU)")
	}
	if o.maxPerSource < 0 || o.maxPerSource > 65535 {
		return nil, usagef("-max-per-source must be between 0 (off) and 65535")
	}
	if !o.set["line-budget"] && !o.service() {
		// A file read with -r is read by a person, like tcpdump -r:
		// every line, unless asked.
		o.lineBudget = 0
	}
	if o.lineBudget < 0 || o.lineBudget > 100000000 {
		return nil, usagef("-line-budget must be between 0 (off) and 100000000 lines a second")
	}
	if o.set["window"] && o.maxPerSource == 0 {
		return nil, usagef("-window sets the flood-control window: it needs -max-per-source N")
	}
	if o.maxPerSource > 0 && o.window <= 0 {
		return nil, usagef("-window must be positive")
	}
	if o.out == "none" && !o.lineSyslog && len(o.remotes) == 0 && !o.journal {
		return nil, usagef("-o none leaves no output: add -syslog, -syslog-remote or -journal")
	}
	if o.lineSyslog || len(o.remotes) > 0 {
		if _, err := output.ParseFacility(o.facility); err != nil {
			return nil, usagef("-syslog-facility: %v", err)
		}
	} else {
		for _, f := range []string{"syslog-facility", "syslog-tag"} {
			if o.set[f] {
				return nil, usagef("-%s applies to -syslog and -syslog-remote: add one of them", f)
			}
		}
	}
	for _, u := range o.remotes {
		if _, _, err := output.ParseRemoteURL(u); err != nil {
			return nil, usagef("-syslog-remote: %v", err)
		}
	}
	if o.set["u"] && o.user == "" {
		return nil, usagef("-u needs a user name or uid")
	}
	if err := parseDetect(o); err != nil {
		return nil, err
	}
	return o, nil
}

// detectFlags are the flags that configure detection (-nodetect turns
// it off: they would do nothing).
var detectFlags = []string{"detect-fast", "detect-slow", "detect-weights", "detect-prefix6",
	"detect-name-prefix", "detect-hold", "detect-limit", "detect-table", "detect-probation",
	"own", "ignore", "nolearn-own"}

// parseDetect fills o.detect from the detection flags and checks it.
func parseDetect(o *options) error {
	if o.noDetect {
		for _, f := range detectFlags {
			if o.set[f] {
				return usagef("-%s configures detection, which -nodetect turns off", f)
			}
		}
		return nil
	}
	c := detect.DefaultConfig()
	var err error
	if c.Fast, err = parseWindow(o.detFast); err != nil {
		return usagef("-detect-fast %q: %v", o.detFast, err)
	}
	if c.Slow, err = parseWindow(o.detSlow); err != nil {
		return usagef("-detect-slow %q: %v", o.detSlow, err)
	}
	p, q, ok := strings.Cut(o.detWeights, ",")
	if c.PrivilegedWeight, err = strconv.Atoi(p); !ok || err != nil {
		return usagef("-detect-weights %q: want two numbers P,O, e.g. 3,1", o.detWeights)
	}
	if c.OtherWeight, err = strconv.Atoi(q); err != nil {
		return usagef("-detect-weights %q: want two numbers P,O, e.g. 3,1", o.detWeights)
	}
	c.Prefix6 = o.detPrefix6
	c.AlwaysPrefix = o.detName
	c.Hold = o.detHold
	c.MaxPerMinute = o.detLimit
	c.TableSize = o.detTable
	c.ProbationSize = o.detProbation
	c.LearnOwn = !o.noLearnOwn
	for _, l := range []struct {
		flag string
		in   listFlag
		out  *[]netip.Prefix
	}{{"own", o.own, &c.Own}, {"ignore", o.ignore, &c.Ignore}} {
		for _, v := range l.in {
			for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
				pr, err := parsePrefix(f)
				if err != nil {
					return usagef("-%s %q: %v", l.flag, f, err)
				}
				*l.out = append(*l.out, pr)
			}
		}
	}
	// Zero means "default" to detect.Config; on the command line it is
	// an error, so check before Validate fills defaults in.
	for _, z := range []struct {
		flag string
		v    int64
	}{{"detect-prefix6", int64(c.Prefix6)}, {"detect-limit", int64(c.MaxPerMinute)},
		{"detect-table", int64(c.TableSize)}, {"detect-probation", int64(c.ProbationSize)},
		{"detect-weights", int64(min(c.PrivilegedWeight, c.OtherWeight))}} {
		if z.v <= 0 {
			return usagef("-%s must be positive", z.flag)
		}
	}
	if c.Hold <= 0 {
		return usagef("-detect-hold %v: want a positive duration, e.g. 1h (keep it equal to fail2ban's bantime)", c.Hold)
	}
	if err := c.Validate(); err != nil {
		return usagef("%v", err)
	}
	o.detect = c
	return nil
}

// parseWindow reads N/duration, e.g. 24/5s.
func parseWindow(v string) (detect.Window, error) {
	n, d, ok := strings.Cut(v, "/")
	if !ok {
		return detect.Window{}, errors.New("want N/duration, e.g. 24/5s (N = weight of distinct ports)")
	}
	t, err := strconv.Atoi(n)
	if err != nil || t <= 0 {
		return detect.Window{}, fmt.Errorf("threshold %q: want a positive number", n)
	}
	span, err := time.ParseDuration(d)
	if err != nil || span <= 0 {
		return detect.Window{}, fmt.Errorf("duration %q: want a positive Go duration, e.g. 5s or 1h", d)
	}
	return detect.Window{Span: span, Threshold: t}, nil
}

func windowString(w detect.Window) string {
	return strconv.Itoa(w.Threshold) + "/" + w.Span.String()
}

// parsePrefix reads an address (a /32 or /128) or a prefix in CIDR form.
func parsePrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return p, errors.New("want an address or a prefix such as 192.0.2.0/24 or 2001:db8::/48")
		}
		if p.Addr().Is4In6() {
			return p, errors.New("an IPv4-mapped IPv6 prefix never matches: write the IPv4 prefix")
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, errors.New("want an address or a prefix such as 192.0.2.0/24 or 2001:db8::/48")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
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
	o, err := parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Print(usageText(newFlagSet(&options{})))
			return 0
		}
		fmt.Fprintf(os.Stderr, "pfasciilogd: %v\n", err)
		if ue, ok := err.(*usageError); ok && ue.synopsis {
			fmt.Fprint(os.Stderr, synopsis)
		}
		return 2
	}
	if o.showVersion {
		fmt.Println("pfasciilogd", version)
		return 0
	}
	if o.configtest {
		return configtest(o, os.Stdout, os.Stderr)
	}
	log := daemon.NewLogger(os.Stderr)
	defer log.Close()
	if o.useSyslog {
		if err := log.UseSyslog("pfasciilogd"); err != nil {
			log.Warnf("%v; messages go to standard error only", err)
		}
	}
	if err := start(o, log, sigs); err != nil {
		if !errors.Is(err, errReported) {
			log.Errorf("%v", err)
		}
		return exitCode(err) // privsep.go: the worker's status in the parent
	}
	return 0
}

// errReported ends a run with exit status 1 whose reasons have already
// been logged.
var errReported = errors.New("failed (reported above)")
