#!/bin/sh
# Review dec02 F2: an intake refused as data (-t without a recipient)
# commits into failed/, the message first, then the envelope, holding
# the lock on the message throughout. A queue run that looked at tmp/
# between the two renames unlinked tmp/ID.env as debris (only a message
# in q/ protected it), leaving failed/ID.msg without an envelope, which
# nothing lists or removes. The state is built by hand from a real
# intake: the envelope back in tmp/, the message in failed/ locked as the
# intake holds it (flock). A queue run must leave both alone; once the
# lock is gone (the intake crashed there), a run finishes the commit.
. "$(dirname "$0")/../lib/common.sh"
command -v flock >/dev/null || skip "no flock(1)"
holder=""
# shellcheck disable=SC2154	# st is set inside the trap
trap 'st=$?; [ -n "$holder" ] && touch "$T/release" && wait "$holder"; (exit $st); cleanup' EXIT
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
F=$T/spool/failed TMP=$T/spool/tmp
printf 'Subject: nobody\n\nno recipient\n' | "$POSTA" -C "$conf" -t 2>"$T/err"
assert_eq $? 65 "-t without a recipient: exit status (EX_DATAERR)"
id=$(find "$F" -name '*.env' -printf '%f\n' | sed 's/\.env$//')
[ -n "$id" ] && [ -e "$F/$id.msg" ] || fail "not kept in failed/: $(ls -A "$F")"

# between the two renames, the intake alive
mv "$F/$id.env" "$TMP/$id.env" || fail "mv"
flock -x "$F/$id.msg" sh -c 'until [ -e "$1" ]; do sleep 0.05; done' sh \
    "$T/release" &
holder=$!
i=0
while flock -n "$F/$id.msg" true; do	# until the holder has it
	i=$((i + 1)); [ $i -gt 400 ] && fail "flock(1) did not take the lock"
	sleep 0.05
done
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?: $(cat "$T/err")"
[ -e "$TMP/$id.env" ] ||
    fail "a queue run removed the envelope of a live intake into failed/"
[ -e "$F/$id.msg" ] || fail "a queue run removed the message in failed/"
[ -e "$F/$id.env" ] && fail "a queue run moved the envelope of a live intake"

# the intake crashed there: the next run finishes its commit
touch "$T/release"
wait "$holder"
holder=""
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?: $(cat "$T/err")"
[ -e "$F/$id.env" ] && [ ! -e "$TMP/$id.env" ] ||
    fail "the interrupted commit into failed/ was not finished: tmp/: $(ls -A "$TMP"), failed/: $(ls -A "$F")"
cmp -s "$F/$id.msg" /dev/null && fail "the message in failed/ is empty"
grep -q "$id: recovered an interrupted intake into failed/" "$T/posta.log" ||
    fail "no log line: $(cat "$T/posta.log")"
"$POSTA" -C "$conf" -bp -qQ >"$T/out" || fail "mailq -qQ: exit $?"
grep -q "^$id " "$T/out" || fail "mailq -qQ does not list it: $(cat "$T/out")"
assert_eq "$(fault_msgs)" 0 "sent upstream"
exit 0
