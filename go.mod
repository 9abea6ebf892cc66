module github.com/pfasciilogd/pfasciilogd

go 1.26.0

require (
	github.com/coreos/go-systemd/v22 v22.7.0 // indirect
	github.com/google/gopacket v1.1.19 // indirect
	golang.org/x/net v0.0.0-20190620200207-3b0461eec859 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
