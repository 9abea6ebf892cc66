// Package pflogtest holds, for tests, the words the BSDs print for a
// pflog header's action, reason and direction, transcribed as facts from
// their sources, so that tests compare the pflog package with the BSDs
// and not with itself. Nothing here is derived from package pflog.
//
// Sources (read with the project's search tools, 2026-12-01):
//
//   - FreeBSD sys/netpfil/pf/pf.h, freebsd/freebsd-src commit
//     930361c2fdd9a3e4656dbb4182b583528916dc23: the enums
//     { PF_INOUT, PF_IN, PF_OUT } and { PF_PASS, PF_DROP, PF_SCRUB,
//     PF_NOSCRUB, PF_NAT, PF_NONAT, PF_BINAT, PF_NOBINAT, PF_RDR, PF_NORDR,
//     PF_SYNPROXY_DROP, PF_DEFER, PF_MATCH }, and PFRES_NAMES (0 "match" to
//     15 "map-failed", PFRES_MAX 16).
//   - FreeBSD contrib/tcpdump/print-pflog.c, freebsd/freebsd-src commit
//     d28066d8954abdb40fd85d92c65b3780b41b7dd8: pf_reasons, pf_actions and
//     pf_directions under __FreeBSD__, printed with tok2str(..., "unkn(%u)").
//   - OpenBSD sys/net/pfvar.h rev 1.543 (2025/04/14): { PF_INOUT, PF_IN,
//     PF_OUT, PF_FWD }, actions up to PF_DEFER, PF_MATCH, PF_DIVERT, PF_RT,
//     PF_AFRT (15), PFRES_NAMES up to 15 "translate", 16 "no-route"; the
//     words as the same print-pflog.c prints them under __OpenBSD__.
package pflogtest

import "strconv"

// FreeBSDReasons is PFRES_NAMES of FreeBSD's pf.h, by value.
var FreeBSDReasons = []string{
	"match", "bad-offset", "fragment", "short", "normalize", "memory",
	"bad-timestamp", "congestion", "ip-option", "proto-cksum",
	"state-mismatch", "state-insert", "state-limit", "src-limit",
	"synproxy", "map-failed",
}

// OpenBSDReasons is PFRES_NAMES of OpenBSD's pfvar.h, by value.
var OpenBSDReasons = []string{
	"match", "bad-offset", "fragment", "short", "normalize", "memory",
	"bad-timestamp", "congestion", "ip-option", "proto-cksum",
	"state-mismatch", "state-insert", "state-limit", "src-limit",
	"synproxy", "translate", "no-route",
}

// FreeBSDTcpdumpReasons is what FreeBSD's tcpdump prints for each reason
// value that its pf_reasons table knows, "N(word)". Its table has a typo:
// the entry "3(short)" is keyed PFRES_NORM (4), so tcpdump prints
// "unkn(3)" for 3 and, tok2str taking the first match, "3(short)" for 4.
// The daemon prints pf.h's words (3(short), 4(normalize)) instead.
var FreeBSDTcpdumpReasons = map[uint8]string{
	0: "0(match)", 1: "1(bad-offset)", 2: "2(fragment)", 4: "3(short)",
	5: "5(memory)", 6: "6(bad-timestamp)", 7: "7(congestion)",
	8: "8(ip-option)", 9: "9(proto-cksum)", 10: "10(state-mismatch)",
	11: "11(state-insert)", 12: "12(state-limit)", 13: "13(src-limit)",
	14: "14(synproxy)", 15: "15(map-failed)",
}

// FreeBSDActions is FreeBSD tcpdump's pf_actions by value (PF_PASS = 0 to
// PF_MATCH = 12), except PF_NOSCRUB: FreeBSD's table prints "scrub" for
// it; upstream tcpdump, libpcap's "pflog action" filter keywords and the
// daemon say "noscrub", which tells the two apart.
var FreeBSDActions = []string{
	"pass", "block", "scrub", "noscrub", "nat", "nonat", "binat",
	"nobinat", "rdr", "nordr", "synproxy-drop", "defer", "match",
}

// FreeBSDTcpdumpNoScrub is what FreeBSD's tcpdump prints for PF_NOSCRUB.
const FreeBSDTcpdumpNoScrub = "scrub"

// OpenBSDActions is the OpenBSD action words by value (to PF_AFRT = 15).
var OpenBSDActions = []string{
	"pass", "block", "scrub", "noscrub", "nat", "nonat", "binat",
	"nobinat", "rdr", "nordr", "synproxy-drop", "defer", "match",
	"divert", "rt", "afrt",
}

// FreeBSDDirections and OpenBSDDirections are pf_directions by value.
var (
	FreeBSDDirections = []string{"in/out", "in", "out"}
	OpenBSDDirections = []string{"in/out", "in", "out", "fwd"}
)

// Word returns words[v], or "unkn(v)" as tcpdump prints a value its table
// lacks.
func Word(words []string, v uint8) string {
	if int(v) < len(words) {
		return words[v]
	}
	return "unkn(" + itoa(v) + ")"
}

// Reason returns a reason as tcpdump prints it: "N(word)" or "unkn(N)".
func Reason(words []string, v uint8) string {
	if int(v) < len(words) {
		return itoa(v) + "(" + words[v] + ")"
	}
	return "unkn(" + itoa(v) + ")"
}

func itoa(v uint8) string { return strconv.Itoa(int(v)) }
