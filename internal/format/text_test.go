package format

import (
	"testing"
	"time"
	// The zones below come from Go's own copy of the tz database when the
	// system has none (a minimal container), so the test always runs.
	_ "time/tzdata"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/source"
)

func TestAppendSafeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"vtnet0", "vtnet0"},
		{"f2b/sshd", "f2b/sshd"},
		{"a b", `a\040b`},
		{`a\b`, `a\\b`},
		{"a\nb", "a^Jb"},
		{"x\x01\x7f", "x^A^?"},
		{"\xe9t\xff", "M-itM-^?"},
		{"em0: 6.6.6.6", `em0:\0406.6.6.6`},
	} {
		if got := string(AppendSafeName(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("AppendSafeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPflogPrefix(t *testing.T) {
	h := pflog.Header{Layout: pflog.LayoutFreeBSD, Action: pflog.ActionDrop, Reason: pflog.ReasonBadState,
		Dir: pflog.DirOut, RuleNr: 12, SubRuleNr: 3, UID: 1001, RIdentifier: 4242}
	h.SetIfName("em0")
	h.SetRuleset("f2b/sshd")
	got := string(AppendPflogPrefix(nil, &h))
	want := "rule 12.f2b/sshd.3/10(state-mismatch) [uid 1001] [ridentifier 4242]: block out on em0: "
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	h = pflog.Header{Layout: pflog.LayoutOpenBSD, Action: 15, Reason: 16, Dir: pflog.DirFwd, SubRuleNr: pflog.NoAnchor, UID: pflog.NoUID}
	h.SetIfName("em1")
	if got, want := string(AppendPflogPrefix(nil, &h)), "rule 0/16(no-route): afrt fwd on em1: "; got != want {
		t.Fatalf("OpenBSD: got %q want %q", got, want)
	}
	h.Layout = pflog.LayoutFreeBSD
	if got, want := string(AppendPflogPrefix(nil, &h)), "rule 0/unkn(16): unkn(15) unkn(3) on em1: "; got != want {
		t.Fatalf("FreeBSD unknowns: got %q want %q", got, want)
	}
}

func TestTimestamper(t *testing.T) {
	var locs [3]*time.Location
	for i, name := range []string{"Europe/Berlin", "America/New_York", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		locs[i] = loc
	}
	berlin, ny, kolkata := locs[0], locs[1], locs[2]
	for _, tc := range []struct {
		loc  *time.Location
		sec  int64
		nsec int32
		want string
	}{
		{time.UTC, 1795258722, 531217000, "2026-11-21T10:58:42.531217+00:00"},
		{berlin, 1795258722, 999999999, "2026-11-21T11:58:42.999999+01:00"},
		{berlin, 1785258722, 0, "2026-07-28T19:12:02.000000+02:00"},
		{ny, 1795258722, 1000, "2026-11-21T05:58:42.000001-05:00"},
		{kolkata, 0, 0, "1970-01-01T05:30:00.000000+05:30"},
	} {
		ts := Timestamper{Loc: tc.loc}
		// Twice: the second call uses the cached second.
		for i := 0; i < 2; i++ {
			if got := string(ts.Append(nil, tc.sec, tc.nsec)); got != tc.want {
				t.Errorf("%v %d: got %s want %s", tc.loc, tc.sec, got, tc.want)
			}
		}
	}
	// Crossing a DST change within one Timestamper.
	ts := Timestamper{Loc: berlin}
	before := int64(1792889999) // 2026-10-25 00:59:59 UTC, 02:59:59 CEST
	if got := string(ts.Append(nil, before, 0)); got != "2026-10-25T02:59:59.000000+02:00" {
		t.Errorf("before DST end: %s", got)
	}
	if got := string(ts.Append(nil, before+1, 0)); got != "2026-10-25T02:00:00.000000+01:00" {
		t.Errorf("after DST end: %s", got)
	}
}

func BenchmarkTextAppend(b *testing.B) {
	h := pflog.Header{Layout: pflog.LayoutFreeBSD, Action: pflog.ActionDrop, Dir: pflog.DirIn, RuleNr: 1, SubRuleNr: pflog.NoAnchor, UID: pflog.NoUID}
	h.SetIfName("vtnet0")
	ip := []byte{0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 7, 198, 51, 100, 1,
		0x9c, 0x40, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 4, 0, 0, 0, 0, 0}
	pkt := source.Packet{Sec: 1795258722, WireLen: 72 + len(ip)}
	r := Record{Pkt: &pkt, Hdr: &h, IP: ip, IPWireLen: len(ip)}
	f := NewText(time.UTC)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		pkt.Sec += int64(i & 1)
		buf = f.Append(buf[:0], &r)
	}
}
