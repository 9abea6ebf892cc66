package detect

import (
	"net/netip"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// benchProbes builds n probes at 20,000 a second; oneOff of every 16
// come from one-off (spoofed) sources, the rest from 64 sources
// hammering one port each and 256 IPv6 /64s walking ports.
func benchProbes(n, oneOff int) []Probe {
	ps := make([]Probe, n)
	for i := range ps {
		p := &ps[i]
		p.Kind, p.Proto, p.Rule = KindProbe, 6, 1
		p.Time = t0 + int64(i)*50e3
		switch {
		case i%16 < oneOff:
			x := uint32(i) * 2654435761
			p.Src = netip.AddrFrom4([4]byte{10, byte(x >> 16), byte(x >> 8), byte(x)})
			p.Port = 22
		case i%2 == 0:
			p.Src = netip.AddrFrom4([4]byte{192, 0, 2, byte(i / 2 % 64)})
			p.Port = 993
		default:
			var b [16]byte
			b[0], b[1], b[7], b[15] = 0x20, 0x01, byte(i/2%256), byte(i)
			p.Src = netip.AddrFrom16(b)
			p.Port = uint16(i / 512)
		}
	}
	return ps
}

// BenchmarkObserve: "typical" is 1 in 16 records from a one-off source;
// "flood" is every record from a new one-off source, which costs a cache
// miss in the probation table (memory-bound: the figure depends on the
// machine's memory latency and load).
func BenchmarkObserve(b *testing.B) {
	for _, c := range []struct {
		name   string
		oneOff int
	}{{"typical", 1}, {"half-flood", 8}, {"flood", 16}} {
		b.Run(c.name, func(b *testing.B) {
			d, err := New(DefaultConfig())
			if err != nil {
				b.Fatal(err)
			}
			ps := benchProbes(1<<20, c.oneOff)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := &ps[i&(len(ps)-1)]
				if i&(len(ps)-1) == 0 && i > 0 {
					b.StopTimer()
					for j := range ps { // next round: later, and new one-off sources
						ps[j].Time += int64(len(ps)) * 50e3
						if ps[j].Src.Is4() && ps[j].Port == 22 {
							a := ps[j].Src.As4()
							a[1]++
							ps[j].Src = netip.AddrFrom4(a)
						}
					}
					b.StartTimer()
				}
				d.Observe(p)
			}
			b.ReportMetric(float64(d.Stats().Bytes), "table-bytes")
		})
	}
}

func BenchmarkClassify(b *testing.B) {
	pkt := gen.IPv6(0, cat([]byte{6, 0, 1, 4, 0, 0, 0, 0}, gen.TCPRaw(40000, 443, syn, nil, nil)))
	h := gen.DefaultHeader(pflog.AFInet6)
	var s packet.Summary
	packet.Decode(pkt, len(pkt), &s)
	var p Probe
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Classify(&p, int64(i), &h, &s)
	}
}

// BenchmarkObserveHot is the cost without cache misses: 256 sources, each
// walking its ports slowly, all in cache.
func BenchmarkObserveHot(b *testing.B) {
	d, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	ps := benchProbes(1<<10, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := &ps[i&(len(ps)-1)]
		p.Time += 50e3
		d.Observe(p)
	}
}
