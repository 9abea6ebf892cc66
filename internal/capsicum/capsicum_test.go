package capsicum

import (
	"errors"
	"runtime"
	"testing"
)

func TestUnsupportedElsewhere(t *testing.T) {
	if runtime.GOOS == "freebsd" {
		t.Skip("FreeBSD has Capsicum")
	}
	if Supported() || !errors.Is(Enter(), ErrUnsupported) || !errors.Is(Limit(0, Read), ErrUnsupported) {
		t.Fatal("capsicum claims support off FreeBSD")
	}
}
