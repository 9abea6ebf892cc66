package pcapfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

var (
	le bord = binary.LittleEndian
	be bord = binary.BigEndian
)

// usec drops the nanoseconds a microsecond format cannot hold.
func usec(recs []trec) []trec {
	out := append([]trec(nil), recs...)
	for i := range out {
		out[i].nsec -= out[i].nsec % 1000
	}
	return out
}

func TestReaderFormats(t *testing.T) {
	recs := mkRecs(0, 200, 150)
	for i := range recs {
		recs[i].nsec += int32(i % 1000) // give ns formats something to keep
	}
	pcap := func(bo bord, nano bool) []byte {
		b, _ := pcapFile(bo, nano, 262144, LinkTypePFLOG, recs)
		return b
	}
	ng := func(bo bord, nano bool) []byte {
		b, _ := ngFile(bo, nano, LinkTypePFLOG, recs)
		return b
	}
	tests := []struct {
		name string
		data []byte
		ng   bool
		want []trec
	}{
		{"pcap little-endian usec", pcap(le, false), false, usec(recs)},
		{"pcap big-endian usec", pcap(be, false), false, usec(recs)},
		{"pcap little-endian nsec", pcap(le, true), false, recs},
		{"pcap big-endian nsec", pcap(be, true), false, recs},
		{"pcapng little-endian usec", ng(le, false), true, usec(recs)},
		{"pcapng big-endian nsec", ng(be, true), true, recs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"whole", "onebyte"} {
				var in io.Reader = bytes.NewReader(tc.data)
				if mode == "onebyte" {
					in = iotest.OneByteReader(in)
				}
				r, err := NewReader("test.pcap", in)
				if err != nil {
					t.Fatal(err)
				}
				if r.LinkType() != LinkTypePFLOG || r.CheckLinkType(LinkTypePFLOG) != nil {
					t.Fatalf("link type %d", r.LinkType())
				}
				if r.IsPcapNG() != tc.ng {
					t.Fatalf("IsPcapNG %v", r.IsPcapNG())
				}
				res := collect(t, r)
				if res.err != nil || res.trunc != nil || len(res.skips) > 0 {
					t.Fatalf("%s: err %v trunc %v skips %v", mode, res.err, res.trunc, res.skips)
				}
				sameRecs(t, res.recs, tc.want)
				if r.Offset() != int64(len(tc.data)) {
					t.Fatalf("offset %d, want %d", r.Offset(), len(tc.data))
				}
			}
		})
	}
}

// TestReaderPcapNGBlocks covers pcapng details: several interfaces and
// timestamp resolutions, blocks to skip, a second section in the other
// byte order, simple and obsolete packet blocks.
func TestReaderPcapNGBlocks(t *testing.T) {
	var b []byte
	b = ngBlock(b, le, ngSHB, ngSHBBody(le))
	b = ngBlock(b, le, ngIDB, ngIDBBody(le, LinkTypePFLOG, 116, 3))     // ms
	b = ngBlock(b, le, ngIDB, ngIDBBody(le, 1, 0, -1))                  // other link type
	b = ngBlock(b, le, ngIDB, ngIDBBody(le, LinkTypePFLOG, 0, 0x80|20)) // 2^-20 s
	b = ngBlock(b, le, ngNRB, []byte{0, 0, 0, 0})
	epb := func(bo bord, id uint32, ts uint64, data []byte) []byte {
		body := bo.AppendUint32(nil, id)
		body = bo.AppendUint32(body, uint32(ts>>32))
		body = bo.AppendUint32(body, uint32(ts))
		body = bo.AppendUint32(body, uint32(len(data)))
		body = bo.AppendUint32(body, uint32(len(data)+1))
		return append(body, data...)
	}
	b = ngBlock(b, le, ngEPB, epb(le, 0, 1700000000123, []byte("one")))
	b = ngBlock(b, le, ngEPB, epb(le, 1, 5, []byte("ethernet")))
	b = ngBlock(b, le, ngEPB, epb(le, 2, 1700000000<<20|1<<19, []byte("two")))
	b = ngBlock(b, le, ngISB, make([]byte, 12))
	b = ngBlock(b, le, 0x0BAD, []byte("custom"))
	// second section, big-endian, default resolution
	b = ngBlock(b, be, ngSHB, ngSHBBody(be))
	b = ngBlock(b, be, ngIDB, ngIDBBody(be, LinkTypePFLOG, 4, -1))
	b = ngBlock(b, be, ngSPB, append(be.AppendUint32(nil, 9), "three-long"...))
	pb := be.AppendUint16(nil, 0)
	pb = be.AppendUint16(pb, 0)
	pb = append(pb, epb(be, 0, 1700000001000002, []byte("four"))[4:]...)
	b = ngBlock(b, be, ngPB, pb)

	r, err := NewReader("ng", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r.SnapLen() != 116 {
		t.Errorf("snaplen %d", r.SnapLen())
	}
	res := collect(t, r)
	if res.err != nil || res.trunc != nil {
		t.Fatal(res.err, res.trunc)
	}
	want := []trec{
		{1700000000, 123000000, 4, []byte("one")},
		{1700000000, 500000000, 4, []byte("two")},
		{0, 0, 9, []byte("thre")},
		{1700000001, 2000, 5, []byte("four")},
	}
	sameRecs(t, res.recs, want)
	if len(res.skips) != 1 || !strings.Contains(res.skips[0].Reason, "link type 1 (EN10MB)") {
		t.Fatalf("skips %v", res.skips)
	}
}

func TestReaderPipe(t *testing.T) {
	recs := mkRecs(0, 50, 100)
	file, ends := pcapFile(le, false, 116, LinkTypePFLOG, recs)
	pr, pw := io.Pipe()
	go func() {
		pw.Write(file[:24])
		prev := 24
		for i, end := range ends {
			switch {
			case i%10 == 3: // two records in one write
				continue
			case i%10 == 4:
				pw.Write(file[prev:end])
			case i%10 == 7: // a record a byte at a time
				for j := prev; j < end; j++ {
					pw.Write(file[j : j+1])
				}
			default:
				pw.Write(file[prev:end])
			}
			prev = end
		}
		pw.Close()
	}()
	r, err := NewReader("stdin", pr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pending() {
		t.Fatal("Pending before any record was written")
	}
	var p source.Packet
	for i := range recs {
		if err := r.Next(&p); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if seqOf(p.Data) != int64(i) {
			t.Fatalf("record %d: seq %d", i, seqOf(p.Data))
		}
		// Records 3 and 4 arrive in one write.
		want := i%10 == 3
		if i == len(recs)-1 {
			want = false
		}
		if got := r.Pending(); got != want {
			t.Fatalf("after record %d: Pending %v, want %v", i, got, want)
		}
	}
	if err := r.Next(&p); err != io.EOF {
		t.Fatalf("at end: %v", err)
	}
}

// TestReaderPendingNoRead checks on random inputs that Next never reads
// when Pending said a record is there.
func TestReaderPendingNoRead(t *testing.T) {
	recs := mkRecs(0, 300, 300)
	file, _ := pcapFile(be, true, 0, LinkTypePFLOG, recs)
	ng, _ := ngFile(le, false, LinkTypePFLOG, recs)
	for _, data := range [][]byte{file, ng} {
		cr := &countReader{r: iotest.HalfReader(bytes.NewReader(data))}
		r, err := NewReader("x", cr)
		if err != nil {
			t.Fatal(err)
		}
		var p source.Packet
		n := 0
		for {
			pend := r.Pending()
			before := cr.n
			err := r.Next(&p)
			if pend && (err != nil || cr.n != before) {
				t.Fatalf("Pending was true but Next read (%d reads) or failed (%v)", cr.n-before, err)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != len(recs) {
			t.Fatalf("%d records", n)
		}
	}
}

type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(b []byte) (int, error) {
	c.n++
	return c.r.Read(b)
}

func TestReaderNotPcap(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"gif", "GIF89a and some more bytes to be long enough", "x.gif: not a pcap or pcapng file (magic 0x47494638)"},
		{"text", "hello world, this is not a capture", "magic 0x68656c6c"},
		{"empty", "", "x.gif: empty, not a pcap or pcapng file"},
		{"short", "ab", "only 2 bytes"},
		{"version", string(append(le.AppendUint32(nil, 0xa1b2c3d4), 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), "unsupported pcap version 3.0"},
		{"pcapng bad BOM", string(ngBlock(nil, le, ngSHB, make([]byte, 16))), "pcapng section header is corrupt"},
		{"pcapng no IDB", string(ngBlock(nil, le, ngSHB, ngSHBBody(le))), "without an interface description"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader("x.gif", strings.NewReader(tc.data))
			if !errors.Is(err, ErrNotPcap) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrNotPcap with %q", err, tc.want)
			}
		})
	}
	// Open names the file too.
	p := filepath.Join(t.TempDir(), "foo.txt")
	os.WriteFile(p, []byte("not a capture at all"), 0o644)
	if _, err := Open(p); !errors.Is(err, ErrNotPcap) || !strings.Contains(err.Error(), p+": ") {
		t.Fatalf("Open: %v", err)
	}
	if _, err := Open(p + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open missing: %v", err)
	}
}

func TestReaderLinkType(t *testing.T) {
	file, _ := pcapFile(le, false, 65535, 1, mkRecs(0, 3, 10))
	p := filepath.Join(t.TempDir(), "eth.pcap")
	os.WriteFile(p, file, 0o644)
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.LinkType() != 1 {
		t.Fatalf("link type %d", r.LinkType())
	}
	err = r.CheckLinkType(LinkTypePFLOG)
	var lte *LinkTypeError
	if !errors.As(err, &lte) || lte.Got != 1 || lte.Want != LinkTypePFLOG {
		t.Fatalf("CheckLinkType: %v", err)
	}
	if want := p + ": link type 1 (EN10MB), want 117 (PFLOG)"; err.Error() != want {
		t.Fatalf("got %q\nwant %q", err, want)
	}
	// The FCS bits above the link type are ignored.
	file, _ = pcapFile(le, false, 65535, 0x10000000|LinkTypePFLOG, nil)
	r, err = NewReader("x", bytes.NewReader(file))
	if err != nil || r.LinkType() != LinkTypePFLOG {
		t.Fatalf("%v %d", err, r.LinkType())
	}
}

// TestReaderCut reads every prefix of small files: all complete records
// come out, then an ErrTruncated error naming the file, the offset and
// the bytes present (nothing when the cut is between records).
func TestReaderCut(t *testing.T) {
	recs := mkRecs(0, 6, 40)
	type file struct {
		name string
		data []byte
		ends []int
		want []trec
	}
	var files []file
	for _, bo := range []bord{le, be} {
		d, e := pcapFile(bo, false, 116, LinkTypePFLOG, recs)
		files = append(files, file{"pcap " + bo.String(), d, e, usec(recs)})
		d, e = ngFile(bo, true, LinkTypePFLOG, recs)
		files = append(files, file{"pcapng " + bo.String(), d, e, recs})
	}
	for _, f := range files {
		hdr := 24
		if strings.HasPrefix(f.name, "pcapng") {
			hdr = f.ends[0] - ngLen(len(recs[0].data))
		}
		for cut := 0; cut <= len(f.data); cut++ {
			name := fmt.Sprintf("%s cut %d", f.name, cut)
			r, err := NewReader("cut.pcap", bytes.NewReader(f.data[:cut]))
			if cut < hdr {
				if cut < 4 && !errors.Is(err, ErrNotPcap) || cut >= 4 && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrNotPcap) {
					t.Fatalf("%s: NewReader: %v", name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			res := collect(t, r)
			n := 0
			start := hdr
			for n < len(f.ends) && f.ends[n] <= cut {
				start = f.ends[n]
				n++
			}
			if res.err != nil || len(res.skips) > 0 {
				t.Fatalf("%s: err %v skips %v", name, res.err, res.skips)
			}
			sameRecs(t, res.recs, f.want[:n])
			if cut == start {
				if res.trunc != nil {
					t.Fatalf("%s: %v", name, res.trunc)
				}
				continue
			}
			wantMsg := fmt.Sprintf("cut.pcap: offset %d: truncated record: ", start)
			if res.trunc == nil || !strings.HasPrefix(res.trunc.Error(), wantMsg) || !strings.Contains(res.trunc.Error(), fmt.Sprintf(" %d of ", cut-start)) {
				t.Fatalf("%s: got %v, want %q... %d of", name, res.trunc, wantMsg, cut-start)
			}
		}
	}
}

func ngLen(datalen int) int { return 32 + (datalen+3)&^3 }

// TestReaderCorrupt damages one record header (or inserts garbage) in the
// middle of a file: the records before and after come out, with one
// SkipError in between that names the offset and the bytes skipped.
func TestReaderCorrupt(t *testing.T) {
	recs := mkRecs(0, 40, 60)
	const k = 17 // damaged record
	type tc struct {
		name    string
		snaplen uint32
		damage  func(b []byte, at int, bo bord) []byte
		skipped func(reclen int) int
		lost    int // records lost
	}
	whole := func(l int) int { return l }
	tests := []tc{
		{"caplen huge", 262144, func(b []byte, at int, bo bord) []byte { bo.PutUint32(b[at+8:], 0xffffffff); return b }, whole, 1},
		{"caplen above snaplen", 116, func(b []byte, at int, bo bord) []byte {
			bo.PutUint32(b[at+8:], 3000)
			bo.PutUint32(b[at+12:], 3000)
			return b
		}, whole, 1},

		{"caplen above origlen", 262144, func(b []byte, at int, bo bord) []byte {
			bo.PutUint32(b[at+12:], 0)
			bo.PutUint32(b[at+8:], 5000)
			return b
		}, whole, 1},
		{"usec too big", 262144, func(b []byte, at int, bo bord) []byte { bo.PutUint32(b[at+4:], 2000000); return b }, whole, 1},
		{"garbage inserted", 116, func(b []byte, at int, bo bord) []byte {
			g := bytes.Repeat([]byte{0xff, 0x13, 0x00, 0x42, 0x7f}, 30)
			return append(b[:at:at], append(g, b[at:]...)...)
		}, func(int) int { return 150 }, 0},
		{"zeros inserted", 116, func(b []byte, at int, bo bord) []byte {
			return append(b[:at:at], append(make([]byte, 100), b[at:]...)...)
		}, func(int) int { return 100 }, 0},
	}
	for _, c := range tests {
		for _, bo := range []bord{le, be} {
			t.Run(c.name+" "+bo.String(), func(t *testing.T) {
				file, ends := pcapFile(bo, false, c.snaplen, LinkTypePFLOG, recs)
				at := ends[k-1]
				file = c.damage(file, at, bo)
				for _, mode := range []string{"whole", "onebyte"} {
					var in io.Reader = bytes.NewReader(file)
					if mode == "onebyte" {
						in = iotest.OneByteReader(in)
					}
					r, err := NewReader("bad.pcap", in)
					if err != nil {
						t.Fatal(err)
					}
					res := collect(t, r)
					if res.err != nil || res.trunc != nil {
						t.Fatalf("%s: %v %v", mode, res.err, res.trunc)
					}
					want := append(usec(recs[:k:k]), usec(recs[k+c.lost:])...)
					sameRecs(t, res.recs, want)
					if len(res.skips) != 1 {
						t.Fatalf("%s: skips %v", mode, res.skips)
					}
					s := res.skips[0]
					if s.Name != "bad.pcap" || s.Offset != int64(at) || s.Skipped != int64(c.skipped(ends[k]-ends[k-1])) {
						t.Fatalf("%s: skip %+v, want offset %d skipped %d", mode, s, at, c.skipped(ends[k]-ends[k-1]))
					}
				}
			})
		}
	}
}

// TestReaderCorruptNG damages a pcapng block's length.
func TestReaderCorruptNG(t *testing.T) {
	recs := mkRecs(0, 30, 60)
	file, ends := ngFile(le, false, LinkTypePFLOG, recs)
	const k = 11
	at := ends[k-1]
	le.PutUint32(file[at+4:], 0x7777)
	r, err := NewReader("bad.pcapng", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	res := collect(t, r)
	if res.err != nil || res.trunc != nil {
		t.Fatal(res.err, res.trunc)
	}
	sameRecs(t, res.recs, append(usec(recs[:k:k]), usec(recs[k+1:])...))
	if len(res.skips) != 1 || res.skips[0].Offset != int64(at) || res.skips[0].Skipped != int64(ends[k]-at) {
		t.Fatalf("skips %+v", res.skips)
	}
}

// TestReaderCorruptEnd: garbage at the end is skipped to the end.
func TestReaderCorruptEnd(t *testing.T) {
	recs := mkRecs(0, 5, 20)
	file, ends := pcapFile(le, false, 116, LinkTypePFLOG, recs)
	file = append(file, bytes.Repeat([]byte{0xee}, 40)...)
	res := collect(t, must(NewReader("x", bytes.NewReader(file))))
	sameRecs(t, res.recs, usec(recs))
	if res.err != nil || res.trunc != nil || len(res.skips) != 1 || res.skips[0].Offset != int64(ends[4]) || res.skips[0].Skipped != 40 {
		t.Fatalf("%v %v %+v", res.err, res.trunc, res.skips)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestReaderClose: Close unblocks a Next waiting on a pipe.
func TestReaderClose(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write(pcapHdr(le, false, 116, LinkTypePFLOG))
	r, err := NewReader("pipe", pr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		var p source.Packet
		done <- r.Next(&p)
	}()
	time.Sleep(20 * time.Millisecond)
	r.Close()
	select {
	case err := <-done:
		if err != io.EOF {
			t.Fatalf("Next after Close: %v", err)
		}
	case <-time.After(testtool.HangBound):
		t.Fatal("Next still blocked after Close")
	}
}

// TestReaderBigRecords: records up to the largest accepted caplen make
// the buffer grow, and still come out whole however the input arrives.
func TestReaderBigRecords(t *testing.T) {
	var recs []trec
	for i, l := range []int{100, 262144, 20, 500000, maxSnapCaplen, 9, maxSnapCaplen - 1, 70000} {
		r := mkRecs(i, 1, 0)[0]
		r.data = append(r.data, bytes.Repeat([]byte{byte(i)}, l-8)...)
		r.wire = l
		recs = append(recs, r)
	}
	file, _ := pcapFile(le, false, maxSnapCaplen, LinkTypePFLOG, recs)
	ng, _ := ngFile(be, true, LinkTypePFLOG, recs[:4])
	for _, tc := range []struct {
		name string
		data []byte
		want []trec
	}{{"pcap", file, usec(recs)}, {"pcapng", ng, recs[:4]}} {
		for _, mode := range []string{"whole", "half", "onebyte"} {
			var in io.Reader = bytes.NewReader(tc.data)
			switch mode {
			case "half":
				in = iotest.HalfReader(in)
			case "onebyte":
				in = iotest.OneByteReader(in)
			}
			r, err := NewReader("big", in)
			if err != nil {
				t.Fatal(err)
			}
			res := collect(t, r)
			if res.err != nil || res.trunc != nil || len(res.skips) > 0 {
				t.Fatalf("%s %s: %v %v %v", tc.name, mode, res.err, res.trunc, res.skips)
			}
			sameRecs(t, res.recs, tc.want)
			if len(r.p.buf) > maxBuf {
				t.Fatalf("buffer %d", len(r.p.buf))
			}
		}
	}
	// One byte more than the limit is corrupt; the two records after it
	// confirm the resync.
	recs[1].data = append(recs[1].data, bytes.Repeat([]byte{1}, maxSnapCaplen-262144+1)...)
	recs[1].wire = len(recs[1].data)
	file, _ = pcapFile(le, false, maxSnapCaplen, LinkTypePFLOG, recs[:4])
	res := collect(t, must(NewReader("big", bytes.NewReader(file))))
	if len(res.recs) != 3 || len(res.skips) != 1 {
		t.Fatalf("%d records, skips %v", len(res.recs), res.skips)
	}
}

// TestOpenStdin runs the test binary with a pipe as standard input and
// reads it with Open("-").
func TestOpenStdin(t *testing.T) {
	if os.Getenv("PCAPFILE_STDIN_HELPER") == "close" {
		r, err := Open("-")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(0)
		}
		done := make(chan error)
		go func() {
			var p source.Packet
			for {
				if err := r.Next(&p); err != nil {
					done <- err
					return
				}
			}
		}()
		time.Sleep(50 * time.Millisecond)
		r.Close()
		select {
		case err := <-done:
			fmt.Println("Next returned", err)
		case <-time.After(testtool.HangBound):
			fmt.Println("Next still blocked after Close")
		}
		os.Exit(0)
	}
	if os.Getenv("PCAPFILE_STDIN_HELPER") != "" {
		r, err := Open("-")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(0)
		}
		res := collect(t, r)
		fmt.Printf("name %s records %d last %d err %v\n", r.Name(), len(res.recs), seqOf(res.recs[len(res.recs)-1].data), res.err)
		os.Exit(0)
	}
	file, _ := pcapFile(le, false, 116, LinkTypePFLOG, mkRecs(0, 1000, 100))
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenStdin$")
	cmd.Env = append(os.Environ(), "PCAPFILE_STDIN_HELPER=1")
	cmd.Stdin = iotest.HalfReader(bytes.NewReader(file)) // a pipe fed in pieces
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "name standard input records 1000 last 999 err <nil>\n"; string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}

// TestOpenStdinClose: Close unblocks a Next waiting on a standard input
// pipe.
func TestOpenStdinClose(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	file, _ := pcapFile(le, false, 116, LinkTypePFLOG, mkRecs(0, 1, 100))
	pw.Write(file)
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenStdin$")
	cmd.Env = append(os.Environ(), "PCAPFILE_STDIN_HELPER=close")
	cmd.Stdin = pr
	out, err := cmd.Output()
	pr.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := "Next returned EOF\n"; string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}
