//go:build unix

package pcapfile

import (
	"syscall"
	"testing"
	"time"
)

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestFollowIdleCPU: waiting costs next to no CPU, even polling every
// 10 ms (the default is 250 ms).
func TestFollowIdleCPU(t *testing.T) {
	s := newSim(t)
	s.create()
	s.write(s.recs(2))
	defer s.close()
	run := startFollow(t, s.path, FollowOptions{})
	run.waitRecords(2)
	start, wall := cpuTime(t), time.Now()
	time.Sleep(500 * time.Millisecond)
	used, elapsed := cpuTime(t)-start, time.Since(wall)
	if used > elapsed/4 {
		t.Fatalf("idle Follower used %v of CPU in %v", used, elapsed)
	}
	t.Logf("idle Follower used %v of CPU in %v", used, elapsed)
	run.stop(0, 2)
}
