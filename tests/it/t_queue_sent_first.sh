#!/bin/sh
# Issue 13: after the smart host's 250 to the final dot the spool entry
# is gone before posta writes a line anywhere. A run stopped at its log
# write (a log file at the size limit, a log that blocks, then SIGKILL)
# must not have the message sent again by every later run.
. "$(dirname "$0")/../lib/common.sh"
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
# the same without the log file, to queue with
sed '/^file = /d' "$conf" >"$T/nolog.conf"
chmod 600 "$T/nolog.conf"

# 1. the log blocks on its first line (a full pipe), then SIGKILL
mkfifo "$T/fifo.log"
sed "s|^file = .*|file = $T/fifo.log|" "$conf" >"$T/fifo.conf"
chmod 600 "$T/fifo.conf"
printf 'Subject: one\n\nonce\n' |
    "$POSTA" -C "$T/nolog.conf" -odq sf-one@example.net || fail "queue"
# hold the pipe open and full, so that opening it does not block and
# every write to it does
"$PY" -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
try:
    while True:
        os.write(fd, b"x" * 4096)
except BlockingIOError:
    pass
open(sys.argv[2], "w").close()
time.sleep(300)' "$T/fifo.log" "$T/full" &
holder=$!
i=0
while [ ! -e "$T/full" ]; do
	i=$((i + 1)); [ $i -gt 600 ] && fail "the pipe was not filled"
	sleep 0.05
done
"$POSTA" -C "$T/fifo.conf" -q 2>"$T/q0.err" &
runner=$!
i=0
while [ "$(fault_msgs)" -lt 1 ]; do
	i=$((i + 1)); [ $i -gt 600 ] && fail "not delivered: $(cat "$T/q0.err")"
	sleep 0.05
done
# the 250 read, the next steps taken: posta removes the entry, then is
# stuck in a write to its log (a loaded machine gets up to 30 s for the
# steps before it); an entry still there means it was not removed before
# the log line, and a later run would send it again
i=0
while [ "$(queued)" -gt 0 ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "the entry is still queued 30 s after the server's 250 (posta held by its log: the entry must go before the log line): $(cat "$T/q0.err")"
	sleep 0.1
done
kill -0 "$runner" 2>/dev/null || fail "posta was not held by its log"
kill -9 "$runner"
wait "$runner" 2>/dev/null
kill "$holder"
wait "$holder" 2>/dev/null
"$POSTA" -C "$T/nolog.conf" -q 2>"$T/q1.err" || fail "-q: $(cat "$T/q1.err")"
"$POSTA" -C "$T/nolog.conf" -q 2>"$T/q2.err" || fail "-q: $(cat "$T/q2.err")"
assert_eq "$(fault_msgs)" 1 "deliveries after a kill at the log line"
assert_eq "$(queued)" 0 "queued"

# 2. the log file at the size limit (ulimit -f 0): neither killed by
# SIGXFSZ nor sent again
printf 'Subject: two\n\ntwice?\n' |
    "$POSTA" -C "$T/nolog.conf" -odq sf-two@example.net || fail "queue"
: >"$T/posta.log"
(ulimit -f 0 && exec "$POSTA" -C "$conf" -q) 2>"$T/q3.err"
assert_eq $? 0 "-q with the log file at the size limit"
"$POSTA" -C "$T/nolog.conf" -q 2>"$T/q4.err" || fail "-q: $(cat "$T/q4.err")"
"$POSTA" -C "$T/nolog.conf" -q 2>"$T/q5.err" || fail "-q: $(cat "$T/q5.err")"
assert_eq "$(fault_msgs)" 2 "deliveries after runs at the size limit"
assert_eq "$(queued)" 0 "queued"
exit 0
