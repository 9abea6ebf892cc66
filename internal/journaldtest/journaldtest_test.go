package journaldtest_test

import (
	"testing"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/pfasciilogd/pfasciilogd/internal/journaldtest"
)

// TestHarness: a message sent to the journald Start started comes back
// through Entries with its fields, and the next Start begins with empty
// journals.
func TestHarness(t *testing.T) {
	if !journaldtest.Isolate(t) {
		return
	}
	j := journaldtest.Start(t)
	if !journal.Enabled() {
		t.Fatalf("go-systemd's journal client finds no journald on %s", journaldtest.Socket)
	}
	vars := map[string]string{"SYSLOG_IDENTIFIER": "journaldtest", "PF_TEST": "1"}
	for _, msg := range []string{"one", "two"} {
		if err := journal.Send(msg, journal.PriInfo, vars); err != nil {
			t.Fatal(err)
		}
	}
	es := journaldtest.Entries(t, 2, "SYSLOG_IDENTIFIER=journaldtest")
	if len(es) != 2 || es[0]["MESSAGE"] != "one" || es[1]["MESSAGE"] != "two" || es[1]["PF_TEST"] != "1" {
		t.Fatalf("entries %v", es)
	}
	j.Stop()
	j.Stop() // a second Stop does nothing

	journaldtest.Start(t)
	if es := journaldtest.Entries(t, 0, "SYSLOG_IDENTIFIER=journaldtest"); len(es) != 0 {
		t.Fatalf("a new journald still has %d entries of the last one: %v", len(es), es)
	}
}
