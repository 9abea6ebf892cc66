package format

import (
	"github.com/pfasciilogd/pfasciilogd/internal/budget"
	"github.com/pfasciilogd/pfasciilogd/internal/num"
	"github.com/pfasciilogd/pfasciilogd/internal/timestamp"
)

// AppendBudgetSummaryJSON renders a line-budget summary as one JSON
// object, for -format json:
//
//	{"timestamp":"...","event":"line_budget","withheld":18234,"first_lines":18234,"window_seconds":1,"lines_per_second":2000}
func AppendBudgetSummaryJSON(dst []byte, s *budget.Summary, ts func(dst []byte, sec int64, nsec int32) []byte) []byte {
	dst = append(dst, `{"timestamp":"`...)
	sec, nsec := timestamp.Split(s.At)
	dst = ts(dst, sec, nsec)
	dst = append(dst, `","event":"line_budget","withheld":`...)
	dst = num.AppendUint(dst, s.Withheld)
	dst = append(dst, `,"first_lines":`...)
	dst = num.AppendUint(dst, s.Firsts)
	dst = append(dst, `,"window_seconds":`...)
	dst = budget.AppendSeconds(dst, s.At-s.Start)
	dst = append(dst, `,"lines_per_second":`...)
	dst = num.AppendUint(dst, uint64(s.Rate))
	return append(dst, "}\n"...)
}
