# posta: a sendmail that delivers through one authenticated TLS smart host.
# Plain GNU make, flags from pkg-config, no configure step.

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SPOOLDIR   ?= /var/spool/posta
DESTDIR    ?=
PKG_CONFIG ?= pkg-config
INSTALL    ?= install
CC         ?= cc
CFLAGS     ?= -O2 -g

# Project flags are kept apart so that `make CFLAGS=...` cannot drop them.
P_CPPFLAGS = -D_DEFAULT_SOURCE -DOPENSSL_API_COMPAT=30000 \
	     -DOPENSSL_NO_DEPRECATED \
	     -DSYSCONFDIR='"$(SYSCONFDIR)"' -DSPOOLDIR='"$(SPOOLDIR)"'
P_CFLAGS   = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	     -Wmissing-prototypes -Wpointer-arith -Wwrite-strings \
	     -Wformat=2 -Wvla -Wimplicit-fallthrough \
	     $(shell $(PKG_CONFIG) --cflags openssl inih)
P_LDLIBS   = $(shell $(PKG_CONFIG) --libs openssl inih)

HARDEN     ?= 1
ifeq ($(HARDEN),1)
P_CPPFLAGS += -D_FORTIFY_SOURCE=2
P_CFLAGS   += -fstack-protector-strong -fPIE
P_LDFLAGS  += -pie -Wl,-z,relro,-z,now
endif
ifeq ($(SANITIZE),1)
P_CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
P_LDFLAGS  += -fsanitize=address,undefined
endif

ALL_CPPFLAGS = $(P_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = $(P_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS  = $(P_LDFLAGS) $(LDFLAGS)
ALL_LDLIBS   = $(P_LDLIBS) $(LDLIBS)

SRCS := $(sort $(wildcard src/*.c))
OBJS := $(SRCS:.c=.o)
LIB_OBJS := $(filter-out src/main.o,$(OBJS))

UNIT_SRCS := $(sort $(wildcard tests/unit/t_*.c))
UNIT_BINS := $(UNIT_SRCS:.c=)

FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:.c=)
FUZZ_OBJS := $(patsubst src/%.o,tests/fuzz/obj/%.o,$(LIB_OBJS))

# Every shell script of the tests and of CI, for shellcheck.
SH_SCRIPTS := tests/run tests/demo.sh tests/layers.sh .ci/run \
	      $(sort $(wildcard tests/*/*.sh))

.PHONY: all check check-unit check-it install install-sendmail uninstall \
	clean lint bench demo deps fuzz format

all: src/posta

src/posta: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(OBJS) $(ALL_LDLIBS)

src/%.o: src/%.c
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

tests/unit/t_%: tests/unit/t_%.c tests/unit/tap.h $(LIB_OBJS)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) -o $@ $< \
	    $(LIB_OBJS) $(ALL_LDLIBS)

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d)

# Every test: unit tests, then integration tests against the loopback
# Postfix smart host and the fault server. One line per test.
check: src/posta $(UNIT_BINS)
	tests/run

check-unit: $(UNIT_BINS)
	tests/run unit

check-it: src/posta
	tests/run it

# SANITIZE=1 (above): ASan+UBSan, and undefined behaviour stops the
# program as a memory error does, so that a test sees it. Objects built
# so must not mix with the others: `make clean` before and after, or
# make check-sanitize, which runs the whole suite again on such a build
# in a copy of the tree under SAN_DIR (a `make check` after it rebuilds
# nothing here).
ifeq ($(SANITIZE),1)
P_CFLAGS   += -fno-sanitize-recover=undefined
endif
SAN_DIR ?= build/sanitize
.PHONY: check-sanitize fuzz-smoke
check-sanitize:
	rm -rf $(SAN_DIR)
	mkdir -p $(SAN_DIR)
	cp -R Makefile src tests man etc $(SAN_DIR)/
	$(MAKE) -C $(SAN_DIR) clean
	$(MAKE) -C $(SAN_DIR) SANITIZE=1 check

# Build and test dependencies on Debian 12, in one apt-get line.
# Postfix is preseeded to "No configuration": the tests run their own
# instance and the system's is never configured or started for them.
deps:
	echo "postfix postfix/main_mailer_type select No configuration" | \
	    debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    build-essential clang pkg-config libssl-dev libinih-dev \
	    postfix sasl2-bin libsasl2-modules openssl ca-certificates \
	    python3 swaks mandoc valgrind php-cli s-nail msmtp git \
	    git-email libmailtools-perl libnet-ssleay-perl cron procps psmisc time \
	    shellcheck faketime

# Start the loopback smart host, send one message through posta and show
# the SMTP transcript and where the message landed. No account needed.
demo: src/posta
	tests/demo.sh

bench: src/posta
	tests/bench/bench.sh

install: src/posta
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)
	$(INSTALL) -m 0755 src/posta $(DESTDIR)$(SBINDIR)/posta
	$(INSTALL) -m 0644 man/posta.8 $(DESTDIR)$(MANDIR)/man8/posta.8
	$(INSTALL) -m 0644 man/posta.conf.5 $(DESTDIR)$(MANDIR)/man5/posta.conf.5
	test -e $(DESTDIR)$(SYSCONFDIR)/posta.conf || \
	    $(INSTALL) -m 0600 etc/posta.conf $(DESTDIR)$(SYSCONFDIR)/posta.conf

# The sendmail, mailq and newaliases names; never implied by install.
# Relative links, so that they also work inside a DESTDIR tree.
SENDMAIL_PATH   ?= /usr/sbin/sendmail
MAILQ_PATH      ?= /usr/bin/mailq
NEWALIASES_PATH ?= /usr/bin/newaliases
install-sendmail:
	@for l in $(SENDMAIL_PATH) $(MAILQ_PATH) $(NEWALIASES_PATH); do \
	    d=$$(dirname $$l); \
	    t=$$(realpath -m --relative-to=$$d $(SBINDIR)/posta); \
	    $(INSTALL) -d $(DESTDIR)$$d && \
	    echo "ln -sf $$t $(DESTDIR)$$l" && \
	    ln -sf $$t $(DESTDIR)$$l || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/posta $(DESTDIR)$(MANDIR)/man8/posta.8 \
	    $(DESTDIR)$(MANDIR)/man5/posta.conf.5

BANNED = sprintf|vsprintf|strcpy|strcat|strtok|gets|atoi|atol|system|popen|tmpnam|mktemp|alarm|setjmp|longjmp|rand|random
lint:
	mandoc -Tlint -Wwarning man/posta.8 man/posta.conf.5
	@if grep -nwE '($(BANNED))[[:space:]]*\(' src/*.c src/*.h; then \
	    echo "lint: banned function used"; exit 1; fi
	tests/layers.sh
	shellcheck -S warning $(SH_SCRIPTS)
	@echo "lint: ok"

# KNF through the .clang-format at the top of the tree (STYLE.md 4.9);
# without that file clang-format would change nothing rather than apply
# its LLVM default. FORMAT_FILES narrows it to the files at hand.
FORMAT_FILES ?= $(SRCS) $(sort $(wildcard src/*.h))
format:
	clang-format -i --style=file --fallback-style=none $(FORMAT_FILES)

# libFuzzer targets, clang only and not part of check: each
# tests/fuzz/fuzz_*.c is linked with the library objects it needs
# (taken from an archive of src/ without main.c), all of it built with
# coverage and ASan+UBSan. Run one as tests/fuzz/fuzz_addr -max_total_time=60.
FUZZ_CC       ?= clang
FUZZ_SANITIZE  = -fsanitize=address,undefined -fno-omit-frame-pointer \
		 -fno-sanitize-recover=undefined
FUZZ_CPPFLAGS  = $(filter-out -D_FORTIFY_SOURCE=%,$(P_CPPFLAGS))
FUZZ_CFLAGS    = $(P_CFLAGS) -g -O1 $(FUZZ_SANITIZE)

fuzz: $(FUZZ_BINS)

# Every fuzz target on its seed corpus (tests/fuzz/corpus/NAME), then
# FUZZ_SECONDS of fuzzing; new inputs go to a scratch directory.
FUZZ_SECONDS ?= 5
fuzz-smoke: $(FUZZ_BINS)
	tests/fuzz/smoke.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

tests/fuzz/obj/%.o: src/%.c
	@mkdir -p tests/fuzz/obj
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	    -MMD -MP -c -o $@ $<

tests/fuzz/libposta.a: $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJS)

tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/libposta.a
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc \
	    -o $@ $< tests/fuzz/libposta.a $(P_LDLIBS)

-include $(FUZZ_OBJS:.o=.d)

clean:
	rm -f src/posta src/*.o src/*.d $(UNIT_BINS) tests/unit/*.d
	rm -rf $(FUZZ_BINS) tests/fuzz/obj tests/fuzz/libposta.a
	rm -rf build
