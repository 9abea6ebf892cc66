//go:build freebsd

package capture

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("\n\n*** NEEDS ROOT: live bpf(4) tests open /dev/bpf; run as root to run them ***\n")
	}
}

func TestOpenMissingInterface(t *testing.T) {
	needRoot(t)
	_, err := Open("pflog15", Options{})
	if err == nil {
		t.Skip("pflog15 exists")
	}
	if !errors.Is(err, unix.ENXIO) || !strings.Contains(err.Error(), "BIOCSETIF") || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("error %q", err)
	}
}

func TestOpenNotPflog(t *testing.T) {
	needRoot(t)
	_, err := Open("lo0", Options{})
	if err == nil || !strings.Contains(err.Error(), "not DLT_PFLOG") {
		t.Fatalf("Open lo0: %v", err)
	}
}

// TestLiveCloseUnblocks opens pflog0 and checks that Close ends a Next
// blocked in read(2) within the read timeout.
func TestLiveCloseUnblocks(t *testing.T) {
	needRoot(t)
	l, err := Open("pflog0", Options{ReadTimeout: 20 * time.Millisecond})
	if errors.Is(err, unix.ENXIO) {
		t.Skip("\n\n*** NEEDS pflog0: kldload pflog ***\n")
	}
	if err != nil {
		t.Fatal(err)
	}
	g := l.BufferSize()
	t.Logf("buffer %d of %d bytes; %s", g.Granted, g.Requested, g.Advice(AdviceContext{Iface: "pflog0", Explicit: true}))
	if _, err := l.Stats(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var p source.Packet
		for {
			if err := l.Next(&p); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != io.EOF {
			t.Fatalf("Next after Close: %v", err)
		}
		t.Logf("Next returned %v after %v", err, time.Since(start))
	case <-time.After(2 * time.Second):
		t.Fatal("Next still blocked 2 s after Close")
	}
}
