#!/bin/sh
# Issue 14: a smart host that limits messages per connection (Exim's
# smtp_accept_max_per_connection: 421 at MAIL once the limit is met,
# then the connection closes). The queue run reconnects and retries
# that same message at once, without back-off: 20 messages against a
# limit of 5 go out in one run, over 4 connections. A 421 on the first
# transaction of a session keeps the usual retry.
. "$(dirname "$0")/../lib/common.sh"

printf 'max-per-connection 5\n' >"$T/script"
fault_start "$T/script"
posta_conf_fault "$FAULT_PORT" >/dev/null
i=1
while [ $i -le 20 ]; do
	printf 'Subject: limit %d\n\nb\n' $i |
	    "$POSTA" -C "$T/posta.conf" -odq rcpt@dest.test || fail "queue $i: exit $?"
	i=$((i + 1))
done
"$POSTA" -C "$T/posta.conf" -q || fail "queue run: exit $?"
[ "$(fault_msgs)" -eq 20 ] || fail "one run delivered $(fault_msgs) of 20, $(queued) left queued"
[ "$(queued)" -eq 0 ] || fail "$(queued) left queued"
assert_eq "$(fault_connections)" 4 "connections"
assert_eq "$(grep -c 'max-per-connection' "$FAULT_DIR/transcript")" 3 "limits met"

# a 421 at MAIL on a fresh session: no reconnection, the usual retry
fault_stop
printf 'reply MAIL 421 4.3.2 not now\n' >"$T/script2"
fault_start "$T/script2"
printf 'Subject: first\n\nb\n' |
    "$POSTA" -C "$T/posta.conf" -odq rcpt@dest.test || fail "queue first: exit $?"
"$POSTA" -C "$T/posta.conf" -q || fail "queue run 2: exit $?"
[ "$(fault_msgs)" -eq 0 ] || fail "first-transaction 421: delivered"
[ "$(queued)" -eq 1 ] || fail "first-transaction 421: not queued"
assert_eq "$(fault_connections)" 1 "first-transaction 421: connections"
exit 0
