package pcapfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pfasciilogd/pfasciilogd/internal/gen"
	"github.com/pfasciilogd/pfasciilogd/internal/pflog"
	"github.com/pfasciilogd/pfasciilogd/internal/testtool"
)

// pflogFile writes a pflogd-like capture (snaplen 116) with gen.
func pflogFile(t *testing.T, n int) (string, []trec) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pflog")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := gen.NewWriter(f, 116)
	if err != nil {
		t.Fatal(err)
	}
	var want []trec
	for i := range n {
		r := gen.Record{Sec: 1700000000 + int64(i), Nsec: int64(i%1000) * 1000, Hdr: gen.DefaultHeader(pflog.AFInet), Snap: 116}
		r.Hdr.RuleNr = uint32(i)
		r.Packet = make([]byte, 40+i%200)
		r.Packet[0] = 0x45
		b := gen.Encode(nil, &r)
		want = append(want, trec{r.Sec, int32(r.Nsec), int(le.Uint32(b[12:])), b[16:]})
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	return path, want
}

// TestReaderTcpdumpPipe reads what tcpdump writes to a pipe, as in
// tcpdump -w - -U ... | pfasciilogd -r -.
func TestReaderTcpdumpPipe(t *testing.T) {
	tcpdump := testtool.Need(t, "tcpdump", "tcpdump")
	path, want := pflogFile(t, 300)
	cmd := exec.Command(tcpdump, "-r", path, "-w", "-", "-U")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader("stdin", out)
	if err != nil {
		t.Fatal(err)
	}
	if r.CheckLinkType(LinkTypePFLOG) != nil || r.SnapLen() != 116 {
		t.Fatalf("link type %d snaplen %d", r.LinkType(), r.SnapLen())
	}
	res := collect(t, r)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if res.err != nil || res.trunc != nil || len(res.skips) > 0 {
		t.Fatal(res.err, res.trunc, res.skips)
	}
	sameRecs(t, res.recs, want)
}

// TestReaderEditcap reads files converted by Wireshark's editcap to
// pcapng and to nanosecond pcap.
func TestReaderEditcap(t *testing.T) {
	editcap := testtool.Need(t, "editcap", "wireshark-common")
	path, want := pflogFile(t, 300)
	for _, tc := range []struct{ format string }{{"pcapng"}, {"nsecpcap"}, {"pcap"}} {
		t.Run(tc.format, func(t *testing.T) {
			out := path + "." + tc.format
			if b, err := exec.Command(editcap, "-F", tc.format, path, out).CombinedOutput(); err != nil {
				t.Fatalf("editcap: %v\n%s", err, b)
			}
			r, err := Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.IsPcapNG() != (tc.format == "pcapng") || r.CheckLinkType(LinkTypePFLOG) != nil {
				t.Fatalf("pcapng %v link type %d", r.IsPcapNG(), r.LinkType())
			}
			res := collect(t, r)
			if res.err != nil || res.trunc != nil || len(res.skips) > 0 {
				t.Fatal(res.err, res.trunc, res.skips)
			}
			sameRecs(t, res.recs, want)
		})
	}
}
