package jsonstr

import (
	"encoding/json"
	"testing"
)

// TestAppend: every byte, alone and inside ASCII and cut UTF-8
// sequences, gives a JSON string encoding/json reads back as the input
// with each invalid byte replaced by U+FFFD.
func TestAppend(t *testing.T) {
	for i := range 256 {
		for _, in := range [][]byte{{byte(i)}, {'a', byte(i), 'b'}, {0xe2, 0x80, byte(i)}, {0xf0, 0x9f, 0x98, byte(i)}} {
			out := Append(nil, in)
			var s string
			if err := json.Unmarshal(out, &s); err != nil {
				t.Fatalf("%q -> %s: %v", in, out, err)
			}
			// encoding/json replaces each invalid byte with U+FFFD too.
			want, _ := json.Marshal(string(in))
			var w string
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if s != w {
				t.Errorf("%q -> %s -> %q, want %q", in, out, s, w)
			}
		}
	}
}
