// Package crowdsec holds no code: its tests check the CrowdSec files that
// port/examples/crowdsec ships against the real crowdsec (Debian's 1.4.6
// and its offline hub), and what CrowdSec's stock pf collection makes of
// the daemon's -format filterlog lines.
//
// The harness (harness_test.go) gives each test a private crowdsec: a
// configuration directory with its own sqlite database, a copy of the
// offline hub in /usr/share/crowdsec/hub, a local API on a free port of
// 127.0.0.1, agents that replay one source in time-machine mode
// (crowdsec -dsn ... -type ... -no-api -no-capi) or follow acquis.d, and
// push their alerts to that API. Every wait ends on crowdsec's progress;
// the bounds only catch hangs.
//
//   - the daemon's log of a labelled capture (decision lines from a
//     stand-in for the detector until it lands: daemonLog is the one
//     function to swap), replayed from the log file, as syslog lines and
//     from a real journald, gives exactly one ban per scanner — scope Ip
//     for an address, Range for a /64 — and none for anyone else, at the
//     decision line's own time; a starting bouncer receives the same;
//   - the shipped acquisition, with an agent following a log that appears
//     after it started, gives the same bans; its commented variants pass
//     crowdsec -t;
//   - the stock pf collection bans TCP SYN and UDP scanners from our
//     filterlog lines, with the limits the README lists.
//
// A missing crowdsec is a loud skip locally and a failure under CI=true.
package crowdsec
