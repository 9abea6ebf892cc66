package packaging

// lineCase is one kind of log line with whether each filter mode must
// match it.
type lineCase struct {
	name       string
	p          pkt
	normal     bool // filter mode = normal matches
	aggressive bool // filter mode = aggressive matches
}

const (
	us4 = "46.38.233.77" // this host
	us6 = "2001:db8::1"
)

// lineCases lists every line kind the shipped filter is checked on. The
// snaplen 116 records are what pflogd writes by default.
var lineCases = []lineCase{
	{"v4 tcp syn", pkt{src: "121.224.77.46", dst: us4, proto: "tcp", flags: "S", sport: 41854, dport: 6379}, true, true},
	{"v4 tcp syn ecn", pkt{src: "121.224.77.47", dst: us4, proto: "tcp", flags: "SEW", sport: 41855, dport: 22}, true, true},
	{"v4 tcp syn fin", pkt{src: "121.224.77.48", dst: us4, proto: "tcp", flags: "FS", sport: 41856, dport: 22}, true, true},
	{"v4 tcp rst", pkt{src: "198.51.100.10", dst: us4, proto: "tcp", flags: "R", sport: 443, dport: 50123}, false, true},
	{"v4 tcp rst ack", pkt{src: "198.51.100.11", dst: us4, proto: "tcp", flags: "RA", sport: 443, dport: 50124}, false, true},
	{"v4 tcp ack", pkt{src: "198.51.100.12", dst: us4, proto: "tcp", flags: "A", sport: 50000, dport: 443}, false, true},
	{"v4 tcp fin ack", pkt{src: "198.51.100.13", dst: us4, proto: "tcp", flags: "FA", sport: 50001, dport: 443}, false, true},
	{"v4 tcp push ack", pkt{src: "198.51.100.14", dst: us4, proto: "tcp", flags: "PA", sport: 50002, dport: 443}, false, true},
	{"v4 tcp syn ack", pkt{src: "198.51.100.15", dst: us4, proto: "tcp", flags: "SA", sport: 80, dport: 50003}, false, true},
	{"v4 tcp no flags", pkt{src: "121.224.77.49", dst: us4, proto: "tcp", flags: "", sport: 41857, dport: 22}, false, true},
	{"v4 udp", pkt{src: "185.224.128.17", dst: us4, proto: "udp", sport: 40000, dport: 5060}, true, true},
	{"v4 udp dns", pkt{src: "185.224.128.18", dst: us4, proto: "udp", sport: 40001, dport: 53}, true, true},
	{"v4 icmp echo request", pkt{src: "45.148.10.5", dst: us4, proto: "icmp"}, true, true},
	{"v4 icmp echo reply", pkt{src: "198.51.100.16", dst: us4, proto: "icmp-reply"}, false, true},
	{"v4 esp", pkt{src: "198.51.100.17", dst: us4, proto: "esp"}, false, true},
	{"v6 tcp syn", pkt{src: "2001:db8:bad::5", dst: us6, proto: "tcp", flags: "S", sport: 40000, dport: 22}, true, true},
	{"v6 tcp syn ecn", pkt{src: "2001:db8:bad::6", dst: us6, proto: "tcp", flags: "SE", sport: 40000, dport: 22}, true, true},
	{"v6 tcp rst", pkt{src: "2001:db8:cafe::10", dst: us6, proto: "tcp", flags: "R", sport: 443, dport: 50123}, false, true},
	{"v6 tcp fin ack", pkt{src: "2001:db8:cafe::11", dst: us6, proto: "tcp", flags: "FA", sport: 50123, dport: 443}, false, true},
	{"v6 udp", pkt{src: "2001:db8:bad::7", dst: us6, proto: "udp", sport: 40000, dport: 161}, true, true},
	{"v6 icmp6 echo request", pkt{src: "2001:db8:bad::8", dst: us6, proto: "icmp"}, true, true},
	{"v6 icmp6 echo reply", pkt{src: "2001:db8:cafe::12", dst: us6, proto: "icmp-reply"}, false, true},
	{"v6 short address", pkt{src: "::2", dst: "::1", proto: "tcp", flags: "S", sport: 1, dport: 2}, true, true},
	{"v6 address ending in hex", pkt{src: "2001:db8::beef", dst: us6, proto: "udp", sport: 1, dport: 2}, true, true},
	{"anchor", pkt{src: "121.224.77.50", dst: us4, proto: "tcp", flags: "S", sport: 1, dport: 23, rule: 2, anchor: "blocklist", subrule: 3}, true, true},
	{"anchor with dots", pkt{src: "121.224.77.51", dst: us4, proto: "tcp", flags: "S", sport: 1, dport: 23, rule: 2, anchor: "a.b.c", subrule: 12}, true, true},
	{"multi-digit rule", pkt{src: "121.224.77.52", dst: us4, proto: "tcp", flags: "S", sport: 1, dport: 23, rule: 12345}, true, true},
	{"uid and ridentifier", pkt{src: "121.224.77.53", dst: us4, proto: "udp", sport: 1, dport: 23, rule: 7, uid: 1001, rid: 4242}, true, true},
	{"ridentifier", pkt{src: "121.224.77.54", dst: us4, proto: "icmp", rule: 7, rid: 99}, true, true},
	{"truncated v4 tcp syn", pkt{src: "121.224.77.55", dst: us4, proto: "tcp", flags: "S", sport: 41854, dport: 22, snap: 116}, true, true},
	{"truncated v4 tcp rst", pkt{src: "198.51.100.18", dst: us4, proto: "tcp", flags: "R", sport: 443, dport: 50000, snap: 116}, false, true},
	{"truncated v4 udp", pkt{src: "185.224.128.19", dst: us4, proto: "udp", sport: 40000, dport: 5060, snap: 116}, true, true},
	{"truncated v4 icmp", pkt{src: "45.148.10.6", dst: us4, proto: "icmp", snap: 116}, true, true},
	{"truncated v6 tcp syn", pkt{src: "2001:db8:bad::9", dst: us6, proto: "tcp", flags: "S", sport: 40000, dport: 22, snap: 116}, false, true},
	{"truncated v6 tcp fin ack", pkt{src: "2001:db8:cafe::13", dst: us6, proto: "tcp", flags: "FA", sport: 50000, dport: 443, snap: 116}, false, true},
	{"truncated v6 udp", pkt{src: "2001:db8:bad::a", dst: us6, proto: "udp", sport: 40000, dport: 5060, snap: 116}, true, true},
	{"truncated v6 icmp6 echo request", pkt{src: "2001:db8:bad::b", dst: us6, proto: "icmp", snap: 116}, true, true},
	{"truncated v6 icmp6 echo reply", pkt{src: "2001:db8:cafe::14", dst: us6, proto: "icmp-reply", snap: 116}, false, true},
	{"pass in tcp syn", pkt{src: "203.0.113.20", dst: us4, proto: "tcp", flags: "S", sport: 50000, dport: 443, pass: true}, false, false},
	{"pass in udp", pkt{src: "203.0.113.21", dst: us4, proto: "udp", sport: 50000, dport: 53, pass: true}, false, false},
	{"pass in v6 icmp6", pkt{src: "2001:db8:cafe::15", dst: us6, proto: "icmp", pass: true}, false, false},
	{"block out tcp syn", pkt{src: us4, dst: "203.0.113.22", proto: "tcp", flags: "S", sport: 50000, dport: 25, out: true}, false, false},
	{"block out udp", pkt{src: us4, dst: "203.0.113.23", proto: "udp", sport: 50000, dport: 123, out: true}, false, false},
	{"block out v6 icmp6", pkt{src: us6, dst: "2001:db8:cafe::16", proto: "icmp", out: true}, false, false},
	{"pass out tcp syn", pkt{src: us4, dst: "203.0.113.24", proto: "tcp", flags: "S", sport: 50001, dport: 443, out: true, pass: true}, false, false},
}
