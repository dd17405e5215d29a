#!/bin/sh
# Issue 12, item 10: mailq listed "(unreadable: ...)" and then said
# "Mail queue is empty". An entry whose envelope cannot be read is still
# in the queue: the summary counts it and says it is unreadable.
. "$(dirname "$0")/../lib/common.sh"
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
"$POSTA" -C "$conf" -q || fail "-q (creates the spool): exit $?"
bad=0123456789abcdef
printf 'posta-envelope 1\nid %s\nbogus line\n' "$bad" >"$T/spool/q/$bad.env"
printf 'Subject: x\r\n\r\nx\r\n' >"$T/spool/q/$bad.msg"

"$POSTA" -C "$conf" -bp >"$T/out" 2>&1 || fail "mailq: exit $?"
grep -q "^$bad *(unreadable: " "$T/out" || fail "mailq: no unreadable line: $(cat "$T/out")"
grep -q 'Mail queue is empty' "$T/out" && fail "mailq says the queue is empty: $(cat "$T/out")"
assert_eq "$(tail -n 1 "$T/out")" "-- 1 message, 0 octets, 1 unreadable" "summary, one unreadable entry"

printf 'Subject: good\n\nb\n' | "$POSTA" -C "$conf" -odq good@dest.test || fail "-odq: exit $?"
"$POSTA" -C "$conf" -bp >"$T/out" 2>&1 || fail "mailq: exit $?"
grep -q 'pending *<good@dest.test>' "$T/out" || fail "mailq: the good entry is missing: $(cat "$T/out")"
tail -n 1 "$T/out" | grep -q '^-- 2 messages, [0-9]* octets, 1 unreadable$' ||
    fail "summary, one good and one unreadable: $(tail -n 1 "$T/out")"

# the same in failed/
mv "$T/spool/q/$bad.env" "$T/spool/q/$bad.msg" "$T/spool/failed/"
"$POSTA" -C "$conf" -bp -qQ >"$T/out" 2>&1 || fail "mailq -qQ: exit $?"
grep -q 'No failed messages' "$T/out" && fail "mailq -qQ says there are none: $(cat "$T/out")"
assert_eq "$(tail -n 1 "$T/out")" "-- 1 message, 0 octets in failed/, 1 unreadable" "failed/ summary"

# with nothing unreadable the listing is as before
rm "$T/spool/failed/$bad.env" "$T/spool/failed/$bad.msg"
"$POSTA" -C "$conf" -bp -qQ >"$T/out" 2>&1 || fail "mailq -qQ: exit $?"
assert_eq "$(cat "$T/out")" "No failed messages" "empty failed/"
"$POSTA" -C "$conf" -bp >"$T/out" 2>&1 || fail "mailq: exit $?"
tail -n 1 "$T/out" | grep -q '^-- 1 message, [0-9]* octets$' ||
    fail "summary, one good entry: $(tail -n 1 "$T/out")"
exit 0
