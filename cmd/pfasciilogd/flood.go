package main

import "github.com/pfasciilogd/pfasciilogd/internal/format"

// limited wraps formatters with flood control (-max-per-source).
func limited(f func() format.Formatter, o *options) func() format.Formatter {
	return f // wired once internal/flood lands
}
