package detect

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// FuzzClassify feeds whole pflog records (header and packet) through the
// decoders and Classify: it must never panic, and a probe must carry the
// decoded source and only in-range facts.
func FuzzClassify(f *testing.F) {
	for _, c := range gen.Cases() {
		h := c.Record.Hdr
		if h.Layout == pflog.LayoutUnknown {
			af := uint8(pflog.AFInet)
			if len(c.Record.Packet) > 0 && c.Record.Packet[0]>>4 == 6 {
				af = pflog.AFInet6
			}
			h = gen.DefaultHeader(af)
		}
		rec := h.AppendEncoded(nil)
		rec = append(rec, c.Record.Packet...)
		if c.Record.Snap > 0 && c.Record.Snap < len(rec) {
			rec = rec[:c.Record.Snap]
		}
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		var h pflog.Header
		ip, err := pflog.Decode(rec, &h)
		if err != nil {
			return
		}
		var s packet.Summary
		packet.Decode(ip, len(ip), &s)
		var p Probe
		Classify(&p, 42, &h, &s)
		if p.Time != 42 {
			t.Fatal("time not carried")
		}
		switch p.Kind {
		case KindOther:
		case KindOwn:
			if h.Dir != pflog.DirOut {
				t.Fatal("own from a record that is not outbound")
			}
		case KindProbe:
			if h.Dir != pflog.DirIn || h.Action != pflog.ActionDrop {
				t.Fatalf("probe from action %d dir %d", h.Action, h.Dir)
			}
			if p.Src != s.Src || !p.Src.IsValid() {
				t.Fatalf("probe source %v, decoded %v", p.Src, s.Src)
			}
			if p.Proto == packet.ProtoTCP && !p.Cut && s.TCPFlags&(packet.TCPAck|packet.TCPRst) != 0 {
				t.Fatalf("TCP flags %#x counted", s.TCPFlags)
			}
			if p.Cut && (p.Port >= CutMaxPort) {
				t.Fatalf("cut record to port %d counted", p.Port)
			}
		default:
			t.Fatalf("kind %d", p.Kind)
		}
	})
}

// FuzzDetector drives a small detector with probes built from the input
// (8 bytes each: time step, source selector, protocol, port, kind) and
// checks what it decides: never a bogus, own or ignored source, never an
// IPv4 decision from an IPv6 source, the table bounded, every rendering
// parseable, the victim choice the one the reference makes from the
// entries (see checkSlots).
func FuzzDetector(f *testing.F) {
	f.Add(bytes.Repeat([]byte{1, 0, 6, 0, 1, 0, 0, 1}, 40))
	f.Add([]byte{0, 3, 6, 0, 22, 1, 0, 0, 0, 4, 17, 0, 53, 1, 0, 0, 200, 5, 58, 1, 0, 0, 0, 0})
	srcs := []string{
		"203.0.113.1", "203.0.113.2", "2001:db8:bad:7::1", "2001:db8:bad:7::2", "2001:db8:bad:8::1",
		"::ffff:192.0.2.99", "::192.0.2.98", "fe80::1", "198.51.100.1", "2001:db8:1:1::9", "192.0.2.5",
		"127.0.0.1", "ff02::1", "::", "224.0.0.9", "2001:db8:1:1::1",
	}
	addrs := make([]netip.Addr, len(srcs))
	for i, s := range srcs {
		addrs[i] = netip.MustParseAddr(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := DefaultConfig()
		c.TableSize, c.ProbationSize, c.MaxPerMinute = 8, 8, 3
		c.Fast.Threshold, c.Slow.Threshold = 4, 6
		c.Own = []netip.Prefix{netip.MustParsePrefix("198.51.100.1/32"), netip.MustParsePrefix("2001:db8:1:1::1/128")}
		c.Ignore = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
		d := mustNew(t, c)
		now := t0
		var buf []byte
		check := func(o *Decision) {
			if o.Event == EventLimit {
				return
			}
			if o.Event != EventScan {
				t.Fatalf("event %d", o.Event)
			}
			a := o.Source.Addr()
			k := addrKey(a)
			if bogus(&k) || inList(c.Own, a) || inList(c.Ignore, a) {
				t.Fatalf("decided against %v", o.Source)
			}
			if o.Source.Contains(netip.MustParseAddr("2001:db8:1:1::1")) {
				t.Fatalf("decided against a network holding our own address: %v", o.Source)
			}
			buf = o.AppendText(buf[:0], utcTS)
			line := string(buf)
			i := strings.Index(line, "scan from ")
			rest := line[i+len("scan from "):]
			if got := rest[:strings.Index(rest, ": ")]; got != string(o.AppendSource(nil)) {
				t.Fatalf("line names %q: %s", got, line)
			}
		}
		for len(in) >= 8 {
			r := in[:8]
			in = in[8:]
			now += int64(binary.BigEndian.Uint16(r[0:])) * 1e7
			p := Probe{Time: now, Src: addrs[int(r[2])%len(addrs)], Proto: r[3], Port: binary.BigEndian.Uint16(r[4:]), Rule: uint32(r[7])}
			switch r[6] % 4 {
			case 0, 1:
				p.Kind = KindProbe
			case 2:
				p.Kind = KindOwn
			}
			if r[6]&0x80 != 0 {
				// Derive a v6 address of the /64 from the input.
				b := netip.MustParseAddr("2001:db8:bad:7::").As16()
				b[15], b[14] = r[5], r[1]
				p.Src = netip.AddrFrom16(b)
			}
			if o := d.Observe(&p); o != nil {
				check(o)
			}
			if r[6]&0x40 != 0 {
				d.Tick(now, check)
			}
			if st := d.Stats(); st.Entries > st.TableSize {
				t.Fatalf("table over capacity: %+v", st)
			}
			// The side slots match the entries, and the victim choice is
			// the reference's (the one made from the entries), now and
			// once holds and windows have ended.
			checkSlots(t, d, nil, d.now, d.now+int64(c.Hold)+1, d.now+int64(c.Slow.Span)+1)
		}
		// The incremental counts agree with the tables.
		ne, np := 0, 0
		for i := range d.tags {
			if d.tags[i] != 0 {
				ne++
			}
		}
		for i := range d.ptab {
			if d.ptab[i].fp != 0 {
				np++
			}
		}
		if st := d.Stats(); st.Entries != ne || st.Probations != np {
			t.Fatalf("stats say %d/%d entries, tables hold %d/%d", st.Entries, st.Probations, ne, np)
		}
	})
}
