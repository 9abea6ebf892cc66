package detect

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/packet"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// rec is one record for the record-level tests: a packet from src, at.
type rec struct {
	at     time.Duration
	src    string
	pkt    []byte
	snap   int
	pass   bool
	dir    uint8
	wantOK bool
}

// pipeline decodes, classifies and observes like the daemon's pipeline.
func pipeline(t *testing.T, d *Detector, rs []rec) []string {
	t.Helper()
	var out []string
	var s packet.Summary
	var p Probe
	for _, r := range rs {
		pkt := append([]byte(nil), r.pkt...)
		a := netip.MustParseAddr(r.src)
		af := uint8(pflog.AFInet)
		if pkt[0]>>4 == 6 {
			af = pflog.AFInet6
			copy(pkt[8:24], a.AsSlice())
		} else {
			copy(pkt[12:16], a.AsSlice())
		}
		h := gen.DefaultHeader(af)
		if r.pass {
			h.Action = pflog.ActionPass
		}
		if r.dir != 0 {
			h.Dir = r.dir
		}
		ip := pkt
		if r.snap > 0 {
			ip = ip[:r.snap]
		}
		packet.Decode(ip, len(pkt), &s)
		Classify(&p, t0+int64(r.at), &h, &s)
		if o := d.Observe(&p); o != nil {
			out = append(out, string(o.AppendMessage(nil)))
		}
	}
	return out
}

// TestRecordsNeverDecided: what the issue lists as never banned, from
// real packets through Classify, each far above the thresholds in number.
func TestRecordsNeverDecided(t *testing.T) {
	tcp := func(sp, dp uint16, fl byte) []byte { return gen.IPv4(6, gen.TCPRaw(sp, dp, fl, nil, nil)) }
	tcp6 := func(sp, dp uint16, fl byte) []byte { return gen.IPv6(6, gen.TCPRaw(sp, dp, fl, nil, nil)) }
	udp := func(sp, dp uint16) []byte { return gen.IPv4(17, gen.UDPRaw(sp, dp, []byte("x"))) }
	cases := map[string]func(i int) rec{
		"replies-to-our-connections": func(i int) rec { // SYN|ACK, ACK, PSH|ACK from remote services to our ephemeral ports
			return rec{src: "198.51.100.80", pkt: tcp([]uint16{443, 80, 22}[i%3], uint16(10000+i), []byte{0x12, 0x10, 0x18}[i%3])}
		},
		"late-fin-ack-rst-of-clients": func(i int) rec {
			return rec{src: "198.51.100.81", pkt: tcp(uint16(40000+i), []uint16{22, 25, 80, 443, 993, 995, 143, 110, 587, 465}[i%10], []byte{0x11, 0x04, 0x14, 0x10}[i%4])}
		},
		"dns-ntp-replies": func(i int) rec {
			return rec{src: "198.51.100.82", pkt: udp([]uint16{53, 123}[i%2], uint16(10000+i))}
		},
		"passes": func(i int) rec {
			return rec{src: "198.51.100.83", pkt: tcp(40000, uint16(i+1), 0x02), pass: true}
		},
		"our-own-outbound": func(i int) rec {
			return rec{src: "198.51.100.84", pkt: tcp(40000, uint16(i+1), 0x02), dir: pflog.DirOut}
		},
		"cut-replies-ipv6": func(i int) rec { // flags cut off: replies and late ACKs to high or reserved ports
			return rec{src: "2001:db8:cafe::1", pkt: tcp6([]uint16{443, 2049, 22}[i%3], uint16([]int{10000, 600, 40000}[i%3]+i), 0x10), snap: 44}
		},
		"mapped-source": func(i int) rec {
			return rec{src: "::ffff:192.0.2.99", pkt: tcp6(40000, uint16(i+1), 0x02)}
		},
		"nat-office-two-ports": func(i int) rec {
			return rec{src: "192.0.2.77", pkt: tcp(uint16(40000+i), []uint16{143, 993}[i%2], 0x02)}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			d := mustNew(t, DefaultConfig())
			var rs []rec
			for i := 0; i < 600; i++ {
				r := mk(i)
				r.at = time.Duration(i) * 500 * time.Millisecond
				rs = append(rs, r)
			}
			if out := pipeline(t, d, rs); len(out) != 0 {
				t.Errorf("decided:\n%s", strings.Join(out, "\n"))
			}
		})
	}
}

// TestRecordsDecided: scanners of every kind, from real packets.
func TestRecordsDecided(t *testing.T) {
	hbh := []byte{6, 0, 1, 4, 0, 0, 0, 0}
	cases := []struct {
		name string
		mk   func(i int) rec
		want string
	}{
		{"syn-scan", func(i int) rec {
			return rec{src: "203.0.113.60", pkt: gen.IPv4(6, gen.TCPRaw(40000, uint16(i+1), 0x02, nil, nil))}
		}, "scan from 203.0.113.60: 8 ports (tcp 8)"},
		{"ipv6-hbh-syn-scan", func(i int) rec {
			return rec{src: "2001:db8:bad::60", pkt: gen.IPv6(0, cat(hbh, gen.TCPRaw(40000, uint16(i+1), 0x02|0x40|0x80, nil, nil)))}
		}, "scan from 2001:db8:bad::60: 8 ports (tcp 8)"},
		{"ipv6-cut-syn-scan-pflogd-snaplen", func(i int) rec {
			return rec{src: "2001:db8:bad::61", pkt: gen.IPv6(6, gen.TCPRaw(40000, uint16(20+i), 0x02, nil, nil)), snap: 44}
		}, "scan from 2001:db8:bad::61: 8 ports (tcp 8)"},
		{"udp-scan", func(i int) rec {
			return rec{src: "203.0.113.61", pkt: gen.IPv4(17, gen.UDPRaw(40000, uint16(i+1), nil))}
		}, "scan from 203.0.113.61: 8 ports (udp 8)"},
		{"sctp-dccp-scan", func(i int) rec {
			if i%2 == 0 {
				return rec{src: "203.0.113.62", pkt: gen.IPv4(132, sctp(40000, uint16(i+1), 0, 1))}
			}
			return rec{src: "203.0.113.62", pkt: gen.IPv4(33, dccp(40000, uint16(i+1), 0))}
		}, "scan from 203.0.113.62: 8 ports (sctp 4, dccp 4)"},
		{"echo-sweep", func(i int) rec {
			p := gen.IPv4(1, []byte{8, 0, 0, 0, 0, 1, 0, 1})
			binary.BigEndian.PutUint16(p[18:], uint16(i+1))
			return rec{src: "203.0.113.63", pkt: p}
		}, "scan from 203.0.113.63: 24 ports (icmp 24)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := mustNew(t, DefaultConfig())
			var rs []rec
			for i := 0; i < 40; i++ {
				r := c.mk(i)
				r.at = time.Duration(i) * 100 * time.Millisecond
				rs = append(rs, r)
			}
			out := pipeline(t, d, rs)
			if len(out) != 1 || !strings.HasPrefix(out[0], "pfasciilogd: "+c.want+" in ") {
				t.Errorf("decided %q, want one %q", out, c.want)
			}
		})
	}
}
