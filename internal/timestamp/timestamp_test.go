package timestamp

import "testing"

func TestSplit(t *testing.T) {
	for _, tt := range []struct {
		ns   int64
		sec  int64
		nsec int32
	}{
		{0, 0, 0},
		{1, 0, 1},
		{1_500_000_000, 1, 500_000_000},
		{-1, -1, 999_999_999},
		{-1_000_000_000, -1, 0},
	} {
		if sec, nsec := Split(tt.ns); sec != tt.sec || nsec != tt.nsec {
			t.Errorf("Split(%d) = %d %d, want %d %d", tt.ns, sec, nsec, tt.sec, tt.nsec)
		}
	}
}
