// Package scantest holds labelled port-scan scenarios and the tests that
// play them through the real daemon into a real fail2ban-server (issue
// 12, "Tests").
//
// The generator (scenario.go) builds pflog records with internal/gen:
// every source is labelled scanner or innocent, every record says whether
// the decision-line contract counts it as evidence and for which
// (protocol, port), and an oracle written from the documented contract
// (distinct ports, weights 3/1, 24 within 5 s, 30 within 1 h, IPv6 by
// /64; model.go) marks the one record of each scanner that crosses its
// threshold. The tests:
//
//   - TestScenariosDetect feeds every scenario's records through
//     detect.Classify and Observe (no daemon): the detector decides at
//     exactly the marked records, names exactly the labelled sources, and
//     never an innocent.
//   - TestFail2banScenarios appends the records to a capture file at
//     their own timestamps (near now), the real daemon follows it (-F),
//     a real fail2ban-server reads its log in scan mode (internal/f2btest):
//     the banned set is exactly the scanners (an IPv6 /64 as a /64), and
//     each is banned soon after the record that crossed its threshold.
//   - TestFail2banFlood does the same inside a 20,000 packets/s flood of
//     one-packet spoofed sources: every scanner banned within 5 s of
//     crossing, fail2ban's lag measured, the log bounded by the line
//     budget.
//
// Measured figures are printed with t.Logf and as lines starting with
// "SCANTEST " on standard output, for grep.
package scantest
