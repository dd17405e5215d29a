# shellcheck shell=sh
# Sourced by every integration test (tests/it/t_*.sh). sh, not bash.
# The test bed's variables (TB_*) come from $TB_ENV, set by tests/run.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
POSTA=${POSTA:-$ROOT/src/posta}
LIB=$ROOT/tests/lib
# The system interpreter: a python3 shim early in PATH (pyenv) costs
# 0.3 s per start; the helpers need only the standard library.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# shellcheck source=/dev/null
[ -n "${TB_ENV:-}" ] && [ -r "$TB_ENV" ] && . "$TB_ENV"

# nfiles DIR PATTERN: how many entries of DIR (dot files aside, as ls
# shows them) match the glob PATTERN; 0 when DIR does not exist. Not
# ls | grep: any name, even with blanks or a line break, counts once.
nfiles() {
	find "$1" -mindepth 1 -maxdepth 1 -name "$2" ! -name '.*' -printf x \
	    2>/dev/null | wc -c
}

# cache_file GLOB...: the one path matching a glob that is not a lock or
# temporary file (the OAuth cache next to its .lock).
cache_file() {
	for f in "$@"; do
		case $f in *.lock|*.tmp) ;; *) [ -e "$f" ] && printf '%s\n' "$f" && return 0 ;; esac
	done
	return 1
}

# A fresh directory per test; kept for a look when the test fails.
T=$(mktemp -d /tmp/posta-test.XXXXXX)
chmod 755 "$T"
FAULT_PIDS=""
cleanup() {
	st=$?
	# CONT too: a process a test stopped would keep its TERM pending
	for p in $FAULT_PIDS; do kill "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; done
	# a skip (77) leaves nothing to look at, and its reason last
	if [ $st -eq 0 ] || [ $st -eq 77 ]; then rm -rf "$T"; else echo "# kept $T" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# True when $POSTA is built with AddressSanitizer (make SANITIZE=1, as
# make check-sanitize does): valgrind cannot run it, and its peak RSS
# is mostly ASan's shadow memory and quarantine, not posta's.
sanitized() { grep -qa '__asan_init' "$POSTA"; }

# relink_posta OUT SYSCONFDIR [OSSL_SONAME]: posta linked again as OUT
# from the objects next to $POSTA, with main.c compiled for another
# SYSCONFDIR (and ossl.c loading another libssl, when one is named);
# linked as the objects were compiled: with clang if clang made them,
# with the sanitizer runtimes after `make SANITIZE=1`. LeakSanitizer is
# built in as off: it stops the world with ptrace, which a set-group-id
# (not dumpable) process run by nobody does not allow, and such a
# process cannot read ASAN_OPTIONS from /proc/self/environ.
relink_posta() {
	ossl="" ossl_def=-UOSSL_SONAME
	objs=$(find "$(dirname "$POSTA")" -maxdepth 1 -name '*.o' \
	    ! -name main.o | sort)
	if [ -n "${3:-}" ]; then
		objs=$(echo "$objs" | grep -v '/ossl\.o$')
		ossl=$ROOT/src/ossl.c ossl_def="-DOSSL_SONAME=\"$3\""
	fi
	[ -n "$objs" ] || fail "no object files next to $POSTA"
	ccx=cc
	# shellcheck disable=SC2086
	readelf -p .comment $objs 2>/dev/null | grep -q 'clang version' &&
	    ccx=clang
	san="" extra=""
	# shellcheck disable=SC2086
	nm -u $objs 2>/dev/null | grep -q ' __asan_' &&
	    san="$san -fsanitize=address"
	# shellcheck disable=SC2086
	nm -u $objs 2>/dev/null | grep -q ' __ubsan_' &&
	    san="$san -fsanitize=undefined"
	case $san in *address*)
		printf '%s\n' 'const char *__asan_default_options(void);' \
		    'const char *__asan_default_options(void) { return "detect_leaks=0"; }' \
		    >"$T/noleaks.c"
		extra=$T/noleaks.c ;;
	esac
	# shellcheck disable=SC2086,SC2046
	$ccx $san -DSYSCONFDIR="\"$2\"" -D_DEFAULT_SOURCE -I"$ROOT/src" \
	    $(pkg-config --cflags openssl) "$ossl_def" \
	    -o "$1" "$ROOT/src/main.c" $ossl $extra $objs \
	    $(pkg-config --libs inih) 2>"$T/cc.err" ||
	    fail "build ($ccx$san): $(tail -n 5 "$T/cc.err")"
}

fail() { echo "FAIL: $*" >&2; exit 1; }
# now: the time in seconds with nanoseconds; elapsed T0: seconds since
# T0 (taken with now), two decimals
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
skip() { echo "skip: $*" >&2; exit 77; }
need_testbed() { [ -n "${TB_PORT_SUBMISSION:-}" ] || skip "no test bed (run through tests/run)"; }

# expect_exit N cmd...: run cmd, fail unless it exits N
expect_exit() {
	want=$1; shift
	"$@"; got=$?
	[ "$got" -eq "$want" ] || fail "$*: exit $got, want $want"
}
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
assert_file_contains() { grep -qF -- "$2" "$1" || fail "$1 does not contain '$2'"; }
assert_not_contains() { ! grep -qF -- "$2" "$1" || fail "$1 contains '$2'"; }

# A TCP port on 127.0.0.1 nobody listens on, in 30000-39999.
free_port() {
	"$PY" - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(30000, 39999)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        s.close()
        print(p)
        break
    except OSError:
        s.close()
PY
}

# fault_start SCRIPT [none|implicit|starttls]: start faultsmtp.py in
# $T/fault (FAULT_DIR) on FAULT_PORT; the script is a file or "-" (none).
fault_start() {
	FAULT_DIR=$T/fault${FAULT_N:-}
	FAULT_N=$(( ${FAULT_N:-0} + 1 ))
	mkdir -p "$FAULT_DIR"
	[ -n "${FAULT_PORT:-}" ] || FAULT_PORT=$(free_port)
	set -- "$1" "${2:-none}"
	args="--port $FAULT_PORT --dir $FAULT_DIR --tls $2"
	[ "$2" != none ] && args="$args --cert $TB_CERT --key $TB_KEY"
	[ "$1" != - ] && args="$args --script $1"
	# shellcheck disable=SC2086
	"$PY" "$LIB/faultsmtp.py" $args >/dev/null 2>>"$FAULT_DIR/stderr" &
	FAULT_PIDS="$FAULT_PIDS $!"
	FAULT_PID=$!
	i=0
	while [ ! -e "$FAULT_DIR/ready" ]; do
		kill -0 "$FAULT_PID" 2>/dev/null ||
		    fail "fault server exited: $(cat "$FAULT_DIR/stderr")"
		i=$((i + 1)); [ $i -gt 200 ] && fail "fault server did not start"
		sleep 0.05
	done
}
fault_stop() {
	[ -n "${FAULT_PID:-}" ] && kill "$FAULT_PID" 2>/dev/null
	wait "$FAULT_PID" 2>/dev/null
	FAULT_PID=""
}
fault_msgs() { nfiles "$FAULT_DIR/msgs" '*.eml'; }
fault_connections() { grep -c '^C[0-9]* \* connect' "$FAULT_DIR/transcript"; }

# posta_conf NAME: the common tail of every config ([sender] [queue] [log])
conf_tail() {
	printf '[sender]\ndomain = example.com\n[queue]\ndir = %s\n[log]\nsyslog = no\nfile = %s\n' \
	    "$T/spool" "$T/posta.log"
}

# posta_conf_postfix smtps|submission|plain: a config for the test bed
posta_conf_postfix() {
	need_testbed
	case $1 in
	smtps) port=$TB_PORT_SMTPS tls=implicit ;;
	submission) port=$TB_PORT_SUBMISSION tls=starttls ;;
	plain) port=$TB_PORT_PLAIN tls=none ;;
	esac
	{
		printf '[upstream]\nhost = %s\nport = %s\ntls = %s\n' "$TB_HOST" "$port" "$tls"
		# plain too: the credentials are there, so a test can prove
		# posta keeps them to itself without TLS.
		printf 'username = %s\npassword = %s\nca_file = %s\n' \
		    "$TB_USER" "$TB_PASS" "$TB_CA"
		printf 'timeout = 10\n'
		conf_tail
	} >"$T/posta.conf"
	chmod 600 "$T/posta.conf"
	echo "$T/posta.conf"
}

# posta_conf_fault PORT [none|implicit|starttls]
posta_conf_fault() {
	tls=${2:-none}
	{
		printf '[upstream]\nhost = %s\nport = %s\ntls = %s\ntimeout = 5\n' \
		    "$( [ "$tls" = none ] && echo 127.0.0.1 || echo localhost)" "$1" "$tls"
		[ "$tls" != none ] && printf 'username = u@example.com\npassword = fault-secret-pw\nca_file = %s\n' "$TB_CA"
		conf_tail
	} >"$T/posta.conf"
	chmod 600 "$T/posta.conf"
	echo "$T/posta.conf"
}

mail_count() { nfiles "$TB_CAPTURE/$1" '*.eml'; }

# wait_mail RCPT N [TIMEOUT]: the capture pipe writes asynchronously
wait_mail() {
	n=0 limit=$(( ${3:-20} * 10 ))
	while [ "$(mail_count "$1")" -lt "$2" ]; do
		n=$((n + 1)); [ $n -gt $limit ] && return 1
		sleep 0.1
	done
	return 0
}

# The message as posta sent it: without the one Received header (first
# line, folded) that the test bed's smtpd put on top.  Postfix adds
# nothing else (see testbed.sh); it does turn CR LF into LF.
strip_received() {
	awk 'NR == 1 && /^Received: / { skip = 1; next }
	     skip && /^[ \t]/ { next }
	     { skip = 0; print }' "$1"
}

# strip_posta FILE: the message as its caller gave it to posta: without
# the test bed's Received (when there is one) and without the one posta
# puts first, which must be there and name the user who ran posta (uid
# and login name; STRIP_UID/STRIP_USER, default: ours):
# "Received: [from HELO ([ADDR])<NL><TAB>]by HOST (posta, from userid
# UID (NAME))[ with ESMTP]<NL><TAB>id ID; DATE". Exit 1 with nothing
# printed when it is not there.
strip_posta() {
	awk -v want="(posta, from userid ${STRIP_UID:-$(id -u)} (${STRIP_USER:-$(id -un)}))" '
	    done { print; next }
	    infield && /^[ \t]/ { f = f "\n" $0; next }
	    infield { infield = 0
		if (index(f, "(posta, ")) {
			if (index(f, want) == 0 ||
			    f !~ /\n\tid [0-9a-f]+; [A-Z][a-z][a-z], /)
				exit 1
			done = 1; print; next
		} }
	    /^Received: / { infield = 1; f = $0; next }
	    { exit 1 }
	    END { if (!done) exit 1 }' "$1"
}

# The private Postfix has nothing in flight.
testbed_idle() {
	i=0
	while [ -n "$(find "$TB_QUEUE/incoming" "$TB_QUEUE/active" "$TB_QUEUE/maildrop" -type f 2>/dev/null)" ]; do
		i=$((i + 1)); [ $i -gt 200 ] && return 1
		sleep 0.1
	done
}

queued() { nfiles "$T/spool/q" '*.env'; }
failed_count() { nfiles "$T/spool/failed" '*.env'; }
