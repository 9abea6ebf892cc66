package num

import (
	"fmt"
	"math"
	"strconv"
	"testing"
)

func TestAgainstFmt(t *testing.T) {
	vals := []uint64{0, 1, 9, 10, 99, 100, 255, 256, 4095, 65535, 1e6, 1<<32 - 1, 1 << 32, math.MaxUint64}
	for _, v := range vals {
		if got, want := string(AppendUint(nil, v)), fmt.Sprint(v); got != want {
			t.Errorf("AppendUint(%d) = %s", v, got)
		}
		for _, w := range []int{0, 1, 2, 3, 4, 8, 20} {
			if got, want := string(AppendDec(nil, v, w)), fmt.Sprintf("%0*d", w, v); got != want {
				t.Errorf("AppendDec(%d, %d) = %s, want %s", v, w, got, want)
			}
			if got, want := string(AppendHex(nil, v, w)), fmt.Sprintf("%0*x", w, v); got != want {
				t.Errorf("AppendHex(%d, %d) = %s, want %s", v, w, got, want)
			}
		}
	}
	if got := string(AppendMsTime(nil, 45296789)); got != "12:34:56.789" {
		t.Errorf("AppendMsTime = %s", got)
	}
	b := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	if BE16(b) != 0x0102 || BE32(b) != 0x01020304 || BE64(b) != 0x0102030405060708 {
		t.Error("big-endian reads")
	}
}

// TestAppendUintEveryWidth: every digit count, at both ends, appended
// after existing bytes into a buffer with no room, some room and enough
// room (AppendUint writes in place into the room it reserves).
func TestAppendUintEveryWidth(t *testing.T) {
	var vals []uint64
	for p := uint64(10); ; p *= 10 {
		vals = append(vals, p-1, p, p+1)
		if p > math.MaxUint64/10 {
			break
		}
	}
	vals = append(vals, math.MaxUint64-1, math.MaxUint64)
	for _, v := range vals {
		want := "ab" + strconv.FormatUint(v, 10)
		for _, room := range []int{0, 1, 5, 19, 20, 32} {
			dst := make([]byte, 2, 2+room)
			copy(dst, "ab")
			if got := string(AppendUint(dst, v)); got != want {
				t.Errorf("AppendUint(%d) with room %d = %q, want %q", v, room, got, want)
			}
		}
	}
}
