package format

import (
	"strconv"

	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/num"
	"github.com/pfasciilogd/pfasciilogd/internal/timestamp"
)

// AppendFloodSummaryJSON renders a flood-control summary as one JSON
// object, for -format json, so every line of the stream stays JSON:
//
//	{"timestamp":"...","event":"flood_summary","src":"198.51.100.7","sources":1,"suppressed":4906,"window_seconds":120}
//
// "src" is null when the summary merges several sources (the table
// overflowed); "sources" counts them. It has the signature
// flood.AppendSummary has, to be used in its place.
func AppendFloodSummaryJSON(dst []byte, s *flood.Summary, ts func(dst []byte, sec int64, nsec int32) []byte) []byte {
	dst = append(dst, `{"timestamp":"`...)
	sec, nsec := timestamp.Split(s.At)
	dst = ts(dst, sec, nsec)
	dst = append(dst, `","event":"flood_summary","src":`...)
	if s.AddrLen == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '"')
		dst = s.Source().AppendTo(dst)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"sources":`...)
	dst = num.AppendUint(dst, uint64(s.Sources))
	dst = append(dst, `,"suppressed":`...)
	dst = num.AppendUint(dst, s.Suppressed)
	dst = append(dst, `,"window_seconds":`...)
	dst = strconv.AppendFloat(dst, s.Window.Seconds(), 'f', -1, 64)
	return append(dst, "}\n"...)
}
