module github.com/pfasciilogd/pfasciilogd

go 1.26.0

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/google/gopacket v1.1.19
	golang.org/x/sys v0.49.0
)
