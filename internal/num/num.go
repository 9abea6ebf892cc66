// Package num holds the number helpers every printer and format shares:
// decimal and hexadecimal text appended to a caller's buffer without
// allocating, and big-endian reads of packet fields.
package num

import (
	"math/bits"
	"slices"
)

// HexDigits are the lower-case hexadecimal digits.
const HexDigits = "0123456789abcdef"

// DigitPairs holds the two digits of every number below 100, at twice
// the number.
const DigitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// pow10[i] is 10 to the i.
var pow10 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// AppendUint appends v in decimal, two digits per division, written in
// place into room reserved once with indexes the compiler need not check
// (the printers' hottest helper).
func AppendUint(dst []byte, v uint64) []byte {
	if v < 10 {
		return append(dst, byte('0'+v))
	}
	w := int(bits.Len64(v)*1233) >> 12 // about log10(v)
	if v >= pow10[w] {
		w++
	}
	n := len(dst)
	if cap(dst)-n < 32 {
		dst = slices.Grow(dst, 32)
	}
	d := (*[32]byte)(dst[n : n+32])
	i := uint(w)
	for v >= 100 {
		q := v / 100
		p := &pairs[uint8(v-q*100)]
		i -= 2
		d[i&31], d[(i+1)&31] = p[0], p[1]
		v = q
	}
	if v >= 10 {
		p := &pairs[uint8(v)]
		d[0], d[1] = p[0], p[1]
	} else {
		d[0] = byte('0' + v)
	}
	return dst[:n+w]
}

// pairs[i] holds the two digits of i < 100; indexed by a byte, it needs
// no bounds check.
var pairs = func() (t [256][2]byte) {
	for i := 0; i < 100; i++ {
		t[i] = [2]byte{DigitPairs[2*i], DigitPairs[2*i+1]}
	}
	return t
}()

// AppendDec appends v in decimal, zero-padded to at least width digits
// (printf's "%0*u").
func AppendDec(dst []byte, v uint64, width int) []byte {
	var buf [24]byte
	i := len(buf)
	for v >= 10 || (width > 1 && i > 1) {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	i--
	buf[i] = byte('0' + v)
	return append(dst, buf[i:]...)
}

// AppendHex appends v in lower-case hexadecimal, zero-padded to at least
// width digits (printf's "%0*x"; width 0 or 1 is plain "%x").
func AppendHex(dst []byte, v uint64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 16 || (width > 1 && i > 1) {
		i--
		buf[i] = HexDigits[v&0xf]
		v >>= 4
		width--
	}
	i--
	buf[i] = HexDigits[v]
	return append(dst, buf[i:]...)
}

// AppendMsTime appends milliseconds since midnight UTC (ICMP timestamps)
// as hh:mm:ss.mmm.
func AppendMsTime(dst []byte, ms uint32) []byte {
	sec := uint64(ms / 1000)
	dst = AppendDec(dst, sec/3600, 2)
	dst = append(dst, ':')
	dst = AppendDec(dst, sec/60%60, 2)
	dst = append(dst, ':')
	dst = AppendDec(dst, sec%60, 2)
	dst = append(dst, '.')
	return AppendDec(dst, uint64(ms%1000), 3)
}

// BE16 reads a big-endian 16-bit value from b[0:2].
func BE16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// BE32 reads a big-endian 32-bit value from b[0:4].
func BE32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// BE64 reads a big-endian 64-bit value from b[0:8].
func BE64(b []byte) uint64 { return uint64(BE32(b))<<32 | uint64(BE32(b[4:])) }
