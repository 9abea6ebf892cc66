package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		size int // bytes written to -o or stdout, -1: don't care
		err  string
	}{
		{"sample to file", []string{"-mix", "sample", "-o", filepath.Join(dir, "s.pcap")}, 0, -1, ""},
		{"realistic to stdout", []string{"-n", "10", "-start", "2026-01-02T03:04:05Z"}, 0, -1, ""},
		{"zero records", []string{"-n", "0"}, 0, 24, ""},
		{"bad mix", []string{"-mix", "nope"}, 2, 0, "unknown mix"},
		{"bad start", []string{"-start", "yesterday"}, 2, 0, "-start"},
		{"negative n", []string{"-n", "-1"}, 2, 0, "must not be negative"},
		{"unwritable", []string{"-o", filepath.Join(dir, "no", "such", "dir")}, 1, 0, "no such file"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d (%s)", tt.name, code, tt.code, errb.String())
		}
		if tt.size >= 0 && out.Len() != tt.size {
			t.Errorf("%s: wrote %d bytes to stdout, want %d", tt.name, out.Len(), tt.size)
		}
		if !strings.Contains(errb.String(), tt.err) {
			t.Errorf("%s: stderr %q, want %q", tt.name, errb.String(), tt.err)
		}
	}
	// -o and stdout give the same bytes for the same seed and start.
	var out, errb bytes.Buffer
	run([]string{"-n", "100", "-seed", "5", "-start", "2026-01-02T03:04:05Z"}, &out, &errb)
	p := filepath.Join(dir, "r.pcap")
	run([]string{"-n", "100", "-seed", "5", "-start", "2026-01-02T03:04:05Z", "-o", p}, &bytes.Buffer{}, &errb)
	b, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(b, out.Bytes()) || len(b) < 100*50 {
		t.Errorf("-o file (%d bytes, %v) differs from stdout (%d bytes)", len(b), err, out.Len())
	}
}
