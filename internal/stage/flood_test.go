package stage

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/flood"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/record"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/tcpdump"
)

type events []record.Event

func (e *events) Emit(ev *record.Event) { *e = append(*e, *ev) }

// rec makes a decoded record of an inbound block of ip at capture time sec.
func rec(ip []byte, sec int64) *record.Record {
	h := &pflog.Header{Layout: pflog.LayoutFreeBSD, Length: pflog.LenFreeBSD, AF: pflog.AFInet,
		Action: pflog.ActionDrop, Dir: pflog.DirIn, SubRuleNr: pflog.NoAnchor, UID: pflog.NoUID}
	r := &record.Record{Pkt: &source.Packet{Sec: sec}, Hdr: h, IP: ip, IPWireLen: len(ip)}
	r.Reset()
	return r
}

func ipv4TCP(flags byte, tcpLen int) []byte {
	b := make([]byte, 20+20)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8], b[9] = 64, 6
	copy(b[12:], []byte{203, 0, 113, 9})
	copy(b[16:], []byte{192, 0, 2, 1})
	t := b[20:]
	binary.BigEndian.PutUint16(t, 40000)
	binary.BigEndian.PutUint16(t[2:], 22)
	t[12] = 5 << 4
	t[13] = flags
	return b[:20+tcpLen]
}

// TestShortSynsDoNotUseTheSynQuota: SYNs cut to 14..19 bytes of TCP (the
// printer prints "[|tcp]", no filter counts them) must not use up the
// quota of real SYNs, or a scanner hides behind them (issue 12).
func TestShortSynsDoNotUseTheSynQuota(t *testing.T) {
	f := NewFlood(flood.Config{MaxPerSource: 5, Window: time.Minute})
	var ev events
	for i := range 20 {
		ip := ipv4TCP(0x02, 14+i%6)
		if line := string(tcpdump.AppendPacket(nil, ip, len(ip))); line[len(line)-6:] != "[|tcp]" {
			t.Fatalf("the printer prints %q for %d TCP bytes", line, 14+i%6)
		}
		f.Record(rec(ip, 1000), false, &ev)
	}
	for i := range 5 {
		if !f.Record(rec(ipv4TCP(0x02, 20), 1000), false, &ev) {
			t.Fatalf("real SYN %d suppressed after 20 short ones", i+1)
		}
	}
	if f.Record(rec(ipv4TCP(0x02, 20), 1000), false, &ev) {
		t.Fatal("the sixth real SYN was written: the cap does not apply")
	}
	f.Flush(1001e9, &ev)
	if len(ev) != 1 || ev[0].Kind != record.KindFlood || ev[0].Flood.Suppressed != 1+15 {
		t.Fatalf("events %+v", ev)
	}
}

// TestFloodStageExpiresBeforeEachRecord: a window that ended is closed
// before the next record is counted, whatever batching the daemon does.
func TestFloodStageExpiresBeforeEachRecord(t *testing.T) {
	f := NewFlood(flood.Config{MaxPerSource: 1, Window: time.Second})
	var ev events
	f.Record(rec(ipv4TCP(0x02, 20), 100), false, &ev)
	f.Record(rec(ipv4TCP(0x02, 20), 100), false, &ev)
	if len(ev) != 0 {
		t.Fatalf("summary too early: %+v", ev)
	}
	// Another source's record after the window: the first source's
	// summary comes now, before it.
	other := ipv4TCP(0x02, 20)
	other[15] = 10
	f.Record(rec(other, 102), false, &ev)
	if len(ev) != 1 || ev[0].Flood.Suppressed != 1 || ev[0].Flood.At != 102e9 {
		t.Fatalf("events %+v", ev)
	}
	// Tick closes windows with no record at all.
	f.Record(rec(other, 102), false, &ev)
	f.Tick(104e9, &ev)
	if len(ev) != 2 || ev[1].Flood.At != 104e9 {
		t.Fatalf("tick: events %+v", ev)
	}
}

// FuzzFloodStage: any packet bytes through the stage (summary, class,
// limiter) never panic, and every suppressed record is reported once.
func FuzzFloodStage(f *testing.F) {
	f.Add(ipv4TCP(0x02, 20), uint8(3))
	f.Add(ipv4TCP(0x02, 14), uint8(1))
	f.Fuzz(func(t *testing.T, ip []byte, n uint8) {
		st := NewFlood(flood.Config{MaxPerSource: 1, Window: time.Minute, TableSize: 8})
		var ev events
		suppressed := 0
		for i := range int(n%16) + 1 {
			if !st.Record(rec(ip, int64(i)), false, &ev) {
				suppressed++
			}
		}
		st.Flush(100e9, &ev)
		var reported uint64
		for _, e := range ev {
			reported += e.Flood.Suppressed
		}
		if reported != uint64(suppressed) {
			t.Fatalf("suppressed %d, reported %d", suppressed, reported)
		}
	})
}
