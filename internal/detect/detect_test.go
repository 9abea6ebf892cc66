package detect

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"
)

// t0 is 2026-11-21T00:46:00Z.
var t0 = time.Date(2026, 11, 21, 0, 46, 0, 0, time.UTC).UnixNano()

func iface(name string) (b [16]byte) {
	copy(b[:15], name)
	return b
}

func probe(at time.Duration, src string, proto uint8, port uint16) *Probe {
	return &Probe{Time: t0 + int64(at), Kind: KindProbe, Src: netip.MustParseAddr(src),
		Proto: proto, Port: port, Rule: 7, Iface: iface("vtnet0")}
}

func mustNew(t testing.TB, c Config) *Detector {
	t.Helper()
	d, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// utcTS renders timestamps as the daemon does with TZ=UTC.
func utcTS(dst []byte, sec int64, nsec int32) []byte {
	return time.Unix(sec, int64(nsec)).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000-07:00")
}

// run feeds probes and returns the text of every decision (and Tick's).
func run(d *Detector, ps []*Probe) []string {
	var out []string
	for _, p := range ps {
		if dec := d.Observe(p); dec != nil {
			out = append(out, strings.TrimSuffix(string(dec.AppendText(nil, utcTS)), "\n"))
		}
	}
	return out
}

func scanners(out []string) []string {
	var s []string
	for _, l := range out {
		if i := strings.Index(l, "scan from "); i >= 0 {
			rest := l[i+len("scan from "):]
			s = append(s, rest[:strings.Index(rest, ": ")])
		}
	}
	return s
}

func TestScenarios(t *testing.T) {
	mail := []uint16{25, 465, 587, 110, 995, 143, 993}
	type scen struct {
		name  string
		ps    func() []*Probe
		want  []string // sources decided against, in order
		until time.Duration
	}
	cases := []scen{
		{"fast-privileged", func() (ps []*Probe) {
			for i := 0; i < 8; i++ {
				ps = append(ps, probe(time.Duration(i)*300*time.Millisecond, "203.0.113.40", 6, uint16(20+i)))
			}
			return
		}, []string{"203.0.113.40"}, 0},
		{"seven-privileged-fast-is-not-yet", func() (ps []*Probe) {
			for i := 0; i < 7; i++ {
				ps = append(ps, probe(time.Duration(i)*300*time.Millisecond, "203.0.113.40", 6, uint16(20+i)))
			}
			return
		}, nil, 0},
		{"fast-high-ports", func() (ps []*Probe) {
			for i := 0; i < 24; i++ {
				ps = append(ps, probe(time.Duration(i)*100*time.Millisecond, "203.0.113.41", 6, uint16(30000+i)))
			}
			return
		}, []string{"203.0.113.41"}, 0},
		{"slow-one-port-per-15s", func() (ps []*Probe) {
			for i := 0; i < 40; i++ {
				ps = append(ps, probe(time.Duration(i)*15*time.Second, "198.51.100.9", 6, uint16(2000+i*37)))
			}
			return
		}, []string{"198.51.100.9"}, 0},
		{"slow-udp-per-20s", func() (ps []*Probe) {
			for i := 0; i < 40; i++ {
				ps = append(ps, probe(time.Duration(i)*20*time.Second, "198.51.100.10", 17, uint16(100+i)))
			}
			return
		}, []string{"198.51.100.10"}, 0},
		{"icmp-echo-sweep", func() (ps []*Probe) {
			for i := 0; i < 30; i++ {
				ps = append(ps, probe(time.Duration(i)*time.Second, "198.51.100.11", 1, uint16(i*2477)))
			}
			return
		}, []string{"198.51.100.11"}, 0},
		{"sctp-dccp", func() (ps []*Probe) {
			for i := 0; i < 4; i++ {
				ps = append(ps, probe(time.Duration(i)*time.Second, "198.51.100.12", 132, uint16(i+1)))
				ps = append(ps, probe(time.Duration(i)*time.Second, "198.51.100.12", 33, uint16(i+1)))
			}
			return
		}, []string{"198.51.100.12"}, 0},
		{"nat-office-retrying-two-ports", func() (ps []*Probe) {
			for i := 0; i < 2400; i++ { // every 3 s for 2 hours
				ps = append(ps, probe(time.Duration(i)*3*time.Second, "192.0.2.77", 6, []uint16{143, 993}[i%2]))
			}
			return
		}, nil, 0},
		{"mail-autoconfig-retransmitted", func() (ps []*Probe) {
			for r := 0; r < 4; r++ {
				for j, port := range mail {
					ps = append(ps, probe(time.Duration(r)*3*time.Second+time.Duration(j)*10*time.Millisecond, "192.0.2.78", 6, port))
				}
			}
			return
		}, nil, 0},
		{"ipv6-single-address", func() (ps []*Probe) {
			for i := 0; i < 12; i++ {
				ps = append(ps, probe(time.Duration(i)*time.Second, "2001:db8:bad:7::5", 6, uint16(i+1)))
			}
			return
		}, []string{"2001:db8:bad:7::5"}, 0},
		{"ipv6-rotating-64", func() (ps []*Probe) {
			for i := 0; i < 60; i++ {
				a := fmt.Sprintf("2001:db8:bad:7:%x::1", i+1)
				ps = append(ps, probe(time.Duration(i)*2*time.Second, a, 6, uint16(1000+i)))
			}
			return
		}, []string{"2001:db8:bad:7::/64"}, 0},
		{"ipv6-neighbour-64s-apart", func() (ps []*Probe) {
			for i := 0; i < 40; i++ {
				a := fmt.Sprintf("2001:db8:bad:%x::1", i+1) // 40 different /64s, one port each
				ps = append(ps, probe(time.Duration(i)*time.Second, a, 6, uint16(1000+i)))
			}
			return
		}, nil, 0},
		{"mapped-and-compatible-never", func() (ps []*Probe) {
			for i := 0; i < 40; i++ {
				ps = append(ps, probe(time.Duration(i)*time.Second, "::ffff:192.0.2.99", 6, uint16(i+1)))
				ps = append(ps, probe(time.Duration(i)*time.Second, "::192.0.2.98", 6, uint16(i+1)))
				ps = append(ps, probe(time.Duration(i)*time.Second, "::ffff:0:192.0.2.97", 6, uint16(i+1)))
			}
			return
		}, nil, 0},
		{"bogus-v4-sources", func() (ps []*Probe) {
			for i := 0; i < 40; i++ {
				for _, a := range []string{"0.0.0.1", "127.0.0.1", "224.0.0.1", "255.255.255.255"} {
					ps = append(ps, probe(time.Duration(i)*time.Second, a, 6, uint16(i+1)))
				}
			}
			return
		}, nil, 0},
		{"link-local-is-per-address", func() (ps []*Probe) {
			for i := 0; i < 40; i++ {
				a := fmt.Sprintf("fe80::%x", i+1)
				ps = append(ps, probe(time.Duration(i)*time.Second, a, 6, uint16(i+1)))
			}
			return
		}, nil, 0},
		{"ipv6-address-then-its-64", func() (ps []*Probe) {
			for i := 0; i < 12; i++ {
				ps = append(ps, probe(time.Duration(i)*time.Second, "2001:db8:bad:7::5", 6, uint16(i+1)))
			}
			for i := 0; i < 12; i++ { // its neighbour, within the hold
				ps = append(ps, probe(time.Minute+time.Duration(i)*time.Second, "2001:db8:bad:7::6", 6, uint16(i+1)))
			}
			return
		}, []string{"2001:db8:bad:7::5", "2001:db8:bad:7::/64"}, 0},
		{"redecided-after-hold", func() (ps []*Probe) {
			for i := 0; i < 500; i++ { // a new port every 20 s for 2h46m
				ps = append(ps, probe(time.Duration(i)*20*time.Second, "203.0.113.50", 6, uint16(10000+i)))
			}
			return
		}, []string{"203.0.113.50", "203.0.113.50", "203.0.113.50"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := mustNew(t, DefaultConfig())
			out := run(d, c.ps())
			got := scanners(out)
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("decided %q, want %q\n%s", got, c.want, strings.Join(out, "\n"))
			}
			if st := d.Stats(); st.Decisions != uint64(len(c.want)) {
				t.Errorf("Stats.Decisions %d", st.Decisions)
			}
		})
	}
}

func TestDecisionLines(t *testing.T) {
	d := mustNew(t, DefaultConfig())
	var ps []*Probe
	// 10 tcp + 2 udp, high ports, one every 12 s: slow window.
	for i := 0; i < 30; i++ {
		proto := uint8(6)
		if i%5 == 4 {
			proto = 17
		}
		ps = append(ps, probe(time.Duration(i)*12*time.Second, "203.0.113.40", proto, uint16(5000+i)))
	}
	for i := 0; i < 14; i++ {
		a := fmt.Sprintf("2001:db8:bad:7::%x", i%5+1)
		ps = append(ps, probe(30*time.Minute+time.Duration(i)*time.Second/4, a, 6, uint16(1+i)))
	}
	got := run(d, ps)
	want := []string{
		"2026-11-21T00:51:48.000000+00:00 pfasciilogd: scan from 203.0.113.40: 30 ports (tcp 24, udp 6) in 5m48s, slow window, rule 7 on vtnet0",
		"2026-11-21T01:16:01.750000+00:00 pfasciilogd: scan from 2001:db8:bad:7::/64: 8 ports (tcp 8) from 5 addresses in 2s, fast window, rule 7 on vtnet0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDecisionJSON(t *testing.T) {
	o := Decision{Event: EventScan, At: t0 + 144e9, Source: netip.MustParsePrefix("2001:db8:bad:7::/64"),
		Addresses: 5, Ports: 12, Window: WindowSlow, First: t0, Last: t0 + 144e9, Rule: 7, Iface: iface(`a"b\c d`)}
	o.Protos[0], o.Protos[1], o.NProtos = ProtoCount{17, 2}, ProtoCount{6, 10}, 2
	b := o.AppendJSON(nil, utcTS)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	want := `{"timestamp":"2026-11-21T00:48:24.000000+00:00","event":"scan","source":"2001:db8:bad:7::/64","scope":"range","prefix_len":64,"addresses":5,"ports":12,"protocols":{"tcp":10,"udp":2},"window":"slow","first":"2026-11-21T00:46:00.000000+00:00","last":"2026-11-21T00:48:24.000000+00:00","duration_s":144,"rule":7,"interface":"a\"b\\c d"}` + "\n"
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	txt := string(o.AppendText(nil, utcTS))
	if !strings.HasSuffix(txt, `in 2m24s, slow window, rule 7 on a"b\\c\040d`+"\n") {
		t.Errorf("text %q", txt)
	}
	l := Decision{Event: EventLimit, At: t0, Limit: 60}
	if g := string(l.AppendText(nil, utcTS)); g != "2026-11-21T00:46:00.000000+00:00 pfasciilogd: decision limit reached: 60 new decisions this minute, further decisions wait for the next\n" {
		t.Errorf("limit line %q", g)
	}
	if g := string(l.AppendJSON(nil, utcTS)); g != `{"timestamp":"2026-11-21T00:46:00.000000+00:00","event":"decision_limit","limit":60}`+"\n" {
		t.Errorf("limit json %q", g)
	}
	if a := testing.AllocsPerRun(100, func() {
		b = o.AppendText(b[:0], utcTS)
		b = o.AppendJSON(b[:0], utcTS)
	}); a != 0 {
		t.Errorf("%v allocations per rendering", a)
	}
}

func TestDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 40 * time.Second: "40s", 144 * time.Second: "2m24s",
		time.Hour: "1h0m0s", 3*time.Hour + 5*time.Second: "3h0m5s", 1500 * time.Millisecond: "1s"} {
		d = d.Truncate(time.Second)
		if got := string(appendDuration(nil, d)); got != want || got != d.String() {
			t.Errorf("%v: %q want %q", d, got, want)
		}
	}
}

func TestNeverAgainstOurselves(t *testing.T) {
	c := DefaultConfig()
	c.Own = []netip.Prefix{netip.MustParsePrefix("198.51.100.1/32"), netip.MustParsePrefix("2001:db8:1:1::1/128")}
	c.Ignore = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	d := mustNew(t, c)
	var ps []*Probe
	out := &Probe{Time: t0, Kind: KindOwn, Src: netip.MustParseAddr("203.0.113.7")}
	out6 := &Probe{Time: t0, Kind: KindOwn, Src: netip.MustParseAddr("2001:db8:2:2::7")}
	ps = append(ps, out, out6)
	for i := 0; i < 40; i++ {
		at := time.Duration(i) * 100 * time.Millisecond
		for _, a := range []string{"198.51.100.1", "2001:db8:1:1::1", "192.0.2.5", "2001:db8:ffff:3::9", "203.0.113.7", "2001:db8:2:2::7"} {
			ps = append(ps, probe(at, a, 6, uint16(i+1)))
		}
		// Neighbours in the /64s that hold our own addresses: decided
		// against as single addresses, never as the /64.
		ps = append(ps, probe(at, fmt.Sprintf("2001:db8:1:1::%x", 100+i%3), 6, uint16(i+1)))
		ps = append(ps, probe(at, fmt.Sprintf("2001:db8:2:2::%x", 100+i%3), 6, uint16(i+1)))
	}
	got := scanners(run(d, ps))
	sort.Strings(got)
	want := "2001:db8:1:1::64 2001:db8:1:1::65 2001:db8:1:1::66 2001:db8:2:2::64 2001:db8:2:2::65 2001:db8:2:2::66"
	if strings.Join(got, " ") != want {
		t.Errorf("decided %v, want %s", got, want)
	}
	if st := d.Stats(); st.Ignored == 0 {
		t.Error("Stats.Ignored not counted")
	}
}

func TestAlwaysPrefixAndPrefix6(t *testing.T) {
	c := DefaultConfig()
	c.AlwaysPrefix = true
	c.Prefix6 = 56
	d := mustNew(t, c)
	var ps []*Probe
	for i := 0; i < 10; i++ {
		ps = append(ps, probe(time.Duration(i)*time.Second, "2001:db8:bad:7::5", 6, uint16(i+1)))
	}
	got := scanners(run(d, ps))
	if len(got) != 1 || got[0] != "2001:db8:bad::/56" {
		t.Errorf("decided %v, want the /56", got)
	}
}

func TestDecisionLimit(t *testing.T) {
	c := DefaultConfig()
	c.MaxPerMinute = 2
	d := mustNew(t, c)
	var ps []*Probe
	for i := 0; i < 8; i++ {
		for s := 0; s < 5; s++ {
			ps = append(ps, probe(time.Duration(i)*100*time.Millisecond, fmt.Sprintf("203.0.113.%d", s+1), 6, uint16(i+1)))
		}
	}
	out := run(d, ps)
	if len(out) != 3 || !strings.Contains(out[2], "pfasciilogd: decision limit reached: 2 ") || len(scanners(out)) != 2 {
		t.Fatalf("got\n%s", strings.Join(out, "\n"))
	}
	st := d.Stats()
	if st.Limited != 3 || st.LimitHits != 1 || st.Decisions != 2 {
		t.Errorf("stats %+v", st)
	}
	// The scanners went quiet; the next minutes' ticks decide them.
	var later []string
	for m := 1; m <= 3; m++ {
		d.Tick(t0+int64(m)*int64(time.Minute), func(o *Decision) {
			later = append(later, string(o.AppendMessage(nil)))
		})
	}
	if len(scanners(later)) != 3 || d.Stats().Decisions != 5 {
		t.Errorf("ticks decided\n%s", strings.Join(later, "\n"))
	}
}

func TestTickExpires(t *testing.T) {
	d := mustNew(t, DefaultConfig())
	run(d, []*Probe{probe(0, "203.0.113.1", 6, 1), probe(0, "203.0.113.1", 6, 2), probe(0, "203.0.113.2", 6, 1)})
	if st := d.Stats(); st.Entries != 1 || st.Probations != 1 {
		t.Fatalf("%+v", st)
	}
	d.Tick(t0+int64(30*time.Minute), func(*Decision) { t.Error("decision from Tick") })
	if st := d.Stats(); st.Entries != 1 || st.Probations != 1 {
		t.Fatalf("expired early: %+v", st)
	}
	for i := range 64 {
		d.Tick(t0+int64(61*time.Minute)+int64(i)*1e9, func(*Decision) { t.Error("decision from Tick") })
	}
	if st := d.Stats(); st.Entries != 0 || st.Probations != 0 {
		t.Fatalf("not expired: %+v", st)
	}
}

// TestSpoofedFloodCannotEvictScanner: a flood of one-off sources at
// 20,000 a second between a slow scanner's probes (one new port every
// 10 s) never makes the scanner lose its evidence: one-off sources never
// reach the protected table, however small it is; two-port spoofed
// sources evict each other first.
func TestSpoofedFloodCannotEvictScanner(t *testing.T) {
	for _, c := range []struct {
		name      string
		table     int
		twoPortEv int // every how many spoofed sources one sends a second port (0: never)
	}{
		{"one-off-flood-tiny-protected-table", 64, 0},
		{"one-off-and-two-port-flood-default-tables", 0, 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if c.table > 0 {
				cfg.TableSize = c.table
			}
			d := mustNew(t, cfg)
			decided := false
			n := 0
			// 30 ports decide; a probe whose probation slot was
			// overwritten before the next one came (a few per cent at
			// this rate) costs one port, hence up to 45 probes.
			for i := 0; i < 45 && !decided; i++ {
				at := time.Duration(i) * 10 * time.Second
				if dec := d.Observe(probe(at, "198.51.100.200", 6, uint16(3000+i))); dec != nil && dec.Event == EventScan {
					decided = dec.Source.Addr().String() == "198.51.100.200"
				}
				for j := 0; j < 200000; j++ {
					n++
					a := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
					at := at + time.Duration(j)*50*time.Microsecond
					d.Observe(&Probe{Time: t0 + int64(at), Kind: KindProbe, Src: a, Proto: 6, Port: 22})
					if c.twoPortEv > 0 && j%c.twoPortEv == 0 {
						d.Observe(&Probe{Time: t0 + int64(at), Kind: KindProbe, Src: a, Proto: 6, Port: 23})
					}
				}
			}
			st := d.Stats()
			if !decided {
				t.Errorf("the scanner was not decided; stats %+v", st)
			}
			if st.Probation == 0 || st.Entries > st.TableSize || st.Decisions != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestObserveAllocs(t *testing.T) {
	d := mustNew(t, DefaultConfig())
	i := 0
	ps := make([]Probe, 1024)
	for j := range ps {
		ps[j] = *probe(0, fmt.Sprintf("2001:db8:%x::%x", j%50, j), 6, uint16(j))
	}
	a := testing.AllocsPerRun(10000, func() {
		p := &ps[i%len(ps)]
		p.Time = t0 + int64(i)*1e6
		i++
		d.Observe(p)
	})
	if a != 0 {
		t.Errorf("%v allocations per record", a)
	}
}

func TestValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Fast.Threshold = 1 },
		func(c *Config) { c.Slow.Threshold = 33 },
		func(c *Config) { c.Slow.Span = 8 * 24 * time.Hour },
		func(c *Config) { c.Fast.Span = time.Millisecond },
		func(c *Config) { c.Prefix6 = 129 },
		func(c *Config) { c.MaxPerMinute = -1 },
		func(c *Config) { c.Hold = -time.Second },
		func(c *Config) { c.TableSize = 4 },
		func(c *Config) { c.Ignore = []netip.Prefix{{}} },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if _, err := New(c); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	d := mustNew(t, Config{})
	if got := d.Config(); got.Fast != DefaultConfig().Fast || got.TableSize != DefaultTableSize {
		t.Errorf("defaults not filled: %+v", got)
	}
}

func TestMemory(t *testing.T) {
	d := mustNew(t, DefaultConfig())
	st := d.Stats()
	t.Logf("entry %d B, probation entry %d B, default tables %d B (%.1f MiB)", EntryBytes, ProbationBytes, st.Bytes, float64(st.Bytes)/(1<<20))
	if st.Bytes > 12<<20 {
		t.Errorf("default tables take %d bytes", st.Bytes)
	}
}

// TestHeldDecisionKeepsItsEvidence: a decision the per-minute limit held
// back, made at the next minute by Tick or Flush, reports the ports that
// crossed the threshold, not the (by then empty) fast window.
func TestHeldDecisionKeepsItsEvidence(t *testing.T) {
	for _, flush := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.MaxPerMinute = 1
		d, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var got []Decision
		base := int64(600e9)
		for s, src := range []string{"198.51.100.1", "198.51.100.2"} {
			for i := range 8 {
				p := Probe{Time: base + int64(s)*1e9 + int64(i)*1e8, Kind: KindProbe, Src: netip.MustParseAddr(src), Proto: 6, Port: uint16(1 + i)}
				if dec := d.Observe(&p); dec != nil {
					got = append(got, *dec)
				}
			}
		}
		emit := func(dec *Decision) { got = append(got, *dec) }
		if flush {
			d.Flush(base+3e9, emit)
		} else {
			d.Tick(base+60e9, emit)
		}
		if len(got) != 3 || got[1].Event != EventLimit || got[2].Event != EventScan {
			t.Fatalf("flush %v: decisions %+v", flush, got)
		}
		if h := got[2]; h.Ports != 8 || h.At != base+60e9 || h.Source.String() != "198.51.100.2/32" {
			t.Fatalf("flush %v: held decision %+v", flush, h)
		}
	}
}
