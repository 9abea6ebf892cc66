package synth

import (
	"math/rand/v2"
	"net"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
)

// sampleRecord is one hand-picked record of the Sample mix.
type sampleRecord struct {
	k       kind
	layout  pflog.Layout // 0: FreeBSD >= 13.1
	action  uint8
	dir     uint8
	rule    uint32
	anchor  string
	sub     uint32
	iface   string
	uid     uint32 // 0: none
	rid     uint32
	src     string
	dst     string
	sp, dp  uint16
	afterMS int64 // milliseconds after the previous record
}

const (
	blk  = pflog.ActionDrop
	pass = pflog.ActionPass
	in   = pflog.DirIn
	out  = pflog.DirOut
)

// sampleRecords covers every kind of line: TCP flag combinations with
// and without options, payload, UDP, DNS, ICMP echo, reply and errors,
// IPv6 TCP/UDP/ICMPv6, pass and block in both directions, anchors, uid,
// ridentifier, the legacy and OpenBSD layouts, several interfaces, and a
// scanner that a jail with maxretry 5 bans.
var sampleRecords = []sampleRecord{
	{k: kSyn, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "198.51.100.23", dst: "192.0.2.10", sp: 41854, dp: 22, afterMS: 0},
	{k: kSyn, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "198.51.100.23", dst: "192.0.2.10", sp: 41856, dp: 6379, afterMS: 120},
	{k: kSynAck, action: blk, dir: in, rule: 2, iface: "vtnet0", src: "203.0.113.9", dst: "192.0.2.10", sp: 443, dp: 51000, afterMS: 310},
	{k: kRst, action: blk, dir: in, rule: 2, iface: "vtnet0", src: "203.0.113.9", dst: "192.0.2.10", sp: 443, dp: 51000, afterMS: 5},
	{k: kRstAck, action: blk, dir: in, rule: 2, iface: "vtnet0", src: "192.0.2.200", dst: "192.0.2.10", sp: 52011, dp: 443, afterMS: 40},
	{k: kAck, action: blk, dir: in, rule: 2, iface: "vtnet0", src: "192.0.2.200", dst: "192.0.2.10", sp: 52011, dp: 443, afterMS: 2},
	{k: kFinAck, action: blk, dir: in, rule: 2, iface: "vtnet0", src: "192.0.2.200", dst: "192.0.2.10", sp: 52011, dp: 443, afterMS: 3},
	{k: kPshAck, action: blk, dir: in, rule: 2, iface: "vtnet0", src: "192.0.2.200", dst: "192.0.2.10", sp: 52011, dp: 443, afterMS: 1},
	{k: kUDP, action: blk, dir: in, rule: 3, iface: "vtnet0", src: "198.51.100.77", dst: "192.0.2.10", sp: 53211, dp: 33434, afterMS: 250},
	{k: kDNS, action: blk, dir: in, rule: 3, iface: "vtnet0", src: "198.51.100.78", dst: "192.0.2.10", sp: 40123, dp: 53, afterMS: 90},
	{k: kEcho, action: blk, dir: in, rule: 4, iface: "vtnet0", src: "203.0.113.44", dst: "192.0.2.10", sp: 7, dp: 1, afterMS: 60},
	{k: kEchoReply, action: pass, dir: out, rule: 40, iface: "vtnet0", src: "192.0.2.10", dst: "203.0.113.44", sp: 7, dp: 1, afterMS: 1},
	{k: kUnreach, action: blk, dir: in, rule: 4, iface: "vtnet0", src: "203.0.113.1", dst: "192.0.2.10", sp: 33434, dp: 33435, afterMS: 700},
	{k: kSyn6, action: blk, dir: in, rule: 5, iface: "vtnet0", src: "2001:db8:99::7", dst: "2001:db8:1::1", sp: 40000, dp: 22, afterMS: 30},
	{k: kAck6, action: blk, dir: in, rule: 5, iface: "vtnet0", src: "2001:db8:99::8", dst: "2001:db8:1::1", sp: 40001, dp: 443, afterMS: 15},
	{k: kUDP6, action: blk, dir: in, rule: 5, iface: "vtnet0", src: "2001:db8:99::9", dst: "2001:db8:1::1", sp: 53211, dp: 5354, afterMS: 15},
	{k: kEcho6, action: blk, dir: in, rule: 6, iface: "vtnet0", src: "2001:db8:99::a", dst: "2001:db8:1::1", sp: 9, dp: 1, afterMS: 15},
	{k: kSyn, action: pass, dir: in, rule: 12, iface: "em0", src: "192.0.2.33", dst: "192.0.2.10", sp: 50522, dp: 443, afterMS: 400},
	{k: kSyn, action: pass, dir: out, rule: 50, iface: "em0", uid: 1001, src: "192.0.2.10", dst: "198.51.100.250", sp: 61000, dp: 443, afterMS: 35},
	{k: kUDP, action: blk, dir: out, rule: 51, iface: "em0", src: "192.0.2.10", dst: "198.51.100.251", sp: 41000, dp: 33434, afterMS: 20},
	{k: kSyn, action: blk, dir: in, rule: 7, anchor: "f2b/sshd", sub: 0, iface: "vtnet0", src: "198.51.100.101", dst: "192.0.2.10", sp: 33001, dp: 22, afterMS: 80},
	{k: kSyn, action: blk, dir: in, rule: 8, anchor: "blocklistd", sub: 2, iface: "vtnet0", rid: 1200, src: "198.51.100.102", dst: "192.0.2.10", sp: 33002, dp: 25, afterMS: 80},
	{k: kSyn, action: blk, dir: in, rule: 9, iface: "igb1", rid: 4711, src: "198.51.100.103", dst: "192.0.2.10", sp: 33003, dp: 3389, afterMS: 80},
	{k: kSyn, layout: pflog.LayoutLegacy, action: blk, dir: in, rule: 1, iface: "re0", src: "198.51.100.104", dst: "192.0.2.10", sp: 33004, dp: 22, afterMS: 80},
	{k: kUDP, layout: pflog.LayoutLegacy, action: blk, dir: in, rule: 3, iface: "re0", src: "198.51.100.105", dst: "192.0.2.10", sp: 33005, dp: 33436, afterMS: 80},
	{k: kSyn, layout: pflog.LayoutOpenBSD, action: blk, dir: in, rule: 1, iface: "vio0", src: "198.51.100.106", dst: "192.0.2.10", sp: 33006, dp: 22, afterMS: 80},
	{k: kSyn6, layout: pflog.LayoutOpenBSD, action: blk, dir: in, rule: 1, iface: "vio0", src: "2001:db8:99::b", dst: "2001:db8:1::1", sp: 33007, dp: 22, afterMS: 80},
	{k: kSynNoOpts, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "203.0.113.50", dst: "192.0.2.10", sp: 51234, dp: 21, afterMS: 500},
	{k: kSynNoOpts, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "203.0.113.50", dst: "192.0.2.10", sp: 51234, dp: 22, afterMS: 1},
	{k: kSynNoOpts, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "203.0.113.50", dst: "192.0.2.10", sp: 51234, dp: 23, afterMS: 1},
	{k: kSynNoOpts, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "203.0.113.50", dst: "192.0.2.10", sp: 51234, dp: 25, afterMS: 1},
	{k: kSynNoOpts, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "203.0.113.50", dst: "192.0.2.10", sp: 51234, dp: 80, afterMS: 1},
	{k: kSynNoOpts, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "203.0.113.50", dst: "192.0.2.10", sp: 51234, dp: 110, afterMS: 1},
	{k: kSynNoOpts, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "203.0.113.50", dst: "192.0.2.10", sp: 51234, dp: 443, afterMS: 1},
	{k: kSynNoOpts, action: blk, dir: in, rule: 1, iface: "vtnet0", src: "203.0.113.50", dst: "192.0.2.10", sp: 51234, dp: 3306, afterMS: 1},
	{k: kUDP, action: pass, dir: in, rule: 20, iface: "wg0", src: "198.51.100.150", dst: "192.0.2.10", sp: 51820, dp: 51820, afterMS: 300},
	{k: kEcho, action: blk, dir: in, rule: 4, iface: "lagg0", src: "198.51.100.151", dst: "192.0.2.10", sp: 99, dp: 3, afterMS: 100},
	{k: kSyn, action: pflog.ActionMatch, dir: in, rule: 30, iface: "vtnet0", src: "198.51.100.152", dst: "192.0.2.10", sp: 44444, dp: 8080, afterMS: 100},
	{k: kEcho6, action: pass, dir: out, rule: 41, iface: "vtnet0", src: "2001:db8:1::1", dst: "2001:db8:99::a", sp: 10, dp: 2, afterMS: 100},
	{k: kRstAck, action: blk, dir: out, rule: 52, iface: "vtnet0", src: "192.0.2.10", dst: "198.51.100.23", sp: 22, dp: 41854, afterMS: 50},
}

func addr(s string) []byte {
	ip := net.ParseIP(s)
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip.To16()
}

// sample writes the Sample mix. It ignores N and Seed: the capture is
// the same every time (given Start and Snap).
func (g *generator) sample(w *gen.Writer) error {
	g.rng = rand.New(rand.NewPCG(1, 2))
	t := g.start
	for i := range sampleRecords {
		s := &sampleRecords[i]
		t += s.afterMS * 1e6
		v6 := g.tpl[s.k].v6
		g.rec.Packet = g.packet(s.k, addr(s.src), addr(s.dst), s.sp, s.dp)
		h := header(s.layout, v6, s.action, s.dir, s.rule, s.iface)
		if s.anchor != "" {
			h.SetRuleset(s.anchor)
			h.SubRuleNr = s.sub
		}
		if s.uid != 0 {
			h.UID, h.PID = s.uid, 4242
		}
		if h.Layout == pflog.LayoutFreeBSD {
			h.RIdentifier = s.rid
		}
		if h.Layout == pflog.LayoutOpenBSD {
			copy(h.SAddr[:], addr(s.src))
			copy(h.DAddr[:], addr(s.dst))
			h.SPort, h.DPort = s.sp, s.dp
		}
		g.rec.Hdr = h
		g.rec.Sec, g.rec.Nsec = t/1e9, t%1e9
		g.rec.Snap = snapFor(g.o.Snap, h.Layout)
		if err := w.Write(&g.rec); err != nil {
			return err
		}
	}
	return nil
}
