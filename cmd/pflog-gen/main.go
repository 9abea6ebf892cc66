// Command pflog-gen writes synthetic pflog captures (pcap, link type
// PFLOG) like the ones pflogd(8) writes, for benchmarks, flood-control
// tests and demos:
//
//	pflog-gen -n 1000000 -o big.pcap              # realistic mix, 116-byte snap
//	pflog-gen -mix flood -n 200000 -o flood.pcap  # scanners + spoofed noise
//	pflog-gen -mix sample -o sample.pcap          # the README demo, reproducible
//
// Timestamps end now by default (so fail2ban accepts them); -start fixes
// the first one. The same -seed gives the same capture.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pflog-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 100000, "number of `records` (realistic and flood)")
	seed := fs.Uint64("seed", 1, "random `seed`")
	out := fs.String("o", "-", "output `file` (\"-\" = standard output)")
	snap := fs.Int("snap", 116, "cut records to `bytes` like pflogd -s (0 = whole packets)")
	mix := fs.String("mix", "realistic", "traffic `mix`: realistic, flood or sample")
	start := fs.String("start", "", "first record's `time` (RFC 3339; default: the capture ends now; sample: "+synth.SampleStart.Format(time.RFC3339Nano)+")")
	rate := fs.Float64("rate", 0, "`records` per second of capture time (default 10000, flood 100000)")
	scanners := fs.Int("scanners", 0, "flood: number of scanners (default n/4000)")
	noise := fs.Int("noise", 0, "flood: spoofed random-source records per mille (default 5)")
	legit := fs.Int("legit", 0, "flood: legitimate records per mille (default 10)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: pflog-gen [-n records] [-seed s] [-o file] [-snap bytes] [-mix realistic|flood|sample] [-start time] [-rate r]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	m, err := synth.ParseMix(*mix)
	if err != nil {
		fmt.Fprintf(stderr, "pflog-gen: %v\n", err)
		return 2
	}
	o := synth.Options{N: *n, Seed: *seed, Snap: *snap, Mix: m, Rate: *rate,
		Scanners: *scanners, NoisePermille: *noise, LegitPermille: *legit}
	if *start != "" {
		t, err := time.Parse(time.RFC3339Nano, *start)
		if err != nil {
			fmt.Fprintf(stderr, "pflog-gen: -start: %v\n", err)
			return 2
		}
		o.Start = t
	}
	if *n < 0 || *snap < 0 {
		fmt.Fprintln(stderr, "pflog-gen: -n and -snap must not be negative")
		return 2
	}
	var w io.Writer = stdout
	var f *os.File
	if *out != "-" {
		f, err = os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "pflog-gen: %v\n", err)
			return 1
		}
		w = f
	}
	if err := synth.Generate(w, o); err != nil {
		fmt.Fprintf(stderr, "pflog-gen: %s: %v\n", *out, err)
		return 1
	}
	if f != nil {
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "pflog-gen: %v\n", err)
			return 1
		}
	}
	return 0
}
