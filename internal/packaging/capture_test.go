package packaging

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// pkt describes one logged packet: the pf side (action, direction, rule,
// anchor, uid, ridentifier) and the IP packet. It is what both the
// fail2ban-regex table and the end-to-end scenario are built from.
type pkt struct {
	src, dst     string // IPv4 or IPv6 literal; both of the same family
	proto        string // tcp, udp, icmp (echo request), icmp-reply, esp
	flags        string // tcp flags: S F R P A U E W (A = ack)
	sport, dport uint16
	pass         bool   // action pass instead of block
	out          bool   // direction out instead of in
	rule         uint32 // rule number (0 means 1)
	anchor       string // anchor name; sub rule number is subrule
	subrule      uint32
	uid          uint32 // 0 = none
	rid          uint32 // ridentifier, 0 = none
	snap         int    // pflogd-style snaplen for the whole record, 0 = full
}

// record builds the pflog record for p at the given time; the IP packet
// is gen.Probe's, with Linux's TCP window (29200) and SYN options.
func (p pkt) record(t testing.TB, sec, nsec int64) *gen.Record {
	t.Helper()
	r, err := gen.Probe{Src: p.src, Dst: p.dst, Proto: p.proto, Flags: p.flags, SPort: p.sport, DPort: p.dport,
		Window: 29200, SYNOptions: gen.LinuxSYNOptions()}.Record(sec, nsec)
	if err != nil {
		t.Fatal(err)
	}
	h := &r.Hdr
	if p.pass {
		h.Action = pflog.ActionPass
	}
	if p.out {
		h.Dir = pflog.DirOut
	}
	h.RuleNr = 1
	if p.rule != 0 {
		h.RuleNr = p.rule
	}
	if p.anchor != "" {
		h.SetRuleset(p.anchor)
		h.SubRuleNr = p.subrule
	}
	if p.uid != 0 {
		h.UID = p.uid
	}
	h.RIdentifier = p.rid
	r.Snap = p.snap
	return r
}

// writeCapture writes records to a pcap file in dir and returns its path.
func writeCapture(t testing.TB, path string, snaplen int, recs []*gen.Record) string {
	t.Helper()
	if err := gen.WriteFile(path, snaplen, recs...); err != nil {
		t.Fatal(err)
	}
	return path
}

// captureFile writes the records into a new file in t.TempDir().
func captureFile(t testing.TB, name string, snaplen int, recs []*gen.Record) string {
	t.Helper()
	return writeCapture(t, filepath.Join(t.TempDir(), name), snaplen, recs)
}

func (p pkt) String() string {
	s := fmt.Sprintf("%s %s>%s", p.proto, p.src, p.dst)
	if p.flags != "" {
		s += " [" + p.flags + "]"
	}
	return s
}
