package tcpdump

import (
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// casePacket returns the packet bytes (as captured) and wire length of a
// catalogue case.
func casePacket(tb testing.TB, name string) ([]byte, int) {
	tb.Helper()
	for _, c := range gen.Cases() {
		if c.Name != name {
			continue
		}
		r := c.Record
		ip := r.Packet
		if r.Snap > 0 {
			n := r.Snap - pflog.HeaderSize(r.Hdr.AppendEncoded(nil)[0])
			if n < len(ip) {
				ip = ip[:max(n, 0)]
			}
		}
		return ip, len(r.Packet)
	}
	tb.Fatalf("no case %q", name)
	return nil, 0
}

func BenchmarkAppendPacket(b *testing.B) {
	for _, name := range []string{
		"ip4/tcp/syn",
		"ip4/tcp/syn-full-opts/snap116",
		"ip4/tcp/rst-ack",
		"ip6/tcp/synack",
		"ip4/app/http-get",
		"ip4/udp/plain",
		"ip6/udp/dns-query",
		"ip6/ext/hbh-frag-udp",
		"ip4/proto/gre-ip4",
		"ip4/icmp/port-unreach",
		"ip6/icmp6/echo-reply",
	} {
		ip, wire := casePacket(b, name)
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				buf = AppendPacket(buf[:0], ip, wire)
			}
		})
	}
}

// TestAppendPacketNoAlloc checks that printing any catalogue packet does
// not allocate once the buffer is large enough.
func TestAppendPacketNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 4096)
	for _, c := range gen.Cases() {
		ip, wire := casePacket(t, c.Name)
		if n := testing.AllocsPerRun(10, func() { buf = AppendPacket(buf[:0], ip, wire) }); n != 0 {
			t.Errorf("%s: %v allocations", c.Name, n)
		}
	}
}

// FuzzAppendPacket feeds arbitrary packets to the printer: it must not
// panic, must only append, and must never print a newline.
func FuzzAppendPacket(f *testing.F) {
	for _, c := range gen.Cases() {
		f.Add(c.Record.Packet, len(c.Record.Packet))
	}
	f.Fuzz(func(t *testing.T, ip []byte, wire int) {
		prefix := []byte("x: ")
		out := AppendPacket(prefix, ip, wire)
		if string(out[:3]) != "x: " {
			t.Fatalf("prefix overwritten: %q", out)
		}
		for _, c := range out {
			if c == '\n' || c == '\r' {
				t.Fatalf("line break in output %q", out)
			}
		}
	})
}
