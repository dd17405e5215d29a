# shellcheck shell=sh
# Sourced after common.sh by tests/it/t_hostile_server_*.sh (issue 12):
# one case per hostile smart host, played by faultsmtp.py. Every posta
# run is measured (elapsed time and peak RSS with /usr/bin/time) and must
# end within MAX_SECS with a configured timeout of TMO seconds, and use
# at most EXTRA_KB more than a normal delivery over TLS (BASE_KB, measured
# first) and, unless posta is built with sanitizers, at most 20 MB; a run
# still going after KILL_SECS is killed and fails.
TMO=3
MAX_SECS=$((2 * TMO + 2))
EXTRA_KB=4096
MAX_KB=20480
KILL_SECS=$((5 * MAX_SECS))
[ -x /usr/bin/time ] || skip "no /usr/bin/time (GNU time) to measure with"

# hostile NAME [none|implicit|starttls] <SCRIPT: a fresh spool $S and a
# fault server on a fresh port playing SCRIPT (faultsmtp.py directives)
hostile() {
	NAME=$1
	HTLS=${2:-none}
	[ -n "${FAULT_PID:-}" ] && fault_stop
	cat >"$T/$NAME.script"
	FAULT_PORT=$(free_port)
	fault_start "$T/$NAME.script" "$HTLS"
	# shellcheck disable=SC2034 # used by the tests that source this
	HOSTILE_DIR=$FAULT_DIR CASE_DIRS=$FAULT_DIR
	S=$T/spool-$NAME
	posta_conf_fault "$FAULT_PORT" "$HTLS" >/dev/null
	sed -i -e "s/^timeout = .*/timeout = $TMO/" -e "s|^dir = .*|dir = $S|" \
	    "$T/posta.conf"
	NMSG=0
}

# timed WHAT posta-args...: posta with a fresh message on stdin (Subject
# "NAME N"); sets st, SECS, KB; stderr in $T/err. Fails when the run was
# too slow or too big.
timed() {
	what=$1
	shift
	NMSG=$((NMSG + 1))
	printf 'Subject: %s %d\n\nbody of %s %d\n' "$NAME" "$NMSG" "$NAME" \
	    "$NMSG" >"$T/in"
	# time measures timeout(1) and, through wait4(), the posta it waited for
	/usr/bin/time -f '%e %M' -o "$T/time" timeout -k 2 "$KILL_SECS" \
	    "$POSTA" -C "$T/posta.conf" "$@" <"$T/in" 2>"$T/err"
	st=$?
	[ "$st" -ne 124 ] && [ "$st" -ne 137 ] ||
	    fail "$NAME: $what: still running after $KILL_SECS s: $(cat "$T/err")"
	no_crash "$st" "$NAME: $what"
	[ -s "$T/time" ] || fail "$NAME: $what: /usr/bin/time measured nothing (exit $st)"
	# shellcheck disable=SC2046
	set -- $(tail -n 1 "$T/time")
	SECS=$1 KB=$2
	echo "# $NAME: $what: exit $st, ${SECS} s, ${KB} KB" >&2
	awk -v s="$SECS" -v m="$MAX_SECS" 'BEGIN { exit !(s <= m) }' ||
	    fail "$NAME: $what took $SECS s, more than $MAX_SECS s (timeout = $TMO): $(cat "$T/err")"
	[ "$KB" -le "$MAX_KB" ] ||
	    fail "$NAME: $what: peak RSS $KB KB, more than $MAX_KB KB"
}

# The memory limit: a normal delivery (over TLS when the test bed's
# certificate is there), plus EXTRA_KB.
hostile_baseline() {
	if [ -n "${TB_CERT:-}" ]; then hostile baseline implicit; else hostile baseline; fi </dev/null
	MAX_KB=999999999
	timed 'normal delivery' "h-baseline@dest.test"
	[ "$st" -eq 0 ] && [ "$(received)" -eq 1 ] ||
	    fail "baseline: exit $st, $(received) received: $(cat "$T/err")"
	BASE_KB=$KB
	MAX_KB=$((BASE_KB + EXTRA_KB))
	if ! sanitized; then
		[ "$MAX_KB" -le 20480 ] || MAX_KB=20480
	fi
	echo "# baseline $BASE_KB KB: every run must stay under $MAX_KB KB" >&2
}

inq() { nfiles "$S/q" '*.env'; }
infailed() { nfiles "$S/failed" '*.env'; }
# every message the fault servers of this case accepted
received() {
	n=0
	for d in $CASE_DIRS; do
		n=$((n + $(nfiles "$d/msgs" '*.eml')))
	done
	echo "$n"
}
# received_once SUBJECT: that message arrived exactly once
received_once() {
	n=0
	for d in $CASE_DIRS; do
		for f in "$d"/msgs/*.eml; do
			[ -e "$f" ] || continue
			tr -d '\r' <"$f" | grep -aqx "Subject: $1" &&
			    n=$((n + 1))
		done
	done
	[ "$n" -eq 1 ] || fail "$NAME: \"$1\" arrived $n times, want once"
}

# deferred WHY: the last run kept the message queued for retry (exit 0,
# stderr saying so with WHY, an extended regexp) and nothing arrived
deferred() {
	[ "$st" -eq 0 ] || fail "$NAME: exit $st, want 0: $(cat "$T/err")"
	[ "$(inq)" -eq 1 ] || fail "$NAME: not kept in the queue ($(inq))"
	[ "$(infailed)" -eq 0 ] || fail "$NAME: moved to failed/"
	[ "$(received)" -eq 0 ] || fail "$NAME: the server got $(received) messages"
	grep -Eq "$1" "$T/posta.log" ||
	    fail "$NAME: the log does not say '$1': $(tail -n 3 "$T/posta.log")"
}

# hostile_deferred WHY: a foreground send and a queue run against the
# hostile server both keep the message (exit 0, in bounded time and
# memory); a well-behaved server then gets it exactly once
hostile_deferred() {
	: >"$T/posta.log"
	timed send "h-$NAME@dest.test"
	grep -q 'queued for retry' "$T/err" ||
	    fail "$NAME: send: stderr: $(cat "$T/err")"
	deferred "$1"
	: >"$T/posta.log"
	timed '-q' -q
	deferred "$1"
	grep -q 'deferred' "$T/posta.log" || fail "$NAME: -q: no deferral logged"
	fault_stop
	fault_start - "$HTLS"
	CASE_DIRS="$CASE_DIRS $FAULT_DIR"
	timed '-q, server fixed' -q
	[ "$st" -eq 0 ] || fail "$NAME: -q after the fix: exit $st: $(cat "$T/err")"
	[ "$(inq)" -eq 0 ] || fail "$NAME: still queued after the fix"
	received_once "$NAME 1"
	[ "$(received)" -eq 1 ] || fail "$NAME: $(received) messages arrived, want 1"
}

hostile_baseline
