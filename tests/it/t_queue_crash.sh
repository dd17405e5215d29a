#!/bin/sh
# Issue 3: kill -9 of posta at random moments, 240 rounds, half during
# intake (stdin fed slowly) and half during delivery (a fault server with
# small delays). Then two queue runs. Every message for which posta
# exited 0 is delivered at least once and intact, nothing delivered is
# corrupt or partial, and the spool is empty (see tests/lib/crash.py).
. "$(dirname "$0")/../lib/common.sh"
ROUNDS=${CRASH_ROUNDS:-240}
# Under ASan (make check-sanitize) a quarter of the rounds: they look for
# memory errors on the recovery paths; make check runs all 240.
sanitized && ROUNDS=${CRASH_ROUNDS:-60}
SEED=${CRASH_SEED:-$(date +%s)}
printf 'delay MAIL 0.02\ndelay DATA 0.02\ndelay DOT 0.05\n' >"$T/sslow"
fault_start "$T/sslow"
conf=$(posta_conf_fault "$FAULT_PORT")
mkdir "$T/work"
echo "# seed $SEED (CRASH_SEED=$SEED to repeat)"
args="--posta $POSTA --conf $conf --spool $T/spool --fault-dir $FAULT_DIR --workdir $T/work --seed $SEED"
# shellcheck disable=SC2086
timeout -k 5 200 python3 "$LIB/crash.py" $args --rounds "$ROUNDS" ||
    fail "crash driver: exit $?"
# the queue runs that clean up after the crashes (no back-off with -q)
"$POSTA" -C "$conf" -q 2>"$T/q1.err"
st=$?
[ $st -eq 0 ] || fail "first -q: exit $st: $(cat "$T/q1.err")"
"$POSTA" -C "$conf" -q 2>"$T/q2.err"
st=$?
[ $st -eq 0 ] || fail "second -q: exit $st: $(cat "$T/q2.err")"
# shellcheck disable=SC2086
python3 "$LIB/crash.py" $args --check || fail "see above"
exit 0
