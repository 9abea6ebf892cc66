package pftest

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Packet is what a rule can look at.
type Packet struct {
	If       string
	Dir      string // "in" or "out"
	Proto    int
	Src, Dst netip.Addr
	SPort    uint16
	DPort    uint16
	Flags    string // TCP flags, "S", "SA", "A", ...
	ICMPType int
}

func (p Packet) af() int {
	if p.Src.Is4() {
		return 4
	}
	return 6
}

func (p Packet) String() string {
	return fmt.Sprintf("%s %s proto %d %s:%d -> %s:%d flags %q type %d", p.Dir, p.If, p.Proto, p.Src, p.SPort, p.Dst, p.DPort, p.Flags, p.ICMPType)
}

// Verdict is pf's decision for a packet.
type Verdict struct {
	Pass    bool
	Log     bool
	LogIf   string
	Rule    *Rule // nil: no rule matched (pass), or a state matched
	ByState bool
}

func (v Verdict) String() string {
	s := "block"
	if v.Pass {
		s = "pass"
	}
	if v.Log {
		s += " log"
	}
	switch {
	case v.ByState:
		s += " (state)"
	case v.Rule == nil:
		s += " (no rule)"
	default:
		s += fmt.Sprintf(" (line %d: %s)", v.Rule.Line, v.Rule.Text)
	}
	return s
}

type stateKey struct {
	proto        int
	a, b         netip.Addr
	aport, bport uint16
}

// Firewall is a loaded main ruleset plus its anchors, with a state table.
type Firewall struct {
	Main    *Ruleset
	Anchors map[string]*Ruleset // by full name, "f2b/pfasciilogd"
	states  map[stateKey]bool
}

// NewFirewall returns a firewall running main.
func NewFirewall(main *Ruleset) *Firewall {
	return &Firewall{Main: main, Anchors: map[string]*Ruleset{}, states: map[stateKey]bool{}}
}

// Eval decides p and, when a stateful pass rule passed it, creates its
// state.
func (fw *Firewall) Eval(p Packet) Verdict {
	if slices.Contains(fw.Main.Skip, p.If) {
		return Verdict{Pass: true}
	}
	sp, dp := p.SPort, p.DPort
	if p.Proto == 1 || p.Proto == 58 {
		// ICMP states are per type; an echo reply belongs to its request.
		t := uint16(p.ICMPType)
		switch {
		case p.Proto == 1 && t == 0:
			t = 8
		case p.Proto == 58 && t == 129:
			t = 128
		}
		sp, dp = t, t
	}
	k := stateKey{p.Proto, p.Src, p.Dst, sp, dp}
	rev := stateKey{p.Proto, p.Dst, p.Src, dp, sp}
	if fw.states[k] || fw.states[rev] {
		return Verdict{Pass: true, ByState: true}
	}
	var last *Rule
	fw.evalRules(fw.Main, p, &last)
	if last == nil {
		return Verdict{Pass: true}
	}
	v := Verdict{Pass: last.Action == "pass", Log: last.Log, LogIf: last.LogIf, Rule: last}
	if v.Log && v.LogIf == "" {
		v.LogIf = "pflog0"
	}
	if v.Pass && last.State {
		fw.states[k] = true
	}
	return v
}

// evalRules walks rs; it reports whether a quick rule ended evaluation.
func (fw *Firewall) evalRules(rs *Ruleset, p Packet, last **Rule) bool {
	for _, r := range rs.Rules {
		if r.Anchor != "" {
			for _, a := range fw.anchorsFor(r.Anchor) {
				if fw.evalRules(a, p, last) {
					return true
				}
			}
			continue
		}
		if rs.match(r, p) {
			*last = r
			if r.Quick {
				return true
			}
		}
	}
	return false
}

// anchorsFor: "f2b/*" evaluates every anchor directly below f2b, in
// name order; "name" just that one.
func (fw *Firewall) anchorsFor(call string) []*Ruleset {
	var names []string
	if parent, ok := strings.CutSuffix(call, "/*"); ok {
		for n := range fw.Anchors {
			if rest, ok := strings.CutPrefix(n, parent+"/"); ok && !strings.Contains(rest, "/") {
				names = append(names, n)
			}
		}
	} else if fw.Anchors[call] != nil {
		names = append(names, call)
	}
	slices.Sort(names)
	var out []*Ruleset
	for _, n := range names {
		out = append(out, fw.Anchors[n])
	}
	return out
}

func (rs *Ruleset) match(r *Rule, p Packet) bool {
	if r.Dir != "" && r.Dir != p.Dir {
		return false
	}
	if len(r.Ifs) > 0 && slices.Contains(r.Ifs, p.If) == r.IfNot {
		return false
	}
	if r.AF != 0 && r.AF != p.af() {
		return false
	}
	if len(r.Protos) > 0 && !slices.Contains(r.Protos, p.Proto) {
		return false
	}
	if !rs.hostMatch(r.From, p.Src, p.SPort, r.AF) || !rs.hostMatch(r.To, p.Dst, p.DPort, r.AF) {
		return false
	}
	if p.Proto == 6 && r.FlagsMask != 0 {
		f, _ := tcpFlags(p.Flags)
		if f&r.FlagsMask != r.Flags {
			return false
		}
	}
	if len(r.ICMPTypes) > 0 && !slices.Contains(r.ICMPTypes, p.ICMPType) {
		return false
	}
	return true
}

func (rs *Ruleset) hostMatch(h Host, a netip.Addr, port uint16, af int) bool {
	if len(h.Ports) > 0 {
		ok := false
		for _, pr := range h.Ports {
			ok = ok || port >= pr.Lo && port <= pr.Hi
		}
		if !ok {
			return false
		}
	}
	if len(h.Items) == 0 {
		return true
	}
	// A list matches when one element matches (a negated element matches
	// what it does not contain).
	for _, it := range h.Items {
		if rs.itemContains(it, a) != it.Not {
			return true
		}
	}
	return false
}

func (rs *Ruleset) itemContains(it AddrItem, a netip.Addr) bool {
	switch {
	case it.Table != "":
		t := rs.Tables[it.Table]
		if t == nil {
			return false
		}
		for _, pf := range t.Addrs {
			if pf.Contains(a) {
				return true
			}
		}
		return false
	case it.Iface != "":
		for _, pf := range rs.Ifaces[it.Iface] {
			if it.Network && pf.Masked().Contains(a) || !it.Network && pf.Addr() == a {
				return true
			}
		}
		return false
	}
	return it.Prefix.Contains(a)
}
