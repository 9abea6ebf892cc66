package pftest

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Protocol numbers by the names getprotobyname(3) knows on FreeBSD
// (/etc/protocols), for the protocols a filter rule commonly names. There
// is no protocol "all" (or "any").
var protocols = map[string]int{
	"icmp": 1, "igmp": 2, "ipencap": 4, "tcp": 6, "udp": 17, "ipv6": 41,
	"gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58, "icmp6": 58,
	"ospf": 89, "pim": 103, "carp": 112, "vrrp": 112, "sctp": 132, "pfsync": 240,
}

// Service names by getservbyname(3) (/etc/services), for ports.
var services = map[string]uint16{
	"ssh": 22, "smtp": 25, "domain": 53, "http": 80, "ntp": 123,
	"https": 443, "submission": 587, "imaps": 993,
}

// ICMP types by pfctl's names (pfctl_parser.c icmp_type / icmp6_type).
var icmpTypes = map[string]int{
	"echorep": 0, "unreach": 3, "squench": 4, "redir": 5, "althost": 6,
	"echoreq": 8, "routeradv": 9, "routersol": 10, "timex": 11,
	"paramprob": 12, "timereq": 13, "timerep": 14, "inforeq": 15,
	"inforep": 16, "maskreq": 17, "maskrep": 18, "trace": 30,
}

var icmp6Types = map[string]int{
	"unreach": 1, "toobig": 2, "timex": 3, "paramprob": 4,
	"echoreq": 128, "echorep": 129, "groupqry": 130, "listqry": 130,
	"grouprep": 131, "listenrep": 131, "groupterm": 132, "listendone": 132,
	"routersol": 133, "routeradv": 134, "neighbrsol": 135, "neighbradv": 136,
	"redir": 137, "routrrenum": 138, "niqry": 139, "nirep": 140,
	"listenrepv2": 143,
}

// Error is what pfctl prints for a rejected ruleset: "stdin:3: syntax error".
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// AddrItem is one element of a host list.
type AddrItem struct {
	Not     bool
	Prefix  netip.Prefix // an address or network
	Table   string       // <name>
	Iface   string       // an interface's addresses: "vtnet0" or "(vtnet0)"
	Network bool         // Iface:network
}

// Host is the from or to part of a rule; Any when empty.
type Host struct {
	Items []AddrItem
	Ports []PortRange
}

// PortRange is an inclusive range of ports.
type PortRange struct{ Lo, Hi uint16 }

// Rule is a filter rule, an anchor call or a rule antispoof expands to.
type Rule struct {
	Line      int
	Text      string // the source text, macros expanded
	Anchor    string // anchor "NAME": evaluate that anchor's rules here
	Action    string // "pass" or "block"
	Dir       string // "", "in", "out"
	Log       bool
	LogIf     string // log (to pflogN)
	Quick     bool
	IfNot     bool
	Ifs       []string
	AF        int // 0, 4, 6
	Protos    []int
	From, To  Host
	FlagsSet  bool
	Flags     byte // flags F/M: F
	FlagsMask byte // M (0 with "flags any")
	ICMPTypes []int
	State     bool
}

// Table is a pf table.
type Table struct {
	Persist, Const, Counters bool
	Addrs                    []netip.Prefix
}

// Ruleset is a parsed pf.conf or anchor.
type Ruleset struct {
	Skip   []string
	Rules  []*Rule
	Tables map[string]*Table
	// Ifaces gives the addresses of interfaces named in rules
	// ("($ext_if)", antispoof); the caller supplies them.
	Ifaces map[string][]netip.Prefix
}

var macroDef = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$`)
var tableName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,30}$`)

// Parse reads a ruleset. file names it in errors ("stdin" for -f-);
// ifaces are the interfaces' addresses (for "($if)", "$if:network" and
// antispoof); unknown interfaces have none.
func Parse(file, text string, ifaces map[string][]netip.Prefix) (*Ruleset, error) {
	rs := &Ruleset{Tables: map[string]*Table{}, Ifaces: ifaces}
	macros := map[string]string{}
	// pfctl's order: options, normalization, queueing, translation,
	// filtering.
	const (
		stNone = iota
		stOption
		stScrub
		stFilter
	)
	state := stNone
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := lines[i]
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + lines[i]
		}
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fail := func(format string, args ...any) error {
			return &Error{File: file, Line: lineNo, Msg: fmt.Sprintf(format, args...)}
		}
		if m := macroDef.FindStringSubmatch(line); m != nil {
			v := strings.TrimSpace(m[2])
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			} else if strings.ContainsAny(v, " \t\"") {
				return nil, fail("syntax error")
			}
			macros[m[1]] = v
			continue
		}
		expanded, err := expand(line, macros)
		if err != nil {
			return nil, fail("%v", err)
		}
		toks, err := lex(expanded)
		if err != nil {
			return nil, fail("syntax error")
		}
		p := &parser{toks: toks, rs: rs}
		order := func(want int) error {
			if state > want {
				return fail("Rules must be in order: options, ethernet, normalization, queueing, translation, filtering")
			}
			state = want
			return nil
		}
		switch toks[0] {
		case "set":
			if err := order(stOption); err != nil {
				return nil, err
			}
			err = p.set()
		case "scrub":
			if err := order(stScrub); err != nil {
				return nil, err
			}
			err = p.scrub()
		case "table":
			err = p.table()
		case "anchor", "pass", "block", "antispoof":
			if err := order(stFilter); err != nil {
				return nil, err
			}
			var rules []*Rule
			switch toks[0] {
			case "anchor":
				rules, err = p.anchor()
			case "antispoof":
				rules, err = p.antispoof()
			default:
				var r *Rule
				r, err = p.rule()
				rules = []*Rule{r}
			}
			for _, r := range rules {
				if r != nil {
					r.Line, r.Text = lineNo, expanded
					rs.Rules = append(rs.Rules, r)
				}
			}
		default:
			err = errSyntax
		}
		if err == nil && !p.done() {
			err = errSyntax
		}
		if err != nil {
			return nil, fail("%v", err)
		}
	}
	// A rule naming a table that no "table" statement defines creates it.
	for _, r := range rs.Rules {
		for _, h := range []Host{r.From, r.To} {
			for _, it := range h.Items {
				if it.Table != "" && rs.Tables[it.Table] == nil {
					rs.Tables[it.Table] = &Table{}
				}
			}
		}
	}
	return rs, nil
}

func expand(line string, macros map[string]string) (string, error) {
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '"' {
			inQuote = !inQuote
		}
		if c != '$' || inQuote {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(line) && (line[j] == '_' || line[j] >= 'a' && line[j] <= 'z' || line[j] >= 'A' && line[j] <= 'Z' || line[j] >= '0' && line[j] <= '9') {
			j++
		}
		name := line[i+1 : j]
		v, ok := macros[name]
		if !ok {
			return "", fmt.Errorf("macro '%s' not defined", name)
		}
		b.WriteString(v)
		i = j - 1
	}
	return b.String(), nil
}

var errSyntax = fmt.Errorf("syntax error")

// lex splits a line into words, quoted strings (kept with their quotes),
// <table> names and the punctuation { } ( ) , ! .
func lex(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.IndexByte("{}(),!", c) >= 0:
			toks = append(toks, string(c))
			i++
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, errSyntax
			}
			toks = append(toks, s[i:i+j+2])
			i += j + 2
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return nil, errSyntax
			}
			toks = append(toks, s[i:i+j+1])
			i += j + 1
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t{}(),!\"<>", s[j]) < 0 {
				j++
			}
			if j == i {
				return nil, errSyntax
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks []string
	pos  int
	rs   *Ruleset
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *parser) next() string { t := p.peek(); p.pos++; return t }

func (p *parser) accept(w string) bool {
	if p.peek() == w {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(w string) error {
	if !p.accept(w) {
		return errSyntax
	}
	return nil
}

func (p *parser) done() bool { return p.pos >= len(p.toks) }

// list reads "item" or "{ item[,] item ... }".
func (p *parser) list() ([]string, error) {
	if !p.accept("{") {
		t := p.next()
		if t == "" || strings.Contains("{}(),!", t) {
			return nil, errSyntax
		}
		return []string{t}, nil
	}
	var items []string
	for {
		t := p.next()
		switch t {
		case "}":
			if len(items) == 0 {
				return nil, errSyntax
			}
			return items, nil
		case ",":
			continue
		case "", "{", "(", ")", "!":
			return nil, errSyntax
		}
		items = append(items, t)
	}
}

func (p *parser) ifname() (string, error) {
	t := p.next()
	if !regexp.MustCompile(`^[a-z][a-z0-9_.]*[0-9]?$`).MatchString(t) {
		return "", errSyntax
	}
	return t, nil
}

func (p *parser) set() error {
	p.next()
	switch p.next() {
	case "skip":
		if err := p.expect("on"); err != nil {
			return err
		}
		ifs, err := p.list()
		p.rs.Skip = append(p.rs.Skip, ifs...)
		return err
	case "block-policy":
		if t := p.next(); t != "drop" && t != "return" {
			return errSyntax
		}
		return nil
	case "loginterface":
		_, err := p.ifname()
		return err
	}
	return errSyntax
}

// scrub [in|out] [on IF] [inet|inet6] all [fragment reassemble]
func (p *parser) scrub() error {
	p.next()
	if !p.accept("in") {
		p.accept("out")
	}
	if p.accept("on") {
		if _, err := p.ifname(); err != nil {
			return err
		}
	}
	if !p.accept("inet") {
		p.accept("inet6")
	}
	if err := p.expect("all"); err != nil {
		return err
	}
	if p.accept("fragment") {
		return p.expect("reassemble")
	}
	return nil
}

// table <name> [persist] [const] [counters] [{ addr ... }]
func (p *parser) table() error {
	p.next()
	t := p.next()
	name, ok := strings.CutPrefix(t, "<")
	name, ok2 := strings.CutSuffix(name, ">")
	if !ok || !ok2 || !tableName.MatchString(name) {
		return errSyntax
	}
	tb := &Table{}
	for !p.done() {
		switch p.peek() {
		case "persist":
			tb.Persist = true
		case "const":
			tb.Const = true
		case "counters":
			tb.Counters = true
		case "{":
			items, err := p.list()
			if err != nil {
				return err
			}
			for _, it := range items {
				pf, err := parsePrefix(it)
				if err != nil {
					return err
				}
				tb.Addrs = append(tb.Addrs, pf)
			}
			continue
		default:
			return errSyntax
		}
		p.next()
	}
	if _, dup := p.rs.Tables[name]; dup {
		return fmt.Errorf("table <%s> redefined", name)
	}
	p.rs.Tables[name] = tb
	return nil
}

// anchor "name" (a bare anchor call; no filter options)
func (p *parser) anchor() ([]*Rule, error) {
	p.next()
	t := p.next()
	if len(t) < 3 || t[0] != '"' {
		return nil, errSyntax
	}
	name := t[1 : len(t)-1]
	if name == "" || strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("anchor names beginning with '/' are reserved")
	}
	return []*Rule{{Anchor: name}}, nil
}

// antispoof [log] [quick] for IF [inet|inet6], expanded as pf.conf(5)
// says: "block in on ! IF from IF's networks to any" and "block in from
// IF's addresses to any", per address family.
func (p *parser) antispoof() ([]*Rule, error) {
	p.next()
	log, quick := false, false
	for {
		if p.accept("log") {
			log = true
		} else if p.accept("quick") {
			quick = true
		} else {
			break
		}
	}
	if err := p.expect("for"); err != nil {
		return nil, err
	}
	ifs, err := p.list()
	if err != nil {
		return nil, err
	}
	af := 0
	if p.accept("inet") {
		af = 4
	} else if p.accept("inet6") {
		af = 6
	}
	var rules []*Rule
	for _, ifn := range ifs {
		for _, pf := range p.rs.Ifaces[ifn] {
			a := 4
			if pf.Addr().Is6() {
				a = 6
			}
			if af != 0 && a != af {
				continue
			}
			own := Host{Items: []AddrItem{{Prefix: netip.PrefixFrom(pf.Addr(), pf.Addr().BitLen())}}}
			if pf.Addr().IsLinkLocalUnicast() && a == 6 {
				// pfctl's interface-network lookup skips scoped
				// (link-local) addresses, and the address itself is
				// bound to its interface: one rule, "on IF".
				rules = append(rules, &Rule{Action: "block", Dir: "in", Log: log, Quick: quick, Ifs: []string{ifn}, AF: a, From: own})
				continue
			}
			rules = append(rules,
				&Rule{Action: "block", Dir: "in", Log: log, Quick: quick, IfNot: true, Ifs: []string{ifn}, AF: a,
					From: Host{Items: []AddrItem{{Prefix: pf.Masked()}}}},
				&Rule{Action: "block", Dir: "in", Log: log, Quick: quick, AF: a, From: own})
		}
	}
	return rules, nil
}

// rule: action [in|out] [log [(to IF)]] [quick] [on [!] IF] [af]
// [proto P|{...}] (all | [from HOST [port P]] [to HOST [port P]])
// [flags F/M|any] [icmp-type T|{...}] [icmp6-type T|{...}]
// [keep state|no state|modulate state]
func (p *parser) rule() (*Rule, error) {
	r := &Rule{Action: p.next()}
	if r.Action == "block" {
		if !p.accept("drop") {
			p.accept("return")
		}
	}
	if p.accept("in") {
		r.Dir = "in"
	} else if p.accept("out") {
		r.Dir = "out"
	}
	for i := 0; i < 2; i++ {
		if !r.Log && p.accept("log") {
			r.Log = true
			if p.accept("(") {
				if err := p.expect("to"); err != nil {
					return nil, err
				}
				ifn, err := p.ifname()
				if err != nil {
					return nil, err
				}
				r.LogIf = ifn
				if err := p.expect(")"); err != nil {
					return nil, err
				}
			}
		} else if !r.Quick && p.accept("quick") {
			r.Quick = true
		}
	}
	if p.accept("on") {
		r.IfNot = p.accept("!")
		ifs, err := p.list()
		if err != nil {
			return nil, err
		}
		r.Ifs = ifs
	}
	if p.accept("inet") {
		r.AF = 4
	} else if p.accept("inet6") {
		r.AF = 6
	}
	if p.accept("proto") {
		names, err := p.list()
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			pr, ok := protocols[n]
			if !ok {
				v, err := strconv.Atoi(n)
				if err != nil {
					return nil, fmt.Errorf("unknown protocol %s", n)
				}
				if v < 0 || v > 255 {
					return nil, fmt.Errorf("protocol outside range")
				}
				if v == 0 {
					return nil, fmt.Errorf("proto 0 cannot be used")
				}
				pr = v
			}
			r.Protos = append(r.Protos, pr)
		}
	}
	// fromto: ALL | from os to
	if !p.accept("all") {
		if p.accept("from") {
			h, err := p.host()
			if err != nil {
				return nil, err
			}
			r.From = h
		}
		if p.accept("to") {
			h, err := p.host()
			if err != nil {
				return nil, err
			}
			r.To = h
		}
	}
	if (len(r.From.Ports) > 0 || len(r.To.Ports) > 0) && !onlyProtos(r.Protos, 6, 17, 132) {
		return nil, fmt.Errorf("port only applies to tcp/udp/sctp")
	}
	r.State = r.Action == "pass"
	for !p.done() {
		switch p.next() {
		case "flags":
			f := p.next()
			if f == "any" {
				r.FlagsSet, r.Flags, r.FlagsMask = true, 0, 0
				break
			}
			set, mask, ok := strings.Cut(f, "/")
			fs, ok1 := tcpFlags(set)
			fm, ok2 := tcpFlags(mask)
			if !ok || !ok1 || !ok2 || fm == 0 {
				return nil, errSyntax
			}
			r.FlagsSet, r.Flags, r.FlagsMask = true, fs, fm
		case "icmp-type", "icmp6-type":
			kw := p.toks[p.pos-1]
			names, err := p.list()
			if err != nil {
				return nil, err
			}
			table, want := icmpTypes, 1
			if kw == "icmp6-type" {
				table, want = icmp6Types, 58
			}
			if len(r.Protos) != 1 || r.Protos[0] != want {
				return nil, fmt.Errorf("%s only with proto %s", kw, map[int]string{1: "icmp", 58: "icmp6"}[want])
			}
			for _, n := range names {
				v, ok := table[n]
				if !ok {
					return nil, fmt.Errorf("unknown icmp-type %s", n)
				}
				r.ICMPTypes = append(r.ICMPTypes, v)
			}
		case "keep", "modulate":
			if err := p.expect("state"); err != nil {
				return nil, err
			}
			r.State = true
		case "no":
			if err := p.expect("state"); err != nil {
				return nil, err
			}
			r.State = false
		default:
			return nil, errSyntax
		}
	}
	if r.Action == "block" && r.State && p.has("keep") {
		return nil, fmt.Errorf("keep state on block rules doesn't make sense")
	}
	if r.FlagsSet && !onlyProtos(r.Protos, 6) {
		return nil, fmt.Errorf("flags only apply to tcp")
	}
	// pf's default for a stateful pass rule is "flags S/SA" for TCP.
	if r.Action == "pass" && r.State && !r.FlagsSet {
		r.Flags, r.FlagsMask = flagSYN, flagSYN|flagACK
	}
	return r, nil
}

func (p *parser) has(w string) bool {
	for _, t := range p.toks {
		if t == w {
			return true
		}
	}
	return false
}

func onlyProtos(have []int, allowed ...int) bool {
	if len(have) == 0 {
		return false
	}
	for _, h := range have {
		ok := false
		for _, a := range allowed {
			ok = ok || h == a
		}
		if !ok {
			return false
		}
	}
	return true
}

const (
	flagFIN = 1 << iota
	flagSYN
	flagRST
	flagPSH
	flagACK
	flagURG
	flagECE
	flagCWR
)

func tcpFlags(s string) (byte, bool) {
	var f byte
	for _, c := range s {
		i := strings.IndexRune("FSRPAUEW", c)
		if i < 0 {
			return 0, false
		}
		f |= 1 << i
	}
	return f, true
}

// host: any | [!] item | { [!] item, ... }, then [port P|{...}]
func (p *parser) host() (Host, error) {
	var h Host
	if !p.accept("any") {
		var words []string
		var nots []bool
		if p.accept("{") {
			for {
				if p.accept("}") {
					break
				}
				if p.accept(",") {
					continue
				}
				not := p.accept("!")
				w, err := p.hostWord()
				if err != nil {
					return h, err
				}
				words, nots = append(words, w), append(nots, not)
			}
			if len(words) == 0 {
				return h, errSyntax
			}
		} else {
			not := p.accept("!")
			w, err := p.hostWord()
			if err != nil {
				return h, err
			}
			words, nots = []string{w}, []bool{not}
		}
		for i, w := range words {
			it, err := p.addrItem(w)
			if err != nil {
				return h, err
			}
			it.Not = nots[i]
			h.Items = append(h.Items, it)
		}
	}
	if p.accept("port") {
		ports, err := p.list()
		if err != nil {
			return h, err
		}
		for _, s := range ports {
			pr, err := portRange(s)
			if err != nil {
				return h, err
			}
			h.Ports = append(h.Ports, pr)
		}
	}
	return h, nil
}

// hostWord reads one host: a word, <table> or (IF).
func (p *parser) hostWord() (string, error) {
	if p.accept("(") {
		ifn, err := p.ifname()
		if err != nil {
			return "", err
		}
		if err := p.expect(")"); err != nil {
			return "", err
		}
		return "(" + ifn + ")", nil
	}
	t := p.next()
	switch t {
	case "", "{", "}", ",", "(", ")", "!", "all", "any", "port", "from", "to", "proto", "keep", "flags":
		return "", errSyntax
	}
	return t, nil
}

func (p *parser) addrItem(w string) (AddrItem, error) {
	if name, ok := strings.CutPrefix(w, "<"); ok {
		name = strings.TrimSuffix(name, ">")
		if !tableName.MatchString(name) {
			return AddrItem{}, errSyntax
		}
		return AddrItem{Table: name}, nil
	}
	if strings.HasPrefix(w, "(") {
		return AddrItem{Iface: strings.Trim(w, "()")}, nil
	}
	if ifn, ok := strings.CutSuffix(w, ":network"); ok {
		return AddrItem{Iface: ifn, Network: true}, nil
	}
	if pf, err := parsePrefix(w); err == nil {
		return AddrItem{Prefix: pf}, nil
	}
	if _, ok := p.rs.Ifaces[w]; ok {
		return AddrItem{Iface: w}, nil
	}
	// pfctl would try a host name lookup; the stand-in knows none.
	return AddrItem{}, fmt.Errorf("no IP address found for %s", w)
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			return pf, errSyntax
		}
		return pf.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, errSyntax
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func portRange(s string) (PortRange, error) {
	lo, hi, isRange := strings.Cut(s, ":")
	l, err := port(lo)
	if err != nil {
		return PortRange{}, err
	}
	h := l
	if isRange {
		if h, err = port(hi); err != nil {
			return PortRange{}, err
		}
	}
	return PortRange{l, h}, nil
}

func port(s string) (uint16, error) {
	if v, ok := services[s]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > 65535 {
		return 0, fmt.Errorf("unknown port %s", s)
	}
	return uint16(v), nil
}
