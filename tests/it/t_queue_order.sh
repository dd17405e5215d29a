#!/bin/sh
# Issue 14: a queue run delivers in submission order, also for messages
# queued within the same second: 50 messages queued with -odq in a
# burst arrive at the smart host in the order they were submitted.
. "$(dirname "$0")/../lib/common.sh"

fault_start -
posta_conf_fault "$FAULT_PORT" >/dev/null
i=1
while [ $i -le 50 ]; do
	printf 'Subject: order %d\n\nb\n' $i |
	    "$POSTA" -C "$T/posta.conf" -odq rcpt@dest.test || fail "queue $i: exit $?"
	i=$((i + 1))
done
[ "$(queued)" -eq 50 ] || fail "queued $(queued), want 50"
"$POSTA" -C "$T/posta.conf" -q || fail "queue run: exit $?"
[ "$(fault_msgs)" -eq 50 ] || fail "delivered $(fault_msgs), want 50"
got=$(for f in "$FAULT_DIR"/msgs/*.eml; do
	sed -n 's/^Subject: order \([0-9]*\)\r$/\1/p' "$f"
done | tr '\n' ' ')
assert_eq "$got" "$(seq 1 50 | tr '\n' ' ')" "order of arrival"
exit 0
