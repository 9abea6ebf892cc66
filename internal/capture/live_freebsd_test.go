//go:build freebsd

package capture

import (
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

func TestOpenMissingInterface(t *testing.T) {
	testtool.NeedRoot(t, "live bpf(4) tests open /dev/bpf")
	// An interface name that does not exist: the first pflogN free.
	name := ""
	for n := 15; n < 1000 && name == ""; n++ {
		if _, err := net.InterfaceByName("pflog" + strconv.Itoa(n)); err != nil {
			name = "pflog" + strconv.Itoa(n)
		}
	}
	_, err := Open(name, Options{})
	if err == nil {
		t.Fatalf("Open(%s) of a missing interface succeeded", name)
	}
	if !errors.Is(err, unix.ENXIO) || !strings.Contains(err.Error(), "BIOCSETIF") || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("error %q", err)
	}
}

func TestOpenNotPflog(t *testing.T) {
	testtool.NeedRoot(t, "live bpf(4) tests open /dev/bpf")
	_, err := Open("lo0", Options{})
	if err == nil || !strings.Contains(err.Error(), "not DLT_PFLOG") {
		t.Fatalf("Open lo0: %v", err)
	}
}

// TestLiveCloseUnblocks opens pflog0 and checks that Close ends a Next
// blocked in read(2) within the read timeout.
func TestLiveCloseUnblocks(t *testing.T) {
	testtool.NeedRoot(t, "live bpf(4) tests open /dev/bpf")
	l, err := Open("pflog0", Options{ReadTimeout: 20 * time.Millisecond})
	if errors.Is(err, unix.ENXIO) {
		testtool.Missing(t, "SYSTEM", "pflog0", "kldload pflog; ifconfig pflog0 up", "no pflog0 interface")
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
	case <-time.After(testtool.HangBound):
		t.Fatalf("Next still blocked %v after Close", testtool.HangBound)
	}
}
