package tcpdump

import (
	"net/netip"
	"testing"
)

// TestAppendAddr4EveryOctet: every octet value in every position, after
// existing bytes, into buffers with no room, a little and enough
// (appendAddr4 writes whole words into room it reserves and cuts the
// last dot).
func TestAppendAddr4EveryOctet(t *testing.T) {
	for v := 0; v < 256; v++ {
		for pos := 0; pos < 4; pos++ {
			a := [4]byte{1, 22, 133, 4}
			a[pos] = byte(v)
			want := "x " + netip.AddrFrom4(a).String()
			for _, room := range []int{0, 3, 15, 16, 40} {
				dst := make([]byte, 2, 2+room)
				copy(dst, "x ")
				if got := string(appendAddr4(dst, a[:])); got != want {
					t.Fatalf("appendAddr4(%v) with room %d = %q, want %q", a, room, got, want)
				}
			}
		}
	}
}
