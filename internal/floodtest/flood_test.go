package floodtest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/f2btest"
	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/synth"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// repoRoot is the top of the source tree (this package is internal/floodtest).
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestMain(m *testing.M) { testtool.Main(m) }

// jailSettings reads the maxretry and findtime that the shipped jail's
// comments give for the per-packet modes (flood control thins out only
// per-packet lines; the jail's own default, mode scan, reads decision
// lines, which are never suppressed), and the jail's bantime.
func jailSettings(t *testing.T) (maxretry int, findtime time.Duration, raw map[string]string) {
	path := filepath.Join(repoRoot(t), "fail2ban", "jail.d", "pfasciilogd.conf")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the shipped jail: %v", err)
	}
	raw = map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#\s+(maxretry|findtime)\s*=\s*(\S+)$`).FindAllStringSubmatch(string(b), -1) {
		if raw[m[1]] == "" {
			raw[m[1]] = m[2]
		}
	}
	if m := regexp.MustCompile(`(?m)^bantime\s*=\s*(\S+)`).FindStringSubmatch(string(b)); m != nil {
		raw["bantime"] = m[1]
	}
	maxretry, err = strconv.Atoi(raw["maxretry"])
	if err != nil {
		t.Fatalf("%s: maxretry %q: %v", path, raw["maxretry"], err)
	}
	findtime, err = time.ParseDuration(raw["findtime"])
	if err != nil {
		if s, err2 := strconv.Atoi(raw["findtime"]); err2 == nil {
			findtime = time.Duration(s) * time.Second
		} else {
			t.Fatalf("%s: findtime %q: %v", path, raw["findtime"], err)
		}
	}
	return maxretry, findtime, raw
}

// extra is a record the test adds to the generated flood.
type extra struct {
	at    int64 // ns
	src   [4]byte
	syn   bool // blocked SYN; otherwise a logged pass of an ACK
	dport uint16
}

func tcp4(src [4]byte, dport uint16, syn bool) []byte {
	b := make([]byte, 40)
	b[0], b[8], b[9] = 0x45, 50, 6
	binary.BigEndian.PutUint16(b[2:], 40)
	copy(b[12:], src[:])
	copy(b[16:], []byte{46, 38, 233, 77})
	binary.BigEndian.PutUint16(b[20:], 51000)
	binary.BigEndian.PutUint16(b[22:], dport)
	binary.BigEndian.PutUint32(b[24:], 0x01020304)
	b[32] = 5 << 4
	b[33] = 0x10 // ACK
	if syn {
		b[33] = 0x02
	}
	binary.BigEndian.PutUint16(b[34:], 1024)
	return b
}

// TestFail2banBansSameWithCap is issue 4's proof: the same hosts are
// banned with and without the cap. That needs a flood in which every
// scanner sends far more than the cap lets through (here about 1,500
// packets each against a cap of maxretry per findtime), not a big one:
// fail2ban-server reads 1.5-8 k lines a second on this machine.
func TestFail2banBansSameWithCap(t *testing.T) {
	f2btest.Need(t)
	dir := t.TempDir()
	bin := testtool.BuildDaemon(t)
	maxretry, findtime, jail := jailSettings(t)
	n, window := maxretry, findtime // the tightest settings the docs allow
	t.Logf("shipped jail, per-packet modes: maxretry %d, findtime %v; running with -max-per-source %d -window %v", maxretry, findtime, n, window)

	// The flood: 16 scanners with about 1,500 packets each, spoofed
	// random-source SYNs and legitimate clients, 3 s ending now.
	const records, rate = 24000, 8000
	span := int64(records) * int64(time.Second) / rate
	start := time.Now().Add(-time.Duration(span) - 2*time.Second)
	o := synth.Options{N: records, Seed: 42, Snap: 116, Mix: synth.Flood, Start: start, Rate: rate,
		Scanners: 16, NoisePermille: 1, LegitPermille: 1}

	// Sources the generator does not make, with known outcomes.
	var extras []extra
	base := start.UnixNano()
	add := func(src [4]byte, count int, syn bool, from, to int64) {
		for i := 0; i < count; i++ {
			extras = append(extras, extra{at: from + (to-from)*int64(i)/int64(count), src: src, syn: syn, dport: uint16(1 + i)})
		}
	}
	sneaky := [][4]byte{{192, 0, 2, 11}, {192, 0, 2, 12}, {192, 0, 2, 13}}
	for _, s := range sneaky {
		// Many logged passes first (they would use up a per-source cap),
		// then a scan just over maxretry.
		add(s, 10*n+37, false, base, base+span/2)
		add(s, maxretry+3, true, base+span/2, base+span-int64(time.Second))
	}
	below := [][4]byte{{192, 0, 2, 21}, {192, 0, 2, 22}}
	for _, s := range below {
		add(s, maxretry-1, true, base, base+span)
	}
	exact := [4]byte{192, 0, 2, 31}
	add(exact, maxretry, true, base+span/3, base+span/3+int64(time.Second))
	// The sentinel comes last: once fail2ban banned it, it read everything.
	sentinel := [4]byte{192, 0, 2, 254}
	add(sentinel, maxretry, true, base+span+int64(time.Millisecond), base+span+int64(100*time.Millisecond))
	slices.SortStableFunc(extras, func(a, b extra) int { return int(a.at - b.at) })

	capture := filepath.Join(dir, "flood.pcap")
	writeCapture(t, capture, o, extras)

	full := filepath.Join(dir, "full.log")
	capped := filepath.Join(dir, "capped.log")
	// Per-packet counting (modes normal and aggressive) is what flood
	// control protects; decision lines are internal/scantest's.
	run(t, bin, "-nodetect", "-r", capture, "-o", full)
	run(t, bin, "-nodetect", "-r", capture, "-o", capped, "-max-per-source", strconv.Itoa(n), "-window", window.String())
	fullSize, cappedSize := size(t, full), size(t, capped)
	fullLines, cappedLines := lines(t, full), lines(t, capped)
	t.Logf("log without cap: %d lines, %d bytes; with cap: %d lines, %d bytes (%.0fx smaller)",
		fullLines, fullSize, cappedLines, cappedSize, float64(fullSize)/float64(cappedSize))
	if fullLines != records+len(extras) {
		t.Fatalf("uncapped log has %d lines, want one per record (%d)", fullLines, records+len(extras))
	}
	// Each scanner sends about 75 times what the cap lets through; the
	// extras and the random sources below the cap dilute that.
	if fullSize < 10*cappedSize {
		t.Errorf("capped log only %.1fx smaller, want >= 10x", float64(fullSize)/float64(cappedSize))
	}
	if summaries := countMatching(t, capped, " pfasciilogd: suppressed "); summaries == 0 {
		t.Error("capped log has no summary lines")
	}

	// Both logs through real fail2ban, both filter modes, two servers
	// running at once.
	got := map[string]map[string][]string{}
	type run struct {
		srv   *f2btest.Server
		dir   string
		jails []string
	}
	var runs []run
	for _, name := range []string{"full", "capped"} {
		d := filepath.Join(dir, "f2b-"+name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		srv, jails := startFail2ban(t, d, map[string]string{"full": full, "capped": capped}[name], jail)
		runs = append(runs, run{srv, d, jails})
	}
	for _, r := range runs {
		// which one is which: the jails are named after the log
		for jailName, ips := range waitBans(t, r.srv, r.dir, r.jails, netip.AddrFrom4(sentinel).String()) {
			logName, mode, _ := strings.Cut(jailName, "-")
			if got[mode] == nil {
				got[mode] = map[string][]string{}
			}
			got[mode][logName] = ips
		}
	}
	for _, mode := range []string{"normal", "aggressive"} {
		a, b := got[mode]["full"], got[mode]["capped"]
		t.Logf("%s mode: %d banned without cap, %d with", mode, len(a), len(b))
		if !slices.Equal(a, b) {
			t.Errorf("%s mode: bans differ\nwithout cap: %v\nwith cap:    %v", mode, a, b)
		}
		// And they are the right ones.
		for _, s := range append(append([][4]byte{}, sneaky...), exact, sentinel) {
			if ip := netip.AddrFrom4(s).String(); !slices.Contains(a, ip) {
				t.Errorf("%s mode: %s not banned without cap", mode, ip)
			}
		}
		for _, s := range below {
			if ip := netip.AddrFrom4(s).String(); slices.Contains(a, ip) {
				t.Errorf("%s mode: %s banned with %d < maxretry lines", mode, ip, maxretry-1)
			}
		}
		if len(a) < 16+len(sneaky)+2 {
			t.Errorf("%s mode: only %d bans; the 16 scanners are missing", mode, len(a))
		}
	}
}

func writeCapture(t *testing.T, path string, o synth.Options, extras []extra) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := gen.NewWriter(bw, o.Snap)
	if err != nil {
		t.Fatal(err)
	}
	var rec gen.Record
	flushExtras := func(until int64) error {
		for len(extras) > 0 && extras[0].at <= until {
			e := extras[0]
			extras = extras[1:]
			h := gen.DefaultHeader(pflog.AFInet)
			h.RuleNr = 3
			if !e.syn {
				h.Action, h.RuleNr = pflog.ActionPass, 7
			}
			rec = gen.Record{Sec: e.at / 1e9, Nsec: e.at % 1e9, Hdr: h, Packet: tcp4(e.src, e.dport, e.syn), Snap: o.Snap}
			if err := w.Write(&rec); err != nil {
				return err
			}
		}
		return nil
	}
	err = synth.Records(o, func(r *gen.Record) error {
		if err := flushExtras(r.Sec*1e9 + r.Nsec); err != nil {
			return err
		}
		return w.Write(r)
	})
	if err == nil {
		err = flushExtras(1 << 62)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, bin string, args ...string) {
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("pfasciilogd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func size(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func lines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte{'\n'})
}

func countMatching(t *testing.T, path, sub string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte(sub))
}

// startFail2ban starts a fail2ban-server with two jails on log (the
// shipped filter in normal and aggressive mode, the maxretry and findtime
// the shipped jail's comments give for them, and its bantime) and a ban action that records the
// addresses in dir/bans.
func startFail2ban(t *testing.T, dir, log string, jail map[string]string) (*f2btest.Server, []string) {
	name := strings.TrimPrefix(filepath.Base(dir), "f2b-")
	shipped, err := os.ReadFile(filepath.Join(repoRootFromHere(), "fail2ban", "filter.d", "pfasciilogd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	jails := []string{name + "-normal", name + "-aggressive"}
	var local strings.Builder
	for i, filter := range []string{"pfasciilogd[mode=normal]", "pfasciilogd[mode=aggressive]"} {
		fmt.Fprintf(&local, "[%s]\nenabled = true\nfilter = %s\nlogpath = %s\naction = record\nmaxretry = %s\nfindtime = %s\nbantime = %s\n\n",
			jails[i], filter, log, jail["maxretry"], jail["findtime"], jail["bantime"])
	}
	srv := f2btest.Start(t, f2btest.Config{Dir: dir, LogLevel: "NOTICE", Files: map[string]string{
		"filter.d/pfasciilogd.conf": string(shipped),
		"action.d/record.conf":      f2btest.RecordAction(filepath.Join(dir, "bans")),
		"jail.conf":                 "[DEFAULT]\nbackend = polling\nusedns = no\nignoreself = false\nignoreip = 127.0.0.0/8 ::1\n",
		"jail.local":                local.String(),
	}})
	return srv, jails
}

// waitBans waits until both jails banned the sentinel (the last line of
// the log: fail2ban has read everything) and every ban fail2ban counted
// went through the record action; it returns the banned addresses per
// jail. The wait follows fail2ban's failure counters: it only gives up
// when they stop moving (f2btest.Stall).
func waitBans(t *testing.T, srv *f2btest.Server, dir string, jails []string, sentinel string) map[string][]string {
	bans := map[string][]string{}
	srv.Wait("fail2ban bans the sentinel "+sentinel+" in "+strings.Join(jails, " and "), func() (bool, string) {
		done := true
		var mark strings.Builder
		for _, j := range jails {
			st, err := srv.Status(j)
			if err != nil {
				return false, err.Error()
			}
			ips, n := f2btest.Recorded(filepath.Join(dir, "bans"), j)
			bans[j] = ips
			fmt.Fprintf(&mark, "%s: %d failed, %d banned, %d recorded; ", j, st.TotalFailed, st.TotalBanned, n)
			if !slices.Contains(ips, sentinel) || n < st.TotalBanned {
				done = false
			}
		}
		return done, mark.String()
	})
	return bans
}

func repoRootFromHere() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
