package pcapfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// Only catches a hang: the suite runs on loaded two-core machines.
var deadline = testtool.HangBound

const testPoll = 10 * time.Millisecond

// pflogdSim writes a capture file the way pflogd does: a header when it
// opens the file, then records in bursts that may end inside a record.
type pflogdSim struct {
	t    *testing.T
	path string
	f    *os.File
	seq  int
}

func newSim(t *testing.T) *pflogdSim {
	return &pflogdSim{t: t, path: filepath.Join(t.TempDir(), "pflog")}
}

// create creates (or truncates) the file at the path and writes the
// header, as pflogd does at start and after SIGHUP.
func (s *pflogdSim) create() {
	s.t.Helper()
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	s.f = f
	s.write(pcapHdr(le, false, 116, LinkTypePFLOG))
}

// recs encodes the next n records.
func (s *pflogdSim) recs(n int) []byte {
	var b []byte
	for _, r := range mkRecs(s.seq, n, 100) {
		b = pcapRec(b, le, false, r)
	}
	s.seq += n
	return b
}

func (s *pflogdSim) write(b []byte) {
	s.t.Helper()
	if _, err := s.f.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

// writeSlowly writes b in pieces of the given size with pauses between,
// so that the reader sees records cut anywhere.
func (s *pflogdSim) writeSlowly(b []byte, piece int) {
	s.t.Helper()
	for len(b) > 0 {
		n := min(piece, len(b))
		s.write(b[:n])
		b = b[n:]
		time.Sleep(2 * time.Millisecond)
	}
}

func (s *pflogdSim) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// followRun runs Next in a goroutine and collects what it returns.
type followRun struct {
	t      *testing.T
	f      *Follower
	mu     sync.Mutex
	seqs   []int64
	skips  []*source.SkipError
	events []string
	done   chan error
}

func startFollow(t *testing.T, path string, opts FollowOptions) *followRun {
	t.Helper()
	if opts.Poll == 0 {
		opts.Poll = testPoll
	}
	f, err := Follow(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	run := &followRun{t: t, f: f, done: make(chan error, 1)}
	f.mu.Lock()
	f.event = func(ev string) {
		run.mu.Lock()
		run.events = append(run.events, ev)
		run.mu.Unlock()
	}
	f.mu.Unlock()
	go func() {
		var p source.Packet
		for {
			err := f.Next(&p)
			run.mu.Lock()
			var se *source.SkipError
			switch {
			case err == nil:
				run.seqs = append(run.seqs, seqOf(p.Data))
			case errors.As(err, &se):
				run.skips = append(run.skips, se)
			default:
				run.mu.Unlock()
				run.done <- err
				return
			}
			run.mu.Unlock()
		}
	}()
	t.Cleanup(func() { f.Close() })
	return run
}

// waitFor waits until cond (called with run.mu held) is true.
func (r *followRun) waitFor(what string, cond func() bool) {
	r.t.Helper()
	end := time.Now().Add(deadline)
	for {
		r.mu.Lock()
		ok := cond()
		state := fmt.Sprintf("%d records (last %v), skips %v, events %v", len(r.seqs), lastSeqs(r.seqs), r.skips, r.events)
		r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(end) {
			r.t.Fatalf("timed out waiting for %s: %s", what, state)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func lastSeqs(s []int64) []int64 {
	if len(s) > 5 {
		return s[len(s)-5:]
	}
	return s
}

func (r *followRun) waitRecords(n int) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%d records", n), func() bool { return len(r.seqs) >= n })
}

func (r *followRun) waitEvent(ev string, count int) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("event %q #%d", ev, count), func() bool {
		n := 0
		for _, e := range r.events {
			if e == ev {
				n++
			}
		}
		return n >= count
	})
}

// stop closes the Follower and checks that records first..first+n-1 came
// out exactly once, in order.
func (r *followRun) stop(first, n int) {
	r.t.Helper()
	r.waitRecords(n)
	r.f.Close()
	select {
	case err := <-r.done:
		if err != io.EOF {
			r.t.Fatalf("Next ended with %v, want io.EOF", err)
		}
	case <-time.After(deadline):
		r.t.Fatal("Next did not return after Close")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seqs) != n {
		r.t.Fatalf("got %d records, want %d: %v", len(r.seqs), n, r.seqs)
	}
	for i, s := range r.seqs {
		if s != int64(first+i) {
			r.t.Fatalf("record %d has sequence number %d, want %d (all: %v)", i, s, first+i, r.seqs)
		}
	}
}

func (r *followRun) noSkips() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.skips) > 0 {
		r.t.Fatalf("unexpected skips: %v", r.skips)
	}
}

// TestFollowGrowing: the file does not exist at first; then it is
// written in irregular bursts, with records cut across writes and pauses
// longer than the poll interval (pflogd's delayed flushes).
func TestFollowGrowing(t *testing.T) {
	s := newSim(t)
	run := startFollow(t, s.path, FollowOptions{})
	time.Sleep(5 * testPoll)
	if run.f.Pending() {
		t.Fatal("Pending with no file")
	}
	s.create()
	defer s.close()
	s.write(s.recs(3))
	run.waitRecords(3)
	s.writeSlowly(s.recs(5), 7) // records cut everywhere
	s.write(s.recs(4))
	b := s.recs(2)
	s.write(b[:len(b)-10]) // a flush that ends inside a record
	run.waitRecords(13)
	time.Sleep(5 * testPoll) // the reader must wait for the rest
	s.write(b[len(b)-10:])
	run.waitRecords(14)
	for range 20 {
		s.writeSlowly(s.recs(3), 150)
	}
	run.stop(0, 74)
	run.noSkips()
}

// TestFollowRotate: newsyslog renames the file, pflogd goes on writing
// to it until SIGHUP, then creates a new file with a new header.
func TestFollowRotate(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(5))
	run := startFollow(t, s.path, FollowOptions{})
	total := 5
	for i := range 3 {
		run.waitRecords(total)
		if err := os.Rename(s.path, fmt.Sprintf("%s.%d", s.path, i)); err != nil {
			t.Fatal(err)
		}
		b := s.recs(4)
		s.write(b[:30])
		time.Sleep(3 * testPoll)
		s.write(b[30:]) // still written to the renamed file
		s.close()
		time.Sleep(3 * testPoll)
		s.create()
		s.writeSlowly(s.recs(6), 40)
		total += 10
	}
	s.close()
	run.stop(0, total)
	run.noSkips()
}

// TestFollowRotateFast: the new file appears while the reader is still
// far behind in the old one.
func TestFollowRotateFast(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(2000))
	run := startFollow(t, s.path, FollowOptions{})
	os.Rename(s.path, s.path+".0")
	s.write(s.recs(1000))
	s.close()
	s.create()
	s.write(s.recs(1000))
	s.close()
	run.stop(0, 4000)
	run.noSkips()
}

// TestFollowTruncate: the file is truncated to zero and written anew.
func TestFollowTruncate(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(10))
	run := startFollow(t, s.path, FollowOptions{})
	for i := range 3 {
		run.waitRecords(10 + 5*i)
		if err := s.f.Truncate(0); err != nil {
			t.Fatal(err)
		}
		s.f.Seek(0, io.SeekStart)
		run.waitEvent("truncate", i+1)
		s.write(pcapHdr(le, false, 116, LinkTypePFLOG))
		s.writeSlowly(s.recs(5), 50)
	}
	s.close()
	run.stop(0, 25)
	run.noSkips()
}

// TestFollowDeleteRecreate: the file is deleted and, after a while, a new
// one is created at the path.
func TestFollowDeleteRecreate(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(10))
	run := startFollow(t, s.path, FollowOptions{})
	run.waitRecords(10)
	s.write(s.recs(2)) // written just before the delete
	s.close()
	os.Remove(s.path)
	time.Sleep(5 * testPoll)
	s.create()
	s.write(s.recs(10))
	s.close()
	run.stop(0, 22)
	run.noSkips()
}

// TestFollowFromEnd: records complete at start are skipped; one the file
// ends inside is returned once complete.
func TestFollowFromEnd(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(10))
	b := s.recs(1)
	s.write(b[:20])
	run := startFollow(t, s.path, FollowOptions{FromEnd: true})
	time.Sleep(3 * testPoll)
	s.write(b[20:])
	s.write(s.recs(5))
	run.waitRecords(6)
	// a rotation later: the new file is read from its beginning
	os.Rename(s.path, s.path+".0")
	s.close()
	s.create()
	s.write(s.recs(3))
	s.close()
	run.stop(10, 9)
	run.noSkips()
}

// TestFollowClose: Close makes a waiting Next return io.EOF.
func TestFollowClose(t *testing.T) {
	s := newSim(t)
	run := startFollow(t, s.path, FollowOptions{Poll: time.Hour})
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	run.stop(0, 0)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v", d)
	}
	var p source.Packet
	if err := run.f.Next(&p); err != io.EOF {
		t.Fatalf("Next after Close: %v", err)
	}
}

// TestFollowForeign: a file that is not pflog at start is an error; one
// that appears later is skipped until pflogd moves it aside and starts a
// new file.
func TestFollowForeign(t *testing.T) {
	s := newSim(t)
	os.WriteFile(s.path, []byte("this is not a capture file"), 0o600)
	if _, err := Follow(s.path, FollowOptions{}); !errors.Is(err, ErrNotPcap) || !strings.Contains(err.Error(), s.path) {
		t.Fatalf("Follow on a text file: %v", err)
	}
	eth, _ := pcapFile(le, false, 65535, 1, mkRecs(1000, 3, 10))
	os.WriteFile(s.path, eth, 0o600)
	var lte *LinkTypeError
	if _, err := Follow(s.path, FollowOptions{LinkType: LinkTypePFLOG}); !errors.As(err, &lte) {
		t.Fatalf("Follow on an Ethernet capture: %v", err)
	}
	os.Remove(s.path)

	run := startFollow(t, s.path, FollowOptions{LinkType: LinkTypePFLOG})
	os.WriteFile(s.path, eth, 0o600)
	run.waitFor("a skip", func() bool { return len(run.skips) == 1 })
	if r := run.skips[0].Reason; !strings.Contains(r, "link type 1 (EN10MB)") || !strings.Contains(r, "waiting for a new file") {
		t.Fatalf("skip: %v", run.skips[0])
	}
	os.Rename(s.path, s.path+".bad")
	s.create()
	s.write(s.recs(5))
	s.close()
	run.stop(0, 5)
}

// TestFollowRotatedPartial: the old file ends inside a record (the
// writer died): that is reported, and the new file is read.
func TestFollowRotatedPartial(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(3))
	b := s.recs(1)
	s.write(b[:25])
	run := startFollow(t, s.path, FollowOptions{})
	run.waitRecords(3)
	s.close()
	os.Rename(s.path, s.path+".0")
	s.seq = 10
	s.create()
	s.write(s.recs(3))
	s.close()
	run.waitRecords(6)
	run.mu.Lock()
	if len(run.skips) != 1 || !strings.Contains(run.skips[0].Reason, "rotated file ends inside a record") || !strings.Contains(run.skips[0].Reason, "25 of") {
		t.Fatalf("skips %v", run.skips)
	}
	if fmt.Sprint(run.seqs) != "[0 1 2 10 11 12]" {
		t.Fatalf("records %v", run.seqs)
	}
	run.mu.Unlock()
}

// TestFollowCorrupt: garbage in the followed file is skipped.
func TestFollowCorrupt(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(3))
	run := startFollow(t, s.path, FollowOptions{})
	run.waitRecords(3)
	s.write([]byte(strings.Repeat("\xff", 33)))
	s.writeSlowly(s.recs(4), 30)
	s.close()
	run.stop(0, 7)
	if len(run.skips) != 1 || run.skips[0].Skipped != 33 {
		t.Fatalf("skips %v", run.skips)
	}
}

// TestFollowTruncatePartial: a truncation under an incomplete record is
// reported with the bytes dropped.
func TestFollowTruncatePartial(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(5))
	b := s.recs(1)
	s.write(b[:30])
	run := startFollow(t, s.path, FollowOptions{})
	run.waitRecords(5)
	s.f.Truncate(0)
	s.f.Seek(0, io.SeekStart)
	run.waitEvent("truncate", 1)
	s.write(pcapHdr(le, false, 116, LinkTypePFLOG))
	s.seq = 5
	s.write(s.recs(3))
	s.close()
	run.stop(0, 8)
	if len(run.skips) != 1 || run.skips[0].Skipped != 30 || !strings.Contains(run.skips[0].Reason, "truncated") {
		t.Fatalf("skips %v", run.skips)
	}
}

// TestFollowIdle: an idle Follower reports nothing pending and does not
// spin.
func TestFollowIdle(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(2))
	run := startFollow(t, s.path, FollowOptions{LinkType: LinkTypePFLOG})
	run.waitRecords(2)
	if run.f.Pending() || run.f.LinkType() != LinkTypePFLOG || run.f.Name() != s.path {
		t.Fatalf("pending %v link type %d name %q", run.f.Pending(), run.f.LinkType(), run.f.Name())
	}
	s.close()
	run.stop(0, 2)
}

// TestFollowResume: a Follower stopped and started again with the
// Position of the first continues exactly after the last record it
// returned, also with records written while it was stopped and a record
// cut at the end; after a rotation meanwhile the new file is read whole.
func TestFollowResume(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(10))
	run := startFollow(t, s.path, FollowOptions{})
	run.stop(0, 10)
	pos, ok := run.f.Position()
	if !ok || pos.Offset == 0 {
		t.Fatalf("Position after 10 records: %+v %v", pos, ok)
	}
	// Written while "the daemon" was stopped, the last one only in part.
	s.write(s.recs(5))
	b := s.recs(1)
	s.write(b[:10])
	run = startFollow(t, s.path, FollowOptions{Resume: &pos})
	s.write(b[10:])
	run.stop(10, 6)
	run.noSkips()
	pos, _ = run.f.Position()

	// Rotated while stopped: the position names the old file.
	os.Rename(s.path, s.path+".0")
	s.close()
	s.create()
	s.write(s.recs(4))
	run = startFollow(t, s.path, FollowOptions{Resume: &pos})
	run.stop(16, 4)
	run.noSkips()
}
