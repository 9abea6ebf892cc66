package daemon

import (
	"strings"
	"testing"
)

// TestStatsLineBudget: the statistics message names what the line
// budget withheld, and leaves it out when it withheld nothing.
func TestStatsLineBudget(t *testing.T) {
	var s Stats
	if strings.Contains(s.String(), "line budget") {
		t.Fatalf("budget named with nothing withheld: %s", s.String())
	}
	s.Budget.Withheld.Add(4500)
	s.Budget.Summaries.Add(3)
	if !strings.Contains(s.String(), ", line budget: lines withheld 4500, summaries 3") {
		t.Fatalf("message %s", s.String())
	}
}
