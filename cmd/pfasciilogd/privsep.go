package main

// Privilege separation, the sandbox-side wiring of live capture and the
// -state bookkeeping. See internal/privsep for the design.
//
// With -u USER, as root, in service mode (live capture or -F), the
// process that rc.d starts becomes the privileged parent: it writes and
// locks the pid file (which therefore names the parent), checks the
// state file, makes sure the log exists and belongs to USER, and starts
// this program again as USER, the worker, which does all the work. The
// parent forwards SIGHUP, SIGUSR1, SIGUSR2, SIGINFO, SIGTERM and SIGINT
// to the worker, answers its requests for descriptors, and exits with
// the worker's exit status when the worker exits (removing the pid
// file), so service stop/reload/stats act on the pid file's process as
// before.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pfasciilogd/pfasciilogd/internal/capsicum"
	"github.com/pfasciilogd/pfasciilogd/internal/capture"
	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
	"github.com/pfasciilogd/pfasciilogd/internal/jail"
	"github.com/pfasciilogd/pfasciilogd/internal/output"
	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
	"github.com/pfasciilogd/pfasciilogd/internal/privilege"
	"github.com/pfasciilogd/pfasciilogd/internal/privsep"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/state"
)

// workerExit carries the worker's exit status out of the parent.
type workerExit struct{ code int }

func (e *workerExit) Error() string { return fmt.Sprintf("worker exited with status %d", e.code) }

// exitCode is the status run returns for err from start: the worker's
// own status when this process was the privileged parent, else 1.
func exitCode(err error) int {
	var we *workerExit
	if errors.As(err, &we) {
		return we.code
	}
	return 1
}

// worker is set when this process is the unprivileged worker.
type worker struct{ client *privsep.Client }

// privsepWorker returns the worker's state when this process was started
// by a privileged parent (nil otherwise). The parent holds the pid file.
func privsepWorker(o *options) (*worker, error) {
	c, err := privsep.ClientFromEnv()
	if err != nil || c == nil {
		return nil, err
	}
	if os.Geteuid() == 0 || os.Getuid() == 0 {
		return nil, errors.New("privsep: the worker runs as root; refusing")
	}
	o.pidfile = ""
	return &worker{client: c}, nil
}

// wantPrivsep reports whether this process should become the privileged
// parent: it must reopen root-only things (bpf, pflogd's file) after
// giving up root.
func wantPrivsep(o *options, account *privilege.Account) bool {
	return account != nil && o.service() && os.Geteuid() == 0 &&
		(runtime.GOOS == "freebsd" || runtime.GOOS == "linux")
}

// liveOptions are the bpf settings, the same in parent and worker: -B
// when given, else the default capped at net.bpf.maxbufsize.
func liveOptions(o *options) (capture.Options, int, error) {
	size, err := parseSize(o.bufSize)
	if err != nil {
		return capture.Options{}, 0, fmt.Errorf("-B: %w", err)
	}
	kmax, _ := capture.KernelMaxBufferSize()
	size = capture.BufferSizeFor(size, o.set["B"], kmax)
	return capture.Options{BufferSize: size, ReadTimeout: o.readTimeout}, kmax, nil
}

// runParent is the privileged parent's whole life.
func runParent(o *options, log *daemon.Logger, sigs <-chan os.Signal, account *privilege.Account) error {
	env := jail.StartEnv()
	live := len(o.files) == 0
	if err := jail.CheckLive(env, live); err != nil {
		return err
	}
	pid, err := createPidfile(o)
	if err != nil {
		return err
	}
	defer pid.Remove()
	policy := &privsep.Policy{Logf: log.Warnf}
	if live {
		opts, _, err := liveOptions(o)
		if err != nil {
			return err
		}
		policy.Interfaces = o.ifaces
		policy.OpenIface = func(iface string) (int, error) { return capture.OpenDescriptor(iface, opts) }
	} else {
		policy.Files = append(policy.Files, o.files...)
	}
	if o.stateFile != "" {
		st, err := state.OpenStore(o.stateFile)
		if err != nil {
			return err
		}
		defer st.Close()
		if _, err := st.Load(); err != nil {
			return err
		}
		policy.Files = append(policy.Files, o.stateFile) // the worker reads it once
		policy.SaveState = st.Save
	}
	if err := prepareLog(o.out, account); err != nil {
		return err
	}
	if o.statusFile != "" {
		// The worker replaces the status file by rename: its directory
		// must exist and be the user's before the worker starts.
		if err := makeStatusDir(o.statusFile, account); err != nil {
			return err
		}
	}
	if o.out != "" && o.out != "-" && o.out != "none" {
		policy.CreateLog = func() error { return prepareLog(o.out, account) }
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("privsep: find own executable: %w", err)
	}
	p, err := privsep.Start(privsep.Worker{Path: exe, Args: os.Args[1:], UID: account.UID, GID: account.GID, Groups: account.Groups})
	if err != nil {
		return err
	}
	log.Infof("privilege separation: parent %d keeps root to reopen %s; worker %d runs as %s",
		os.Getpid(), reopenWhat(policy), p.Pid(), account.Name)
	if code := p.Run(policy, sigs); code != 0 {
		return &workerExit{code}
	}
	return nil
}

func reopenWhat(p *privsep.Policy) string {
	if len(p.Interfaces) > 0 {
		return fmt.Sprintf("bpf on %v", p.Interfaces)
	}
	return fmt.Sprintf("%v", p.Files)
}

// prepareLog creates the log file for the worker when it is missing
// (mode 0640, owned by the user, as newsyslog creates it after rotation
// with the owner in newsyslog.conf.d/pfasciilogd.conf): the worker cannot
// create files in a root-owned /var/log.
func prepareLog(path string, a *privilege.Account) error {
	if path == "" || path == "-" || path == "none" {
		return nil
	}
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|unix.O_NOFOLLOW, output.FileMode)
	if errors.Is(err, unix.EEXIST) {
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err == nil && !writableBy(&st, a) {
			return fmt.Errorf("log %s belongs to uid %d and is not writable by %s, who writes it: chown %s:%d %s (rc.d does this at start)",
				path, st.Uid, a.Name, a.Name, a.GID, path)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("create log %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchown(fd, a.UID, a.GID); err != nil {
		return fmt.Errorf("create log %s: chown to %s: %w", path, a.Name, err)
	}
	return nil
}

// writableBy reports whether the file's mode lets a write it.
func writableBy(st *unix.Stat_t, a *privilege.Account) bool {
	switch {
	case int(st.Uid) == a.UID:
		return st.Mode&0o200 != 0
	case st.Mode&0o002 != 0:
		return true
	}
	for _, g := range a.Groups {
		if int(st.Gid) == g {
			return st.Mode&0o020 != 0
		}
	}
	return false
}

// sink makes the worker's output recover from a log deleted by hand: the
// worker cannot create files in a root-owned /var/log, so when reopening
// fails for want of permission it asks the parent to create the log (for
// the user, as newsyslog does after rotation) and tries again.
func (w *worker) sink(s output.Sink) output.Sink {
	if w == nil {
		return s
	}
	return &workerSink{Sink: s, w: w}
}

type workerSink struct {
	output.Sink
	w *worker
}

func needsParent(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)
}

func (s *workerSink) Reopen() error {
	err := s.Sink.Reopen()
	if needsParent(err) && s.w.client.CreateLog() == nil {
		err = s.Sink.Reopen()
	}
	return err
}

func (s *workerSink) CheckRotated() (bool, error) {
	rc, ok := s.Sink.(output.RotationChecker)
	if !ok {
		return false, nil
	}
	done, err := rc.CheckRotated()
	if needsParent(err) && s.w.client.CreateLog() == nil {
		done, err = rc.CheckRotated()
	}
	return done, err
}

// liveSource is what the live wiring needs of a capture: capture.Live,
// or a fake kernel's source in tests.
type liveSource interface {
	source.Source
	source.StatsSource
	BufferSize() capture.Grant
}

// liveKernel opens live captures and knows the bpf limits.
type liveKernel struct {
	open      func(iface string) (liveSource, error)
	kernelMax int
	explicit  bool // -B given
	jailed    bool
}

// kernelFor returns how this process opens live captures: through the
// privileged parent for a worker (the descriptor comes set up, attached
// and locked), else directly.
func kernelFor(o *options, w *worker) (liveKernel, error) {
	opts, kmax, err := liveOptions(o)
	if err != nil {
		return liveKernel{}, err
	}
	k := liveKernel{kernelMax: kmax, explicit: o.set["B"], jailed: jail.StartEnv().Jailed}
	if w == nil {
		k.open = func(iface string) (liveSource, error) { return capture.Open(iface, opts) }
		return k, nil
	}
	k.open = viaParent(w.client, func(iface string, fd int) (liveSource, error) {
		l, err := capture.FromDescriptor(iface, fd, opts) // BIOCGBLEN, BIOCGDLT: before the limit
		if err != nil {
			return nil, err
		}
		if capsicum.Supported() && !o.noCapsicum {
			// What the worker does with it from now on: read(2) and
			// BIOCGSTATS (the parent locked it with BIOCLOCK).
			if err := capsicum.Limit(l.Fd(), capsicum.Read|capsicum.BPFStats); err != nil {
				l.Close()
				return nil, err
			}
		}
		return l, nil
	})
	return k, nil
}

// viaParent opens a live capture by asking the privileged parent for the
// descriptor and wrapping it with from.
func viaParent(c *privsep.Client, from func(iface string, fd int) (liveSource, error)) func(string) (liveSource, error) {
	return func(iface string) (liveSource, error) {
		fd, err := c.Interface(iface)
		if err != nil {
			return nil, fmt.Errorf("bpf %s: %w", iface, err)
		}
		return from(iface, fd)
	}
}

// liveWatch remembers each live source's grant, to give buffer advice
// once when the kernel starts dropping packets.
type liveWatch struct {
	mu   sync.Mutex
	k    liveKernel
	log  *daemon.Logger
	list []*watched
}

type watched struct {
	iface   string
	src     source.StatsSource
	grant   capture.Grant
	advised bool
}

// openLive opens every interface through k, warns when -B asked for
// more than the kernel granted, and wraps each in a source that reopens
// it (through k: the privileged parent for a worker) after the interface
// was destroyed and created again.
func openLive(ifaces []string, k liveKernel, log *daemon.Logger) ([]source.Source, *liveWatch, error) {
	w := &liveWatch{k: k, log: log}
	var srcs []source.Source
	for _, iface := range ifaces {
		l, err := k.open(iface)
		if err != nil {
			for _, s := range srcs {
				s.Close()
			}
			return nil, nil, err
		}
		ws := &watched{iface: iface, grant: l.BufferSize()}
		if advice := ws.grant.Advice(w.context(iface, 0)); advice != "" {
			log.Warnf("%s", advice)
		}
		iface := iface
		r := source.NewRetrying(l,
			func() (source.Source, error) {
				l, err := k.open(iface)
				if err != nil {
					return nil, err
				}
				w.mu.Lock()
				ws.grant = l.BufferSize()
				w.mu.Unlock()
				return l, nil
			},
			func(msg string, err error) {
				if err != nil {
					log.Errorf("%s: %s: %v", iface, msg, err)
				} else {
					log.Infof("%s: %s", iface, msg)
				}
			})
		ws.src = r
		w.list = append(w.list, ws)
		srcs = append(srcs, r)
	}
	return srcs, w, nil
}

func (w *liveWatch) context(iface string, dropped uint64) capture.AdviceContext {
	return capture.AdviceContext{Iface: iface, Explicit: w.k.explicit, KernelMax: w.k.kernelMax, Dropped: dropped, Jailed: w.k.jailed}
}

// check gives the buffer advice once per interface when drops appear.
func (w *liveWatch) check() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ws := range w.list {
		if ws.advised {
			continue
		}
		st, err := ws.src.Stats()
		if err != nil || st.Dropped == 0 {
			continue
		}
		ws.advised = true
		if advice := ws.grant.Advice(w.context(ws.iface, st.Dropped)); advice != "" {
			w.log.Warnf("%s", advice)
		}
	}
}

// followOpen is how a Follower opens its path: through the privileged
// parent for a worker (pflogd's file and the one newsyslog creates are
// root 0600), else directly.
func followOpen(w *worker) func(string) (*os.File, error) {
	if w == nil {
		return nil
	}
	return w.client.Open
}

// stateKeeper saves -state: only what reached the log, every
// daemon.RotationCheck, when a followed file is replaced (rotation) and at
// exit.
type stateKeeper struct {
	save    func([]byte) error
	log     *daemon.Logger
	mu      sync.Mutex
	tracked []*tracked
	failed  bool   // a write failed since the last drain
	last    []byte // last saved content
}

// openState loads the state and returns its keeper (nil without -state).
func openState(o *options, w *worker, log *daemon.Logger) (*stateKeeper, map[string]pcapfile.Position, func(), error) {
	none := func() {}
	if o.stateFile == "" {
		return nil, map[string]pcapfile.Position{}, none, nil
	}
	if w != nil {
		f, err := w.client.Open(o.stateFile)
		var b []byte
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, nil, none, fmt.Errorf("state file %s: %w", o.stateFile, err)
		default:
			b, err = readAll(f)
			if err != nil {
				return nil, nil, none, fmt.Errorf("state file %s: %w", o.stateFile, err)
			}
		}
		m, err := state.ParseFile(o.stateFile, b)
		if err != nil {
			return nil, nil, none, err
		}
		return &stateKeeper{save: w.client.SaveState, log: log, last: b}, m, none, nil
	}
	st, err := state.OpenStore(o.stateFile)
	if err != nil {
		return nil, nil, none, err
	}
	b, err := st.Read()
	if err != nil {
		st.Close()
		return nil, nil, none, err
	}
	m, err := state.ParseFile(o.stateFile, b)
	if err != nil {
		st.Close()
		return nil, nil, none, err
	}
	return &stateKeeper{save: st.Save, log: log, last: b}, m, func() { st.Close() }, nil
}

func readAll(f *os.File) ([]byte, error) {
	defer f.Close()
	return io.ReadAll(f)
}

// tracked is a followed file whose position counts as written once the
// pipeline, having drained it (Pending false, which makes the
// single-goroutine pump write its batch), asks for the next record.
type tracked struct {
	*pcapfile.Follower
	k         *stateKeeper
	mu        sync.Mutex
	candidate pcapfile.Position
	hasCand   bool
	written   pcapfile.Position
	has       bool
}

func (k *stateKeeper) track(f *pcapfile.Follower) source.Source {
	if k == nil {
		return f
	}
	t := &tracked{Follower: f, k: k}
	k.mu.Lock()
	k.tracked = append(k.tracked, t)
	k.mu.Unlock()
	return t
}

func (t *tracked) Pending() bool {
	p := t.Follower.Pending()
	if !p {
		if pos, ok := t.Follower.Position(); ok {
			t.mu.Lock()
			t.candidate, t.hasCand = pos, true
			t.mu.Unlock()
		}
		t.k.mu.Lock()
		t.k.failed = false
		t.k.mu.Unlock()
	}
	return p
}

func (t *tracked) Next(p *source.Packet) error {
	t.k.mu.Lock()
	failed := t.k.failed
	t.k.mu.Unlock()
	t.mu.Lock()
	if t.hasCand && !failed {
		replaced := t.has && (t.candidate.Dev != t.written.Dev || t.candidate.Ino != t.written.Ino)
		t.written, t.has = t.candidate, true
		t.mu.Unlock()
		if replaced {
			t.k.saveNow() // moved to a new file: record it at once
		}
	} else {
		t.mu.Unlock()
	}
	t.mu.Lock()
	t.hasCand = false
	t.mu.Unlock()
	return t.Follower.Next(p)
}

// sink wraps the output so that a failed write holds the state back.
func (k *stateKeeper) sink(s output.Sink) output.Sink {
	if k == nil {
		return s
	}
	return &stateSink{Sink: s, k: k}
}

type stateSink struct {
	output.Sink
	k *stateKeeper
}

func (s *stateSink) Write(b []byte) error {
	err := s.Sink.Write(b)
	if err != nil {
		s.k.mu.Lock()
		s.k.failed = true
		s.k.mu.Unlock()
	}
	return err
}

// CheckRotated passes the check through when the sink has it.
func (s *stateSink) CheckRotated() (bool, error) {
	if rc, ok := s.Sink.(output.RotationChecker); ok {
		return rc.CheckRotated()
	}
	return false, nil
}

func (k *stateKeeper) content() []byte {
	m := map[string]pcapfile.Position{}
	k.mu.Lock()
	list := k.tracked
	k.mu.Unlock()
	for _, t := range list {
		t.mu.Lock()
		if t.has {
			m[t.Name()] = t.written
		}
		t.mu.Unlock()
	}
	if len(m) == 0 {
		return nil
	}
	return state.Format(m)
}

// saveNow saves when something changed.
func (k *stateKeeper) saveNow() {
	if k == nil {
		return
	}
	b := k.content()
	k.mu.Lock()
	same := b == nil || string(b) == string(k.last)
	k.mu.Unlock()
	if same {
		return
	}
	if err := k.save(b); err != nil {
		k.log.Errorf("%v", err)
		return
	}
	k.mu.Lock()
	k.last = b
	k.mu.Unlock()
}

// tick runs the periodic work of this file (state saves, drop advice)
// until stop is closed.
func tick(stop <-chan struct{}, k *stateKeeper, w *liveWatch) {
	if k == nil && w == nil {
		return
	}
	t := time.NewTicker(daemon.RotationCheck)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			k.saveNow()
			w.check()
		}
	}
}
