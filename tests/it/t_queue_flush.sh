#!/bin/sh
# Issue 3: after its own delivery every invocation flushes other DUE
# entries over the same connection, for a bounded time (so a container
# without cron still retries); entries in back-off are left alone.
# Also --delete.
. "$(dirname "$0")/../lib/common.sh"
enqueue() {
	printf 'Subject: %s\n\ntoken %s\n' "$1" "$1" |
	    "$POSTA" -C "$conf" -odq "$1@dest.test" || fail "-odq $1: exit $?"
}
tokens() { cat "$FAULT_DIR"/msgs/*.eml 2>/dev/null | tr -d '\r' | sed -n 's/^token //p' | sort | tr '\n' ' '; }

# an entry in back-off (upstream down once) and two due ones (-odq)
FAULT_PORT=$(free_port)
conf=$(posta_conf_fault "$FAULT_PORT")
printf 'Subject: backoff\n\ntoken backoff\n' | "$POSTA" -C "$conf" backoff@dest.test 2>/dev/null ||
    fail "backoff: exit $?"
enqueue due1
enqueue due2
fault_start -
printf 'Subject: own\n\ntoken own\n' | "$POSTA" -C "$conf" own@dest.test 2>"$T/err" ||
    fail "own: exit $?: $(cat "$T/err")"
assert_eq "$(tokens)" "due1 due2 own " "delivered by one foreground invocation"
assert_eq "$(fault_connections)" 1 "connections for own + flush"
assert_eq "$(queued)" 1 "left queued (the entry in back-off)"
"$POSTA" -C "$conf" -bp | grep -q 'backoff@dest.test' || fail "the backed-off entry is gone"
fault_stop

# bounded: 20 due entries and a server that needs 1 s per message; the
# invocation returns after its own message plus about 5 s of flushing
# (the last entry starts at most 5 s in), where flushing them all would
# take over 20 s: a bound of 15 s leaves a loaded machine room
printf 'delay DOT 1\n' >"$T/sslow"
FAULT_PORT=$(free_port)
conf=$(posta_conf_fault "$FAULT_PORT")
sed -i "s|^dir = .*|dir = $T/spool2|" "$conf"
fault_start "$T/sslow"
NSLOW=20
i=1
while [ $i -le $NSLOW ]; do enqueue "slow$i"; i=$((i + 1)); done
t0=$(now)
printf 'Subject: own\n\ntoken own\n' | "$POSTA" -C "$conf" own@dest.test 2>"$T/err" ||
    fail "own: exit $?"
dt=$(elapsed "$t0")
n=$(fault_msgs)
left=$(nfiles "$T/spool2/q" '*.env')
echo "# returned after ${dt}s, $n messages sent, $left left"
awk -v d="$dt" 'BEGIN { exit !(d < 15) }' || fail "the flush is not bounded: ${dt}s"
[ "$n" -ge 4 ] || fail "the flush sent only $((n - 1)) other entries"
[ "$left" -ge 1 ] || fail "everything was flushed: not bounded"
assert_eq $((n + left)) $((NSLOW + 1)) "sent + left"
fault_stop

# --delete: a queued entry goes; an unknown id is EX_NOINPUT
id=$(basename "$(ls "$T/spool2/q/"*.env | head -1)" .env)
"$POSTA" -C "$conf" --delete "$id" 2>"$T/err" || fail "--delete: exit $?: $(cat "$T/err")"
[ -e "$T/spool2/q/$id.env" ] || [ -e "$T/spool2/q/$id.msg" ] && fail "--delete left $id"
"$POSTA" -C "$conf" -bp | grep -q "$id" && fail "--delete: still listed"
"$POSTA" -C "$conf" --delete 0123456789abcdef 2>"$T/err"
assert_eq $? 66 "--delete of an unknown id"
exit 0
