package crowdsec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// offlineHub is the hub snapshot Debian's crowdsec package ships; the
// tests never reach the online hub or the Central API.
const offlineHub = "/usr/share/crowdsec/hub"

// systemPatterns holds crowdsec's grok patterns (Debian: /etc/crowdsec).
const systemPatterns = "/etc/crowdsec/patterns"

// Bounds for hangs only: every wait below ends as soon as crowdsec makes
// the progress it waits for (the API listens, the agent exits).
const (
	lapiStartBound = 3 * time.Minute
	replayBound    = 5 * time.Minute
	stopBound      = time.Minute
)

// examples is the directory of the shipped CrowdSec files.
var examples = filepath.Join(root, "port", "examples", "crowdsec")

// crowdSec is one private crowdsec installation: configuration, hub copy,
// sqlite database and a running local API, all under a temporary
// directory, removed (and the API stopped) when the test ends.
type crowdSec struct {
	t        *testing.T
	dir      string
	config   string
	crowdsec string
	cscli    string
	port     int
	lapi     *exec.Cmd
	lapiLog  string
	lapiDone chan struct{}
}

// needCrowdSec checks first thing in a test that crowdsec and cscli are
// installed: a loud skip, or a failure under CI=true.
func needCrowdSec(t *testing.T) {
	t.Helper()
	testtool.Need(t, "crowdsec", "crowdsec")
	testtool.Need(t, "cscli", "crowdsec")
}

// newCrowdSec makes the configuration, registers a machine for the agent,
// enables the hub items (parsers/crowdsecurity/syslog-logs,
// collections/firewallservices/pf, ...) from the offline hub, copies the
// local files (target path under the configuration directory -> source
// file) and starts the local API.
func newCrowdSec(t *testing.T, hubItems []string, local map[string]string) *crowdSec {
	t.Helper()
	c := &crowdSec{
		t:        t,
		crowdsec: testtool.Need(t, "crowdsec", "crowdsec"),
		cscli:    testtool.Need(t, "cscli", "crowdsec"),
	}
	for _, p := range []string{offlineHub, systemPatterns} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("crowdsec is installed but %v: reinstall the Debian package crowdsec", err)
		}
	}
	c.dir = t.TempDir()
	etc := filepath.Join(c.dir, "etc")
	for _, d := range []string{etc, filepath.Join(c.dir, "data")} {
		must(t, os.MkdirAll(d, 0o755))
	}
	// The hub is copied, not used in place: cscli writes below hub_dir
	// when it thinks an item needs refreshing, and /usr/share is the
	// package's.
	run(t, "cp", "-R", offlineHub, filepath.Join(c.dir, "hub"))
	run(t, "cp", "-R", systemPatterns, filepath.Join(etc, "patterns"))

	c.config = filepath.Join(etc, "config.yaml")
	c.port = freePort(t)
	writeFile(t, c.config, fmt.Sprintf(configTemplate, c.dir, c.port))
	writeFile(t, filepath.Join(etc, "simulation.yaml"), "simulation: false\n")
	writeFile(t, filepath.Join(etc, "acquis.yaml"), "")
	// crowdsec 1.4's default profile (scope Ip) and the shipped one for
	// scope Range, as the README tells an administrator to set them up.
	profiles := readFile(t, filepath.Join(examples, "profiles-range.yaml"))
	writeFile(t, filepath.Join(etc, "profiles.yaml"), defaultIPProfile+"---\n"+profiles)

	c.cli("machines", "add", "agent", "--password", "pfasciilogd-test-agent",
		"-f", filepath.Join(etc, "local_api_credentials.yaml"))
	for _, item := range hubItems {
		kind, name, ok := strings.Cut(item, "/")
		if !ok {
			t.Fatalf("hub item %q: want kind/author/name", item)
		}
		// --branch: without it cscli asks version.crowdsec.net which hub
		// branch to use, even for items it has offline.
		c.cli("--branch", "master", kind, "install", name)
	}
	for dst, src := range local {
		p := filepath.Join(etc, dst)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		writeFile(t, p, readFile(t, src))
	}
	c.startLAPI()
	return c
}

// configTemplate is config.yaml: %[1]s the test's directory, %[2]d the
// API's port. No Central API, no prometheus listener, logs on stdout.
const configTemplate = `common:
  daemonize: false
  log_media: stdout
  log_level: info
  working_dir: .
config_paths:
  config_dir: %[1]s/etc/
  data_dir: %[1]s/data/
  simulation_path: %[1]s/etc/simulation.yaml
  hub_dir: %[1]s/hub/
  index_path: %[1]s/hub/.index.json
  notification_dir: %[1]s/etc/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
crowdsec_service:
  acquisition_path: %[1]s/etc/acquis.yaml
  acquisition_dir: %[1]s/etc/acquis.d
  parser_routines: 1
cscli:
  output: json
db_config:
  log_level: info
  type: sqlite
  db_path: %[1]s/data/crowdsec.db
  use_wal: false
api:
  client:
    insecure_skip_verify: false
    credentials_path: %[1]s/etc/local_api_credentials.yaml
  server:
    log_level: info
    listen_uri: 127.0.0.1:%[2]d
    profiles_path: %[1]s/etc/profiles.yaml
    trusted_ips:
      - 127.0.0.1
prometheus:
  enabled: false
`

// defaultIPProfile is crowdsec 1.4.6's /etc/crowdsec/profiles.yaml.
const defaultIPProfile = `name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
`

// env is the environment of every crowdsec and cscli process: UTC, so
// that syslog time stamps without a zone mean what the test wrote.
func env() []string { return append(os.Environ(), "TZ=UTC") }

// cli runs cscli with the private configuration and returns its standard
// output.
func (c *crowdSec) cli(args ...string) []byte {
	c.t.Helper()
	cmd := exec.Command(c.cscli, append([]string{"-c", c.config}, args...)...)
	cmd.Env = env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("cscli %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// startLAPI runs "crowdsec -no-cs -no-capi" (the local API alone) and
// waits until it accepts connections on its port, or fails when it exits
// first. Another program may take the free port between freePort and
// crowdsec's bind; then the API is tried again on another port.
func (c *crowdSec) startLAPI() {
	t := c.t
	t.Helper()
	for attempt := 1; ; attempt++ {
		if c.tryLAPI() {
			return
		}
		if attempt == 3 {
			t.Fatalf("the local API found its port taken %d times:\n%s", attempt, readFile(t, c.lapiLog))
		}
		old := fmt.Sprintf("127.0.0.1:%d", c.port)
		c.port = freePort(t)
		now := fmt.Sprintf("127.0.0.1:%d", c.port)
		for _, f := range []string{c.config, filepath.Join(c.dir, "etc", "local_api_credentials.yaml")} {
			writeFile(t, f, strings.ReplaceAll(readFile(t, f), old, now))
		}
	}
}

// tryLAPI starts the local API once; false means its port was taken.
func (c *crowdSec) tryLAPI() bool {
	t := c.t
	t.Helper()
	c.lapiLog = filepath.Join(c.dir, "lapi.log")
	logf, err := os.Create(c.lapiLog)
	must(t, err)
	c.lapi = exec.Command(c.crowdsec, "-c", c.config, "-no-cs", "-no-capi")
	c.lapi.Env = env()
	c.lapi.Stdout, c.lapi.Stderr = logf, logf
	must(t, c.lapi.Start())
	logf.Close()
	done := make(chan struct{})
	c.lapiDone = done
	go func(cmd *exec.Cmd) { cmd.Wait(); close(done) }(c.lapi)

	addr := fmt.Sprintf("127.0.0.1:%d", c.port)
	deadline := time.Now().Add(lapiStartBound)
	for {
		select {
		case <-done:
			log := readFile(t, c.lapiLog)
			if strings.Contains(log, "address already in use") {
				return false
			}
			t.Fatalf("the local API exited before listening (%v):\n%s", c.lapi.ProcessState, log)
		case <-time.After(50 * time.Millisecond):
		}
		// crowdsec logs "listening on" before it binds; only its own
		// answer to a bouncer without a key proves it listens.
		if strings.Contains(readFile(t, c.lapiLog), "CrowdSec Local API listening on") && isLAPI(addr) {
			t.Cleanup(c.stopLAPI)
			return true
		}
		if time.Now().After(deadline) {
			t.Fatalf("the local API did not listen on %s within %v (hung?):\n%s", addr, lapiStartBound, readFile(t, c.lapiLog))
		}
	}
}

// isLAPI tells whether crowdsec's local API answers on addr: a request
// for decisions without an API key gets its 403 "access forbidden".
func isLAPI(addr string) bool {
	resp, err := http.Get("http://" + addr + "/v1/decisions")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode == http.StatusForbidden && strings.Contains(string(body), "access forbidden")
}

func (c *crowdSec) stopLAPI() {
	select {
	case <-c.lapiDone:
		return
	default:
	}
	c.lapi.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.lapiDone:
	case <-time.After(stopBound):
		c.lapi.Process.Kill()
		<-c.lapiDone
		c.t.Errorf("the local API did not stop on SIGTERM within %v", stopBound)
	}
	if c.t.Failed() {
		c.t.Logf("local API log:\n%s", readFile(c.t, c.lapiLog))
	}
}

// replay runs the agent once over a log file in time-machine mode, the
// way an administrator replays a log (crowdsec -dsn file://PATH -type
// TYPE -no-api): its buckets use the log's own times, and it pushes its
// alerts to the local API before it exits once the file is read. It
// returns the agent's output.
func (c *crowdSec) replay(path, typ string) string {
	c.t.Helper()
	abs, err := filepath.Abs(path)
	must(c.t, err)
	return c.replayDSN("file://"+abs, typ)
}

// replayDSN is replay for any data source crowdsec -dsn reads
// (file://PATH, journalctl://filters=...).
func (c *crowdSec) replayDSN(dsn, typ string) string {
	t := c.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replayBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.crowdsec, "-c", c.config, "-dsn", dsn, "-type", typ, "-no-api", "-no-capi")
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("crowdsec replay of %s did not finish within %v (hung?):\n%s", dsn, replayBound, out)
	}
	if err != nil {
		t.Fatalf("crowdsec replay of %s: %v\n%s", dsn, err, out)
	}
	if !strings.Contains(string(out), "Acquisition is finished") {
		t.Fatalf("crowdsec replay of %s ended without finishing acquisition:\n%s", dsn, out)
	}
	return string(out)
}

// startAgent runs the agent in its normal, following mode (crowdsec
// -no-api -no-capi: the sources of acquis.d, alerts to the local API), as
// on a firewall whose LAPI runs elsewhere, and waits until it has set up
// its sources. It is stopped when the test ends.
func (c *crowdSec) startAgent() {
	t := c.t
	t.Helper()
	logPath := filepath.Join(c.dir, "agent.log")
	logf, err := os.Create(logPath)
	must(t, err)
	cmd := exec.Command(c.crowdsec, "-c", c.config, "-no-api", "-no-capi")
	cmd.Env = env()
	cmd.Stdout, cmd.Stderr = logf, logf
	must(t, cmd.Start())
	logf.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(stopBound):
			cmd.Process.Kill()
			<-done
			t.Errorf("the agent did not stop on SIGTERM within %v", stopBound)
		}
		if t.Failed() {
			t.Logf("agent log:\n%s", readFile(t, logPath))
		}
	})
	deadline := time.Now().Add(lapiStartBound)
	for !strings.Contains(readFile(t, logPath), "Starting processing data") {
		select {
		case <-done:
			t.Fatalf("the agent exited before reading its sources (%v):\n%s", cmd.ProcessState, readFile(t, logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not start reading within %v (hung?):\n%s", lapiStartBound, readFile(t, logPath))
		}
	}
}

// waitDecisions polls the local API until its decisions are exactly want
// (sorted), failing at once on a decision that is not wanted, and after
// a generous bound if the agent makes no progress.
func (c *crowdSec) waitDecisions(want []string) []string {
	c.t.Helper()
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w] = true
	}
	deadline := time.Now().Add(replayBound)
	for {
		got, _ := c.decisions()
		for _, g := range got {
			if !wanted[g] {
				c.t.Fatalf("unwanted decision %s; decisions so far:\n  %s", g, strings.Join(got, "\n  "))
			}
		}
		if len(got) == len(want) {
			return got
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("after %v the local API has\n  %s\nwant\n  %s", replayBound, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// alert is what "cscli decisions list -o json" prints: the alerts that
// have active decisions, with those decisions.
type alert struct {
	Scenario string `json:"scenario"`
	StartAt  string `json:"start_at"`
	Source   struct {
		Scope string `json:"scope"`
		Value string `json:"value"`
	} `json:"source"`
	Events []struct {
		Meta []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"meta"`
	} `json:"events"`
	Decisions []struct {
		Origin   string `json:"origin"`
		Scenario string `json:"scenario"`
		Scope    string `json:"scope"`
		Type     string `json:"type"`
		Value    string `json:"value"`
	} `json:"decisions"`
}

// decisions returns the local API's active decisions as sorted
// "Scope:value type scenario" strings, and the alerts behind them.
func (c *crowdSec) decisions() ([]string, []alert) {
	c.t.Helper()
	out := c.cli("decisions", "list", "-o", "json")
	var alerts []alert
	if err := json.Unmarshal(out, &alerts); err != nil {
		c.t.Fatalf("cscli decisions list -o json: %v\n%s", err, out)
	}
	var got []string
	for _, a := range alerts {
		for _, d := range a.Decisions {
			got = append(got, d.Scope+":"+d.Value+" "+d.Type+" "+d.Scenario)
		}
	}
	sort.Strings(got)
	return got, alerts
}

// bouncerView returns what a bouncer (security/crowdsec-firewall-bouncer
// in pf mode) receives from the local API when it starts: the decisions
// of GET /v1/decisions/stream?startup=true, with the scopes the API sends
// by default, as sorted "Scope:value type" strings.
func (c *crowdSec) bouncerView() []string {
	t := c.t
	t.Helper()
	key := strings.TrimSpace(string(c.cli("bouncers", "add", "pf-test", "-o", "raw")))
	req, err := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/v1/decisions/stream?startup=true", c.port), nil)
	must(t, err)
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("decisions stream: %s\n%s", resp.Status, body)
	}
	var stream struct {
		New []struct {
			Scope string `json:"scope"`
			Value string `json:"value"`
			Type  string `json:"type"`
		} `json:"new"`
	}
	if err := json.Unmarshal(body, &stream); err != nil {
		t.Fatalf("decisions stream: %v\n%s", err, body)
	}
	var got []string
	for _, d := range stream.New {
		got = append(got, d.Scope+":"+d.Value+" "+d.Type)
	}
	sort.Strings(got)
	return got
}

// crowdsecTime parses the time stamps cscli prints ("2026-12-01
// 20:54:39.123456 +0000 UTC").
func crowdsecTime(s string) (time.Time, error) {
	return time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", s)
}

// freePort returns a port of 127.0.0.1 that was free a moment ago (a
// variable so that a test can hand out a taken one).
var freePort = func(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return string(b)
}

func writeFile(t testing.TB, path, s string) {
	t.Helper()
	must(t, os.WriteFile(path, []byte(s), 0o644))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
