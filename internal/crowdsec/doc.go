// Package crowdsec holds no code: its tests check the CrowdSec files that
// port/examples/crowdsec ships (the parser of the daemon's decision
// lines, the scenarios that turn one decision into one alert of scope Ip
// or Range, the acquisition examples) against the real crowdsec, and what
// CrowdSec's stock pf collection makes of the daemon's -format filterlog
// lines.
//
// The harness (harness_test.go) gives each test a private crowdsec: a
// configuration directory with its own sqlite database, a copy of the
// offline hub Debian's crowdsec package ships in /usr/share/crowdsec/hub,
// a local API on a free port of 127.0.0.1 and agents that replay one log
// file in time-machine mode (crowdsec -dsn file://... -type ... -no-api
// -no-capi) and push their alerts to that API. The tests then read the
// decisions back with cscli and compare the exact set with the labelled
// scenario. A missing crowdsec is a loud skip locally and a failure under
// CI=true.
package crowdsec
