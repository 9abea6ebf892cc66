package tcpdump

import (
	"math/rand/v2"
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

// TestAppendAddr6 checks appendAddr6 against net/netip (RFC 5952) on
// addresses rich in zero words, where the two differ only in tcpdump's
// dotted-quad form for six leading zero words, into buffers with no
// room, a little and enough.
func TestAppendAddr6(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 4))
	words := []uint16{0, 0, 0, 1, 0xf, 0x10, 0xff, 0x100, 0xfff, 0x1000, 0xffff, 0xdb8}
	for n := 0; n < 200000; n++ {
		var a [16]byte
		for i := 0; i < 8; i++ {
			w := words[rng.IntN(len(words))]
			if n&1 == 0 && i < 6 {
				w = 0
			}
			a[2*i], a[2*i+1] = byte(w>>8), byte(w)
		}
		want := netip.AddrFrom16(a).String()
		if [12]byte(a[:12]) == [12]byte{} && (a[12] != 0 || a[13] != 0) {
			want = "::" + netip.AddrFrom4([4]byte(a[12:])).String()
		}
		for _, room := range []int{0, 7, 39, 40, 64} {
			dst := make([]byte, 2, 2+room)
			copy(dst, "x ")
			if got := string(appendAddr6(dst, a[:])); got != "x "+want {
				t.Fatalf("appendAddr6(%x) with room %d = %q, want %q", a, room, got, "x "+want)
			}
		}
	}
}
