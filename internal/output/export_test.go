package output

import "time"

// SetSyslogClock makes s read the time from now, so that a test can let
// the reconnect throttle's second pass without waiting for it.
func SetSyslogClock(s *Syslog, now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}
