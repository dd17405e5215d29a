#!/bin/sh
# Issue 3: delivery modes. -odb returns as soon as the entry is queued and
# a detached child delivers; -odq only queues; the same through
# "delivery = background | queue" in posta.conf; -odi overrides them.
. "$(dirname "$0")/../lib/common.sh"
wait_msgs() {	# wait_msgs N: up to 30 s
	i=0; while [ "$(fault_msgs)" -lt "$1" ]; do
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.1
	done
}
set_delivery() { sed -i '/^delivery = /d' "$conf"; sed -i "s/^\[queue\]\$/[queue]\ndelivery = $1/" "$conf"; }

# The server takes 10 s for the first dot (the -odb message: a bound of
# 5 s on -odb leaves a loaded machine room and is still well below what
# a delivery in the foreground takes), 2 s for the others
printf 'delay DOT 8 once\ndelay DOT 2\n' >"$T/sdot"
fault_start "$T/sdot"
conf=$(posta_conf_fault "$FAULT_PORT")
sed -i 's/^timeout = .*/timeout = 30/' "$conf"	# more than the 10 s for the dot

# -odb: back at once although the server takes 10 s for the dot; stdout
# and stderr of the caller are not held open by the child (the command
# substitution below returns only when they are closed)
t0=$(now)
out=$(printf 'Subject: bg\n\nbg body\n' | "$POSTA" -C "$conf" -odb bg@dest.test 2>&1; echo "rc=$?")
dt=$(elapsed "$t0")
assert_eq "$out" "rc=0" "-odb: output and exit status"
awk -v d="$dt" 'BEGIN { exit !(d < 5) }' || fail "-odb took ${dt}s (server needs 10 s for the dot)"
# it was queued before posta returned, and the child delivers it
[ "$(fault_msgs)" -eq 0 ] || fail "-odb: delivered before returning?"
wait_msgs 1 || fail "-odb: the background child did not deliver"
assert_file_contains "$FAULT_DIR/msgs/000001.eml" "bg body"
i=0; while [ "$(queued)" -gt 0 ]; do i=$((i + 1)); [ $i -gt 300 ] && fail "-odb: entry left in q/"; sleep 0.1; done

# -odq: only queued, no connection at all
c0=$(fault_connections)
printf 'Subject: q\n\nq body\n' | "$POSTA" -C "$conf" -odq q@dest.test 2>"$T/err"
assert_eq $? 0 "-odq: exit status"
[ -s "$T/err" ] && fail "-odq: stderr: $(cat "$T/err")"
assert_eq "$(queued)" 1 "-odq: queued"
sleep 0.5
assert_eq "$(fault_connections)" "$c0" "-odq: connections"
"$POSTA" -C "$conf" -bp | grep -q 'q@dest.test' || fail "-odq: not listed by -bp"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?"
assert_eq "$(fault_msgs)" 2 "-odq then -q: messages"
assert_eq "$(queued)" 0 "-odq then -q: left in q/"

# delivery = queue in posta.conf: same as -odq; -odi overrides it
set_delivery queue
c0=$(fault_connections)
printf 'Subject: cq\n\ncq body\n' | "$POSTA" -C "$conf" cq@dest.test || fail "delivery = queue: exit $?"
assert_eq "$(queued)" 1 "delivery = queue: queued"
assert_eq "$(fault_connections)" "$c0" "delivery = queue: connections"
t0=$(now)
printf 'Subject: ci\n\nci body\n' | "$POSTA" -C "$conf" -odi ci@dest.test || fail "-odi: exit $?"
dt=$(elapsed "$t0")
awk -v d="$dt" 'BEGIN { exit !(d >= 1.8) }' || fail "-odi: returned after ${dt}s, before the server's 2 s reply"
grep -rl 'ci body' "$FAULT_DIR/msgs" >/dev/null || fail "-odi: not delivered in the foreground"
"$POSTA" -C "$conf" -q 2>/dev/null || fail "-q: exit $?"
assert_eq "$(queued)" 0 "delivery = queue: left in q/ after -q"

# delivery = background in posta.conf: same as -odb (a server on the
# same port that takes 10 s for every dot)
set_delivery background
fault_stop
printf 'delay DOT 10\n' >"$T/sdot10"
fault_start "$T/sdot10"
n0=$(fault_msgs)
t0=$(now)
out=$(printf 'Subject: cb\n\ncb body\n' | "$POSTA" -C "$conf" cb@dest.test 2>&1; echo "rc=$?")
dt=$(elapsed "$t0")
assert_eq "$out" "rc=0" "delivery = background: output and exit status"
awk -v d="$dt" 'BEGIN { exit !(d < 5) }' || fail "delivery = background took ${dt}s (server needs 10 s for the dot)"
[ "$(fault_msgs)" -eq "$n0" ] || fail "delivery = background: delivered before returning?"
wait_msgs $((n0 + 1)) || fail "delivery = background: not delivered"
grep -rl 'cb body' "$FAULT_DIR/msgs" >/dev/null || fail "delivery = background: wrong message"
exit 0
