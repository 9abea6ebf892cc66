package capsicum

import "strings"

// Setup is what decides whether the daemon enters capability mode: the
// system, the command line, and what the configured inputs and outputs
// must still do by path or by address once they are open.
type Setup struct {
	Supported  bool // the system has Capsicum (Supported())
	Disabled   bool // -nocapsicum
	Service    bool // runs until stopped (live capture, -F); plain -r ends by itself
	FollowPath bool // -F: a followed file is opened again by its path after rotation
	Reconnect  bool // an output connects again by address (-syslog, -syslog-remote, -journal)
}

// Decision is what Decide says: enter capability mode, or not and, when
// the administrator should know why, the message to log.
type Decision struct {
	Enter bool
	// Message is set when the daemon declines for a reason of its
	// configuration; it is empty when it enters, and when it declines
	// because Capsicum is off or absent or the run is not a service,
	// which need no word at every start.
	Message string
}

// Decide says whether a daemon set up as s enters capability mode. It
// only decides: limiting the descriptors and cap_enter(2) are Limit and
// Enter, which can still fail.
func Decide(s Setup) Decision {
	if !s.Supported || s.Disabled || !s.Service {
		return Decision{}
	}
	var why []string
	if s.FollowPath {
		why = append(why, "-F follows a file by its path")
	}
	if s.Reconnect {
		why = append(why, "syslog and journal outputs reconnect by address")
	}
	if len(why) > 0 {
		return Decision{Message: "not entering Capsicum capability mode: " + strings.Join(why, "; ")}
	}
	return Decision{Enter: true}
}
