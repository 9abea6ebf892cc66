package record

import (
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

// TestDecodeOnce: Decode finds the packet after the pflog header without
// copying, and Summary decodes it once, into the storage given.
func TestDecodeOnce(t *testing.T) {
	var c gen.Case
	for _, k := range gen.Cases() {
		if k.Record.Snap == 0 && len(k.Record.Packet) > 40 && k.Record.Packet[0] == 0x45 && k.Record.Packet[9] == 6 {
			c = k
			break
		}
	}
	data := gen.Encode(nil, &c.Record)[16:]
	pkt := source.Packet{Sec: 5, Nsec: 7, WireLen: len(data), Data: data}
	var h pflog.Header
	var sum packet.Summary
	r := Record{Pkt: &pkt, Hdr: &h}
	r.UseSummary(&sum)
	if err := r.Decode(); err != nil {
		t.Fatal(err)
	}
	if &r.IP[0] != &data[pflog.HeaderSize(h.Length)] || r.IPWireLen != len(c.Record.Packet) {
		t.Fatalf("IP is not the packet after the header in place (wire %d)", r.IPWireLen)
	}
	if s := r.Summary(); s != &sum || s.Version != 4 || s.Proto != packet.ProtoTCP {
		t.Fatalf("summary %+v", s)
	}
	sum.Proto = 99 // a second call must not decode again
	if r.Summary().Proto != 99 {
		t.Fatal("Summary decoded twice")
	}
	if err := r.Decode(); err != nil || r.Summary().Proto != packet.ProtoTCP {
		t.Fatal("a new Decode must forget the old summary")
	}
	if r.Time() != 5e9+7 {
		t.Fatalf("Time %d", r.Time())
	}
	pkt.Data = data[:10]
	if r.Decode() == nil || r.IP != nil {
		t.Fatal("a cut header must fail and leave no packet")
	}
}
