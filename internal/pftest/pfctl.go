package pftest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Environment variables of the pfctl stand-in: the state file that holds
// the anchors' rules and tables between calls, and a log of every call.
const (
	EnvState = "PFTEST_PFCTL_STATE"
	EnvLog   = "PFTEST_PFCTL_LOG"
)

// State is what pf holds: per anchor ("" is the main ruleset) the rules
// loaded last and the tables.
type State struct {
	Anchors map[string]*AnchorState `json:"anchors"`
}

// AnchorState is one anchor's rules (as loaded, macros expanded) and tables.
type AnchorState struct {
	Rules  []string               `json:"rules"`
	Tables map[string]*TableState `json:"tables"`
}

// TableState is a table's flags and addresses.
type TableState struct {
	Persist  bool     `json:"persist,omitempty"`
	Counters bool     `json:"counters,omitempty"`
	Addrs    []string `json:"addrs"`
}

// ReadState reads the stand-in's state file (empty state when missing).
func ReadState(path string) (*State, error) {
	st := &State{Anchors: map[string]*AnchorState{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("pfctl stand-in state %s: %w", path, err)
	}
	if st.Anchors == nil {
		st.Anchors = map[string]*AnchorState{}
	}
	return st, nil
}

func writeState(path string, st *State) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Firewall builds the firewall the state describes: main is the main
// ruleset; the anchors' rules and tables come from the state.
func (st *State) Firewall(main *Ruleset) (*Firewall, error) {
	fw := NewFirewall(main)
	for name, a := range st.Anchors {
		if name == "" {
			continue
		}
		rs, err := Parse(name, strings.Join(a.Rules, "\n"), main.Ifaces)
		if err != nil {
			return nil, err
		}
		for tn, t := range a.Tables {
			tb := &Table{Persist: t.Persist, Counters: t.Counters}
			for _, s := range t.Addrs {
				pf, err := parsePrefix(s)
				if err != nil {
					return nil, err
				}
				tb.Addrs = append(tb.Addrs, pf)
			}
			rs.Tables[tn] = tb
		}
		fw.Anchors[name] = rs
	}
	return fw, nil
}

// RunPfctlIfCalled makes a test binary the pfctl stand-in when it was
// started under the name "pfctl" (InstallPfctl links it so): it runs the
// command line and exits. Call it first in TestMain.
func RunPfctlIfCalled() {
	if filepath.Base(os.Args[0]) != "pfctl" || os.Getenv(EnvState) == "" {
		return
	}
	os.Exit(Pfctl(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv(EnvState), os.Getenv(EnvLog)))
}

// InstallPfctl puts a "pfctl" into dir that runs this test binary as the
// stand-in, and returns the environment entries that select its state
// and log files (also under dir). The test's TestMain must call
// RunPfctlIfCalled.
func InstallPfctl(dir string) (env []string, state, log string, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", "", err
	}
	if err := os.Symlink(exe, filepath.Join(dir, "pfctl")); err != nil {
		return nil, "", "", err
	}
	state, log = filepath.Join(dir, "pf.state"), filepath.Join(dir, "pfctl.log")
	return []string{EnvState + "=" + state, EnvLog + "=" + log}, state, log, nil
}

const usage = "usage: pfctl [-a anchor] [-f file] [-s modifier] [-t table -T command [address ...]]\n"

// Pfctl runs one pfctl(8) command line against the state in statePath
// and returns its exit status. It understands what fail2ban's pf actions
// use: -a ANCHOR with -f FILE ("-" is standard input), -s rules (-sr),
// or -t TABLE -T add|delete|flush|kill|show [ADDRESS ...]; -q and -n.
// Anything else is a usage error (status 1), as are rulesets pf.conf(5)
// does not allow.
func Pfctl(args []string, stdin io.Reader, stdout, stderr io.Writer, statePath, logPath string) int {
	if logPath != "" {
		if f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err == nil {
			fmt.Fprintf(f, "pfctl %s\n", strings.Join(args, " "))
			f.Close()
		}
	}
	logf := func(format string, a ...any) {
		if logPath == "" {
			return
		}
		if f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err == nil {
			fmt.Fprintf(f, format, a...)
			f.Close()
		}
	}
	var anchor, file, show, table, tcmd string
	var quiet, dry bool
	var rest []string
	// getopt(3): options with arguments may be joined ("-f-", "-sr").
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || len(a) < 2 {
			rest = args[i:]
			break
		}
		if a == "--" {
			rest = args[i+1:]
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			switch c {
			case 'q':
				quiet = true
				continue
			case 'n':
				dry = true
				continue
			case 'a', 'f', 's', 't', 'T':
			default:
				fmt.Fprintf(stderr, "pfctl: illegal option -- %c\n%s", c, usage)
				return 1
			}
			val := a[j+1:]
			if val == "" {
				if i+1 >= len(args) {
					fmt.Fprintf(stderr, "pfctl: option requires an argument -- %c\n%s", c, usage)
					return 1
				}
				i++
				val = args[i]
			}
			switch c {
			case 'a':
				anchor = val
			case 'f':
				file = val
			case 's':
				show = val
			case 't':
				table = val
			case 'T':
				tcmd = val
			}
			break
		}
	}
	modes := 0
	for _, s := range []string{file, show, tcmd} {
		if s != "" {
			modes++
		}
	}
	if modes != 1 || (tcmd != "") != (table != "") || (len(rest) > 0 && tcmd == "") {
		fmt.Fprint(stderr, usage)
		return 1
	}
	if strings.HasPrefix(anchor, "/") || strings.Contains(anchor, "*") {
		fmt.Fprintf(stderr, "pfctl: anchor name '%s' is not valid\n", anchor)
		return 1
	}

	// Read the ruleset before taking the lock: in "pfctl -sr | ... |
	// pfctl -f-" the writer needs the lock to produce that input.
	var input []byte
	var inputErr error
	if file == "-" {
		input, inputErr = io.ReadAll(stdin)
	} else if file != "" {
		input, inputErr = os.ReadFile(file)
	}
	unlock, err := lock(statePath)
	if err != nil {
		fmt.Fprintf(stderr, "pfctl: %v\n", err)
		return 1
	}
	defer unlock()
	st, err := ReadState(statePath)
	if err != nil {
		fmt.Fprintf(stderr, "pfctl: %v\n", err)
		return 1
	}
	as := st.Anchors[anchor]
	if as == nil {
		as = &AnchorState{Tables: map[string]*TableState{}}
	}
	if as.Tables == nil {
		as.Tables = map[string]*TableState{}
	}
	save := func() int {
		if dry {
			return 0
		}
		st.Anchors[anchor] = as
		if err := writeState(statePath, st); err != nil {
			fmt.Fprintf(stderr, "pfctl: %v\n", err)
			return 1
		}
		return 0
	}

	switch {
	case file != "":
		b, name := input, file
		if file == "-" {
			name = "stdin"
		}
		if inputErr != nil {
			fmt.Fprintf(stderr, "pfctl: %s: %v\n", file, inputErr)
			return 1
		}
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			logf("  rule: %s\n", l)
		}
		rs, err := Parse(name, string(b), nil)
		if err != nil {
			fmt.Fprintf(stderr, "%v\npfctl: Syntax error in config file: pf rules not loaded\n", err)
			logf("  REJECTED: %v\n", err)
			return 1
		}
		if len(rs.Skip) > 0 && anchor != "" {
			fmt.Fprintf(stderr, "%s:1: set skip not allowed in an anchor\npfctl: Syntax error in config file: pf rules not loaded\n", name)
			return 1
		}
		// The load replaces the anchor's rules. Tables it defines are
		// created (addresses replaced); a table of an earlier load stays
		// when it is persistent or a rule still refers to it.
		var rules []string
		seen := map[int]bool{}
		for _, r := range rs.Rules {
			if !seen[r.Line] {
				seen[r.Line] = true
				rules = append(rules, r.Text)
			}
		}
		as.Rules = rules
		referenced := map[string]bool{}
		for _, r := range rs.Rules {
			for _, h := range []Host{r.From, r.To} {
				for _, it := range h.Items {
					if it.Table != "" {
						referenced[it.Table] = true
					}
				}
			}
		}
		for tn, t := range rs.Tables {
			if referencedOnly(tn, rs) {
				if as.Tables[tn] == nil {
					as.Tables[tn] = &TableState{Addrs: []string{}}
				}
				continue
			}
			nt := &TableState{Persist: t.Persist, Counters: t.Counters, Addrs: []string{}}
			for _, pf := range t.Addrs {
				nt.Addrs = append(nt.Addrs, prefixString(pf))
			}
			as.Tables[tn] = nt
		}
		for tn, t := range as.Tables {
			if !t.Persist && !referenced[tn] {
				delete(as.Tables, tn)
			}
		}
		return save()
	case show != "":
		if show != "r" && show != "rules" {
			fmt.Fprintf(stderr, "pfctl: the stand-in shows rules only (-sr), not -s%s\n", show)
			return 1
		}
		for _, r := range as.Rules {
			fmt.Fprintln(stdout, strings.Join(strings.Fields(r), " "))
		}
		return 0
	}

	// -t TABLE -T COMMAND
	if !tableName.MatchString(table) {
		fmt.Fprintf(stderr, "pfctl: invalid table name '%s'\n", table)
		return 1
	}
	t := as.Tables[table]
	say := func(format string, a ...any) {
		if !quiet {
			fmt.Fprintf(stderr, format, a...)
		}
	}
	switch tcmd {
	case "add", "delete":
		if len(rest) == 0 {
			fmt.Fprint(stderr, usage)
			return 1
		}
		var addrs []string
		for _, s := range rest {
			pf, err := parsePrefix(s)
			if err != nil {
				fmt.Fprintf(stderr, "pfctl: cannot decode %s: Invalid argument\n", s)
				return 1
			}
			addrs = append(addrs, prefixString(pf))
		}
		if t == nil {
			if tcmd == "delete" {
				fmt.Fprintln(stderr, "pfctl: Table does not exist.")
				return 1
			}
			t = &TableState{Persist: true, Addrs: []string{}}
			as.Tables[table] = t
			say("1 table created.\n")
		}
		n := 0
		for _, a := range addrs {
			i := slices.Index(t.Addrs, a)
			if tcmd == "add" && i < 0 {
				t.Addrs = append(t.Addrs, a)
				n++
			} else if tcmd == "delete" && i >= 0 {
				t.Addrs = slices.Delete(t.Addrs, i, i+1)
				n++
			}
		}
		say("%d/%d addresses %s.\n", n, len(addrs), map[string]string{"add": "added", "delete": "deleted"}[tcmd])
		return save()
	case "flush", "show", "kill":
		if len(rest) > 0 {
			fmt.Fprint(stderr, usage)
			return 1
		}
		if tcmd == "kill" {
			if t == nil {
				say("0 tables deleted.\n")
				return 0
			}
			delete(as.Tables, table)
			say("1 table deleted.\n")
			return save()
		}
		if t == nil {
			fmt.Fprintln(stderr, "pfctl: Table does not exist.")
			return 1
		}
		if tcmd == "show" {
			s := slices.Clone(t.Addrs)
			slices.Sort(s)
			for _, a := range s {
				fmt.Fprintf(stdout, "   %s\n", a)
			}
			return 0
		}
		say("%d addresses deleted.\n", len(t.Addrs))
		t.Addrs = []string{}
		return save()
	}
	fmt.Fprintf(stderr, "pfctl: unknown command '%s'\n%s", tcmd, usage)
	return 1
}

// referencedOnly: the load names the table only in rules (no "table"
// statement): Parse created it empty; the old contents stay.
func referencedOnly(name string, rs *Ruleset) bool {
	t := rs.Tables[name]
	return t != nil && !t.Persist && !t.Const && !t.Counters && len(t.Addrs) == 0
}

func prefixString(pf netip.Prefix) string {
	if pf.Bits() == pf.Addr().BitLen() {
		return pf.Addr().String()
	}
	return pf.String()
}

func lock(statePath string) (func(), error) {
	f, err := os.OpenFile(statePath+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
