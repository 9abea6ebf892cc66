// Package floodtest proves, with the real tools, that pfasciilogd's flood
// control (-max-per-source N -window D, internal/flood) does not change
// what fail2ban bans: on a flood capture from the project's generator it
// runs the real binary with and without the cap, feeds both logs to real
// fail2ban-server instances (through internal/f2btest) with the shipped
// filter and jail settings and a ban action that records the addresses,
// and compares the banned sets. It holds only tests.
package floodtest
