package pcapfile

import (
	"bytes"
	"fmt"
	"testing"
	"testing/iotest"
)

// forgedPayload is what an attacker puts into a packet that pf logs
// whole: a chain of pcap records, time-consistent with the real ones
// (the attacker knows roughly when the packet is logged), each saying
// FORGED, ending exactly where the attacker's record ends.
func forgedPayload(bo bord, sec int64, n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		d := append(bo.AppendUint64(nil, uint64(9000+i)), []byte("FORGED block in on vtnet0: 192.0.2.66 > victim Flags [S]")...)
		b = pcapRec(b, bo, false, trec{sec: sec + int64(i), wire: len(d), data: d})
	}
	return b
}

func noForged(t *testing.T, name string, res result) {
	t.Helper()
	for _, r := range res.recs {
		if bytes.Contains(r.data, []byte("FORGED")) {
			t.Fatalf("%s: a forged record was returned: %v (skips %v)", name, r, res.skips)
		}
	}
}

// TestResyncNeverEntersValidRecord (issue 10, point 13): a file cut in
// the middle of a record whose payload holds forged records yields the
// records before it and a truncation, never a forged record, wherever
// the cut falls; and a record whose time stamp was damaged is skipped
// whole, its forged payload unread, the records after it coming out.
func TestResyncNeverEntersValidRecord(t *testing.T) {
	for _, bo := range []bord{le, be} {
		good := mkRecs(0, 5, 30)
		file, ends := pcapFile(bo, false, 65535, LinkTypePFLOG, good)
		at := len(file)
		last := good[len(good)-1].sec
		payload := append(bo.AppendUint64(nil, 4242), forgedPayload(bo, last, 6)...)
		file = pcapRec(file, bo, false, trec{sec: last, wire: len(payload), data: payload})
		after := mkRecs(5, 6, 30)
		for i := range after {
			after[i].sec += 1
		}
		tail, _ := pcapFile(bo, false, 65535, LinkTypePFLOG, after)
		tail = tail[24:]

		// Cut anywhere inside the attacker's record.
		for cut := at + 1; cut < len(file); cut++ {
			name := fmt.Sprintf("%s cut at %d", bo, cut)
			res := collect(t, must(NewReader("cut.pcap", bytes.NewReader(file[:cut]))))
			noForged(t, name, res)
			if len(res.recs) != len(good) {
				t.Fatalf("%s: %d records, want %d", name, len(res.recs), len(good))
			}
			if cut-at >= 16 && res.trunc == nil {
				t.Fatalf("%s: no truncation reported", name)
			}
		}
		_ = ends

		// The attacker's record with a damaged time stamp, real records
		// after it.
		whole := append(append([]byte(nil), file...), tail...)
		bo.PutUint32(whole[at+4:], 3000000) // usec out of range
		for _, mode := range []string{"whole", "onebyte"} {
			in := iotest.OneByteReader(bytes.NewReader(whole))
			if mode == "whole" {
				in = bytes.NewReader(whole)
			}
			res := collect(t, must(NewReader("bad.pcap", in)))
			noForged(t, bo.String()+" "+mode, res)
			sameRecs(t, res.recs, append(usec(good), usec(after)...))
			if len(res.skips) != 1 || res.skips[0].Offset != int64(at) || res.skips[0].Skipped != int64(len(file)-at) {
				t.Fatalf("%s: skips %v, want the attacker's record (offset %d, %d bytes) skipped whole", mode, res.skips, at, len(file)-at)
			}
		}
	}
}

// TestResyncNeedsAChain: after corrupt bytes, one or two plausible
// headers are not enough: a record is believed only inside a chain of
// confirmChain time-consistent headers (or a chain reaching the end).
func TestResyncNeedsAChain(t *testing.T) {
	bo := le
	good := mkRecs(0, 3, 20)
	file, _ := pcapFile(bo, false, 65535, LinkTypePFLOG, good)
	at := len(file)
	// Garbage, then two forged headers out of time order, then garbage
	// that ends the input.
	garbage := bytes.Repeat([]byte{0xff}, 40)
	file = append(file, garbage...)
	f1 := forgedPayload(bo, good[2].sec, 1)
	f2 := forgedPayload(bo, good[2].sec-3600, 1) // an hour back: not a chain
	file = append(append(file, f1...), f2...)
	file = append(file, garbage...)
	res := collect(t, must(NewReader("x", bytes.NewReader(file))))
	noForged(t, "out of order", res)
	sameRecs(t, res.recs, usec(good))
	if len(res.skips) != 1 || res.skips[0].Offset != int64(at) {
		t.Fatalf("skips %v", res.skips)
	}
}
