package testtool

import (
	"os"
	"testing"
	"time"
)

// HangBound is how long WaitFor waits without progress before it calls
// the wait a hang. It only catches a peer that stopped: a test never
// relies on it to be short. PFASCIILOGD_TEST_HANG (a Go duration)
// overrides it, e.g. on a very slow machine.
var HangBound = hangBound()

func hangBound() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PFASCIILOGD_TEST_HANG")); err == nil && d > 0 {
		return d
	}
	return 3 * time.Minute
}

// WaitFor polls cond until it is true, failing the test only after
// HangBound: use it to wait for a peer (the daemon, a collector, a file)
// to get somewhere, never as a timing check.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitProgress(t, what, cond, nil)
}

// WaitProgress polls done until it is true. progress, when not nil,
// returns a number that grows while the peer works (lines read, bytes
// written, a counter); the wait fails only when that number stays the
// same for HangBound, so a slow but working peer is never cut off.
func WaitProgress(t testing.TB, what string, done func() bool, progress func() int64) {
	t.Helper()
	start := time.Now()
	last := time.Now()
	var seen int64
	if progress != nil {
		seen = progress()
	}
	pause := time.Millisecond
	for !done() {
		if progress != nil {
			if p := progress(); p != seen {
				seen, last = p, time.Now()
			}
		}
		if time.Since(last) > HangBound {
			if progress != nil {
				t.Fatalf("waiting for %s: no progress for %v (at %d, %v in all); the peer hangs", what, HangBound, seen, time.Since(start).Round(time.Millisecond))
			}
			t.Fatalf("waiting for %s: still not there after %v; the peer hangs", what, HangBound)
		}
		time.Sleep(pause)
		if pause < 50*time.Millisecond {
			pause *= 2
		}
	}
}
