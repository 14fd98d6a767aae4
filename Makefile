# yubin: the two commands are `make run` and `make test` (see README.md).
# Every target installs the Debian packages it needs first (scripts/deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60

# `make install` (docs/operations.md): PREFIX, DESTDIR and the directories below.
PREFIX        ?= /usr/local
SBINDIR       ?= $(PREFIX)/sbin
MANDIR        ?= $(PREFIX)/share/man
DATADIR       ?= $(PREFIX)/share/yubin
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
UNITDIR       ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR   ?= $(PREFIX)/lib/tmpfiles.d
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@LOCALSTATEDIR@|$(LOCALSTATEDIR)|g'

.PHONY: all build asan run test unit integration check-layers cppcheck fuzz bench clean \
	install uninstall

all: build

build:
	@scripts/deps.sh build
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null
	@ninja -C $(BUILD)

asan:
	@scripts/deps.sh build
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null
	@ninja -C $(ASAN_BUILD)

run: build
	@scripts/run-demo.sh $(BUILD)/yubin

test:
	@scripts/deps.sh test
	@scripts/test.sh

fuzz:
	@scripts/deps.sh fuzz
	@[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_lundef=false >/dev/null
	@ninja -C $(FUZZ_BUILD)
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_TIME)

bench: build
	@scripts/deps.sh bench
	@echo "benchmarks: see bench/README.md (bench/smtp-in, bench/pop3, bench/imap, bench/relay)"

# The binary of $(BUILD) (built if missing), `sendmail` as a link to it, the man pages,
# the systemd unit, sysusers.d and tmpfiles.d entries and the Prometheus alert rules.
install:
	@[ -x $(BUILD)/yubin ] || $(MAKE) --no-print-directory build
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(DATADIR)/prometheus
	install -m 0755 $(BUILD)/yubin $(DESTDIR)$(SBINDIR)/yubin
	ln -sf yubin $(DESTDIR)$(SBINDIR)/sendmail
	install -m 0644 man/yubin.8 $(DESTDIR)$(MANDIR)/man8/yubin.8
	install -m 0644 man/yubin.conf.5 $(DESTDIR)$(MANDIR)/man5/yubin.conf.5
	$(SUBST) contrib/yubin.service.in > $(DESTDIR)$(UNITDIR)/yubin.service
	$(SUBST) contrib/yubin.sysusers > $(DESTDIR)$(SYSUSERSDIR)/yubin.conf
	$(SUBST) contrib/yubin.tmpfiles > $(DESTDIR)$(TMPFILESDIR)/yubin.conf
	chmod 0644 $(DESTDIR)$(UNITDIR)/yubin.service $(DESTDIR)$(SYSUSERSDIR)/yubin.conf \
		$(DESTDIR)$(TMPFILESDIR)/yubin.conf
	install -m 0644 contrib/yubin-alerts.yml $(DESTDIR)$(DATADIR)/prometheus/yubin-alerts.yml

# Removes what install wrote (not the config nor the data directory).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/yubin $(DESTDIR)$(SBINDIR)/sendmail \
		$(DESTDIR)$(MANDIR)/man8/yubin.8 $(DESTDIR)$(MANDIR)/man5/yubin.conf.5 \
		$(DESTDIR)$(UNITDIR)/yubin.service $(DESTDIR)$(SYSUSERSDIR)/yubin.conf \
		$(DESTDIR)$(TMPFILESDIR)/yubin.conf \
		$(DESTDIR)$(DATADIR)/prometheus/yubin-alerts.yml
	-rmdir $(DESTDIR)$(DATADIR)/prometheus $(DESTDIR)$(DATADIR) 2>/dev/null

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
