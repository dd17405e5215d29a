#!/bin/sh
# Issue 11: posta -bd under load. 50 clients at once each deliver their
# message exactly once; past max_clients, clients wait in the backlog
# and are served; a client that stalls holds its slot only until the
# idle timeout, while others are served.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
. "$LIB/listen.sh"

R=load-$TAG
# greeted FILE: until the stalling client has printed its greeting (it
# flushes it), i.e. it holds its slot; up to 30 s
greeted() {
	i=0
	until grep -q '^220 ' "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.1
	done
}

# 1. 50 clients at once (max_clients is 50 by default)
listen_conf "timeout = 30"
listen_start
t0=$(date +%s.%N)
$LC many "$LPORT" 50 "$R-c" >"$T/many.out" 2>&1 || fail "50 clients: $(cat "$T/many.out")"
t1=$(date +%s.%N)
assert_eq "$(head -n 1 "$T/many.out")" "ok 50" "50 clients accepted"
i=0
while [ $i -lt 50 ]; do
	wait_mail "$R-c-$i@dest.test" 1 30 || fail "client $i: not delivered"
	i=$((i + 1))
done
testbed_idle || :
sleep 0.5
i=0
while [ $i -lt 50 ]; do
	n=$(mail_count "$R-c-$i@dest.test")
	[ "$n" -eq 1 ] || fail "client $i: $n messages, want 1"
	i=$((i + 1))
done
echo "# 50 clients at once: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s until every 250"
[ "$(grep -c "connection from 127.0.0.1:" "$T/bd.out")" -eq 50 ] ||
    fail "want 50 connection lines"
listen_stop
assert_eq "$LRC" 0 "exit status"
[ "$(queued)" -eq 0 ] || fail "$(queued) left in the queue"

# 2. max_clients = 3 and 12 clients at once: the others wait, all served
listen_conf "max_clients = 3" "timeout = 30"
listen_start
$LC many "$LPORT" 12 "$R-m" >"$T/many.out" 2>&1 || fail "12 clients: $(cat "$T/many.out")"
assert_eq "$(head -n 1 "$T/many.out")" "ok 12" "12 clients through 3 slots"
i=0
while [ $i -lt 12 ]; do
	getmail "$R-m-$i@dest.test" 1
	i=$((i + 1))
done
grep -q "3 clients: at max_clients, new connections wait" "$T/bd.out" ||
    fail "the limit was never reached"
listen_stop

# 3. a client that stalls: 421 4.4.2 after the idle timeout, its slot
# freed; with a second slot, another client is served meanwhile: well
# within the timeout of 10 s it would wait for if it had to wait for
# the stalled one (the bound allows for a loaded machine: Python's
# start, smtplib, the intake with its fsyncs)
listen_conf "max_clients = 2" "timeout = 10"
listen_start
$LC stall "$LPORT" 30 >"$T/stall1.out" 2>&1 &
STALL=$!
greeted "$T/stall1.out" || fail "stall: no greeting: $(cat "$T/stall1.out")"
t0=$(date +%s.%N)
printf 'Subject: meanwhile\r\n\r\nx\r\n' >"$T/msg"
out=$($LC send "$LPORT" a@example.com "$R-meanwhile@dest.test" "$T/msg") ||
    fail "second client: $out"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 6) }' ||
    fail "the second client waited for the stalled one ($(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s)"
wait "$STALL"
case $(sed -n 1p "$T/stall1.out") in
"220 "*" ESMTP posta") ;;
*) fail "stall: greeting: $(cat "$T/stall1.out")" ;;
esac
case $(sed -n 2p "$T/stall1.out") in
"421 4.4.2 "*"idle too long, closing the connection") ;;
*) fail "stalled client: $(cat "$T/stall1.out")" ;;
esac
getmail "$R-meanwhile@dest.test" 1
listen_stop

# 4. max_clients = 1: a stalled client holds the only slot until its
# timeout; the next client waits in the backlog, then is served
# (ts is taken before the stalled client starts: the slot cannot free
# before ts + 2 s however slow the machine; the stalled client itself
# would give up only after 30 s)
listen_conf "max_clients = 1" "timeout = 2"
listen_start
ts=$(date +%s.%N)
$LC stall "$LPORT" 30 >"$T/stall2.out" 2>&1 &
STALL=$!
greeted "$T/stall2.out" || fail "stall: no greeting: $(cat "$T/stall2.out")"
t0=$(date +%s.%N)
out=$($LC send "$LPORT" a@example.com "$R-after@dest.test" "$T/msg") ||
    fail "client behind the stalled one: $out"
t1=$(date +%s.%N)
wait "$STALL"
awk -v s="$ts" -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - s > 1.9 && b - a < 15) }' ||
    fail "served after $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s, want the timeout (2 s)"
grep -q "^421 4.4.2 " "$T/stall2.out" || fail "stalled client: $(cat "$T/stall2.out")"
getmail "$R-after@dest.test" 1
grep -q "ended: -bs: idle too long" "$T/bd.out" || fail "no log line for the timeout"
# and in that order, whatever the timing: the next connection only once
# the stalled one has ended
awk '/ended: -bs: idle too long/ { e = NR } /connection from [^ ]*$/ { c = NR }
    END { exit !(e && c > e) }' "$T/bd.out" ||
    fail "the next client was served before the stalled one ended: $(cat "$T/bd.out")"
listen_stop
assert_eq "$LRC" 0 "exit status"
exit 0
