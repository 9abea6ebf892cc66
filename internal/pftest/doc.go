// Package pftest is a strict, test-only model of pf(4)'s configuration
// language and of pfctl(8), for the tests of the files pfasciilogd ships
// (the pf.conf examples, the fail2ban pf action). pfctl cannot run off
// FreeBSD, so this stand-in reads the subset of pf.conf(5) those files
// use, by the grammar of FreeBSD's sbin/pfctl/parse.y, and rejects the
// rest the way pfctl does: "stdin:LINE: syntax error" (or the specific
// complaint, such as "unknown protocol all") and exit status 1.
//
//   - Parse reads a ruleset (macros, set skip, scrub, table, anchor,
//     antispoof, pass and block rules).
//   - Eval decides a packet as pf does: states first, then the rules,
//     the last matching rule wins, a matching "quick" rule (also one in
//     an anchor) ends the evaluation, no match passes.
//   - Pfctl is a pfctl(8) command line for what fail2ban's pf actions
//     run (-a ANCHOR -f-, -sr, -t TABLE -T add|delete|flush|kill|show),
//     keeping rules and tables in a state file between invocations.
//     A test binary becomes this pfctl when it runs as "pfctl" (see
//     RunPfctlIfCalled and InstallPfctl).
//
// It was written from pf.conf(5), pfctl(8) and the grammar in parse.y;
// it shares no code with them.
package pftest
