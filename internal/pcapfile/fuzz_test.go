package pcapfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// fuzzSeeds are the seed inputs (also checked in under
// testdata/fuzz/FuzzReader; go test -run TestFuzzCorpus -update rewrites
// them).
func fuzzSeeds() map[string][]byte {
	recs := mkRecs(0, 4, 30)
	seeds := map[string][]byte{}
	seeds["pcap-le"], _ = pcapFile(le, false, 116, LinkTypePFLOG, recs)
	seeds["pcap-be-ns"], _ = pcapFile(be, true, 0, LinkTypePFLOG, recs)
	seeds["pcapng-le"], _ = ngFile(le, false, LinkTypePFLOG, recs)
	seeds["pcapng-be-ns"], _ = ngFile(be, true, 1, recs)
	bad, ends := pcapFile(le, false, 116, LinkTypePFLOG, recs)
	le.PutUint32(bad[ends[1]+8:], 0xfffffff0)
	seeds["pcap-corrupt"] = bad
	cut, _ := pcapFile(le, false, 116, LinkTypePFLOG, recs)
	seeds["pcap-cut"] = cut[:len(cut)-5]
	ng, ends := ngFile(le, false, LinkTypePFLOG, recs)
	le.PutUint32(ng[ends[0]+4:], 0x40)
	seeds["pcapng-corrupt"] = ng
	seeds["garbage"] = []byte("GIF89a\x00\x01")
	return seeds
}

// TestFuzzCorpus checks that the checked-in seeds are what fuzzSeeds
// builds; with -update it writes them.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	if testtool.Update() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range fuzzSeeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		path := filepath.Join(dir, name)
		if testtool.Update() {
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != body {
			t.Errorf("%s is not what fuzzSeeds builds (%v); run go test -run TestFuzzCorpus -update", path, err)
		}
	}
}

// readTrace reads all of data through in and describes every result,
// asking Pending before each Next when pending is set. It fails when Next
// reads although Pending said a record is buffered, or when Next is
// called more often than the input can justify.
func readTrace(t *testing.T, in io.Reader, limit int, pending bool) []string {
	cr := &countReader{r: in}
	r, err := NewReader("fuzz", cr)
	if err != nil {
		if !errors.Is(err, ErrNotPcap) && !errors.Is(err, ErrTruncated) {
			t.Fatalf("NewReader: unexpected error kind: %v", err)
		}
		return []string{"open: " + err.Error()}
	}
	out := []string{fmt.Sprintf("link %d snap %d ng %v", r.LinkType(), r.SnapLen(), r.IsPcapNG())}
	var p source.Packet
	for calls := 0; ; calls++ {
		if calls > limit {
			t.Fatalf("more than %d calls to Next", limit)
		}
		pend := pending && r.Pending()
		before := cr.n
		err := r.Next(&p)
		if pend && (cr.n != before || err != nil && !source.IsSkip(err)) {
			t.Fatalf("Pending was true, but Next read %d times and returned %v", cr.n-before, err)
		}
		if cap(r.p.buf) > maxBuf {
			t.Fatalf("buffer grew to %d", cap(r.p.buf))
		}
		switch {
		case err == nil:
			out = append(out, fmt.Sprintf("rec %d.%09d %d %x", p.Sec, p.Nsec, p.WireLen, p.Data))
		case err == io.EOF:
			return append(out, "EOF")
		case source.IsSkip(err), errors.Is(err, ErrTruncated):
			out = append(out, err.Error())
		default:
			t.Fatalf("unexpected error kind: %v", err)
		}
	}
}

// FuzzReader feeds arbitrary bytes to the reader, whole and a byte at a
// time: it must not panic, must end, must keep its buffer bounded, and
// must give the same results however the input arrives.
func FuzzReader(f *testing.F) {
	for _, b := range fuzzSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		limit := len(data) + 3
		whole := readTrace(t, bytes.NewReader(data), limit, true)
		for _, o := range []struct {
			what string
			got  []string
		}{
			{"byte by byte", readTrace(t, iotest.OneByteReader(bytes.NewReader(data)), limit, true)},
			// Pending remembers what it judged for Next: without it
			// the results are the same.
			{"without Pending", readTrace(t, bytes.NewReader(data), limit, false)},
		} {
			if len(whole) != len(o.got) {
				t.Fatalf("whole input gave %d results, %s %d:\n%q\n%q", len(whole), o.what, len(o.got), whole, o.got)
			}
			for i := range whole {
				if whole[i] != o.got[i] {
					t.Fatalf("result %d: whole %q, %s %q", i, whole[i], o.what, o.got[i])
				}
			}
		}
	})
}
