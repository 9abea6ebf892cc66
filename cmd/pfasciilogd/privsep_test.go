package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pfasciilogd/pfasciilogd/internal/capture"
	"github.com/pfasciilogd/pfasciilogd/internal/daemon"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pcapfile"
	"github.com/pfasciilogd/pfasciilogd/internal/privilege"
	"github.com/pfasciilogd/pfasciilogd/internal/privsep"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// fakeKernel stands in for FreeBSD's bpf(4) and pflog(4) above the
// system calls: it grants at most maxBuf bytes of buffer (as BIOCSBLEN
// caps at net.bpf.maxbufsize), fails with ENXIO while the interface is
// destroyed (BIOCSETIF, and read(2) on a descriptor whose interface
// went away), and hands packets to the current descriptor.
type fakeKernel struct {
	mu     sync.Mutex
	up     bool
	maxBuf int
	gen    int
	opens  int
	cur    *fakeBPF
	all    map[int]*fakeBPF
}

func newFakeKernel(maxBuf int) *fakeKernel {
	return &fakeKernel{up: true, maxBuf: maxBuf, all: map[int]*fakeBPF{}}
}

type fakeBPF struct {
	k         *fakeKernel
	gen       int
	requested int
	ev        chan error // nil: a packet
	sec       chan int64
	closed    chan struct{}
	once      sync.Once
	mu        sync.Mutex
	stats     source.Stats
}

func (k *fakeKernel) open(iface string, requested int) (*fakeBPF, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.opens++
	if !k.up {
		return nil, fmt.Errorf("bpf %s: BIOCSETIF: %w", iface, syscall.ENXIO)
	}
	k.gen++
	b := &fakeBPF{k: k, gen: k.gen, requested: requested, ev: make(chan error, 1), sec: make(chan int64, 16), closed: make(chan struct{})}
	k.cur, k.all[b.gen] = b, b
	return b, nil
}

// packet hands a packet with time stamp sec to the current descriptor.
func (k *fakeKernel) packet(sec int64) {
	k.mu.Lock()
	b := k.cur
	k.mu.Unlock()
	b.sec <- sec
}

// destroy is ifconfig pflog0 destroy: reads fail with ENXIO.
func (k *fakeKernel) destroy() {
	k.mu.Lock()
	k.up = false
	b := k.cur
	k.cur = nil
	k.mu.Unlock()
	b.ev <- fmt.Errorf("bpf pflog0: read: %w", syscall.ENXIO)
}

// create is ifconfig pflog0 create.
func (k *fakeKernel) create() {
	k.mu.Lock()
	k.up = true
	k.mu.Unlock()
}

func (b *fakeBPF) Next(p *source.Packet) error {
	select {
	case s := <-b.sec:
		p.Sec = s
		return nil
	case err := <-b.ev:
		return err
	case <-b.closed:
		return io.EOF
	}
}
func (b *fakeBPF) Pending() bool { return len(b.sec) > 0 }
func (b *fakeBPF) Name() string  { return "pflog0" }
func (b *fakeBPF) Close() error  { b.once.Do(func() { close(b.closed) }); return nil }
func (b *fakeBPF) Stats() (source.Stats, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats, nil
}
func (b *fakeBPF) BufferSize() capture.Grant {
	return capture.Grant{Requested: b.requested, Granted: min(b.requested, b.k.maxBuf)}
}

// reader pulls records from src in the background.
func reader(src source.Source) <-chan int64 {
	out := make(chan int64, 16)
	go func() {
		var p source.Packet
		for {
			err := src.Next(&p)
			if err == io.EOF {
				close(out)
				return
			}
			if err == nil {
				out <- p.Sec
			}
		}
	}()
	return out
}

func expectRecord(t *testing.T, recs <-chan int64, want int64) {
	t.Helper()
	if got := <-recs; got != want {
		t.Fatalf("record %d, want %d", got, want)
	}
}

const stockMaxBuf = 512 << 10

// liveCase runs the live wiring (openLive) on a fake kernel, opening
// descriptors either directly or through a privileged parent, and checks
// point 4 (capture resumes after the interface is destroyed and created
// again) and point 7 (buffer advice) of issue 10.
func liveCase(t *testing.T, viaPrivsep bool) {
	k := newFakeKernel(stockMaxBuf)
	var logBuf testtool.Buffer
	log := daemon.NewLogger(&logBuf)
	explicit := 2 << 20 // -B 2m
	lk := liveKernel{kernelMax: stockMaxBuf, explicit: true}
	direct := func(iface string) (liveSource, error) { return k.open(iface, explicit) }
	lk.open = direct
	if viaPrivsep {
		pc, wc, err := privsep.Socketpair()
		if err != nil {
			t.Fatal(err)
		}
		policy := &privsep.Policy{Interfaces: []string{"pflog0"}, OpenIface: func(iface string) (int, error) {
			b, err := k.open(iface, explicit)
			if err != nil {
				return -1, err
			}
			// The descriptor the parent hands over: a pipe that
			// names the fake descriptor.
			var fds [2]int
			if err := unix.Pipe(fds[:]); err != nil {
				return -1, err
			}
			unix.Write(fds[1], []byte(strconv.Itoa(b.gen)))
			unix.Close(fds[1])
			return fds[0], nil
		}}
		served := make(chan error, 1)
		go func() { served <- privsep.Serve(pc, policy) }()
		client := privsep.NewClient(wc)
		t.Cleanup(func() { client.Close(); <-served; pc.Close() })
		lk.open = viaParent(client, func(iface string, fd int) (liveSource, error) {
			buf := make([]byte, 16)
			n, _ := unix.Read(fd, buf)
			unix.Close(fd)
			gen, _ := strconv.Atoi(string(buf[:n]))
			k.mu.Lock()
			defer k.mu.Unlock()
			return k.all[gen], nil
		})
		if _, err := lk.open("em0"); !errors.Is(err, syscall.EPERM) {
			t.Fatalf("the parent opened an interface not configured: %v", err)
		}
	}

	srcs, watch, err := openLive([]string{"pflog0"}, lk, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srcs[0].Close()
	if !strings.Contains(logBuf.String(), "granted a bpf buffer of 524288 bytes instead of the 2097152 asked for with -B") {
		t.Fatalf("no advice for -B beyond net.bpf.maxbufsize:\n%s", logBuf.String())
	}
	r := srcs[0].(*source.Retrying)
	r.SetBackoff(time.Millisecond, 5*time.Millisecond)
	recs := reader(r)
	k.packet(1)
	expectRecord(t, recs, 1)

	k.destroy()
	// The wiring retries; the kernel refuses while pflog0 is gone.
	testtool.WaitFor(t, "retries while pflog0 is gone", func() bool { k.mu.Lock(); defer k.mu.Unlock(); return k.opens >= 4 })
	if _, err := lk.open("pflog0"); !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("open while pflog0 is gone: %v, want ENXIO", err)
	}
	k.create()
	testtool.WaitFor(t, "capturing again", func() bool { return strings.Contains(logBuf.String(), "capturing again") })
	k.packet(2)
	expectRecord(t, recs, 2)
	if s := logBuf.String(); strings.Count(s, "capture stopped") != 1 || strings.Count(s, "capturing again") != 1 {
		t.Fatalf("the loss of pflog0 is not reported once:\n%s", s)
	}

	// Drops on the new descriptor: advice once.
	k.mu.Lock()
	b := k.cur
	k.mu.Unlock()
	b.mu.Lock()
	b.stats.Dropped = 7
	b.mu.Unlock()
	watch.check()
	watch.check()
	if s := logBuf.String(); strings.Count(s, "dropped 7 packets") != 1 {
		t.Fatalf("drop advice not given once:\n%s", s)
	}
}

func TestLiveWiringFakeKernel(t *testing.T)        { liveCase(t, false) }
func TestLiveWiringFakeKernelPrivsep(t *testing.T) { liveCase(t, true) }

// TestLiveWiringDefaultBufferQuiet: without -B the daemon asks for what
// net.bpf.maxbufsize allows, so a stock kernel gives no warning.
func TestLiveWiringDefaultBufferQuiet(t *testing.T) {
	k := newFakeKernel(stockMaxBuf)
	var logBuf testtool.Buffer
	size := capture.BufferSizeFor(capture.DefaultBufferSize, false, stockMaxBuf)
	lk := liveKernel{kernelMax: stockMaxBuf, open: func(iface string) (liveSource, error) { return k.open(iface, size) }}
	srcs, _, err := openLive([]string{"pflog0"}, lk, daemon.NewLogger(&logBuf))
	if err != nil {
		t.Fatal(err)
	}
	srcs[0].Close()
	if s := logBuf.String(); s != "" {
		t.Fatalf("default start on a stock kernel logs %q", s)
	}
	if size != stockMaxBuf {
		t.Fatalf("asked for %d", size)
	}
}

type flakySink struct{ fail bool }

func (s *flakySink) Write(b []byte) error {
	if s.fail {
		return errors.New("disk full")
	}
	return nil
}
func (s *flakySink) Reopen() error { return nil }
func (s *flakySink) Close() error  { return nil }

// TestStateRecordsOnlyWritten (issue 10, point 6): the saved position
// covers only records whose batch the output took; a failed write holds
// it back (the records are read again after a restart: duplicates, not
// loss), and moving to a rotated file saves at once.
func TestStateRecordsOnlyWritten(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "pflog")
	writeCapture(t, in, synRecord(t, 1, 1), synRecord(t, 2, 2))
	var saves [][]byte
	k := &stateKeeper{save: func(b []byte) error { saves = append(saves, append([]byte(nil), b...)); return nil }, log: daemon.NewLogger(io.Discard)}
	f, err := pcapfile.Follow(in, pcapfile.FollowOptions{Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := k.track(f)
	sink := &flakySink{}
	out := k.sink(sink)
	appendRec := func(seq uint32) {
		fh, _ := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
		fh.Write(gen.Encode(nil, synRecord(t, seq, int64(seq))))
		fh.Close()
	}
	size := func() int64 { fi, _ := os.Stat(in); return fi.Size() }
	var p source.Packet
	// The pump: read while Pending, write the batch, read on.
	batch := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if err := src.Next(&p); err != nil {
				t.Fatal(err)
			}
			if i < n-1 && !src.Pending() {
				t.Fatalf("record %d not pending", i+2)
			}
		}
		if src.Pending() {
			t.Fatal("more pending than expected")
		}
		out.Write([]byte("lines\n"))
	}
	offset := func() string {
		b := k.content()
		if b == nil {
			return "nothing"
		}
		f := strings.Fields(string(b))
		return f[2]
	}

	sink.fail = true
	batch(2) // written? no: the write failed
	appendRec(3)
	sink.fail = false
	batch(1) // Next commits nothing (the write before failed)
	if got := offset(); got != "nothing" {
		t.Fatalf("after a failed write the state says %s", got)
	}
	end3 := size()
	appendRec(4)
	batch(1) // this Next commits record 3's batch
	if got := offset(); got != strconv.FormatInt(end3, 10) {
		t.Fatalf("state %s, want %d (through record 3)", got, end3)
	}
	k.saveNow()
	if len(saves) != 1 {
		t.Fatalf("%d saves", len(saves))
	}
	k.saveNow() // nothing new: no write
	if len(saves) != 1 {
		t.Fatalf("%d saves without a change", len(saves))
	}

	// Rotation: a new file at the path; the first commit on it saves.
	os.Rename(in, in+".0")
	writeCapture(t, in, synRecord(t, 5, 5))
	if err := src.Next(&p); err != nil { // record 5, from the new file
		t.Fatal(err)
	}
	src.Pending()
	out.Write([]byte("lines\n"))
	appendRec(6)
	n := len(saves)
	if err := src.Next(&p); err != nil {
		t.Fatal(err)
	}
	if len(saves) != n+1 {
		t.Fatalf("moving to the rotated file did not save at once (%d saves)", len(saves))
	}
}

// TestPrepareLog: the parent creates a missing log for the worker's user
// and refuses, with the command to run, a log the user cannot write.
func TestPrepareLog(t *testing.T) {
	testtool.NeedRoot(t, "creating a log for another user")
	a := &privilege.Account{Name: "nobody", UID: 65534, GID: 65534, Groups: []int{65534}}
	dir := t.TempDir()
	path := filepath.Join(dir, "pf.log")
	if err := prepareLog(path, a); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != 65534 || fi.Mode().Perm() != 0o640 {
		t.Fatalf("created %v %v", fi, err)
	}
	root := filepath.Join(dir, "root.log")
	os.WriteFile(root, nil, 0o600)
	if err := prepareLog(root, a); err == nil || !strings.Contains(err.Error(), "chown nobody:65534 "+root) {
		t.Fatalf("root-owned log: %v", err)
	}
	os.Chown(root, 65534, 65534)
	if err := prepareLog(root, a); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"-", "none", ""} {
		if err := prepareLog(p, a); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
}
