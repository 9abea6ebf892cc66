package format

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/flood"
)

func TestAppendFloodSummaryJSON(t *testing.T) {
	ts := Timestamper{Loc: time.UTC}
	one := flood.Summary{AddrLen: 4, Sources: 1, Suppressed: 4906, At: 1795258722_500000000, Window: 2 * time.Minute}
	copy(one.Addr[:], []byte{198, 51, 100, 7})
	v6 := flood.Summary{AddrLen: 16, Sources: 1, Suppressed: 3, At: 1795258722_000000000, Window: 90 * time.Second}
	v6.Addr[0], v6.Addr[1], v6.Addr[15] = 0x20, 0x01, 1
	overflow := flood.Summary{Sources: 12, Suppressed: 80, At: 1795258722_000000000, Window: time.Minute}
	for _, tc := range []struct {
		s    flood.Summary
		want string
	}{
		{one, `{"timestamp":"2026-11-21T10:58:42.500000+00:00","event":"flood_summary","src":"198.51.100.7","sources":1,"suppressed":4906,"window_seconds":120}` + "\n"},
		{v6, `{"timestamp":"2026-11-21T10:58:42.000000+00:00","event":"flood_summary","src":"2001::1","sources":1,"suppressed":3,"window_seconds":90}` + "\n"},
		{overflow, `{"timestamp":"2026-11-21T10:58:42.000000+00:00","event":"flood_summary","src":null,"sources":12,"suppressed":80,"window_seconds":60}` + "\n"},
	} {
		got := AppendFloodSummaryJSON(nil, &tc.s, ts.Append)
		if string(got) != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
		if !json.Valid(got) {
			t.Errorf("not JSON: %s", got)
		}
	}
}
