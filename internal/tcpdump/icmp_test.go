package tcpdump

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

const icmpGolden = "testdata/icmp.golden"

// icmpVariant is a case cut to Cut captured message bytes.
type icmpVariant struct {
	C   icmpCase
	Msg []byte // with checksum, whole
	Cut int
}

func (v icmpVariant) label() string {
	fam := "icmp "
	if v.C.V6 {
		fam = "icmp6 "
	}
	if v.Cut == len(v.Msg) {
		return fam + v.C.Name
	}
	return fam + v.C.Name + " cut=" + strconv.Itoa(v.Cut)
}

// ours returns our text for the variant, calling the printers directly.
func (v icmpVariant) ours() string {
	if v.C.V6 {
		return string(appendICMP6(nil, v.Msg[:v.Cut], len(v.Msg)))
	}
	return string(appendICMP(nil, v.Msg[:v.Cut], len(v.Msg)))
}

// icmpVariants returns every case whole and cut at every length.
func icmpVariants() []icmpVariant {
	var vs []icmpVariant
	for _, c := range icmpCases() {
		msg := icmpChecksum(c)
		for cut := 0; cut <= len(msg); cut++ {
			vs = append(vs, icmpVariant{C: c, Msg: msg, Cut: cut})
		}
	}
	return vs
}

// goldenText lists each case whole, then each cut at which its text
// changes (the first length of every run of equal texts).
func goldenText() []byte {
	var buf bytes.Buffer
	vs := icmpVariants()
	for i := 0; i < len(vs); {
		j := i
		for j < len(vs) && vs[j].C.Name == vs[i].C.Name && vs[j].C.V6 == vs[i].C.V6 {
			j++
		}
		whole := vs[j-1]
		buf.WriteString(whole.label() + " [" + hex.EncodeToString(whole.Msg) + "]\n\t" + whole.ours() + "\n")
		prev := ""
		for _, v := range vs[i : j-1] {
			if o := v.ours(); o != prev {
				buf.WriteString(v.label() + "\n\t" + o + "\n")
				prev = o
			}
		}
		i = j
	}
	return buf.Bytes()
}

func TestICMPGolden(t *testing.T) {
	got := goldenText()
	if testtool.Update() {
		if err := os.WriteFile(icmpGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		writeICMPSeeds(t)
		return
	}
	want, err := os.ReadFile(icmpGolden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestICMPGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s line %d:\n got %q\nwant %q", icmpGolden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: %d lines, want %d", icmpGolden, len(gl), len(wl))
	}
}

// tcpdumpRecord is what tcpdump printed for one record: its first line
// and any continuation lines (hex dumps).
type tcpdumpRecord struct {
	first string
	more  []string
}

// runTcpdump writes the variants as pflog records, snapped after Cut
// message bytes, and returns tcpdump -n -e -S -t's output per record.
func runTcpdump(t *testing.T, tcpdump string, vs []icmpVariant) []tcpdumpRecord {
	t.Helper()
	path := filepath.Join(t.TempDir(), "icmp.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := gen.NewWriter(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		pkt, hl := icmpPacket(v.C)
		af := uint8(pflog.AFInet)
		if v.C.V6 {
			af = pflog.AFInet6
		}
		hdr := gen.DefaultHeader(af)
		hlen := len(hdr.AppendEncoded(nil))
		r := &gen.Record{Sec: int64(1700000000 + i), Hdr: hdr, Packet: pkt}
		if v.Cut < len(v.Msg) {
			r.Snap = hlen + hl + v.Cut
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tcpdump, "-n", "-e", "-S", "-t", "-r", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, stderr.String())
	}
	var recs []tcpdumpRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "rule ") || len(recs) == 0 {
			recs = append(recs, tcpdumpRecord{first: line})
			continue
		}
		recs[len(recs)-1].more = append(recs[len(recs)-1].more, line)
	}
	if len(recs) != len(vs) {
		t.Fatalf("tcpdump printed %d records, want %d", len(recs), len(vs))
	}
	return recs
}

// TestICMPTcpdump checks every case, whole and cut at every length,
// against the installed tcpdump.
func TestICMPTcpdump(t *testing.T) {
	tcpdump := testtool.Need(t, "tcpdump", "tcpdump")
	vs := icmpVariants()
	compareTcpdump(t, vs, runTcpdump(t, tcpdump, vs))
}

// TestICMPTcpdumpMutations is a differential fuzz run with a fixed seed:
// the catalogue's messages with random bytes changed, cut at random
// lengths, each compared with what tcpdump prints for it.
func TestICMPTcpdumpMutations(t *testing.T) {
	tcpdump := testtool.Need(t, "tcpdump", "tcpdump")
	rng := rand.New(rand.NewPCG(1, 2))
	var vs []icmpVariant
	for _, c := range icmpCases() {
		for i := 0; i < 40; i++ {
			m := append([]byte(nil), c.Msg...)
			for n := rng.IntN(4); n >= 0 && len(m) > 0; n-- {
				k := rng.IntN(len(m))
				if k == 0 && rng.IntN(4) != 0 {
					continue // mostly keep the type
				}
				m[k] = byte(rng.Uint32())
			}
			if rng.IntN(3) == 0 {
				m = append(m, make([]byte, rng.IntN(40))...)
			}
			mc := icmpCase{Name: c.Name + "~" + strconv.Itoa(i), V6: c.V6, Msg: m}
			msg := icmpChecksum(mc)
			vs = append(vs, icmpVariant{C: mc, Msg: msg, Cut: rng.IntN(len(msg) + 1)})
			vs = append(vs, icmpVariant{C: mc, Msg: msg, Cut: len(msg)})
		}
	}
	compareTcpdump(t, vs, runTcpdump(t, tcpdump, vs))
}

// compareTcpdump compares, per variant, the printers alone with the text
// after "SRC > DST: " and AppendPacket with everything after the pflog
// part.
func compareTcpdump(t *testing.T, vs []icmpVariant, recs []tcpdumpRecord) {
	t.Helper()
	t.Logf("%d variants checked against tcpdump", len(vs))
	if runtime.GOOS == "linux" {
		// tcpdump cuts long ICMP texts to its buffer, which is sized by
		// the C library's MAXHOSTNAMELEN (64 on Linux, 256 on FreeBSD).
		defer func(n int) { icmpWhatMax = n }(icmpWhatMax)
		icmpWhatMax = 64 + 100 - 1
	}
	fails := 0
	for i, v := range vs {
		line := recs[i].first
		if got, want := v.ours(), icmpPart(line, v.C.V6); got != want {
			t.Errorf("%s [%x] (length %d):\n got %q\nwant %q", v.label(), v.Msg[:v.Cut], len(v.Msg), got, want)
			fails++
		}
		pkt, hl := icmpPacket(v.C)
		onIf := "on vtnet0: "
		k := strings.Index(line, onIf)
		if k < 0 {
			t.Fatalf("%s: no %q in tcpdump's line %q", v.label(), onIf, line)
		}
		if got, want := string(AppendPacket(nil, pkt[:hl+v.Cut], len(pkt))), line[k+len(onIf):]; got != want {
			t.Errorf("%s AppendPacket:\n got %q\nwant %q", v.label(), got, want)
			fails++
		}
		if fails > 40 {
			t.Fatal("too many differences")
		}
	}
}

// icmpPart returns the text after "SRC > DST: " in a tcpdump line.
func icmpPart(line string, v6 bool) string {
	sep := icmpTestSrc4.String() + " > " + icmpTestDst4.String() + ": "
	if v6 {
		sep = icmpTestSrc6.String() + " > " + icmpTestDst6.String() + ": "
	}
	k := strings.Index(line, sep)
	if k < 0 {
		return "NO " + sep + " IN " + line
	}
	return line[k+len(sep):]
}

func TestICMPNoAllocs(t *testing.T) {
	vs := icmpVariants()
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(3, func() {
		for _, v := range vs {
			if v.C.V6 {
				buf = appendICMP6(buf[:0], v.Msg[:v.Cut], len(v.Msg))
			} else {
				buf = appendICMP(buf[:0], v.Msg[:v.Cut], len(v.Msg))
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run of %d messages, want 0", allocs, len(vs))
	}
}

// TestICMPOddLengths calls the printers with lengths that disagree with
// the captured bytes, which the IP printer may pass on from a lying header.
func TestICMPOddLengths(t *testing.T) {
	for _, c := range icmpCases() {
		msg := icmpChecksum(c)
		for _, l := range []int{-1, 0, 1, 3, 8, len(msg) - 1, len(msg) + 1, 1 << 20} {
			out := appendICMP(nil, msg, l)
			out6 := appendICMP6(nil, msg, l)
			checkICMPText(t, out)
			checkICMPText(t, out6)
		}
	}
	if got := string(appendICMP6(nil, nil, 0)); got != "ICMP6, length 0 (invalid)" {
		t.Errorf("empty ICMPv6: %q", got)
	}
	if got := string(appendICMP(nil, []byte{8, 0, 0, 0, 0, 1, 0, 2}, 4)); got != " [|icmp]" {
		t.Errorf("ICMP longer than its length: %q", got)
	}
}

// checkICMPText fails on output a log line must not contain.
func checkICMPText(t testing.TB, out []byte) {
	t.Helper()
	for _, c := range out {
		if c < 0x20 || c >= 0x7f {
			t.Fatalf("unprintable byte %#x in %q", c, out)
		}
	}
}

func FuzzAppendICMP(f *testing.F) {
	for _, c := range icmpCases() {
		if !c.V6 {
			f.Add(icmpChecksum(c), len(c.Msg))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, length int) {
		out := appendICMP([]byte("x"), b, length)
		if string(out[:1]) != "x" {
			t.Fatal("overwrote dst")
		}
		checkICMPText(t, out)
		if !bytes.HasPrefix(out[1:], []byte("ICMP ")) && string(out[1:]) != " [|icmp]" {
			t.Fatalf("odd text %q", out)
		}
	})
}

func FuzzAppendICMP6(f *testing.F) {
	for _, c := range icmpCases() {
		if c.V6 {
			f.Add(icmpChecksum(c), len(c.Msg))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, length int) {
		out := appendICMP6([]byte("x"), b, length)
		if string(out[:1]) != "x" {
			t.Fatal("overwrote dst")
		}
		checkICMPText(t, out)
		if !bytes.HasPrefix(out[1:], []byte("ICMP6, ")) && string(out[1:]) != " [|icmp6]" {
			t.Fatalf("odd text %q", out)
		}
	})
}

// writeICMPSeeds writes the cases as checked-in seed corpora for the fuzz
// targets (go test -update).
func writeICMPSeeds(t *testing.T) {
	for _, c := range icmpCases() {
		dir := "testdata/fuzz/FuzzAppendICMP"
		if c.V6 {
			dir += "6"
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(icmpChecksum(c))) + ")\nint(" + strconv.Itoa(len(c.Msg)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, "seed-"+c.Name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var icmpSink []byte

func BenchmarkAppendICMP(b *testing.B) {
	for _, name := range []string{"echo-request", "unreach-port-tcp", "unreach-udp-code3", "tstamp-reply"} {
		c := findICMPCase(b, name, false)
		msg := icmpChecksum(c)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256)
			for i := 0; i < b.N; i++ {
				buf = appendICMP(buf[:0], msg, len(msg))
			}
			icmpSink = buf
		})
	}
	b.Run("snap116", func(b *testing.B) {
		msg := icmpChecksum(findICMPCase(b, "unreach-udp-code3", false))[:24]
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for i := 0; i < b.N; i++ {
			buf = appendICMP(buf[:0], msg, 36)
		}
		icmpSink = buf
	})
}

func BenchmarkAppendICMP6(b *testing.B) {
	for _, name := range []string{"echo-request", "neighbor-solicit", "unreach-port-tcp", "mldv2-report", "ni-reply-addrs"} {
		c := findICMPCase(b, name, true)
		msg := icmpChecksum(c)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256)
			for i := 0; i < b.N; i++ {
				buf = appendICMP6(buf[:0], msg, len(msg))
			}
			icmpSink = buf
		})
	}
}

func findICMPCase(tb testing.TB, name string, v6 bool) icmpCase {
	for _, c := range icmpCases() {
		if c.Name == name && c.V6 == v6 {
			return c
		}
	}
	tb.Fatalf("no case %s", name)
	return icmpCase{}
}
