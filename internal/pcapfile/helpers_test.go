package pcapfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// trec is a test record. Its data starts with a unique sequence number.
type trec struct {
	sec  int64
	nsec int32
	wire int
	data []byte
}

func (r trec) String() string {
	return fmt.Sprintf("{%d.%09d wire %d seq %d len %d}", r.sec, r.nsec, r.wire, seqOf(r.data), len(r.data))
}

func seqOf(b []byte) int64 {
	if len(b) < 8 {
		return -1
	}
	return int64(binary.BigEndian.Uint64(b))
}

// mkRecs makes n records with sequence numbers first..first+n-1,
// lengths varying between 8 and 8+maxExtra bytes, and timestamps one
// tenth of a second apart (microsecond resolution).
func mkRecs(first, n, maxExtra int) []trec {
	out := make([]trec, n)
	for i := range out {
		seq := first + i
		l := 8
		if maxExtra > 0 {
			l += (seq * 37) % (maxExtra + 1)
		}
		d := make([]byte, l)
		binary.BigEndian.PutUint64(d, uint64(seq))
		for j := 8; j < l; j++ {
			d[j] = byte(seq + j)
		}
		us := int64(seq) * 100000
		out[i] = trec{sec: 1700000000 + us/1e6, nsec: int32(us%1e6) * 1000, wire: l + seq%3, data: d}
	}
	return out
}

// pcapHdr builds a classic pcap file header.
func pcapHdr(bo bord, nano bool, snaplen, linkType uint32) []byte {
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	bo.PutUint32(h[0:], magic)
	bo.PutUint16(h[4:], 2)
	bo.PutUint16(h[6:], 4)
	bo.PutUint32(h[16:], snaplen)
	bo.PutUint32(h[20:], linkType)
	return h
}

// pcapRec appends one classic record.
func pcapRec(dst []byte, bo bord, nano bool, r trec) []byte {
	var h [16]byte
	bo.PutUint32(h[0:], uint32(r.sec))
	if nano {
		bo.PutUint32(h[4:], uint32(r.nsec))
	} else {
		bo.PutUint32(h[4:], uint32(r.nsec/1000))
	}
	bo.PutUint32(h[8:], uint32(len(r.data)))
	bo.PutUint32(h[12:], uint32(r.wire))
	dst = append(dst, h[:]...)
	return append(dst, r.data...)
}

// pcapFile builds a classic file and returns it with the end offset of
// every record.
func pcapFile(bo bord, nano bool, snaplen, linkType uint32, recs []trec) ([]byte, []int) {
	b := pcapHdr(bo, nano, snaplen, linkType)
	ends := make([]int, len(recs))
	for i, r := range recs {
		b = pcapRec(b, bo, nano, r)
		ends[i] = len(b)
	}
	return b, ends
}

// ngBlock appends a pcapng block with body (padded) and trailer.
func ngBlock(dst []byte, bo bord, typ uint32, body []byte) []byte {
	pad := (4 - len(body)%4) % 4
	l := uint32(12 + len(body) + pad)
	dst = bo.AppendUint32(dst, typ)
	dst = bo.AppendUint32(dst, l)
	dst = append(dst, body...)
	dst = append(dst, make([]byte, pad)...)
	return bo.AppendUint32(dst, l)
}

func ngSHBBody(bo bord) []byte {
	b := bo.AppendUint32(nil, ngBOM)
	b = bo.AppendUint16(b, 1)
	b = bo.AppendUint16(b, 0)
	return bo.AppendUint64(b, ^uint64(0))
}

// ngIDBBody: tsresol < 0 means no if_tsresol option.
func ngIDBBody(bo bord, linkType uint16, snaplen uint32, tsresol int) []byte {
	b := bo.AppendUint16(nil, linkType)
	b = bo.AppendUint16(b, 0)
	b = bo.AppendUint32(b, snaplen)
	if tsresol >= 0 {
		b = bo.AppendUint16(b, 9)
		b = bo.AppendUint16(b, 1)
		b = append(b, byte(tsresol), 0, 0, 0)
		b = bo.AppendUint32(b, 0) // opt_endofopt
	}
	return b
}

// ngFile builds a pcapng file with nanosecond (tsresol 9) or default
// (microsecond) timestamps.
func ngFile(bo bord, nano bool, linkType uint16, recs []trec) ([]byte, []int) {
	b := ngBlock(nil, bo, ngSHB, ngSHBBody(bo))
	res := -1
	if nano {
		res = 9
	}
	b = ngBlock(b, bo, ngIDB, ngIDBBody(bo, linkType, 0, res))
	ends := make([]int, len(recs))
	for i, r := range recs {
		ts := uint64(r.sec)*1e6 + uint64(r.nsec/1000)
		if nano {
			ts = uint64(r.sec)*1e9 + uint64(r.nsec)
		}
		body := bo.AppendUint32(nil, 0)
		body = bo.AppendUint32(body, uint32(ts>>32))
		body = bo.AppendUint32(body, uint32(ts))
		body = bo.AppendUint32(body, uint32(len(r.data)))
		body = bo.AppendUint32(body, uint32(r.wire))
		body = append(body, r.data...)
		b = ngBlock(b, bo, ngEPB, body)
		ends[i] = len(b)
	}
	return b, ends
}

// result is what a read produced: records and, in order, errors.
type result struct {
	recs  []trec
	skips []*source.SkipError
	err   error // final error (nil = clean io.EOF)
	trunc error // ErrTruncated error, if any
}

func collect(t testing.TB, s source.Source) result {
	t.Helper()
	var res result
	var p source.Packet
	for i := 0; i < 1000000; i++ {
		err := s.Next(&p)
		switch {
		case err == nil:
			res.recs = append(res.recs, trec{p.Sec, p.Nsec, p.WireLen, append([]byte(nil), p.Data...)})
			continue
		case err == io.EOF:
			return res
		case errors.Is(err, ErrTruncated):
			if res.trunc != nil {
				t.Fatalf("two truncation errors: %v, %v", res.trunc, err)
			}
			res.trunc = err
			continue
		}
		var se *source.SkipError
		if errors.As(err, &se) {
			res.skips = append(res.skips, se)
			continue
		}
		res.err = err
		return res
	}
	t.Fatal("no end after 1000000 calls")
	return res
}

func sameRecs(t testing.TB, got, want []trec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d\ngot  %v\nwant %v", len(got), len(want), short(got), short(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.sec != w.sec || g.nsec != w.nsec || g.wire != w.wire || string(g.data) != string(w.data) {
			t.Fatalf("record %d: got %v, want %v", i, g, w)
		}
	}
}

func short(r []trec) []trec {
	if len(r) > 10 {
		return r[:10]
	}
	return r
}

// bord is a byte order that can also append.
type bord interface {
	binary.ByteOrder
	binary.AppendByteOrder
}
