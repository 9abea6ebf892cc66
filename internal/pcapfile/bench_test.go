package pcapfile

import (
	"io"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// loopReader yields head once, then body over and over, like a capture
// that never ends.
type loopReader struct {
	head, body []byte
	off        int
}

func (l *loopReader) Read(b []byte) (int, error) {
	if len(l.head) > 0 {
		n := copy(b, l.head)
		l.head = l.head[n:]
		return n, nil
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], l.body[l.off:])
		n += c
		l.off = (l.off + c) % len(l.body)
	}
	return n, nil
}

func benchReader(b *testing.B, file []byte, hdrLen int) {
	r, err := NewReader("bench", &loopReader{head: file[:hdrLen], body: file[hdrLen:]})
	if err != nil {
		b.Fatal(err)
	}
	var p source.Packet
	// warm up: let the buffer reach its steady size
	for range 10000 {
		if err := r.Next(&p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(file)-hdrLen) / 10000)
	b.ResetTimer()
	for range b.N {
		if err := r.Next(&p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReader reads pflogd-sized records (caplen up to 116) from a
// classic pcap; one op is one record.
func BenchmarkReader(b *testing.B) {
	recs := mkRecs(0, 10000, 108)
	file, _ := pcapFile(le, false, 116, LinkTypePFLOG, recs)
	benchReader(b, file, 24)
}

// BenchmarkReaderPcapNG is the same for pcapng.
func BenchmarkReaderPcapNG(b *testing.B) {
	recs := mkRecs(0, 10000, 108)
	file, ends := ngFile(le, false, LinkTypePFLOG, recs)
	benchReader(b, file, ends[0]-ngLen(len(recs[0].data)))
}

var _ io.Reader = (*loopReader)(nil)
