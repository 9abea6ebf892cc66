package flood

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
)

const sec = int64(time.Second)

var (
	srcA = []byte{192, 0, 2, 7}
	srcB = []byte{198, 51, 100, 1}
	src6 = []byte{0x20, 0x01, 0x0d, 0xb8, 15: 5}
)

type step struct {
	src   []byte
	class Class
	at    int64 // ns
	want  bool
}

func TestAllow(t *testing.T) {
	tests := []struct {
		name      string
		max       int
		window    time.Duration
		steps     []step
		summaries []string // after the steps and a Flush at the last time
	}{
		{
			name: "cap per source", max: 2, window: 10 * time.Second,
			steps: []step{
				{srcA, ClassTCPSyn, 1 * sec, true},
				{srcA, ClassTCPSyn, 2 * sec, true},
				{srcA, ClassTCPSyn, 3 * sec, false},
				{srcB, ClassTCPSyn, 3 * sec, true},
				{srcA, ClassTCPSyn, 4 * sec, false},
			},
			summaries: []string{"192.0.2.7 2"},
		},
		{
			name: "classes counted apart", max: 2, window: 10 * time.Second,
			steps: []step{
				{srcA, ClassOther, 1 * sec, true},
				{srcA, ClassOther, 1 * sec, true},
				{srcA, ClassOther, 1 * sec, false},
				{srcA, ClassTCPSyn, 2 * sec, true},
				{srcA, ClassTCPSyn, 2 * sec, true},
				{srcA, ClassTCPSyn, 2 * sec, false},
				{srcA, ClassUDP, 2 * sec, true},
			},
			summaries: []string{"192.0.2.7 2"},
		},
		{
			name: "new window after the old one ends", max: 1, window: 10 * time.Second,
			steps: []step{
				{srcA, ClassTCPSyn, 0, true},
				{srcA, ClassTCPSyn, 9 * sec, false},
				{srcA, ClassTCPSyn, 10 * sec, true},
				{srcA, ClassTCPSyn, 11 * sec, false},
				{srcA, ClassTCPSyn, 12 * sec, false},
			},
			summaries: []string{"192.0.2.7 1", "192.0.2.7 2"},
		},
		{
			name: "IPv6 and IPv4 kept apart", max: 1, window: time.Minute,
			steps: []step{
				{src6, ClassTCPSyn, 0, true},
				{src6[:4], ClassTCPSyn, 0, true},
				{src6, ClassTCPSyn, 0, false},
			},
			summaries: []string{"2001:db8::5 1"},
		},
		{
			name: "no address is never suppressed", max: 1, window: time.Minute,
			steps: []step{
				{nil, ClassTCPSyn, 0, true},
				{nil, ClassTCPSyn, 0, true},
				{srcA[:3], ClassTCPSyn, 0, true},
			},
		},
		{
			name: "clock going back a long way starts a new window", max: 1, window: 10 * time.Second,
			steps: []step{
				{srcA, ClassTCPSyn, 100 * sec, true},
				{srcA, ClassTCPSyn, 95 * sec, false},
				{srcA, ClassTCPSyn, 50 * sec, true},
			},
			summaries: []string{"192.0.2.7 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(Config{MaxPerSource: tt.max, Window: tt.window, TableSize: 64})
			var got []string
			emit := func(s *Summary) { got = append(got, fmt.Sprintf("%v %d", s.Source(), s.Suppressed)) }
			var last int64
			for i, s := range tt.steps {
				if ok := l.Allow(s.src, s.class, s.at); ok != s.want {
					t.Errorf("step %d: Allow = %v, want %v", i, ok, s.want)
				}
				l.Summaries(emit)
				last = s.at
			}
			l.Flush(last, emit)
			if strings.Join(got, ",") != strings.Join(tt.summaries, ",") {
				t.Errorf("summaries %q, want %q", got, tt.summaries)
			}
			st := l.Stats()
			if st.Allowed+st.Suppressed != uint64(len(tt.steps)) {
				t.Errorf("allowed %d + suppressed %d != %d records", st.Allowed, st.Suppressed, len(tt.steps))
			}
			if st.Summaries != uint64(len(tt.summaries)) {
				t.Errorf("Stats.Summaries = %d, want %d", st.Summaries, len(tt.summaries))
			}
		})
	}
}

func TestExpire(t *testing.T) {
	l := New(Config{MaxPerSource: 1, Window: 10 * time.Second})
	var got []Summary
	emit := func(s *Summary) { got = append(got, *s) }
	l.Allow(srcA, ClassTCPSyn, 1*sec)
	l.Allow(srcA, ClassTCPSyn, 2*sec)
	l.Allow(srcA, ClassTCPSyn, 3*sec)
	l.Allow(srcB, ClassTCPSyn, 5*sec)
	l.Allow(srcB, ClassTCPSyn, 5*sec)
	l.Expire(10*sec, emit)
	if len(got) != 0 {
		t.Fatalf("Expire before any window ended emitted %+v", got)
	}
	l.Expire(11*sec, emit)
	if len(got) != 1 || got[0].Source().String() != "192.0.2.7" || got[0].Suppressed != 2 || got[0].At != 11*sec || got[0].Start != 1*sec {
		t.Fatalf("Expire at 11s: %+v", got)
	}
	l.Expire(14*sec, emit)
	if len(got) != 1 {
		t.Fatalf("Expire at 14s emitted again: %+v", got)
	}
	l.Expire(15*sec, emit)
	if len(got) != 2 || got[1].Source().String() != "198.51.100.1" || got[1].Suppressed != 1 {
		t.Fatalf("Expire at 15s: %+v", got)
	}
	// After an Expire closed its window, the source starts a new one.
	if !l.Allow(srcA, ClassTCPSyn, 16*sec) {
		t.Error("first record after an expired window suppressed")
	}
	l.Flush(20*sec, emit)
	if len(got) != 2 {
		t.Errorf("Flush emitted a summary for a window without suppression: %+v", got[2:])
	}
}

func TestEvictionBounded(t *testing.T) {
	l := New(Config{MaxPerSource: 3, Window: time.Minute, TableSize: 64})
	rng := rand.New(rand.NewPCG(1, 2))
	var ip [4]byte
	var summed uint64
	emit := func(s *Summary) { summed += s.Suppressed }
	allocs := testing.AllocsPerRun(5, func() {
		for i := 0; i < 20000; i++ {
			binary.BigEndian.PutUint32(ip[:], rng.Uint32())
			l.Allow(ip[:], ClassTCPSyn, int64(i))
			if l.Pending() {
				l.Summaries(emit)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run of 20000 spoofed sources", allocs)
	}
	st := l.Stats()
	if st.Entries > 64 || st.TableSize != 64 {
		t.Errorf("table grew: %+v", st)
	}
	if st.Evictions == 0 {
		t.Errorf("no evictions counted: %+v", st)
	}
	if st.Suppressed != 0 {
		t.Errorf("one-off sources suppressed: %+v", st)
	}
}

// A scanner that is being capped keeps its entry while spoofed one-off
// sources churn through its bucket.
func TestScannerSurvivesSpoofedNoise(t *testing.T) {
	l := New(Config{MaxPerSource: 2, Window: time.Minute, TableSize: 8}) // one bucket
	for i := 0; i < 5; i++ {
		l.Allow(srcA, ClassTCPSyn, int64(i))
	}
	var ip [4]byte
	for i := 0; i < 1000; i++ {
		binary.BigEndian.PutUint32(ip[:], uint32(0x0a000000+i))
		l.Allow(ip[:], ClassUDP, int64(10+i))
	}
	if l.Allow(srcA, ClassTCPSyn, 2000) {
		t.Error("scanner's entry was evicted by one-off sources")
	}
	if l.Pending() {
		t.Error("summary emitted although the scanner kept its window")
	}
}

// Evicting a capped entry emits its summary: no count is lost.
func TestEvictionEmits(t *testing.T) {
	l := New(Config{MaxPerSource: 1, Window: time.Minute, TableSize: 8})
	var total uint64
	emit := func(s *Summary) { total += s.Suppressed }
	var ip [4]byte
	for i := 0; i < 100; i++ {
		binary.BigEndian.PutUint32(ip[:], uint32(i))
		l.Allow(ip[:], ClassTCPSyn, int64(i))
		l.Allow(ip[:], ClassTCPSyn, int64(i))
		l.Summaries(emit)
	}
	l.Flush(1000, emit)
	st := l.Stats()
	if total != 100 || st.Suppressed != 100 || st.Evictions != 92 {
		t.Errorf("summaries report %d suppressed; stats %+v", total, st)
	}
}

func TestPendingOverflowMerges(t *testing.T) {
	l := New(Config{MaxPerSource: 1, Window: time.Second, TableSize: 1024})
	var ip [4]byte
	for i := 0; i < 200; i++ {
		binary.BigEndian.PutUint32(ip[:], uint32(i))
		l.Allow(ip[:], ClassTCPSyn, 0)
		l.Allow(ip[:], ClassTCPSyn, 0)
	}
	for i := 0; i < 200; i++ { // every window ends lazily, nobody drains
		binary.BigEndian.PutUint32(ip[:], uint32(i))
		l.Allow(ip[:], ClassTCPSyn, 2*sec)
	}
	var n, total uint64
	var lines []string
	l.Summaries(func(s *Summary) {
		n++
		total += s.Suppressed
		lines = append(lines, string(AppendSummary(nil, s, fixedTS)))
	})
	if total != 200 || n != pendingMax+1 {
		t.Errorf("%d summaries with %d suppressed, want %d with 200", n, total, pendingMax+1)
	}
	if want := "suppressed 136 lines from 136 sources in 1s window\n"; !strings.HasSuffix(lines[len(lines)-1], want) {
		t.Errorf("overflow line %q, want suffix %q", lines[len(lines)-1], want)
	}
}

func fixedTS(dst []byte, sec int64, nsec int32) []byte {
	return fmt.Appendf(dst, "T%d.%06d", sec, nsec/1000)
}

func TestAppendSummary(t *testing.T) {
	tests := []struct {
		s    Summary
		want string
	}{
		{Summary{Addr: [16]byte{192, 0, 2, 7}, AddrLen: 4, Sources: 1, Suppressed: 1234, At: 1763689693748353000, Window: 10 * time.Second},
			"T1763689693.748353 pfasciilogd: suppressed 1234 lines from 192.0.2.7 in 10s window\n"},
		{Summary{Addr: [16]byte(src6), AddrLen: 16, Sources: 1, Suppressed: 1, At: 5, Window: 90 * time.Minute},
			"T0.000000 pfasciilogd: suppressed 1 lines from 2001:db8::5 in 1h30m0s window\n"},
		{Summary{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 1, 13: 2, 14: 3, 15: 4}, AddrLen: 16, Sources: 1, Suppressed: 7, At: 2e9, Window: 1500 * time.Millisecond},
			"T2.000000 pfasciilogd: suppressed 7 lines from ::ffff:1.2.3.4 in 1500ms window\n"},
	}
	for _, tt := range tests {
		if got := string(AppendSummary(nil, &tt.s, fixedTS)); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		name    string
		blockIn bool
		ip      []byte
		want    Class
	}{
		{"pass", false, ipv4(6, 0, tcpHdr(0x02)), ClassOther},
		{"syn", true, ipv4(6, 0, tcpHdr(0x02)), ClassTCPSyn},
		{"syn ece cwr", true, ipv4(6, 0, tcpHdr(0xc2)), ClassTCPSyn},
		{"fin syn", true, ipv4(6, 0, tcpHdr(0x03)), ClassTCPSyn},
		{"syn ack", true, ipv4(6, 0, tcpHdr(0x12)), ClassTCP},
		{"rst", true, ipv4(6, 0, tcpHdr(0x04)), ClassTCP},
		{"tcp cut before flags", true, ipv4(6, 0, tcpHdr(0x02)[:13]), ClassOpaque},
		{"tcp bad header length", true, ipv4(6, 0, append([]byte{}, tcpHdr(0x02)[:12]...)), ClassOpaque},
		{"tcp header length 16", true, ipv4(6, 0, badOff(tcpHdr(0x02))), ClassOpaque},
		// The printer prints "[|tcp]" for 14..19 bytes of TCP: no flags, no SYN.
		{"tcp syn with 14 header bytes", true, ipv4(6, 0, tcpHdr(0x02)[:14]), ClassOpaque},
		{"tcp syn with 19 header bytes", true, ipv4(6, 0, tcpHdr(0x02)[:19]), ClassOpaque},
		{"icmp echo request with 4 bytes", true, ipv4(1, 0, []byte{8, 0, 0, 0}), ClassOpaque},
		{"icmpv6 echo request with 4 bytes", true, ipv6(58, []byte{128, 0, 0, 0}), ClassOpaque},
		{"tcp data offset 4 is not udp", true, ipv4(6, 0, badOff(tcpHdr(0x00))), ClassOpaque},
		{"udp", true, ipv4(17, 0, make([]byte, 8)), ClassUDP},
		{"udp cut before ports", true, ipv4(17, 0, make([]byte, 3)), ClassOpaque},
		{"echo request", true, ipv4(1, 0, []byte{8, 0, 0, 0, 0, 1, 0, 1}), ClassEcho},
		{"echo reply", true, ipv4(1, 0, []byte{0, 0, 0, 0}), ClassICMP},
		{"unreachable", true, ipv4(1, 0, []byte{3, 3, 0, 0}), ClassICMP},
		{"sctp", true, ipv4(132, 0, make([]byte, 12)), ClassPorts},
		{"gre", true, ipv4(47, 0, make([]byte, 8)), ClassOpaque},
		{"later fragment", true, ipv4(6, 0x0010, tcpHdr(0x02)), ClassOpaque},
		{"first fragment", true, ipv4(6, 0x2000, tcpHdr(0x02)), ClassTCPSyn},
		{"ipv6 syn", true, ipv6(6, tcpHdr(0x02)), ClassTCPSyn},
		{"ipv6 udp", true, ipv6(17, make([]byte, 8)), ClassUDP},
		{"icmpv6 echo", true, ipv6(58, []byte{128, 0, 0, 0, 0, 1, 0, 1}), ClassEcho},
		{"icmpv6 nd", true, ipv6(58, []byte{135, 0}), ClassICMP},
		{"ipv6 hop-by-hop", true, ipv6(0, make([]byte, 16)), ClassOpaque},
		{"ipv6 hop-by-hop syn", true, ipv6(0, append([]byte{6, 0, 1, 4, 0, 0, 0, 0}, tcpHdr(0x02)...)), ClassTCPSyn},
		{"ipv6 dstopt syn", true, ipv6(60, append([]byte{6, 0, 1, 4, 0, 0, 0, 0}, tcpHdr(0x02)...)), ClassTCPSyn},
		{"ipv6 frag0 syn", true, ipv6(44, append([]byte{6, 0, 0, 1, 0, 0, 0, 42}, tcpHdr(0x02)...)), ClassTCPSyn},
		{"ipv6 hop-by-hop bad option syn", true, ipv6(0, append([]byte{6, 0, 0xc2, 2, 0, 0, 0, 0}, tcpHdr(0x02)...)), ClassOpaque},
		{"ipv6 routing type 9 syn", true, ipv6(43, append([]byte{6, 0, 9, 0, 0, 0, 0, 0}, tcpHdr(0x02)...)), ClassOpaque},
		{"sctp init", true, ipv4(132, 0, gen.SCTPRaw(1, 2, 0, gen.SCTPChunk(1, 0, gen.SCTPInit(1, 1, 1, 1, 1, nil)))), ClassTCPSyn},
		{"sctp init forces port", true, ipv4(132, 0, gen.SCTPRaw(6704, 2, 0, gen.SCTPChunk(1, 0, gen.SCTPInit(1, 1, 1, 1, 1, nil)))), ClassPorts},
		{"sctp abort", true, ipv4(132, 0, gen.SCTPRaw(1, 2, 0, gen.SCTPChunk(6, 0, nil))), ClassPorts},
		{"dccp request", true, ipv6(33, gen.DCCPRaw(1, 2, 0, true, 1, make([]byte, 4))), ClassTCPSyn},
		{"dccp request cut", true, ipv6(33, gen.DCCPRaw(1, 2, 0, true, 1, make([]byte, 4))[:18]), ClassPorts},
		{"dccp reset", true, ipv6(33, gen.DCCPRaw(1, 2, 7, true, 1, make([]byte, 12))), ClassPorts},
		{"ipv6 tcp cut", true, ipv6(6, nil), ClassOpaque},
		{"empty", true, nil, ClassOpaque},
		{"bad ihl", true, append([]byte{0x44}, ipv4(6, 0, tcpHdr(2))[1:]...), ClassOpaque},
		{"ipv4 options", true, ipv4opts(6, tcpHdr(0x02)), ClassTCPSyn},
	}
	for _, tt := range tests {
		if got := classOf(tt.blockIn, tt.ip); got != tt.want {
			t.Errorf("%s: ClassOf = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// classOf decodes ip the way the pipeline does and classifies it.
func classOf(blockIn bool, ip []byte) Class {
	var s packet.Summary
	packet.Decode(ip, len(ip), &s)
	return ClassOf(blockIn, &s)
}

func tcpHdr(flags byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], 40000)
	binary.BigEndian.PutUint16(h[2:], 22)
	h[12] = 5 << 4
	h[13] = flags
	return h
}

func badOff(h []byte) []byte {
	h[12] = 4 << 4
	return h
}

func ipv4(proto byte, frag uint16, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8] = 64
	h[9] = proto
	copy(h[12:], srcA)
	copy(h[16:], srcB)
	return append(h, payload...)
}

func ipv4opts(proto byte, payload []byte) []byte {
	h := ipv4(proto, 0, nil)
	h[0] = 0x46
	h = append(h, 1, 1, 1, 0) // NOP NOP NOP EOL
	return append(h, payload...)
}

func ipv6(next byte, payload []byte) []byte {
	h := make([]byte, 40, 40+len(payload))
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	copy(h[8:], src6)
	h[39] = 1
	return append(h, payload...)
}

func BenchmarkAllow(b *testing.B) {
	l := New(Config{MaxPerSource: 10, Window: time.Minute})
	srcs := make([][]byte, 256)
	for i := range srcs {
		srcs[i] = []byte{203, 0, 113, byte(i)}
	}
	pkt := ipv4(6, 0, tcpHdr(0x02))
	b.ReportAllocs()
	var sum packet.Summary
	for i := 0; b.Loop(); i++ {
		copy(pkt[12:16], srcs[i&255])
		packet.Decode(pkt, len(pkt), &sum)
		l.Allow(pkt[12:16], ClassOf(true, &sum), int64(i)*1000)
		if l.Pending() {
			l.Summaries(func(*Summary) {})
		}
	}
}

func BenchmarkAllowSpoofed(b *testing.B) {
	l := New(Config{MaxPerSource: 10, Window: time.Minute})
	var ip [4]byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint32(ip[:], uint32(i)*2654435761)
		l.Allow(ip[:], ClassTCPSyn, int64(i)*1000)
		if l.Pending() {
			l.Summaries(func(*Summary) {})
		}
	}
}

func BenchmarkAppendSummary(b *testing.B) {
	s := Summary{Addr: [16]byte(src6), AddrLen: 16, Sources: 1, Suppressed: 1234, At: 1763689693748353000, Window: 10 * time.Second}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendSummary(buf[:0], &s, fixedTSNoAlloc)
	}
}

func fixedTSNoAlloc(dst []byte, sec int64, nsec int32) []byte {
	return append(dst, "2026-11-21T01:48:13.748353+01:00"...)
}
