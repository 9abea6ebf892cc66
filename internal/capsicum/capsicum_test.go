package capsicum

import (
	"errors"
	"runtime"
	"testing"
	"unsafe"
)

func TestUnsupportedElsewhere(t *testing.T) {
	if runtime.GOOS == "freebsd" {
		t.Skip("FreeBSD has Capsicum")
	}
	if Supported() || !errors.Is(Enter(), ErrUnsupported) || !errors.Is(Limit(0, Read), ErrUnsupported) {
		t.Fatal("capsicum claims support off FreeBSD")
	}
}

// TestIoctlListIsULong: cap_ioctls_limit(2) reads u_long entries, as wide
// as a pointer: 4 bytes on 32-bit FreeBSD. Run it with GOARCH=386 too.
func TestIoctlListIsULong(t *testing.T) {
	cmds := []uint64{0x4008426f, 0xc0044266, 0x8020426c} // BIOCGSTATS, BIOCSBLEN, BIOCSETIF on amd64
	list, err := ioctlList(cmds)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := unsafe.Sizeof(list[0]), unsafe.Sizeof(uintptr(0)); got != want {
		t.Fatalf("entries are %d bytes, u_long is %d on %s", got, want, runtime.GOARCH)
	}
	// The bytes the kernel reads: len(cmds) entries of pointer size.
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&list[0])), len(list)*int(unsafe.Sizeof(list[0])))
	if len(raw) != len(cmds)*int(unsafe.Sizeof(uintptr(0))) {
		t.Fatalf("%d bytes for %d commands", len(raw), len(cmds))
	}
	for i, c := range cmds {
		if uint64(list[i]) != c {
			t.Errorf("entry %d = %#x, want %#x", i, list[i], c)
		}
	}
	if unsafe.Sizeof(uintptr(0)) == 4 {
		if _, err := ioctlList([]uint64{1 << 40}); err == nil {
			t.Error("a command wider than u_long was truncated silently")
		}
	}
}
