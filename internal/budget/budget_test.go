package budget

import (
	"sync"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/num"
)

func ts(dst []byte, sec int64, nsec int32) []byte { return num.AppendUint(dst, uint64(sec)) }

func TestAppendSummary(t *testing.T) {
	s := Summary{Withheld: 18234, Firsts: 18000, Start: 10e9, At: 11e9, Rate: 2000}
	want := "11 pfasciilogd: line budget: 18234 lines not written in 1s, 18000 first lines of new sources (over 2000 lines/s)\n"
	if got := string(AppendSummary(nil, &s, ts)); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	s.At = 10.25e9
	if got := string(AppendSeconds(nil, s.At-s.Start)); got != "0.25" {
		t.Errorf("seconds %q", got)
	}
}

// TestBucketShared: goroutines drawing at one instant get exactly the
// burst between them, then one line per interval.
func TestBucketShared(t *testing.T) {
	b := New(100, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for range 1000 {
				if b.Take(5e9, 0) {
					n++
				}
			}
			mu.Lock()
			got += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if got != b.Burst() || got != 300 {
		t.Fatalf("%d taken, burst %d", got, b.Burst())
	}
	if b.Take(5e9+5e6, 0) || !b.Take(5e9+1e7, 0) {
		t.Fatal("refill is not one line per 10 ms")
	}
	// 2 s later about 199 lines are back: a take that would leave fewer
	// than 250 fails, one that leaves 100 succeeds.
	if b.Take(7e9, 250) || !b.Take(7e9, 100) {
		t.Fatal("the reserve is not kept")
	}
}

// TestClockAcrossSources: a source with old timestamps (a file of last
// year) is placed at the newest time seen, so it neither gets a full
// bucket for free nor waits a year.
func TestClockAcrossSources(t *testing.T) {
	b := New(10, nil)
	var live, old Clock
	if n := b.Now(&live, 100e9); n != 100e9 {
		t.Fatalf("first source moved: %d", n)
	}
	if n := b.Now(&old, 5e9); n != 100e9 {
		t.Fatalf("old source at %d", n)
	}
	if n := b.Now(&old, 4e9); n != 100e9 {
		t.Fatalf("clock ran backwards: %d", n)
	}
	if n := b.Now(&old, 6e9); n != 101e9 {
		t.Fatalf("clock %d", n)
	}
}
