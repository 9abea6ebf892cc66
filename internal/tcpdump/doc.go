// Package tcpdump prints a pflog record the way FreeBSD's tcpdump 4.99
// does with -n -e -S (no -v): the pflog header ("rule 7/0(match): block
// in on em0: ", AppendPflogPrefix, with a cache of rendered prefixes) and
// the IP packet after it (AppendPacket), including tcpdump's text for
// malformed and cut-short packets. Nothing allocates beyond growing the
// caller's buffer.
package tcpdump
