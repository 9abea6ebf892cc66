package crowdsec

import (
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/pfasciilogd/pfasciilogd/internal/journaldtest"
)

// TestCrowdSecJournal: the decisions as pfasciilogd -journal sends them
// (contract 1: MESSAGE the line after its time stamp, PF_EVENT=scan and
// the PF_ fields), next to per-packet entries, read by the real crowdsec
// through its journalctl source with the filter of the shipped
// acquisition (SYSLOG_IDENTIFIER=pfasciilogd PF_EVENT=scan): one ban per
// scanner, Ip or Range, nobody else.
func TestCrowdSecJournal(t *testing.T) {
	needCrowdSec(t)
	if !journaldtest.Isolate(t) {
		return
	}
	journaldtest.Start(t)

	actors := decisionScenario()
	start := time.Now().UTC().Add(-20 * time.Minute).Truncate(time.Second)
	log := readFile(t, daemonLog(t, actors, start))
	sent, decisions := 0, 0
	for _, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		_, msg, _ := strings.Cut(line, " ")
		vars := map[string]string{"SYSLOG_IDENTIFIER": "pfasciilogd"}
		if strings.HasPrefix(msg, "pfasciilogd: scan from ") {
			vars["PF_EVENT"] = "scan"
			vars["PF_SOURCE"], _, _ = strings.Cut(strings.TrimPrefix(msg, "pfasciilogd: scan from "), ": ")
			vars["PF_SCOPE"] = "ip"
			if strings.Contains(vars["PF_SOURCE"], "/") {
				vars["PF_SCOPE"] = "range"
			}
			decisions++
		} else if !strings.HasPrefix(msg, "pfasciilogd: ") {
			msg = line // a per-packet entry: MESSAGE is the whole line
		}
		must(t, journal.Send(msg, journal.PriInfo, vars))
		sent++
	}
	journaldtest.Entries(t, sent, "SYSLOG_IDENTIFIER=pfasciilogd")

	want := wantedBans(actors)
	if len(want) != decisions {
		t.Fatalf("%d decision entries for %d scanners", decisions, len(want))
	}

	cs := newCrowdSec(t, decisionHubItems, shipped)
	out := cs.replayDSN("journalctl://filters=SYSLOG_IDENTIFIER=pfasciilogd&filters=PF_EVENT=scan", "syslog")
	got, _ := cs.decisions()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("decisions from the journal\n  %s\nwant exactly\n  %s\nagent output:\n%s",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "), out)
	}
	t.Logf("decisions:\n  %s", strings.Join(got, "\n  "))
}
