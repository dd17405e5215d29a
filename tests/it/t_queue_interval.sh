#!/bin/sh
# Issue 3: -qINTERVAL runs the queue in the foreground every interval,
# honouring back-off; SIGTERM/SIGINT stop it cleanly, and the entry in
# flight is either delivered or still queued intact.
. "$(dirname "$0")/../lib/common.sh"
until_true() {	# until_true TENTHS CMD...: poll
	n=$1; shift
	while ! "$@"; do
		n=$((n - 1)); [ $n -le 0 ] && return 1
		sleep 0.1
	done
}
msgs_at_least() { [ "$(fault_msgs)" -ge "$1" ]; }
tried_once() { grep -q '^attempts 1$' "$T/spool/q/"*.env 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
# stop PID: SIGTERM, then the exit status once it is gone (bounded: 30 s)
stop_runner() {
	kill -TERM "$1"
	until_true 300 gone "$1" || { kill -9 "$1"; fail "runner $1 ignored SIGTERM for 30 s"; }
	wait "$1"
}
# started PID: the runner PID has logged that it runs, which it does
# once its signal handlers are in place (a background job of this shell
# starts with SIGINT ignored, and a signal before that is lost);
# runner_started PID: wait for that, up to 30 s
started() { grep -q "posta\[$1\]: queue runner started" "$T/posta.log" 2>/dev/null; }
runner_started() {
	until_true 300 started "$1" || fail "runner $1 did not start in 30 s: $(cat "$T/posta.log")"
}
rcpt_tries() { grep -c "^C[0-9]* < RCPT TO:<$1" "$FAULT_DIR/transcript"; }

printf 'rcpt later@ 451 4.3.0 not now\n' >"$T/s451"
fault_start "$T/s451"
conf=$(posta_conf_fault "$FAULT_PORT")
"$POSTA" -C "$conf" -q1s 2>"$T/runner.err" &
r=$!; FAULT_PIDS="$FAULT_PIDS $r"	# killed by cleanup on failure
until_true 300 started "$r" || fail "-q1s did not start: $(cat "$T/runner.err")"
gone "$r" && fail "-q1s exited at once: $(cat "$T/runner.err")"

# a message queued while the runner runs goes out within an interval or
# two (waited for up to 30 s: a loaded machine)
printf 'Subject: a\n\ntoken a\n' | "$POSTA" -C "$conf" -odq a@dest.test || fail "-odq: exit $?"
until_true 300 msgs_at_least 1 || fail "-q1s did not deliver a queued message in 30 s"
assert_file_contains "$FAULT_DIR/msgs/000001.eml" "token a"

# back-off: a 451 sets the next try 60 s ahead; the runner, which runs
# every second, does not try it again meanwhile
printf 'Subject: b\n\ntoken b\n' | "$POSTA" -C "$conf" -odq later@dest.test || fail "-odq: exit $?"
until_true 300 tried_once ||
    fail "the runner did not try the 451 entry"
sleep 3
assert_eq "$(rcpt_tries later@)" 1 "tries of the backed-off entry during 3 s of -q1s"
grep -q 'attempts 1$' "$T/spool/q/"*.env || fail "attempts changed: $(cat "$T/spool/q/"*.env)"
# and a new message still goes out meanwhile
printf 'Subject: c\n\ntoken c\n' | "$POSTA" -C "$conf" -odq c@dest.test || fail "-odq: exit $?"
until_true 300 msgs_at_least 2 || fail "-q1s did not deliver the second message"
assert_eq "$(rcpt_tries later@)" 1 "the backed-off entry was retried with the others"

# SIGTERM: exit 0, nothing in tmp/, the 451 entry intact
stop_runner "$r"; st=$?
assert_eq $st 0 "-q1s exit status after SIGTERM"
assert_eq "$(ls -A "$T/spool/tmp" | wc -l)" 0 "files in tmp/ after SIGTERM"
assert_eq "$(queued)" 1 "queued after SIGTERM (the 451 entry)"
"$POSTA" -C "$conf" -bp | grep -q 'later@dest.test' || fail "the 451 entry is not listed"
grep -qi 'stop' "$T/runner.err" || fail "no log line on stop: $(cat "$T/runner.err")"
# promptly, in the middle of a long interval: -q60s stops well within
# 10 s (its exit under LeakSanitizer included), not at the next run
"$POSTA" -C "$conf" -q60s 2>/dev/null &
r=$!; FAULT_PIDS="$FAULT_PIDS $r"	# killed by cleanup on failure
runner_started "$r"
t0=$(now)
stop_runner "$r"; st=$?
dt=$(elapsed "$t0")
assert_eq $st 0 "-q60s exit status after SIGTERM"
awk -v d="$dt" 'BEGIN { exit !(d < 10) }' || fail "-q60s took ${dt}s to stop"
# SIGINT too (sent once the handler is in place)
"$POSTA" -C "$conf" -q60s 2>/dev/null &
r=$!; FAULT_PIDS="$FAULT_PIDS $r"	# killed by cleanup on failure
runner_started "$r"
t0=$(now)
kill -INT "$r"
until_true 300 gone "$r" || fail "-q60s ignored SIGINT"
dt=$(elapsed "$t0")
wait "$r"; assert_eq $? 0 "-q60s exit status after SIGINT"
awk -v d="$dt" 'BEGIN { exit !(d < 10) }' || fail "-q60s took ${dt}s to stop after SIGINT"
fault_stop

# SIGTERM while a delivery is in flight (the server takes 3 s after the
# dot): afterwards the entry is delivered, or queued and intact; a later
# run delivers what is queued
printf 'delay DOT 3 once\n' >"$T/sslow"
FAULT_PORT=$(free_port)
conf=$(posta_conf_fault "$FAULT_PORT")
sed -i "s|^dir = .*|dir = $T/spool2|" "$conf"
queued() { nfiles "$T/spool2/q" '*.env'; }
fault_start "$T/sslow"
printf 'Subject: slow\n\ntoken slow\n' | "$POSTA" -C "$conf" -odq slow@dest.test || fail "-odq: exit $?"
id=$(basename "$(ls "$T/spool2/q/"*.env)" .env)
cp "$T/spool2/q/$id.msg" "$T/slow.msg"
"$POSTA" -C "$conf" -q1s 2>"$T/runner2.err" &
r=$!; FAULT_PIDS="$FAULT_PIDS $r"	# killed by cleanup on failure
until_true 50 grep -q '^C1 \* delay' "$FAULT_DIR/transcript" 2>/dev/null ||
    fail "the runner did not send the message"
stop_runner "$r"; st=$?
assert_eq $st 0 "exit status after SIGTERM in flight"
assert_eq "$(ls -A "$T/spool2/tmp" | wc -l)" 0 "files in tmp/ after SIGTERM in flight"
until_true 40 test -e "$FAULT_DIR/msgs/000001.eml" 2>/dev/null	# the server keeps it after 3 s
if [ "$(queued)" -eq 0 ]; then
	echo "# SIGTERM in flight: the entry was finished (delivered) before exiting"
	assert_eq "$(fault_msgs)" 1 "delivered entry: messages"
else
	echo "# SIGTERM in flight: the entry stayed queued"
	cmp -s "$T/slow.msg" "$T/spool2/q/$id.msg" || fail "the queued message changed"
	"$POSTA" -C "$conf" -bp | grep -q "$id" || fail "the queued entry is not listed"
	"$POSTA" -C "$conf" -q || fail "-q: exit $?"
	assert_eq "$(queued)" 0 "after -q"
	[ "$(fault_msgs)" -ge 1 ] || fail "never delivered"
fi
tr -d '\r' <"$FAULT_DIR/msgs/000001.eml" | grep -q '^token slow$' || fail "wrong message"
exit 0
