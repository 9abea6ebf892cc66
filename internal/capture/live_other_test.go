//go:build !freebsd

package capture

import (
	"errors"
	"testing"
)

func TestOpenUnsupported(t *testing.T) {
	l, err := Open("pflog0", Options{})
	if l != nil || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Open = %v, %v", l, err)
	}
	want := "bpf pflog0: live capture from pflog interfaces needs FreeBSD's bpf(4); on this system use -r FILE"
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}
