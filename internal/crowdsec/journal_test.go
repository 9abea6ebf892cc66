package crowdsec

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// The journal test runs a real systemd-journald. So that it never touches
// a journald that already runs, or the host's journal, the test
// re-executes itself in a private mount namespace (unshare(1)) with fresh
// tmpfs on /run and /var/log/journal; journald, journalctl and crowdsec
// live in that namespace and vanish with it.
const journalNSEnv = "PFASCIILOGD_TEST_CROWDSEC_JOURNAL_NAMESPACE"

func journaldPath() string {
	for _, p := range []string{"/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// TestCrowdSecJournal: the decisions as pfasciilogd -journal sends them
// (contract 1: MESSAGE the line after its time stamp, PF_EVENT=scan and
// the PF_ fields), next to per-packet entries, read by the real crowdsec
// through its journalctl source with the filter of the shipped
// acquisition (SYSLOG_IDENTIFIER=pfasciilogd PF_EVENT=scan): one ban per
// scanner, Ip or Range, nobody else.
func TestCrowdSecJournal(t *testing.T) {
	if os.Getenv(journalNSEnv) == "" {
		needCrowdSec(t)
		testtool.Need(t, "journalctl", "systemd")
		testtool.Need(t, "unshare", "util-linux")
		testtool.NeedFile(t, "systemd-journald", "systemd", "/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
		testtool.NeedRoot(t, "systemd-journald in a private mount namespace")
		cmd := exec.Command("unshare", "--mount", "--propagation", "private",
			os.Args[0], "-test.run=^TestCrowdSecJournal$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), journalNSEnv+"=1")
		out, err := cmd.CombinedOutput()
		t.Logf("in a private mount namespace:\n%s", out)
		if err != nil {
			t.Fatalf("namespace run: %v", err)
		}
		if !bytes.Contains(out, []byte("--- PASS: TestCrowdSecJournal")) || bytes.Contains(out, []byte("--- SKIP")) {
			t.Fatal("the namespace run did not pass")
		}
		return
	}

	run(t, "mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run")
	if _, err := os.Stat("/var/log/journal"); err == nil {
		run(t, "mount", "-t", "tmpfs", "-o", "mode=2755", "tmpfs", "/var/log/journal")
	}
	startJournald(t)

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
	waitJournal(t, sent)

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

func startJournald(t *testing.T) {
	t.Helper()
	for _, d := range []string{"/run/systemd/journal", "/run/log/journal"} {
		must(t, os.MkdirAll(d, 0o755))
	}
	var logs bytes.Buffer
	cmd := exec.Command(journaldPath())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	must(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(stopBound):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(lapiStartBound)
	for {
		c, err := net.Dial("unixgram", "/run/systemd/journal/socket")
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			t.Fatalf("systemd-journald exited: %v\n%s", cmd.ProcessState, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("journald socket did not appear within %v: %v\n%s", lapiStartBound, err, logs.String())
		}
	}
}

// waitJournal waits until journalctl shows n entries of pfasciilogd,
// following the entry count: it fails only when journald stops adding.
func waitJournal(t *testing.T, n int) {
	t.Helper()
	got := 0
	testtool.WaitProgress(t, fmt.Sprintf("journalctl to show the %d entries sent", n), func() bool {
		out, err := exec.Command("journalctl", "-q", "--no-pager", "-o", "cat", "SYSLOG_IDENTIFIER=pfasciilogd").Output()
		if err != nil {
			t.Fatalf("journalctl: %v", err)
		}
		got = bytes.Count(out, []byte("\n"))
		return got >= n
	}, func() int64 { return int64(got) })
}
