#!/bin/sh
# Issue 14 point 3: a smart host that ends a session by closing the
# connection (no 421) at MAIL or at RCPT once it has taken some messages
# over it. The queue run reconnects and retries that same message at
# once, without counting an attempt: every message goes out in one run,
# each at its first attempt, nothing deferred. On the first transaction
# of a session a close at RCPT keeps the usual retry.
. "$(dirname "$0")/../lib/common.sh"

# queue N messages, then one queue run
queue_run() {
	i=1
	while [ "$i" -le "$1" ]; do
		printf 'Subject: close %d\n\nb\n' "$i" |
		    "$POSTA" -C "$T/posta.conf" -odq "rcpt$i@dest.test" ||
		    fail "queue $i: exit $?"
		i=$((i + 1))
	done
	: >"$T/posta.log"
	"$POSTA" -C "$T/posta.conf" -q 2>"$T/err" || fail "queue run: exit $?: $(cat "$T/err")"
}

for cmd in MAIL RCPT; do
	# the third MAIL (RCPT) of each session closes it: two per connection
	FAULT_PORT=$(free_port)
	printf 'close-at %s 3\n' "$cmd" >"$T/script-$cmd"
	fault_start "$T/script-$cmd"
	posta_conf_fault "$FAULT_PORT" >/dev/null
	queue_run 6
	[ "$(fault_msgs)" -eq 6 ] || fail "$cmd: one run delivered $(fault_msgs) of 6, $(queued) left queued"
	assert_eq "$(queued)" 0 "$cmd: left queued"
	assert_eq "$(fault_connections)" 3 "$cmd: connections"
	assert_eq "$(grep -c "close-at $cmd" "$FAULT_DIR/transcript")" 2 "$cmd: closes"
	# no attempt counted: one line per message, sent at its first attempt
	assert_eq "$(grep -c 'status=sent' "$T/posta.log")" 6 "$cmd: sent lines"
	assert_eq "$(grep -c 'attempt=1 status=sent' "$T/posta.log")" 6 "$cmd: first attempts"
	! grep -q 'deferred' "$T/posta.log" || fail "$cmd: deferred: $(grep deferred "$T/posta.log")"
	# each message exactly once
	for i in 1 2 3 4 5 6; do
		assert_eq "$(grep -l "^recipient rcpt$i@dest.test\$" "$FAULT_DIR"/msgs/*.env | wc -l)" 1 "$cmd: rcpt$i copies"
	done
	fault_stop
	rm -f "$T/spool/q/"*
done

# a close at RCPT on the first transaction of a session: no reconnection,
# the usual retry (a server that closes then is not counting messages)
FAULT_PORT=$(free_port)
printf 'close-at RCPT 1\n' >"$T/script-first"
fault_start "$T/script-first"
posta_conf_fault "$FAULT_PORT" >/dev/null
queue_run 1
assert_eq "$(fault_msgs)" 0 "first transaction: delivered"
assert_eq "$(queued)" 1 "first transaction: queued"
assert_eq "$(fault_connections)" 1 "first transaction: connections"
grep -q 'attempt=1 status=deferred' "$T/posta.log" || fail "first transaction: $(cat "$T/posta.log")"
exit 0
