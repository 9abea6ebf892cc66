package synth

import (
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/format"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/stage"
)

// corpus returns n records of a mix as the daemon sees them.
func corpus(b *testing.B, mix Mix, n int) []source.Packet {
	var pkts []source.Packet
	err := Records(Options{N: n, Seed: 9, Snap: 116, Mix: mix, Start: time.Unix(1763689693, 0)}, func(r *gen.Record) error {
		rec := gen.Encode(nil, r)[16:]
		wire := len(r.Packet) + pflog.HeaderSize(rec[0])
		pkts = append(pkts, source.Packet{Sec: r.Sec, Nsec: int32(r.Nsec), WireLen: wire, Data: rec})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return pkts
}

// BenchmarkDecodeFormat is what the daemon does per record of the
// realistic mix, without I/O: pflog.Decode and the text formatter. Profile
// it with -cpuprofile to see where the time goes.
func BenchmarkDecodeFormat(b *testing.B) {
	benchPipeline(b, Realistic, false)
}

// BenchmarkDecodeFlood adds flood control (the stage: packet summary,
// ClassOf, Allow) on the flood mix, writing only what it allows.
func BenchmarkDecodeFlood(b *testing.B) {
	benchPipeline(b, Flood, true)
}

type discard struct{}

func (discard) Emit(*record.Event) {}

func benchPipeline(b *testing.B, mix Mix, limit bool) {
	pkts := corpus(b, mix, 100000)
	f := format.NewText(time.UTC)
	var hdr pflog.Header
	var pkt source.Packet
	var fl *stage.Flood
	if limit {
		fl = stage.NewFlood(flood.Config{MaxPerSource: 20, Window: 2 * time.Minute})
	}
	rec := record.Record{Pkt: &pkt, Hdr: &hdr}
	buf := make([]byte, 0, 256<<10)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pkt = pkts[i%len(pkts)]
		pkt.Sec += int64(i/len(pkts)) * 3600
		if err := rec.Decode(); err != nil {
			b.Fatal(err)
		}
		if fl != nil && !fl.Record(&rec, false, discard{}) {
			continue
		}
		buf = f.Append(buf, &rec)
		if len(buf) > 128<<10 {
			buf = buf[:0]
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
