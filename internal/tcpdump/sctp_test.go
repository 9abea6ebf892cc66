package tcpdump

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

const sctpGolden = "testdata/sctp-dccp.golden"

// l4Variant is an SCTP or DCCP case in one IP family, cut to Cut bytes of
// the IP packet.
type l4Variant struct {
	Name string
	Pkt  []byte
	Cut  int
}

func (v l4Variant) label() string {
	if v.Cut == len(v.Pkt) {
		return v.Name
	}
	return v.Name + " cut=" + strconv.Itoa(v.Cut)
}

func (v l4Variant) ours() string { return string(AppendPacket(nil, v.Pkt[:v.Cut], len(v.Pkt))) }

// l4Packets returns every catalogue case over IPv4, IPv6 and IPv6 behind
// a destination options header.
func l4Packets() []l4Variant {
	var vs []l4Variant
	for _, c := range gen.SCTPDCCPCases() {
		vs = append(vs,
			l4Variant{Name: "ip4/" + c.Name, Pkt: gen.IPv4(c.Proto, c.Payload)},
			l4Variant{Name: "ip6/" + c.Name, Pkt: gen.IPv6(c.Proto, c.Payload)},
			l4Variant{Name: "ip6-dstopt/" + c.Name, Pkt: gen.IPv6(60, append([]byte{c.Proto, 0, 1, 4, 0, 0, 0, 0}, c.Payload...))})
	}
	return vs
}

// l4Variants returns every packet whole and cut at every length past the
// IP header.
func l4Variants() []l4Variant {
	var vs []l4Variant
	for _, v := range l4Packets() {
		hl := 20
		if v.Pkt[0]>>4 == 6 {
			hl = 40
		}
		for cut := hl; cut <= len(v.Pkt); cut++ {
			vs = append(vs, l4Variant{Name: v.Name, Pkt: v.Pkt, Cut: cut})
		}
	}
	return vs
}

func sctpGoldenText() []byte {
	var buf bytes.Buffer
	prev := ""
	for _, v := range l4Variants() {
		o := v.ours()
		if v.Cut == len(v.Pkt) || o != prev {
			buf.WriteString(v.label() + "\n\t" + o + "\n")
		}
		prev = o
		if v.Cut == len(v.Pkt) {
			prev = ""
		}
	}
	return buf.Bytes()
}

func TestSCTPDCCPGolden(t *testing.T) {
	got := sctpGoldenText()
	if testtool.Update() {
		if err := os.WriteFile(sctpGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(sctpGolden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestSCTPDCCPGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s line %d:\n got %q\nwant %q", sctpGolden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: %d lines, want %d", sctpGolden, len(gl), len(wl))
	}
}

// TestSCTPDCCPTcpdump checks every case, whole and cut at every length,
// against the first line the installed tcpdump prints for it.
func TestSCTPDCCPTcpdump(t *testing.T) {
	tcpdump := testtool.Need(t, "tcpdump", "tcpdump")
	vs := l4Variants()
	path := filepath.Join(t.TempDir(), "sctp.pcap")
	var recs []*gen.Record
	for i, v := range vs {
		af := uint8(pflog.AFInet)
		if v.Pkt[0]>>4 == 6 {
			af = pflog.AFInet6
		}
		h := gen.DefaultHeader(af)
		r := &gen.Record{Sec: int64(1700000000 + i), Hdr: h, Packet: v.Pkt}
		if v.Cut < len(v.Pkt) {
			r.Snap = len(h.AppendEncoded(nil)) + v.Cut
		}
		recs = append(recs, r)
	}
	if err := gen.WriteFile(path, 0, recs...); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tcpdump, "-n", "-e", "-S", "-t", "-r", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, stderr.String())
	}
	var firsts []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "rule ") {
			firsts = append(firsts, l)
		}
	}
	if len(firsts) != len(vs) {
		t.Fatalf("tcpdump printed %d records, want %d", len(firsts), len(vs))
	}
	t.Logf("%d variants checked against tcpdump", len(vs))
	fails := 0
	const onIf = "on vtnet0: "
	for i, v := range vs {
		k := strings.Index(firsts[i], onIf)
		if k < 0 {
			t.Fatalf("%s: no %q in %q", v.label(), onIf, firsts[i])
		}
		if got, want := v.ours(), firsts[i][k+len(onIf):]; got != want {
			t.Errorf("%s [%x]:\n got %q\nwant %q", v.label(), v.Pkt[:v.Cut], got, want)
			if fails++; fails > 30 {
				t.Fatal("too many differences")
			}
		}
	}
}

func TestSCTPDCCPNoAllocs(t *testing.T) {
	vs := l4Variants()
	buf := make([]byte, 0, 4096)
	if a := testing.AllocsPerRun(3, func() {
		for _, v := range vs {
			buf = AppendPacket(buf[:0], v.Pkt[:v.Cut], len(v.Pkt))
		}
	}); a != 0 {
		t.Fatalf("%v allocations per run of %d packets, want 0", a, len(vs))
	}
}

// FuzzAppendSCTPDCCP feeds SCTP and DCCP payloads under an IPv4 or IPv6
// header; the text must name the header's source first and stay one
// printable line.
func FuzzAppendSCTPDCCP(f *testing.F) {
	for _, c := range gen.SCTPDCCPCases() {
		f.Add(c.Proto, false, c.Payload, len(c.Payload))
		f.Add(c.Proto, true, c.Payload, len(c.Payload)/2)
	}
	f.Fuzz(func(t *testing.T, proto byte, v6 bool, payload []byte, cut int) {
		if proto&1 == 0 {
			proto = 132
		} else {
			proto = 33
		}
		pkt := gen.IPv4(proto, payload)
		if v6 {
			pkt = gen.IPv6(proto, payload)
		}
		if cut < 0 || cut > len(pkt) {
			cut = len(pkt)
		}
		out := AppendPacket([]byte("x"), pkt[:cut], len(pkt))
		if out[0] != 'x' {
			t.Fatal("overwrote dst")
		}
		for _, c := range out[1:] {
			if c < 0x20 || c >= 0x7f {
				t.Fatalf("unprintable byte %#x in %q", c, out)
			}
		}
		src := "192.0.2.10."
		if v6 {
			src = "2001:db8::10."
		}
		if s := string(out[1:]); !strings.HasPrefix(s, src) && !strings.HasPrefix(s, " [|") && !strings.HasPrefix(s, "truncated-") {
			t.Fatalf("text does not start with the source: %q", s)
		}
	})
}
