package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// records counts the pcap records in a capture and checks their framing.
func records(t *testing.T, b []byte) int {
	t.Helper()
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(b[20:]) != 117 {
		t.Fatalf("bad pcap header % x", b[:min(len(b), 24)])
	}
	snap := binary.LittleEndian.Uint32(b[16:])
	n := 0
	for off := 24; off < len(b); n++ {
		if off+16 > len(b) {
			t.Fatalf("record %d: header cut at %d", n, off)
		}
		capLen := int(binary.LittleEndian.Uint32(b[off+8:]))
		wire := int(binary.LittleEndian.Uint32(b[off+12:]))
		if capLen > wire || (snap != 0 && capLen > int(snap)+44) {
			t.Fatalf("record %d: caplen %d wire %d snap %d", n, capLen, wire, snap)
		}
		off += 16 + capLen
		if off > len(b) {
			t.Fatalf("record %d: data cut", n)
		}
	}
	return n
}

func TestGenerateDeterministic(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, mix := range []Mix{Realistic, Flood, Sample} {
		var a, b bytes.Buffer
		o := Options{N: 5000, Seed: 7, Snap: 116, Mix: mix, Start: start}
		if err := Generate(&a, o); err != nil {
			t.Fatal(err)
		}
		if err := Generate(&b, o); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("mix %d: same options, different captures", mix)
		}
		want := 5000
		if mix == Sample {
			want = len(sampleRecords)
		}
		if n := records(t, a.Bytes()); n != want {
			t.Errorf("mix %d: %d records, want %d", mix, n, want)
		}
	}
}

// The sample is the README demo: its bytes must not change by accident.
func TestSampleStable(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, Options{Mix: Sample, Snap: 116}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())
	golden := filepath.Join("testdata", "sample.sha256")
	got := []byte(strings.TrimSpace(string(hexs(sum[:]))) + "\n")
	if testtool.Update() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestSampleStable -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("sample capture changed: sha256 %s, golden %s (go test -run TestSampleStable -update if intended)", got, want)
	}
}

func hexs(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// Real tcpdump reads every record of every mix, and prints the kinds of
// line the mix promises.
func TestTcpdumpReads(t *testing.T) {
	tcpdump := testtool.Need(t, "tcpdump", "tcpdump")
	dir := t.TempDir()
	tests := []struct {
		mix   Mix
		n     int
		wants []string
	}{
		{Realistic, 20000, []string{"Flags [S], seq", "Flags [S.]", "Flags [R]", "Flags [R.]", "Flags [.]", "Flags [F.]", "Flags [P.]",
			"UDP, length", "ICMP echo request", "ICMP6", "rule 1", ".f2b/sshd.", "pass out", "block out", "pass in", "on em0", "on wg0", "options [mss 1460"}},
		{Flood, 20000, []string{"Flags [S]", "UDP, length", "ICMP echo request", "pass in"}},
		{Sample, 0, []string{"Flags [S]", "ICMP echo reply", "2001:db8:99::7", "rule 7.f2b/sshd.0/", "on re0", "on vio0"}},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "c.pcap")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := Generate(f, Options{N: tt.n, Seed: 3, Snap: 116, Mix: tt.mix}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		out, err := exec.Command(tcpdump, "-n", "-e", "-S", "-t", "-r", path).Output()
		if err != nil {
			t.Fatalf("mix %d: tcpdump: %v", tt.mix, err)
		}
		lines := strings.Count(string(out), "\n")
		want := tt.n
		if tt.mix == Sample {
			want = len(sampleRecords)
		}
		if lines != want {
			t.Errorf("mix %d: tcpdump printed %d lines, want %d", tt.mix, lines, want)
		}
		for _, w := range tt.wants {
			if !strings.Contains(string(out), w) {
				t.Errorf("mix %d: no line with %q", tt.mix, w)
			}
		}
	}
}

func TestParseMix(t *testing.T) {
	for s, want := range map[string]Mix{"realistic": Realistic, "flood": Flood, "sample": Sample} {
		if m, err := ParseMix(s); err != nil || m != want {
			t.Errorf("ParseMix(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseMix("x"); err == nil {
		t.Error("ParseMix accepted x")
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	const n = 100000
	for b.Loop() {
		if err := Generate(io.Discard, Options{N: n, Seed: 1, Snap: 116}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
