// Package capture reads pf's log live from a pflog(4) interface through
// FreeBSD's bpf(4), without libpcap: Open returns a *Live, a
// source.Source and source.StatsSource. Outside FreeBSD Open fails with
// ErrUnsupported (read pflogd's files with -r instead).
//
// The part that can be pure is: BufferParser walks the records of one
// buffer read(2) from a bpf descriptor in place, without allocating, and
// AppendRecord builds such buffers for tests. Both are built and tested
// on every OS; only the ioctl and read plumbing in live_freebsd.go is
// FreeBSD's.
//
// # How the descriptor is set up
//
// Open opens the cloning device /dev/bpf read-only and, in this order:
// BIOCSBLEN (before the interface is attached, after which the buffer
// size is fixed), BIOCSTSTAMP BPF_T_NANOTIME (records then carry a
// struct bpf_xhdr with nanoseconds, whose layout is the same on every
// architecture), BIOCSETIF, BIOCGDLT (must be DLT_PFLOG, 117), BIOCSETF
// with an accept-all program of two or four instructions (whole packets,
// or Options.Snaplen bytes), BIOCSDIRECTION BPF_D_INOUT (pflog's packets
// never come "in" on pflog0, so BPF_D_IN would see none), BIOCIMMEDIATE
// off, BIOCSRTIMEOUT and finally BIOCLOCK, as pflogd does, so the
// descriptor cannot be reconfigured later. Open is OpenDescriptor (all of
// that) then FromDescriptor (BIOCGBLEN, BIOCGDLT, the read buffer): with
// privilege separation the root parent runs the first and hands the
// locked descriptor to the unprivileged worker, which runs the second, so
// the worker can attach to no interface the administrator did not name.
//
// # Rate, buffers and drops
//
// The kernel keeps two buffers of the granted size per descriptor: it
// fills the store buffer while the daemon reads the hold buffer. read(2)
// returns when the store buffer is full or when the read timeout has
// passed with at least one packet waiting, so a logged packet reaches
// the daemon within about ReadTimeout (50 ms by default, rounded up to
// kernel ticks) and a busy pflog0 costs one system call per buffer, not
// per packet. A timeout with no packet returns 0 bytes, which Next
// treats as "nothing yet" and reads again; that is also how Close
// reaches a Next blocked in read(2): it returns io.EOF within one read
// timeout.
//
// BufferParser handles 40 to 85 million SYN-sized records (168 bytes
// each: 32-byte bpf header, 72-byte pflog header, 60-byte packet) per
// second on one AMD EPYC core (BenchmarkParseBuffer: 7 to 14 GB/s on a
// shared machine), so
// what the live path sustains is set by formatting and output, not by
// capture. A buffer of 2 MiB holds about 12,000 such records, one of
// 512 KiB about 3,000.
//
// The kernel drops a packet for this descriptor when the store buffer is
// full and the daemon still holds the other one: the daemon fell behind
// for longer than one buffer lasts. Such drops are counted in bs_drop,
// which Stats returns as Dropped (Received is bs_recv: packets pflog
// handed to this descriptor). Drops are per descriptor: pflogd, tcpdump
// and pfasciilogd on the same pflog0 each have their own buffers and
// counters. To lose fewer packets in bursts, raise the buffer size
// (Options.BufferSize, default 2 MiB); the kernel caps it at the sysctl
// net.bpf.maxbufsize, 512 KiB by default, and Live.BufferSize reports
// what it granted (see Grant.Advice; without -B the daemon asks for
// no more than net.bpf.maxbufsize, read with KernelMaxBufferSize). A shorter ReadTimeout lowers
// latency at the cost of more, smaller reads; a longer one changes
// nothing about drops, since a full buffer is handed over at once.
package capture
