package format

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog/pflogtest"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

const (
	casesPcap   = "testdata/cases.pcap"
	casesGolden = "testdata/cases.golden"
)

// writeCases writes the catalogue as a pflog pcap file.
func writeCases(t *testing.T, path string, cs []gen.Case) {
	t.Helper()
	var buf bytes.Buffer
	w, err := gen.NewWriter(&buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		if err := w.Write(&cs[i].Record); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// formatPcap formats every record of a pflog pcap file (little-endian,
// microseconds, as gen writes it) with our printer.
func formatPcap(t *testing.T, path string) []string {
	t.Helper()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(file) < 24 || binary.LittleEndian.Uint32(file) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian pcap file", path)
	}
	txt := NewText(time.UTC)
	var lines []string
	var line []byte
	for rest := file[24:]; len(rest) > 0; {
		if len(rest) < 16 {
			t.Fatalf("%s: short record header", path)
		}
		sec := binary.LittleEndian.Uint32(rest)
		usec := binary.LittleEndian.Uint32(rest[4:])
		capLen := int(binary.LittleEndian.Uint32(rest[8:]))
		wire := int(binary.LittleEndian.Uint32(rest[12:]))
		if len(rest) < 16+capLen {
			t.Fatalf("%s: short record", path)
		}
		data := rest[16 : 16+capLen]
		rest = rest[16+capLen:]
		var h pflog.Header
		ip, err := pflog.Decode(data, &h)
		if err != nil {
			t.Fatalf("record %d: %v", len(lines), err)
		}
		pkt := source.Packet{Sec: int64(sec), Nsec: int32(usec * 1000), WireLen: wire, Data: data}
		rec := Record{Pkt: &pkt, Hdr: &h, IP: ip, IPWireLen: wire - pflog.HeaderSize(h.Length)}
		line = txt.Append(line[:0], &rec)
		lines = append(lines, strings.TrimSuffix(string(line), "\n"))
	}
	return lines
}

// TestGolden checks our text for the checked-in catalogue capture. It
// needs no tool; run with -update to regenerate both files.
func TestGolden(t *testing.T) {
	cs := gen.Cases()
	if testtool.Update() {
		writeCases(t, casesPcap, cs)
		lines := formatPcap(t, casesPcap)
		var b strings.Builder
		for i, l := range lines {
			b.WriteString("# " + cs[i].Name + "\n" + l + "\n")
		}
		if err := os.WriteFile(casesGolden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readGolden(t)
	got := formatPcap(t, casesPcap)
	if len(got) != len(want) {
		t.Fatalf("%d lines, golden has %d (run go test -update)", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i].line {
			t.Errorf("%s:\n got %s\nwant %s", want[i].name, got[i], want[i].line)
		}
	}
	// The checked-in capture must still be what the catalogue builds.
	tmp := filepath.Join(t.TempDir(), "cases.pcap")
	writeCases(t, tmp, cs)
	a, _ := os.ReadFile(tmp)
	b, _ := os.ReadFile(casesPcap)
	if !bytes.Equal(a, b) {
		t.Errorf("%s is not what gen.Cases builds (run go test -update)", casesPcap)
	}
}

type goldenLine struct{ name, line string }

func readGolden(t *testing.T) []goldenLine {
	t.Helper()
	f, err := os.Open(casesGolden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []goldenLine
	name := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if n, ok := strings.CutPrefix(l, "# "); ok {
			name = n
			continue
		}
		out = append(out, goldenLine{name, l})
	}
	return out
}

var udpRE = regexp.MustCompile(`^(\S+ > \S+: )(.*)$`)

// knownDiff lists cases where our text differs from tcpdump's on purpose,
// with the reason.
var knownDiff = map[string]string{
	// With no packet byte captured we cannot see the IP version; tcpdump
	// uses the header's address family and prints " [|ip6]".
	"ip6/trunc/empty": "version unknown without bytes",
	// tcpdump decodes the Ethernet frame inside (SRv6 End.DX2): its MAC
	// addresses, ethertype and inner packet. We print it as any protocol
	// we do not decode, which puts no address of the frame's choosing on
	// the line.
	"ip6/proto/ether-in-v6": "Ethernet over IPv6 not decoded",
	// The manual's CAVEATS name these two: RSVP messages, which tcpdump
	// decodes object by object.
	"ip4/proto/rsvp": "RSVP not decoded",
	"ip6/proto/rsvp": "RSVP not decoded",
}

// knownAppDiff are the application payloads over TCP (in every variant
// of a case of appCases: both families, with and without options, cut)
// that tcpdump decodes and we do not; the manual's CAVEATS name them.
var knownAppDiff = map[string]string{
	"telnet-iac":    "telnet option negotiation not decoded",
	"dns-tcp-query": "DNS messages over TCP not decoded",
}

// knownDifference reports whether case name differs from tcpdump on
// purpose.
func knownDifference(name string) bool {
	if _, ok := knownDiff[name]; ok {
		return true
	}
	_, rest, ok := strings.Cut(name, "/app/")
	app, _, _ := strings.Cut(rest, "/")
	_, known := knownAppDiff[app]
	return ok && known
}

// TestOracle runs the real tcpdump over the catalogue and requires the
// same text for every record.
func TestOracle(t *testing.T) {
	tcpdump := testtool.Need(t, "tcpdump", "tcpdump")
	cs := gen.Cases()
	path := filepath.Join(t.TempDir(), "cases.pcap")
	writeCases(t, path, cs)
	cmd := exec.Command(tcpdump, "-n", "-e", "-S", "-tttt", "-r", path)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	theirs := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	ours := formatPcap(t, path)
	if len(theirs) != len(ours) {
		t.Fatalf("tcpdump printed %d lines for %d records", len(theirs), len(ours))
	}
	for i, c := range cs {
		if why := compareLine(c, ours[i], theirs[i]); why != "" {
			if knownDifference(c.Name) {
				continue
			}
			t.Errorf("%s: %s\n ours    %s\n tcpdump %s", c.Name, why, ours[i], theirs[i])
		}
	}
}

// compareLine compares our line and tcpdump's for one case. The pflog
// part of ours must be exactly what FreeBSD's tcpdump prints for the
// header (tcpdump here has other action/reason words and no uid or
// ridentifier); the packet part must be identical to tcpdump's.
func compareLine(c gen.Case, o, t string) string {
	h := &c.Record.Hdr
	r := &c.Record
	ts := time.Unix(r.Sec, r.Nsec).UTC()
	rule := "rule " + strconv.FormatUint(uint64(h.RuleNr), 10)
	if h.InAnchor() {
		rule += "." + string(h.Anchor()) + "." + strconv.FormatUint(uint64(h.SubRuleNr), 10)
	}
	rule += "/"
	// The words come from the BSDs' tables (pflogtest), not from the
	// pflog functions under test.
	actions, reasons, dirs := pflogtest.FreeBSDActions, pflogtest.FreeBSDReasons, pflogtest.FreeBSDDirections
	if h.Layout == pflog.LayoutOpenBSD {
		actions, reasons, dirs = pflogtest.OpenBSDActions, pflogtest.OpenBSDReasons, pflogtest.OpenBSDDirections
	}
	want := ts.Format("2006-01-02T15:04:05.000000") + "+00:00 " + rule + pflogtest.Reason(reasons, h.Reason)
	if h.UID != pflog.NoUID {
		want += " [uid " + strconv.FormatUint(uint64(h.UID), 10) + "]"
	}
	if h.RIdentifier != 0 {
		want += " [ridentifier " + strconv.FormatUint(uint64(h.RIdentifier), 10) + "]"
	}
	where := " " + pflogtest.Word(dirs, h.Dir) + " on " + string(h.Interface()) + ": "
	want += ": " + pflogtest.Word(actions, h.Action) + where
	po, ok := strings.CutPrefix(o, want)
	if !ok {
		return "pflog prefix: want " + want
	}
	theirTS := ts.Format("2006-01-02 15:04:05.000000") + " " + rule
	if !strings.HasPrefix(t, theirTS) {
		return "tcpdump's timestamp or rule differ: want " + theirTS
	}
	i := strings.Index(t, where)
	if i < 0 {
		return "tcpdump's direction or interface differ"
	}
	pt := t[i+len(where):]
	if po == pt {
		return ""
	}
	if n := lastNumber(po); strings.HasSuffix(po, "UDP, length "+n) && !strings.Contains(pt, "UDP, length") {
		// tcpdump decoded the application protocol over UDP (DNS, NTP,
		// syslog, ...), which we print in the generic form: the addresses
		// and ports must be the same, and our length the one tcpdump's
		// application printer states ("(29)", "length 48", "length: 9",
		// "[length 8 < 12]").
		a, b := udpRE.FindStringSubmatch(po), udpRE.FindStringSubmatch(pt)
		if a == nil || b == nil || a[1] != b[1] {
			return "packet text"
		}
		m := appLenRE.FindAllStringSubmatch(b[2], -1)
		if len(m) == 0 {
			return "tcpdump's application text states no length to compare"
		}
		last := m[len(m)-1]
		if theirs := last[1] + last[2]; theirs != n {
			return "UDP length " + n + ", tcpdump's application printer got " + theirs
		}
		return ""
	}
	return "packet text"
}

// appLenRE finds the lengths tcpdump's UDP application printers print.
var appLenRE = regexp.MustCompile(`(?:length:? (\d+)|\((\d+)\))`)

func lastNumber(s string) string {
	i := strings.LastIndexByte(s, ' ')
	return s[i+1:]
}
