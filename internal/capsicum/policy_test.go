package capsicum

import "testing"

// TestDecide: every combination of the setup, with the message the
// daemon logs when it declines for a reason of its configuration.
func TestDecide(t *testing.T) {
	const (
		follow    = "not entering Capsicum capability mode: -F follows a file by its path"
		reconnect = "not entering Capsicum capability mode: syslog and journal outputs reconnect by address"
		both      = "not entering Capsicum capability mode: -F follows a file by its path; syslog and journal outputs reconnect by address"
	)
	for mask := 0; mask < 1<<5; mask++ {
		s := Setup{Supported: mask&1 != 0, Disabled: mask&2 != 0, Service: mask&4 != 0,
			FollowPath: mask&8 != 0, Reconnect: mask&16 != 0}
		var want Decision
		switch {
		case !s.Supported, s.Disabled, !s.Service:
			// Silent: Capsicum absent or off, or plain -r.
		case s.FollowPath && s.Reconnect:
			want.Message = both
		case s.FollowPath:
			want.Message = follow
		case s.Reconnect:
			want.Message = reconnect
		default:
			want.Enter = true
		}
		if got := Decide(s); got != want {
			t.Errorf("Decide(%+v) = %+v, want %+v", s, got, want)
		}
	}
}

// TestDecideCases names the combinations an administrator meets.
func TestDecideCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     Setup
		enter bool
		msg   string
	}{
		{"live capture to a file", Setup{Supported: true, Service: true}, true, ""},
		{"live capture, -nocapsicum", Setup{Supported: true, Disabled: true, Service: true}, false, ""},
		{"not FreeBSD", Setup{Service: true}, false, ""},
		{"plain -r", Setup{Supported: true}, false, ""},
		{"plain -r with -syslog", Setup{Supported: true, Reconnect: true}, false, ""},
		{"-F", Setup{Supported: true, Service: true, FollowPath: true}, false,
			"not entering Capsicum capability mode: -F follows a file by its path"},
		{"-syslog-remote", Setup{Supported: true, Service: true, Reconnect: true}, false,
			"not entering Capsicum capability mode: syslog and journal outputs reconnect by address"},
		{"-F -journal, -nocapsicum", Setup{Supported: true, Disabled: true, Service: true, FollowPath: true, Reconnect: true}, false, ""},
	} {
		if got := Decide(tc.s); got.Enter != tc.enter || got.Message != tc.msg {
			t.Errorf("%s: %+v, want enter %v message %q", tc.name, got, tc.enter, tc.msg)
		}
	}
}
