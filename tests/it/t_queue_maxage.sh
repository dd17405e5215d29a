#!/bin/sh
# Issue 3: max_age. An entry older than max_age whose attempt fails moves
# to failed/ and a DSN is queued for the sender, sent when the upstream is
# back. Never a DSN for the null sender (no loops).
. "$(dirname "$0")/../lib/common.sh"

FAULT_PORT=$(free_port)	# nobody listens there yet
conf=$(posta_conf_fault "$FAULT_PORT")
sed -i 's/^\[queue\]$/[queue]\nmax_age = 1s/' "$conf"
printf 'Subject: expiring-7731\nFrom: old@example.com\n\nold body\n' |
    "$POSTA" -C "$conf" -f old@example.com gone@dest.test 2>"$T/err"
assert_eq $? 0 "max_age: first attempt: exit status"
assert_eq "$(queued)" 1 "max_age: queued after the first attempt"
id=$(basename "$(ls "$T/spool/q/"*.env)" .env)
sleep 2.1
"$POSTA" -C "$conf" -q 2>"$T/err"
assert_eq $? 0 "max_age: -q exit status"
[ -e "$T/spool/failed/$id.env" ] && [ -e "$T/spool/failed/$id.msg" ] ||
    fail "max_age: $id not in failed/: $(ls -R "$T/spool")"
grep -q "^rcpt failed [0-9]* <gone@dest.test>$" "$T/spool/failed/$id.env" || fail "no rcpt failed <gone@dest.test> in $T/spool/failed/$id.env"
grep -q 'giving up' "$T/posta.log" || fail "max_age: no log line: $(cat "$T/posta.log")"
"$POSTA" -C "$conf" -bp -qQ | grep -q "$id" || fail "max_age: mailq -qQ does not list $id"
# a DSN for the sender, with the null sender, waits in q/
assert_eq "$(queued)" 1 "max_age: the DSN entry"
denv=$(ls "$T/spool/q/"*.env)
[ "$(basename "$denv" .env)" != "$id" ] || fail "max_age: the old entry is still in q/"
assert_file_contains "$denv" "sender <>"
grep -q "^rcpt pending [0-9]* <old@example.com>$" "$denv" || fail "no rcpt pending <old@example.com> in $denv"

# the upstream is back (and max_age is normal again, so that the DSN
# itself does not expire): -q delivers the DSN
sed -i '/^max_age = /d' "$conf"
fault_start -
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "DSN run: exit $?: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 1 "max_age: messages sent (the DSN only)"
m=$FAULT_DIR/msgs/000001
grep -qx 'sender ' "$m.env" || fail "DSN not sent with the null sender: $(cat "$m.env")"
assert_file_contains "$m.env" "recipient old@example.com"
grep -qi '^Content-Type: multipart/report' "$m.eml" || fail "DSN: not multipart/report"
grep -qi '^Content-Type: message/delivery-status' "$m.eml" || fail "DSN: no delivery-status"
grep -qi '^Final-Recipient: rfc822; *gone@dest.test' "$m.eml" || fail "DSN: no Final-Recipient"
grep -qi '^Action: failed' "$m.eml" || fail "DSN: no Action: failed"
grep -q '^Subject: expiring-7731' "$m.eml" || fail "DSN: original headers missing"
assert_eq "$(queued)" 0 "max_age: left in q/"
fault_stop

# the null sender: expired -> failed/, and no DSN
FAULT_PORT=$(free_port)
conf=$(posta_conf_fault "$FAULT_PORT")
sed -i "s|^dir = .*|dir = $T/spool2|" "$conf"
sed -i 's/^\[queue\]$/[queue]\nmax_age = 1s/' "$conf"
printf 'Subject: null\n\nnull body\n' | "$POSTA" -C "$conf" -f '<>' gone2@dest.test 2>"$T/err"
assert_eq $? 0 "null sender: exit status"
sleep 2.1
"$POSTA" -C "$conf" -q 2>"$T/err"
assert_eq $? 0 "null sender: -q exit status"
assert_eq "$(nfiles "$T/spool2/failed" '*.env')" 1 "null sender: entries in failed/"
assert_eq "$(nfiles "$T/spool2/q" '*')" 0 "null sender: a DSN was queued"
exit 0
