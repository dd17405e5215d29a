#!/bin/sh
# Issue 11: SIGTERM stops posta -bd without losing an accepted message.
# A client in the middle of DATA finishes its message, gets its 250
# and the message is delivered; new connections are refused at once;
# the queue runner beside the listener stops too. A client that stalls
# in DATA gets no 250 and nothing of it is kept; one that outlasts the
# grace period is killed, again with no 250 and nothing kept.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
. "$LIB/listen.sh"

R=term-$TAG

# sigterm_client RCPT: the client of listenclient.py sigterm in the
# background (CL), once it is in the middle of DATA
sigterm_client() {
	rm -f "$T/ready" "$T/go"
	$LC sigterm "$LPORT" "$1" "$T/ready" "$T/go" >"$T/term.out" 2>&1 &
	CL=$!
	i=0
	until [ -e "$T/ready" ]; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "client: $(cat "$T/term.out")"
		sleep 0.05
	done
}

# 1. SIGTERM during DATA: the message is finished, 250, delivered
listen_conf "timeout = 20"
listen_start -q1h
wait_log "queue runner started" || fail "no queue runner: $(cat "$T/bd.out")"
sigterm_client "$R-data@dest.test"
t0=$(date +%s)
kill -TERM "$LPID"
wait_log "stopping: 1 connection to finish" || fail "no stop line: $(cat "$T/bd.out")"
sleep 1.2	# more than one poll slice: the child has seen its stop
out=$($LC greet "$LPORT")
case $out in "connect: "*) ;; *) fail "accepting after SIGTERM: $out" ;; esac
touch "$T/go"
wait "$CL"
case $(sed -n 1p "$T/term.out") in
"250 2.0.0 Ok: queued as "*) ;;
*) fail "no 250 for the message in flight: $(cat "$T/term.out")" ;;
esac
case $(sed -n 2p "$T/term.out") in
"421 4.3.2 "*"shutting down, closing the connection" | closed*) ;;
*) fail "after the message: $(cat "$T/term.out")" ;;
esac
listen_stop
assert_eq "$LRC" 0 "exit status"
[ $(($(date +%s) - t0)) -lt 20 ] || fail "took $(($(date +%s) - t0)) s to stop"
getmail "$R-data@dest.test" 1
exactly "$R-data@dest.test" 1
assert_hdr "$M" Subject "SIGTERM during DATA"
body_lf "$M" | grep -qx "second half" || fail "body: $(body_lf "$M")"
grep -q "queue runner stopped" "$T/bd.out" || fail "the runner did not stop: $(cat "$T/bd.out")"
grep -q "posta: stopped" "$T/bd.out" || fail "no stopped line"
[ "$(queued)" -eq 0 ] || fail "left in the queue"

# 2. a client that stalls in DATA after SIGTERM: the idle timeout ends
# it (no 250, nothing kept), and the listener stops then
listen_conf "timeout = 3"
listen_start
sigterm_client "$R-stall@dest.test"
t0=$(date +%s)
kill -TERM "$LPID"
listen_stop
t=$(($(date +%s) - t0))
[ "$t" -ge 2 ] && [ "$t" -lt 15 ] || fail "stopped after $t s, want the idle timeout (3 s)"
assert_eq "$LRC" 0 "exit status"
touch "$T/go"
wait "$CL"
grep -q "^250 " "$T/term.out" && fail "a 250 for the stalled message: $(cat "$T/term.out")"
[ "$(queued)" -eq 0 ] || fail "the stalled message was queued"
[ "$(nfiles "$T/spool/tmp" '*')" -eq 0 ] || fail "left in tmp/: $(ls "$T/spool/tmp")"

# 3. one that outlasts the grace period: killed after it, no 250
listen_conf "timeout = 120"
listen_start
sigterm_client "$R-grace@dest.test"
t0=$(date +%s)
kill -TERM "$LPID"
listen_stop
t=$(($(date +%s) - t0))
[ "$t" -ge 29 ] && [ "$t" -lt 40 ] || fail "stopped after $t s, want the grace (30 s)"
assert_eq "$LRC" 0 "exit status"
grep -q "1 connection still open after 30 s: killed" "$T/bd.out" ||
    fail "no kill line: $(cat "$T/bd.out")"
touch "$T/go"
wait "$CL"
grep -q "^250 " "$T/term.out" && fail "a 250 from a killed child: $(cat "$T/term.out")"
[ "$(queued)" -eq 0 ] || fail "the killed child's message was queued"
sleep 0.5
[ -d "$TB_CAPTURE/$R-stall@dest.test" ] && fail "the stalled message was delivered"
[ -d "$TB_CAPTURE/$R-grace@dest.test" ] && fail "the killed message was delivered"
exit 0
