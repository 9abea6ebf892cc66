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
# go test flags for make test, e.g. TESTFLAGS="-timeout 30m -race". The
# real-peer tests (scantest plays 2 minutes of flood at its own pace) take
# longer than go test's default 10 minutes on a loaded 2-core machine.
TESTFLAGS = -timeout 30m
# The packages make test runs, e.g. TESTPKGS=./internal/format.
TESTPKGS = ./...

EXAMPLESDIR = $(PREFIX)/share/examples/pfasciilogd
EXAMPLES = port/examples/pf.conf port/examples/pf-pflog1.conf
# Installed with their directories below $(EXAMPLESDIR)/crowdsec, the
# layout of crowdsec's configuration directory.
CROWDSEC_EXAMPLES = README profiles-range.yaml acquis.d/pfasciilogd.yaml \
	parsers/s01-parse/pfasciilogd-logs.yaml scenarios/pfasciilogd-scan.yaml \
	scenarios/pfasciilogd-scan-range.yaml

# The version is found by the shell in each recipe (POSIX make has no
# $(shell ...)); GOFLAGS from the environment are passed on untouched.
VERSION_SH = v="$(VERSION)"; [ -n "$$v" ] || v=$$(git describe --tags --always --dirty 2>/dev/null) || v=""; [ -n "$$v" ] || v="$(FALLBACK_VERSION)"
GOBUILD = CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$$v"

# The account the daemon drops root for, and that owns the log in the
# newsyslog entry. newsyslog(8) refuses its whole configuration (no log on
# the host rotates) when one line names an unknown user or group, so the
# entry is activated only when both exist; as root on FreeBSD (without
# DESTDIR) "make install" creates them with pw(8) first. ID and PW are the
# commands used for that (tests point them at stand-ins).
RUNAS = pfasciilogd
ID = id
PW = pw

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
	    $(DESTDIR)$(PREFIX)/etc/fail2ban/action.d \
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
	$(SUBST) fail2ban/action.d/pfasciilogd-pf.conf > $(DESTDIR)$(PREFIX)/etc/fail2ban/action.d/pfasciilogd-pf.conf
	chmod 644 $(DESTDIR)$(PREFIX)/etc/fail2ban/action.d/pfasciilogd-pf.conf
	set -e; for f in newsyslog.conf.d/pfasciilogd.conf fail2ban/jail.d/pfasciilogd.conf; do \
	    d=$(DESTDIR)$(PREFIX)/etc/$$f; \
	    $(SUBST) $$f > $$d.sample; chmod 644 $$d.sample; \
	done
	[ -e $(DESTDIR)$(PREFIX)/etc/fail2ban/jail.d/pfasciilogd.conf ] || \
	    cp -p $(DESTDIR)$(PREFIX)/etc/fail2ban/jail.d/pfasciilogd.conf.sample $(DESTDIR)$(PREFIX)/etc/fail2ban/jail.d/pfasciilogd.conf
	@set -e; d=$(DESTDIR)$(PREFIX)/etc/newsyslog.conf.d/pfasciilogd.conf; \
	if [ -z "$(DESTDIR)" ] && [ "$$(uname -s)" = FreeBSD ] && [ "$$($(ID) -u)" = 0 ]; then \
	    if ! $(PW) groupshow $(RUNAS) >/dev/null 2>&1; then \
	        echo "creating group $(RUNAS) with pw(8)"; $(PW) groupadd $(RUNAS); \
	    fi; \
	    if ! $(ID) $(RUNAS) >/dev/null 2>&1; then \
	        echo "creating user $(RUNAS) with pw(8)"; \
	        $(PW) useradd $(RUNAS) -g $(RUNAS) -c "pfasciilogd daemon" -d /nonexistent -s /usr/sbin/nologin; \
	    fi; \
	fi; \
	if [ -e $$d ]; then :; \
	elif $(ID) $(RUNAS) >/dev/null 2>&1 && $(PW) groupshow $(RUNAS) >/dev/null 2>&1; then cp -p $$d.sample $$d; \
	else \
	    echo "NOTE: user or group $(RUNAS) does not exist: installed only $$d.sample."; \
	    echo "  newsyslog refuses its whole configuration when one line names an unknown user or group."; \
	    echo "  Create them (pw groupadd $(RUNAS); pw useradd $(RUNAS) -g $(RUNAS) -d /nonexistent -s /usr/sbin/nologin),"; \
	    echo "  then copy the sample to $${d##*/}, or run make install again."; \
	fi
	set -e; for f in $(EXAMPLES); do \
	    $(SUBST) $$f > $(DESTDIR)$(EXAMPLESDIR)/$${f##*/}; chmod 644 $(DESTDIR)$(EXAMPLESDIR)/$${f##*/}; \
	done
	set -e; for f in $(CROWDSEC_EXAMPLES); do \
	    d=$(DESTDIR)$(EXAMPLESDIR)/crowdsec/$$f; mkdir -p "$${d%/*}"; \
	    $(SUBST) port/examples/crowdsec/$$f > "$$d"; chmod 644 "$$d"; \
	done

clean:
	rm -rf $(BIN)

.PHONY: all build test demo cross vet-freebsd bench install clean
