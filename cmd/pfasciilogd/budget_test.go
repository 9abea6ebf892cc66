package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// floodCapture writes secs seconds of perSec one-off spoofed SYNs (every
// source new) with one scanner, 192.0.2.7, sending 10 SYNs a second
// inside, and returns the path and the number of the scanner's records.
func floodCapture(t *testing.T, secs, perSec int) (string, int) {
	base := synRecord(t, 1, 0)
	var recs []*gen.Record
	scanner := 0
	for i := 0; i < secs*perSec; i++ {
		r := *base
		r.Packet = append([]byte(nil), base.Packet...)
		r.Sec = 1795258722 + int64(i/perSec)
		r.Nsec = int64(i%perSec) * (1e9 / int64(perSec)) / 1e3 * 1e3
		if i%(perSec/10) != 0 {
			n := uint32(i + 1)
			r.Packet[12], r.Packet[13], r.Packet[14], r.Packet[15] = 10, byte(n>>16), byte(n>>8), byte(n)
		} else {
			scanner++
		}
		recs = append(recs, &r)
	}
	p := filepath.Join(t.TempDir(), "flood.pcap")
	writeCapture(t, p, recs...)
	return p, scanner
}

// TestLineBudgetBinary: through the binary, a 20 s one-off flood at
// 5,000 records/s under -line-budget 500 writes at most 500*20 + burst
// per-packet lines plus one summary a second, keeps every line of a
// source with repeated evidence, gives the same output for any -workers,
// and -line-budget 0 writes every line. No fail2ban filter mode matches
// the summaries.
func TestLineBudgetBinary(t *testing.T) {
	const secs, perSec, rate = 20, 5000, 500
	in, scanner := floodCapture(t, secs, perSec)
	run := func(args ...string) []byte {
		out, err := exec.Command(daemonBin, append([]string{"-r", in}, args...)...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	if n := bytes.Count(run("-line-budget", "0"), []byte("\n")); n != secs*perSec {
		t.Fatalf("-line-budget 0: %d lines for %d records", n, secs*perSec)
	}
	if n := bytes.Count(run(), []byte("\n")); n != secs*perSec {
		t.Fatalf("plain -r: %d lines for %d records (the budget is for the service)", n, secs*perSec)
	}
	out := run("-line-budget", "500", "-workers", "1")
	var packets, summaries, scannerLines int
	var summaryLines []string
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		switch {
		case strings.Contains(l, " pfasciilogd: line budget: "):
			summaries++
			summaryLines = append(summaryLines, l)
		default:
			packets++
			if strings.Contains(l, " 192.0.2.7.40000 > ") {
				scannerLines++
			}
		}
	}
	if max := rate*secs + 3*rate; packets > max {
		t.Errorf("%d per-packet lines, bound %d", packets, max)
	}
	if summaries == 0 || summaries > secs+1 {
		t.Errorf("%d summaries for %d s", summaries, secs)
	}
	if scannerLines < scanner-1 {
		t.Errorf("the scanner kept %d of its %d lines", scannerLines, scanner)
	}
	t.Logf("%d per-packet lines, %d summaries, scanner %d/%d; e.g. %s", packets, summaries, scannerLines, scanner, summaryLines[0])
	for _, w := range []string{"2", "4"} {
		if many := run("-line-budget", "500", "-workers", w); !bytes.Equal(out, many) {
			t.Fatalf("-workers %s output differs from -workers 1:\n%s", w, firstDiff(out, many))
		}
	}
	js := run("-line-budget", "500", "-format", "json")
	if n := bytes.Count(js, []byte(`"event":"line_budget","withheld":`)); n != summaries {
		t.Errorf("JSON: %d line_budget objects, text %d summaries", n, summaries)
	}

	regex := testtool.Need(t, "fail2ban-regex", "fail2ban")
	filter, err := filepath.Abs("../../fail2ban/filter.d/pfasciilogd.conf")
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "summaries.log")
	if err := os.WriteFile(log, []byte(strings.Join(summaryLines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	modes := []string{"normal", "aggressive"}
	if b, _ := os.ReadFile(filter); bytes.Contains(b, []byte("scan")) {
		modes = append(modes, "scan")
	}
	for _, mode := range modes {
		res, err := exec.Command(regex, "-o", "ip", log, filter+"[mode="+mode+"]").CombinedOutput()
		if err != nil {
			t.Fatalf("fail2ban-regex %s: %v\n%s", mode, err, res)
		}
		if s := strings.TrimSpace(string(res)); s != "" {
			t.Errorf("mode %s matches a line-budget summary: %s", mode, s)
		}
	}
}
