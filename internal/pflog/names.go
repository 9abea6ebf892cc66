package pflog

import "strconv"

// Action values (sys/netpfil/pf/pf.h; 13-15 exist only on OpenBSD).
const (
	ActionPass         = 0
	ActionDrop         = 1
	ActionScrub        = 2
	ActionNoScrub      = 3
	ActionNAT          = 4
	ActionNoNAT        = 5
	ActionBINAT        = 6
	ActionNoBINAT      = 7
	ActionRDR          = 8
	ActionNoRDR        = 9
	ActionSynproxyDrop = 10
	ActionDefer        = 11
	ActionMatch        = 12
)

// Direction values.
const (
	DirInOut = 0
	DirIn    = 1
	DirOut   = 2
	DirFwd   = 3 // OpenBSD only
)

// Reason values (PFRES_*).
const (
	ReasonMatch    = 0
	ReasonBadOff   = 1
	ReasonFrag     = 2
	ReasonShort    = 3
	ReasonNorm     = 4
	ReasonMemory   = 5
	ReasonTS       = 6
	ReasonCongest  = 7
	ReasonIPOpts   = 8
	ReasonProtCsum = 9
	ReasonBadState = 10
	ReasonStateIns = 11
	ReasonMaxState = 12
	ReasonSrcLimit = 13
	ReasonSynproxy = 14
	// 15 is map-failed on FreeBSD, translate on OpenBSD; 16 no-route on OpenBSD.
)

var actionWords = [...]string{
	"pass", "block", "scrub", "noscrub", "nat", "nonat", "binat", "nobinat",
	"rdr", "nordr", "synproxy-drop", "defer", "match",
	// OpenBSD only:
	"divert", "rt", "afrt",
}

var reasonWords = [...]string{
	"match", "bad-offset", "fragment", "short", "normalize", "memory",
	"bad-timestamp", "congestion", "ip-option", "proto-cksum",
	"state-mismatch", "state-insert", "state-limit", "src-limit", "synproxy",
	"map-failed", // FreeBSD; OpenBSD's 15 and 16 are below
}

var dirWords = [...]string{"in/out", "in", "out", "fwd"}

// ActionWord returns pf's word for an action in the given layout, or ""
// when the value is unknown there.
func ActionWord(l Layout, a uint8) string {
	limit := ActionMatch
	if l == LayoutOpenBSD {
		limit = len(actionWords) - 1
	}
	if int(a) <= limit {
		return actionWords[a]
	}
	return ""
}

// ReasonWord returns pf's word for a reason in the given layout, or "".
func ReasonWord(l Layout, r uint8) string {
	if l == LayoutOpenBSD {
		switch r {
		case 15:
			return "translate"
		case 16:
			return "no-route"
		}
	}
	if int(r) < len(reasonWords) {
		return reasonWords[r]
	}
	return ""
}

// DirWord returns pf's word for a direction in the given layout, or "".
func DirWord(l Layout, d uint8) string {
	if d == DirFwd && l != LayoutOpenBSD {
		return ""
	}
	if int(d) < len(dirWords) {
		return dirWords[d]
	}
	return ""
}

// AppendAction appends the action as FreeBSD's tcpdump prints it:
// the word, or "unkn(N)" for a value the table does not know.
func AppendAction(dst []byte, h *Header) []byte {
	if w := ActionWord(h.Layout, h.Action); w != "" {
		return append(dst, w...)
	}
	return appendUnknown(dst, h.Action)
}

// AppendReason appends the reason as tcpdump prints it: "N(word)", or
// "unkn(N)" for a value the table does not know.
func AppendReason(dst []byte, h *Header) []byte {
	if w := ReasonWord(h.Layout, h.Reason); w != "" {
		dst = strconv.AppendUint(dst, uint64(h.Reason), 10)
		dst = append(dst, '(')
		dst = append(dst, w...)
		return append(dst, ')')
	}
	return appendUnknown(dst, h.Reason)
}

// AppendDir appends the direction word, or "unkn(N)".
func AppendDir(dst []byte, h *Header) []byte {
	if w := DirWord(h.Layout, h.Dir); w != "" {
		return append(dst, w...)
	}
	return appendUnknown(dst, h.Dir)
}

func appendUnknown(dst []byte, v uint8) []byte {
	dst = append(dst, "unkn("...)
	dst = strconv.AppendUint(dst, uint64(v), 10)
	return append(dst, ')')
}
