// Package packaging holds no code: its tests check the files that make
// pfasciilogd a FreeBSD package, against the real tools where they exist.
//
//   - the top-level Makefile, run with bmake and with GNU make, installs
//     exactly what port/pkg-plist lists (plus the USE_RC_SUBR script),
//     with PREFIX substituted and @sample files handled as pkg does;
//   - rc.d/pfasciilogd passes shellcheck -s sh, equals the port's
//     files/pfasciilogd.in, and, run by /bin/sh against a stand-in
//     rc.subr, sets up the defaults, flags, pflog interfaces and signals
//     it should;
//   - the newsyslog.conf.d line parses per newsyslog.conf(5) and agrees
//     with the rc.d, daemon and fail2ban jail paths and signal; what
//     "make install" activates names only existing users (newsyslog
//     refuses its whole configuration otherwise);
//   - the shipped pf action, rendered by fail2ban-client -d as fail2ban
//     1.0 and 1.1 render it, loads into the strict pfctl stand-in
//     (internal/pftest), where fail2ban's pf action with protocol=all
//     fails;
//   - the example pf.conf files, evaluated with pf's semantics, pass
//     IPv6 neighbour and router discovery, MLD, SSH and replies to the
//     host's own traffic, block and log a scanner, and block a banned
//     host first;
//   - rc.d runs in classic jails only to follow files, and says why not;
//   - pfasciilogd.8 is clean under mandoc -Tlint;
//   - the fail2ban filter, through fail2ban-regex, matches exactly the
//     expected sources for every line kind in both modes, on lines from
//     the real tcpdump and from the real daemon; the jail is sane;
//   - end to end: a pflog capture of scanners and legitimate traffic,
//     followed by the real pfasciilogd across log and capture rotation,
//     read by a real fail2ban-server (internal/f2btest) with the shipped
//     filter, jail and pf action and the strict pfctl stand-in: exactly
//     the scanners are in pf's table, and the example pf.conf blocks
//     every protocol they send.
package packaging
