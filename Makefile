# pfasciilogd: build, test and install.
#
# POSIX make only: works with FreeBSD's make (bmake) and GNU make.
#
#   make [build]                 build ./bin/pfasciilogd for this system
#   make test                    go test ./..., then one line per missing
#                                tool naming the tests that did not run
#   make demo                    run the daemon on the generated sample capture
#   make bench                   time pfasciilogd against tcpdump on 1,000,000
#                                records; peak RSS at 1 M and 10 M records
#   make install                 install into $(DESTDIR)$(PREFIX), the files
#                                port/pkg-plist lists (plus the rc.d script)
#   make cross                   bin/pfasciilogd-freebsd-{amd64,arm64}
#   make vet-freebsd             go vet for freebsd/amd64 and freebsd/arm64
#   make VERSION=1.2.3 ...       set the version instead of git describe

.POSIX:
.SUFFIXES:

GO = go
PREFIX = /usr/local
DESTDIR =
# Empty: taken from "git describe", or FALLBACK_VERSION outside git.
VERSION =
FALLBACK_VERSION = 0.1.0-dev
BIN = bin
# Extra go test flags for make test, e.g. TESTFLAGS=-race or -short.
TESTFLAGS =
# The packages make test runs, e.g. TESTPKGS=./internal/format.
TESTPKGS = ./...

EXAMPLESDIR = $(PREFIX)/share/examples/pfasciilogd
EXAMPLES = port/examples/pf.conf port/examples/pf-pflog1.conf

# The version is found by the shell in each recipe (POSIX make has no
# $(shell ...)); GOFLAGS from the environment are passed on untouched.
VERSION_SH = v="$(VERSION)"; [ -n "$$v" ] || v=$$(git describe --tags --always --dirty 2>/dev/null) || v=""; [ -n "$$v" ] || v="$(FALLBACK_VERSION)"
GOBUILD = CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$$v"

# PREFIX is substituted into the files that name installed paths.
SUBST = sed -e 's|%%PREFIX%%|$(PREFIX)|g'

all: build

build:
	@mkdir -p $(BIN)
	$(VERSION_SH); $(GOBUILD) -o $(BIN)/pfasciilogd ./cmd/pfasciilogd

# internal/testtool appends every skip for a missing tool to the file
# named by PFASCIILOGD_TEST_SKIPS (a new name each run); plain go test
# hides those messages, so they are summed up after the run. The exit
# status is go test's ("|| rc=" because .POSIX makes the shell run -e).
test:
	@skips=$${TMPDIR:-/tmp}/pfasciilogd-skips.$$$$; rm -f "$$skips"; \
	echo "$(GO) test $(TESTFLAGS) $(TESTPKGS)"; \
	rc=0; PFASCIILOGD_TEST_SKIPS="$$skips" $(GO) test $(TESTFLAGS) $(TESTPKGS) || rc=$$?; \
	if [ -s "$$skips" ]; then echo; awk -F '\t' -f internal/testtool/skips.awk "$$skips"; fi; \
	rm -f "$$skips"; exit $$rc

cross:
	@mkdir -p $(BIN)
	$(VERSION_SH); GOOS=freebsd GOARCH=amd64 $(GOBUILD) -o $(BIN)/pfasciilogd-freebsd-amd64 ./cmd/pfasciilogd
	$(VERSION_SH); GOOS=freebsd GOARCH=arm64 $(GOBUILD) -o $(BIN)/pfasciilogd-freebsd-arm64 ./cmd/pfasciilogd

vet-freebsd:
	GOOS=freebsd GOARCH=amd64 $(GO) vet ./...
	GOOS=freebsd GOARCH=arm64 $(GO) vet ./...

# The sample capture comes from the project's own generator, fixed bytes.
demo:
	$(GO) run ./cmd/pflog-gen -mix sample | $(GO) run ./cmd/pfasciilogd -r -

# Generates (once, cached in $$TMPDIR/pfasciilogd-bench) a realistic
# 1,000,000-record capture and times pfasciilogd -r against tcpdump -t and
# tcpdump -tttt side by side, then checks peak RSS at 1 M and 10 M records.
bench:
	$(GO) run ./cmd/pflog-bench -big

# The configuration files port/pkg-plist marks @sample are installed as
# FILE.sample and, as pkg does, copied to FILE unless FILE exists.
install: build
	mkdir -p $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/etc/rc.d $(DESTDIR)$(PREFIX)/etc/newsyslog.conf.d \
	    $(DESTDIR)$(PREFIX)/etc/fail2ban/filter.d $(DESTDIR)$(PREFIX)/etc/fail2ban/jail.d \
	    $(DESTDIR)$(EXAMPLESDIR)
	cp $(BIN)/pfasciilogd $(DESTDIR)$(PREFIX)/sbin/pfasciilogd
	chmod 755 $(DESTDIR)$(PREFIX)/sbin/pfasciilogd
	$(SUBST) cmd/pfasciilogd/pfasciilogd.8 | gzip -9n > $(DESTDIR)$(PREFIX)/share/man/man8/pfasciilogd.8.gz
	chmod 644 $(DESTDIR)$(PREFIX)/share/man/man8/pfasciilogd.8.gz
	$(SUBST) rc.d/pfasciilogd > $(DESTDIR)$(PREFIX)/etc/rc.d/pfasciilogd
	chmod 755 $(DESTDIR)$(PREFIX)/etc/rc.d/pfasciilogd
	set -e; for f in pfasciilogd.conf pfasciilogd-journal.conf; do \
	    $(SUBST) fail2ban/filter.d/$$f > $(DESTDIR)$(PREFIX)/etc/fail2ban/filter.d/$$f; \
	    chmod 644 $(DESTDIR)$(PREFIX)/etc/fail2ban/filter.d/$$f; \
	done
	set -e; for f in newsyslog.conf.d/pfasciilogd.conf fail2ban/jail.d/pfasciilogd.conf; do \
	    d=$(DESTDIR)$(PREFIX)/etc/$$f; \
	    $(SUBST) $$f > $$d.sample; chmod 644 $$d.sample; \
	    [ -e $$d ] || cp -p $$d.sample $$d; \
	done
	set -e; for f in $(EXAMPLES); do \
	    $(SUBST) $$f > $(DESTDIR)$(EXAMPLESDIR)/$${f##*/}; chmod 644 $(DESTDIR)$(EXAMPLESDIR)/$${f##*/}; \
	done

clean:
	rm -rf $(BIN)

.PHONY: all build test demo cross vet-freebsd bench install clean
