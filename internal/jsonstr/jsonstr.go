// Package jsonstr writes JSON strings the one way every JSON line of the
// daemon does (per-packet records and decisions alike), so that a name
// reads the same in both.
package jsonstr

import (
	"unicode/utf8"

	"github.com/pfasciilogd/pfasciilogd/internal/num"
)

// Append appends b as a quoted JSON string: valid UTF-8 is kept,
// '"' and '\\' are escaped, control bytes (and DEL) become \u00XX, and
// bytes that are not UTF-8 become \ufffd. It never allocates.
func Append(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', num.HexDigits[c>>4], num.HexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			// Valid JSON, but JavaScript-based readers choke on them.
			dst = append(dst, '\\', 'u', '2', '0', '2', num.HexDigits[r&0xf])
		} else {
			dst = append(dst, b[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}
