package capture

import (
	"strings"
	"testing"
	"time"
)

func TestWithDefaults(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil || o.BufferSize != DefaultBufferSize || o.ReadTimeout != DefaultReadTimeout || o.Snaplen != 0 {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	for _, c := range []struct {
		o   Options
		bad string
	}{
		{Options{BufferSize: MinBufferSize}, ""},
		{Options{BufferSize: MaxBufferSize}, ""},
		{Options{BufferSize: MinBufferSize - 1}, "buffer size"},
		{Options{BufferSize: -1}, "buffer size"},
		{Options{ReadTimeout: time.Millisecond}, ""},
		{Options{ReadTimeout: time.Second}, ""},
		{Options{ReadTimeout: time.Microsecond}, "read timeout"},
		{Options{ReadTimeout: -time.Second}, "read timeout"},
		{Options{ReadTimeout: 2 * time.Second}, "read timeout"},
		{Options{Snaplen: MinSnaplen}, ""},
		{Options{Snaplen: 65535}, ""},
		{Options{Snaplen: 64}, "snaplen"},
		{Options{Snaplen: -1}, "snaplen"},
	} {
		_, err := c.o.withDefaults()
		if (err == nil) != (c.bad == "") || err != nil && !strings.Contains(err.Error(), c.bad) {
			t.Errorf("%+v: err = %v, want %q", c.o, err, c.bad)
		}
	}
}

func TestCheckIface(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"pflog0", true},
		{"pflog15", true},
		{"abcdefghijklmno", true}, // 15 bytes + NUL
		{"abcdefghijklmnop", false},
		{"", false},
		{"pf\x00log", false},
		{"../pflog0", false},
		{"pflog 0", false},
	} {
		if err := checkIface(c.name); (err == nil) != c.ok {
			t.Errorf("checkIface(%q) = %v", c.name, err)
		}
	}
}

func TestIfaceMissingAdvice(t *testing.T) {
	for _, c := range []struct {
		iface   string
		jailed  bool
		want    []string
		notWant []string
	}{
		{"pflog0", false, []string{"interface pflog0 does not exist", "kldload pflog", "service pflog start"}, []string{"ifconfig", "host"}},
		{"pflog1", false, []string{"kldload pflog", "ifconfig pflog1 create"}, []string{"host"}},
		{"em0", false, []string{"interface em0 does not exist", "pflog interfaces such as pflog0"}, nil},
		{"pflog0", true, []string{"on the host", "pflog_load=\"YES\"", "VNET jail its own pflog0"}, []string{"ifconfig", "service pflog"}},
		{"pflog2", true, []string{"on the host", "ifconfig pflog2 create in the jail"}, nil},
	} {
		got := ifaceMissingAdvice(c.iface, c.jailed)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s jailed=%v: %q lacks %q", c.iface, c.jailed, got, w)
			}
		}
		for _, w := range c.notWant {
			if strings.Contains(got, w) {
				t.Errorf("%s jailed=%v: %q has %q", c.iface, c.jailed, got, w)
			}
		}
	}
}

// TestBufferAdvice: point 7 of issue 10. A default start asks for what
// the kernel allows and says nothing; -B beyond the limit or drops give
// advice naming the right numbers, and in a jail the advice is for the
// host.
func TestBufferAdvice(t *testing.T) {
	const stock = 512 << 10
	if got := BufferSizeFor(DefaultBufferSize, false, stock); got != stock {
		t.Errorf("default with maxbufsize 512k asks for %d", got)
	}
	if got := BufferSizeFor(DefaultBufferSize, false, 0); got != DefaultBufferSize {
		t.Errorf("default, limit unknown: %d", got)
	}
	if got := BufferSizeFor(DefaultBufferSize, false, 16<<20); got != DefaultBufferSize {
		t.Errorf("default under a large limit: %d", got)
	}
	if got := BufferSizeFor(8<<20, true, stock); got != 8<<20 {
		t.Errorf("-B 8m asks for %d", got)
	}
	for _, c := range []struct {
		name string
		g    Grant
		ctx  AdviceContext
		want []string // nil: no advice
		not  []string
	}{
		{"default start, granted what the kernel allows", Grant{stock, stock}, AdviceContext{KernelMax: stock}, nil, nil},
		{"default start, kernel granted less (no -B)", Grant{2 << 20, stock}, AdviceContext{KernelMax: stock}, nil, nil},
		{"-B granted", Grant{4 << 20, 4 << 20}, AdviceContext{Explicit: true, KernelMax: 8 << 20}, nil, nil},
		{"-B beyond the limit", Grant{2 << 20, stock}, AdviceContext{Iface: "pflog0", Explicit: true, KernelMax: stock},
			[]string{"pflog0", "granted a bpf buffer of 524288 bytes instead of the 2097152 asked for with -B", "sysctl net.bpf.maxbufsize=2097152", "/etc/sysctl.conf"}, []string{"host"}},
		{"-B beyond the limit in a VNET jail", Grant{2 << 20, stock}, AdviceContext{Iface: "pflog0", Explicit: true, KernelMax: stock, Jailed: true},
			[]string{"on the host run sysctl net.bpf.maxbufsize=2097152", "host's /etc/sysctl.conf", "cannot change"}, nil},
		{"drops at the limit", Grant{stock, stock}, AdviceContext{Iface: "pflog0", KernelMax: stock, Dropped: 17},
			[]string{"dropped 17 packets", "sysctl net.bpf.maxbufsize=2097152", "-B 2097152"}, nil},
		{"drops below the limit", Grant{stock, stock}, AdviceContext{Iface: "pflog0", KernelMax: 8 << 20, Dropped: 3},
			[]string{"dropped 3 packets", "raise -B up to net.bpf.maxbufsize (8388608)"}, []string{"sysctl net.bpf.maxbufsize="}},
		{"drops in a jail at the limit", Grant{stock, stock}, AdviceContext{Iface: "pflog0", KernelMax: stock, Dropped: 3, Jailed: true},
			[]string{"on the host run sysctl"}, nil},
	} {
		got := c.g.Advice(c.ctx)
		if (got == "") != (c.want == nil) {
			t.Errorf("%s: advice %q", c.name, got)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(got, w) {
				t.Errorf("%s: %q has %q", c.name, got, w)
			}
		}
	}
}

func TestWiden(t *testing.T) {
	var w widen
	for _, c := range []struct {
		v    uint32
		want uint64
	}{
		{0, 0}, {10, 10}, {10, 10}, {0xfffffff0, 0xfffffff0}, {5, 0x100000005}, {6, 0x100000006},
	} {
		if got := w.update(c.v); got != c.want {
			t.Fatalf("update(%#x) = %#x, want %#x", c.v, got, c.want)
		}
	}
}

// runFilter interprets the few classic BPF instructions acceptFilter
// uses, as the kernel's bpf_filter() would for a packet of wirelen bytes.
func runFilter(t *testing.T, prog []bpfInsn, wirelen uint32) uint32 {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case bpfLD | bpfW | bpfLEN:
			a = wirelen
		case bpfJMP | bpfJGT | bpfK:
			if a > in.K {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpfRET | bpfK:
			return in.K
		case bpfRET | bpfA:
			return a
		default:
			t.Fatalf("unexpected opcode %#x", in.Code)
		}
	}
	t.Fatal("program falls off its end")
	return 0
}

func TestAcceptFilter(t *testing.T) {
	for _, snap := range []int{0, 116, 1500} {
		prog := acceptFilter(snap)
		if len(prog) < 2 {
			t.Errorf("snaplen %d: a one-instruction filter does not leave the writers-only list", snap)
		}
		for _, n := range []uint32{1, 115, 116, 117, 1500, 65535} {
			want := n
			if snap > 0 && n > uint32(snap) {
				want = uint32(snap)
			}
			if got := runFilter(t, prog, n); got != want {
				t.Errorf("snaplen %d, packet %d: captures %d, want %d", snap, n, got, want)
			}
		}
	}
}
