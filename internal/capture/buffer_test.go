package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// synPacket is an IPv4 TCP SYN with MSS, SACK, timestamps and window
// scale options (60 bytes), 198.51.100.7:40000 -> 192.0.2.1:22.
var synPacket = []byte{
	0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
	198, 51, 100, 7, 192, 0, 2, 1,
	0x9c, 0x40, 0x00, 0x16, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
}

// pflogRecord returns a FreeBSD >= 13.1 pflog record around synPacket.
func pflogRecord(rule uint32) []byte {
	h := gen.DefaultHeader(pflog.AFInet)
	h.RuleNr = rule
	return append(h.AppendEncoded(nil), synPacket...)
}

type rec struct {
	sec     int64
	nsec    int32
	wire    int
	data    string
	skipped bool // a SkipError in this place
}

// collect runs the parser over buf to the end.
func collect(t *testing.T, p *BufferParser, buf []byte) []rec {
	t.Helper()
	p.Reset(buf)
	var out []rec
	for i := 0; ; i++ {
		if i > len(buf)+1 {
			t.Fatalf("parser does not advance")
		}
		var pkt source.Packet
		ok, err := p.Next(&pkt)
		if ok {
			if err != nil {
				t.Fatalf("ok with error %v", err)
			}
			out = append(out, rec{pkt.Sec, pkt.Nsec, pkt.WireLen, string(pkt.Data), false})
			continue
		}
		if err == nil {
			if p.Pending() {
				t.Fatalf("end of buffer but Pending")
			}
			return out
		}
		if !source.IsSkip(err) {
			t.Fatalf("error is not a SkipError: %v", err)
		}
		out = append(out, rec{skipped: true})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, align := range []int{4, 8} {
		for _, hdrlen := range []int{26, 28, 26 + align - 1} {
			t.Run(fmt.Sprintf("align%d/hdrlen%d", align, hdrlen), func(t *testing.T) {
				var want []rec
				var buf []byte
				for i := range 50 {
					data := bytes.Repeat([]byte{byte(i)}, i*7%61)
					r := Record{Sec: int64(1700000000 + i), Nsec: int32(i * 999999), WireLen: len(data) + i%3, Data: data}
					buf = appendRecord(buf, r, hdrlen, align, 0xa5) // stale padding bytes
					want = append(want, rec{r.Sec, r.Nsec, r.WireLen, string(data), false})
				}
				p := BufferParser{Align: align}
				got := collect(t, &p, buf)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("got  %v\nwant %v", got, want)
				}
			})
		}
	}
}

func TestAppendRecordLayout(t *testing.T) {
	buf := AppendRecord(nil, Record{Sec: 0x0102030405060708, Nsec: 999999999, WireLen: 300, Data: []byte("abc")})
	buf = AppendRecord(buf, Record{Sec: 1, Data: []byte("z")})
	ne := binary.NativeEndian
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"sec", ne.Uint64(buf[0:]), 0x0102030405060708},
		{"frac", ne.Uint64(buf[8:]), 999999999},
		{"caplen", uint64(ne.Uint32(buf[16:])), 3},
		{"datalen", uint64(ne.Uint32(buf[20:])), 300},
		{"hdrlen", uint64(ne.Uint16(buf[24:])), 32},
		{"second record at 40 (32+3 aligned to 8)", ne.Uint64(buf[40:]), 1},
		{"second datalen defaults to caplen", uint64(ne.Uint32(buf[60:])), 1},
		{"total length", uint64(len(buf)), 40 + 32 + 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if string(buf[32:35]) != "abc" {
		t.Errorf("data at hdrlen = %q", buf[32:35])
	}
}

// TestHdrLen checks the kernel's bpf_hdrlen() arithmetic for pflog.
func TestHdrLen(t *testing.T) {
	for _, c := range []struct{ link, align, want int }{
		{72, 8, 32}, // FreeBSD >= 13.1, 64-bit: PFLOG_HDRLEN 72
		{64, 8, 32}, // FreeBSD <= 13.0, 64-bit
		{72, 4, 28}, // 32-bit
		{0, 8, 32},
		{14, 8, 26}, // Ethernet: 26+14 = 40 is aligned already
		{4, 8, 28},  // DLT_NULL
	} {
		if got := HdrLen(c.link, c.align); got != c.want {
			t.Errorf("HdrLen(%d, %d) = %d, want %d", c.link, c.align, got, c.want)
		}
	}
	if HdrLen(72, Alignment) != PflogHdrLen {
		t.Errorf("PflogHdrLen %d disagrees with HdrLen", PflogHdrLen)
	}
}

// put patches a little field of the record starting at off.
func put16(b []byte, off int, v uint16) []byte { binary.NativeEndian.PutUint16(b[off:], v); return b }
func put32(b []byte, off int, v uint32) []byte { binary.NativeEndian.PutUint32(b[off:], v); return b }
func put64(b []byte, off int, v uint64) []byte { binary.NativeEndian.PutUint64(b[off:], v); return b }

func TestMalformed(t *testing.T) {
	good := func(i int) Record {
		return Record{Sec: int64(i), Nsec: int32(i), Data: []byte(strings.Repeat("x", 10+i))}
	}
	three := func() []byte {
		var b []byte
		for i := range 3 {
			b = AppendRecord(b, good(i))
		}
		return b
	}
	// Offsets of the three records: 0 (32+10 -> 48), 48 (32+11 -> 96), 96.
	const r1, r2 = 48, 96
	g := func(i int) rec {
		r := good(i)
		return rec{r.Sec, r.Nsec, len(r.Data), string(r.Data), false}
	}
	skip := rec{skipped: true}

	cases := []struct {
		name    string
		buf     []byte
		want    []rec
		reason  string
		skipped int64
		offset  int64
	}{
		{name: "empty buffer", buf: nil, want: nil},
		{name: "three good", buf: three(), want: []rec{g(0), g(1), g(2)}},
		{name: "trailing bytes too short for a header", buf: append(three(), 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3),
			want: []rec{g(0), g(1), g(2), skip}, reason: "too few for a bpf header", skipped: 7, offset: r2 + 32 + 12 + 4},
		{name: "all-zero header", buf: append(three()[:r2], make([]byte, 64)...),
			want: []rec{g(0), g(1), skip}, reason: "header length 0", skipped: 64, offset: r2},
		{name: "hdrlen too small", buf: put16(three(), r1+offHdrlen, 25),
			want: []rec{g(0), skip}, reason: "header length 25", skipped: int64(len(three()) - r1), offset: r1},
		{name: "hdrlen too large", buf: put16(three(), r1+offHdrlen, 34),
			want: []rec{g(0), skip}, reason: "header length 34"},
		{name: "hdrlen huge", buf: put16(three(), 0+offHdrlen, 0xffff),
			want: []rec{skip}, reason: "header length 65535"},
		{name: "hdrlen beyond short tail", buf: put16(three()[:r2+28], r2+offHdrlen, 32),
			want: []rec{g(0), g(1), skip}, reason: "beyond the 28 bytes left"},
		{name: "caplen beyond buffer", buf: put32(three(), r2+offCaplen, 13),
			want: []rec{g(0), g(1), skip}, reason: "capture length 13 beyond the 12 bytes left"},
		{name: "caplen huge", buf: put32(three(), r1+offCaplen, 0xffffffff),
			want: []rec{g(0), skip}, reason: "capture length 4294967295"},
		{name: "caplen reaching into the next record's data", buf: put32(put32(three(), r1+offDatalen, 1000), r1+offCaplen, 11+31),
			want: []rec{g(0), {1, 1, 1000, string(three()[r1+32 : r1+32+42]), false}, skip}, reason: "too few for a bpf header", offset: 128, skipped: 12},
		{name: "caplen covering the next record exactly", buf: put32(put32(three(), r1+offDatalen, 1000), r1+offCaplen, 11+5+32+12),
			want: []rec{g(0), {1, 1, 1000, string(three()[r1+32:]), false}}},
		{name: "nanoseconds out of range skips one record", buf: put64(three(), r1+offFrac, 1e9),
			want: []rec{g(0), skip, g(2)}, reason: "not nanoseconds", skipped: 48, offset: r1},
		{name: "caplen above datalen skips one record", buf: put32(three(), r1+offDatalen, 10),
			want: []rec{g(0), skip, g(2)}, reason: "above original length"},
		{name: "zero caplen is a record", buf: AppendRecord(AppendRecord(nil, Record{Sec: 5, WireLen: 9}), good(1)),
			want: []rec{{5, 0, 9, "", false}, g(1)}},
		{name: "last record without padding", buf: AppendRecord(nil, good(1)),
			want: []rec{g(1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := BufferParser{Name: "bpf pflog0"}
			got := collect(t, &p, c.buf)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got  %v\nwant %v", got, c.want)
			}
			if c.reason == "" {
				return
			}
			// Run again to look at the SkipError.
			p = BufferParser{Name: "bpf pflog0"}
			p.Reset(c.buf)
			var pkt source.Packet
			for {
				ok, err := p.Next(&pkt)
				if ok {
					continue
				}
				se, isSkip := err.(*source.SkipError)
				if !isSkip {
					t.Fatalf("no SkipError, got %v", err)
				}
				if !strings.Contains(se.Reason, c.reason) || se.Name != "bpf pflog0" {
					t.Errorf("SkipError %q, want reason containing %q", se.Error(), c.reason)
				}
				if c.skipped != 0 && se.Skipped != c.skipped {
					t.Errorf("Skipped = %d, want %d", se.Skipped, c.skipped)
				}
				if c.offset != 0 && se.Offset != c.offset {
					t.Errorf("Offset = %d, want %d", se.Offset, c.offset)
				}
				return
			}
		})
	}
}

// TestOffsetsAcrossBuffers checks that SkipError offsets count bytes of
// all the buffers read so far.
func TestOffsetsAcrossBuffers(t *testing.T) {
	var p BufferParser
	first := AppendRecord(nil, Record{Data: []byte("0123456789")})
	second := put16(AppendRecord(nil, Record{Data: []byte("ab")}), offHdrlen, 1)
	collect(t, &p, first)
	p.Reset(second)
	var pkt source.Packet
	_, err := p.Next(&pkt)
	se, ok := err.(*source.SkipError)
	if !ok || se.Offset != int64(len(first)) {
		t.Fatalf("err = %v, want SkipError at offset %d", err, len(first))
	}
}

// TestDataDoesNotOverreach checks that a caller appending to Data cannot
// overwrite the next record.
func TestDataDoesNotOverreach(t *testing.T) {
	buf := AppendRecord(AppendRecord(nil, Record{Data: []byte("a")}), Record{Data: []byte("b")})
	var p BufferParser
	p.Reset(buf)
	var pkt source.Packet
	if ok, _ := p.Next(&pkt); !ok {
		t.Fatal("no record")
	}
	_ = append(pkt.Data, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"...)
	if ok, _ := p.Next(&pkt); !ok || string(pkt.Data) != "b" {
		t.Fatalf("second record = %q", pkt.Data)
	}
}

// TestPflogRecordsDecode feeds real pflog records through the buffer and
// the pflog decoder.
func TestPflogRecordsDecode(t *testing.T) {
	var buf []byte
	for i := range 10 {
		buf = AppendRecord(buf, Record{Sec: 1700000000, Nsec: int32(i), Data: pflogRecord(uint32(i))})
	}
	var p BufferParser
	p.Reset(buf)
	var pkt source.Packet
	var h pflog.Header
	for i := range 10 {
		ok, err := p.Next(&pkt)
		if !ok {
			t.Fatalf("record %d: %v", i, err)
		}
		ip, err := pflog.Decode(pkt.Data, &h)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if h.RuleNr != uint32(i) || !bytes.Equal(ip, synPacket) || pkt.WireLen != len(pkt.Data) {
			t.Fatalf("record %d: rule %d, %d packet bytes", i, h.RuleNr, len(ip))
		}
	}
	if p.Pending() {
		t.Fatal("bytes left")
	}
}

func FuzzParseBuffer(f *testing.F) {
	var b []byte
	for i := range 3 {
		b = AppendRecord(b, Record{Sec: int64(i), Data: pflogRecord(uint32(i))})
	}
	f.Add(b)
	f.Add(b[:len(b)-7])
	f.Add(put16(bytes.Clone(b), offHdrlen, 0))
	f.Fuzz(func(t *testing.T, buf []byte) {
		for _, align := range []int{4, 8} {
			p := BufferParser{Align: align}
			p.Reset(buf)
			var pkt source.Packet
			for n := 0; ; n++ {
				if n > len(buf) {
					t.Fatal("parser does not advance")
				}
				before := p.off
				ok, err := p.Next(&pkt)
				if ok {
					if len(pkt.Data) > pkt.WireLen || pkt.Nsec < 0 || pkt.Nsec >= 1e9 {
						t.Fatalf("bad record: %d bytes, wire %d, nsec %d", len(pkt.Data), pkt.WireLen, pkt.Nsec)
					}
					if p.off <= before {
						t.Fatal("no progress")
					}
					continue
				}
				if err == nil {
					break
				}
				se, isSkip := err.(*source.SkipError)
				if !isSkip || se.Skipped <= 0 || p.off <= before {
					t.Fatalf("bad skip %v", err)
				}
			}
		}
	})
}

// BenchmarkParseBuffer parses a 2 MiB buffer of pflog records the size of
// a logged TCP SYN (72-byte pflog header, 60-byte packet, 32-byte bpf
// header: 168 bytes a record).
func BenchmarkParseBuffer(b *testing.B) {
	data := pflogRecord(1)
	var buf []byte
	n := 0
	for {
		next := AppendRecord(buf, Record{Sec: 1700000000, Nsec: int32(n), Data: data})
		if len(next) > 2<<20 {
			break
		}
		buf = next
		n++
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	var p BufferParser
	var pkt source.Packet
	for b.Loop() {
		p.Reset(buf)
		for {
			ok, err := p.Next(&pkt)
			if !ok {
				if err != nil {
					b.Fatal(err)
				}
				break
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
