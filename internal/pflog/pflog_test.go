package pflog

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/pflog/pflogtest"
)

// A real record header from FreeBSD 14 (length 69): rule 118, no anchor,
// block in on vtnet0, uid and pid unset.
const realHeader = "4502010076746e657430000000000000000000000000000000000000000000000000000000000076ffffffffffffffffffffffffffffffffffffffff010000000000000000000000"

func TestDecodeRealHeader(t *testing.T) {
	b, _ := hex.DecodeString(realHeader)
	rec := append(b, 0x45, 0, 0, 20)
	var h Header
	pkt, err := Decode(rec, &h)
	if err != nil {
		t.Fatal(err)
	}
	if h.Layout != LayoutFreeBSD || h.AF != AFInet || h.Action != ActionDrop || h.Dir != DirIn ||
		h.RuleNr != 118 || h.SubRuleNr != NoAnchor || h.UID != NoUID || h.RIdentifier != 0 ||
		string(h.Interface()) != "vtnet0" || len(h.Anchor()) != 0 {
		t.Fatalf("decoded %+v", h)
	}
	if !bytes.Equal(pkt, []byte{0x45, 0, 0, 20}) {
		t.Fatalf("packet %x", pkt)
	}
}

func TestRoundTripAndOffsets(t *testing.T) {
	for _, tc := range []struct {
		layout Layout
		size   int
	}{{LayoutFreeBSD, 72}, {LayoutLegacy, 64}, {LayoutOpenBSD, 100}} {
		h := Header{Layout: tc.layout, AF: AFInet6, Action: ActionMatch, Reason: ReasonBadState,
			Dir: DirOut, RuleNr: 0x01020304, SubRuleNr: 7, UID: 1001, PID: 4242, RuleUID: 0, RulePID: 1}
		h.SetIfName("igb0")
		h.SetRuleset("f2b/sshd")
		if tc.layout == LayoutFreeBSD {
			h.RIdentifier = 0xa0b0c0d0
		}
		if tc.layout == LayoutOpenBSD {
			h.Rewritten, h.NAF, h.SPort, h.DPort = 1, AFInet, 1234, 80
			h.SAddr[0], h.DAddr[15] = 10, 1
		}
		b := h.AppendEncoded(nil)
		if len(b) != tc.size {
			t.Fatalf("%v: %d bytes, want %d", tc.layout, len(b), tc.size)
		}
		// Byte order on the wire: rule numbers big-endian, uid/pid host
		// (little-endian) order.
		if !bytes.Equal(b[36:40], []byte{1, 2, 3, 4}) || !bytes.Equal(b[44:48], []byte{0xe9, 3, 0, 0}) {
			t.Fatalf("%v: rulenr %x uid %x", tc.layout, b[36:40], b[44:48])
		}
		h.Length = b[0] // Decode records the length byte
		var got Header
		pkt, err := Decode(append(b, 0x60), &got)
		if err != nil {
			t.Fatal(err)
		}
		if got != h || !bytes.Equal(pkt, []byte{0x60}) {
			t.Fatalf("%v: round trip\n got %+v\nwant %+v", tc.layout, got, h)
		}
	}
}

func TestDecodeBad(t *testing.T) {
	var h Header
	for _, tc := range []struct {
		name string
		rec  []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"60 bytes of a 61 header", append([]byte{61}, make([]byte, 59)...), ErrShort},
		{"61 header, 63 bytes", append([]byte{61}, make([]byte, 62)...), ErrShort},
		{"unknown length", append([]byte{64}, make([]byte, 100)...), ErrBadLength},
		{"zero length", make([]byte, 100), ErrBadLength},
		{"OpenBSD cut", append([]byte{100}, make([]byte, 98)...), ErrShort},
	} {
		if _, err := Decode(tc.rec, &h); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		h    Header
		want string
	}{
		{Header{Layout: LayoutFreeBSD, Action: ActionMatch, Reason: 15, Dir: DirInOut}, "match 15(map-failed) in/out"},
		{Header{Layout: LayoutFreeBSD, Action: 13, Reason: 16, Dir: DirFwd}, "unkn(13) unkn(16) unkn(3)"},
		{Header{Layout: LayoutOpenBSD, Action: 13, Reason: 15, Dir: DirFwd}, "divert 15(translate) fwd"},
		{Header{Layout: LayoutLegacy, Action: ActionSynproxyDrop, Reason: ReasonSynproxy, Dir: DirIn}, "synproxy-drop 14(synproxy) in"},
	} {
		b := AppendAction(nil, &tc.h)
		b = append(b, ' ')
		b = AppendReason(b, &tc.h)
		b = append(b, ' ')
		b = AppendDir(b, &tc.h)
		if string(b) != tc.want {
			t.Errorf("%+v: %q, want %q", tc.h, b, tc.want)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	rec, _ := hex.DecodeString(realHeader)
	var h Header
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Decode(rec, &h)
	}
}

// FuzzDecode: any input decodes or fails cleanly, never panics, and a
// decoded header encodes back to the bytes it came from (padding aside).
func FuzzDecode(f *testing.F) {
	b, _ := hex.DecodeString(realHeader)
	f.Add(b)
	f.Add(append(b, 0x45, 0, 0, 20))
	for _, l := range []Layout{LayoutLegacy, LayoutOpenBSD} {
		h := Header{Layout: l, RuleNr: 1, SubRuleNr: NoAnchor}
		f.Add(h.AppendEncoded(nil))
	}
	f.Add([]byte{61})
	f.Add([]byte{100, 2, 1})
	f.Fuzz(func(t *testing.T, rec []byte) {
		var h Header
		pkt, err := Decode(rec, &h)
		if err != nil {
			return
		}
		size := HeaderSize(rec[0])
		if len(pkt) != len(rec)-size {
			t.Fatalf("packet of %d bytes after a %d-byte header in %d", len(pkt), size, len(rec))
		}
		enc := h.AppendEncoded(nil)
		var again Header
		if _, err := Decode(enc, &again); err != nil || again != h {
			t.Fatalf("re-encoded header differs: %v\n%+v\n%+v", err, again, h)
		}
		_ = AppendAction(nil, &h)
		_ = AppendReason(nil, &h)
		_ = AppendDir(nil, &h)
	})
}

// TestWordsAreTheBSDs checks every action, reason and direction value of
// each layout against the words transcribed from FreeBSD's pf.h and
// tcpdump and OpenBSD's pfvar.h (package pflogtest names the revisions),
// as the daemon prints them: "word", "N(word)" or "unkn(N)".
func TestWordsAreTheBSDs(t *testing.T) {
	for _, tc := range []struct {
		layout                 Layout
		actions, reasons, dirs []string
	}{
		{LayoutFreeBSD, pflogtest.FreeBSDActions, pflogtest.FreeBSDReasons, pflogtest.FreeBSDDirections},
		{LayoutLegacy, pflogtest.FreeBSDActions, pflogtest.FreeBSDReasons, pflogtest.FreeBSDDirections},
		{LayoutOpenBSD, pflogtest.OpenBSDActions, pflogtest.OpenBSDReasons, pflogtest.OpenBSDDirections},
	} {
		for v := 0; v < 256; v++ {
			h := Header{Layout: tc.layout, Action: uint8(v), Reason: uint8(v), Dir: uint8(v)}
			if got, want := string(AppendAction(nil, &h)), pflogtest.Word(tc.actions, uint8(v)); got != want {
				t.Errorf("%v action %d: %q, want %q", tc.layout, v, got, want)
			}
			if got, want := string(AppendReason(nil, &h)), pflogtest.Reason(tc.reasons, uint8(v)); got != want {
				t.Errorf("%v reason %d: %q, want %q", tc.layout, v, got, want)
			}
			if got, want := string(AppendDir(nil, &h)), pflogtest.Word(tc.dirs, uint8(v)); got != want {
				t.Errorf("%v direction %d: %q, want %q", tc.layout, v, got, want)
			}
		}
	}
	// Where FreeBSD's tcpdump table is right, it prints what we print.
	for v, word := range pflogtest.FreeBSDTcpdumpReasons {
		h := Header{Layout: LayoutFreeBSD, Reason: v}
		if got := string(AppendReason(nil, &h)); v != ReasonNorm && got != word {
			t.Errorf("reason %d: %q, FreeBSD's tcpdump prints %q", v, got, word)
		}
	}
}
