package capture

import "github.com/pfasciilogd/pfasciilogd/internal/source"

var (
	_ source.Source      = (*Live)(nil)
	_ source.StatsSource = (*Live)(nil)
)
