#!/bin/sh
# Issue 3: per-recipient state. A 451 for one of three recipients: the two
# others are delivered once, the third later, once. A 550 for one: the
# others are delivered and a DSN (RFC 3464) reaches the envelope sender,
# never for the null sender. Also against the real Postfix.
. "$(dirname "$0")/../lib/common.sh"
msg() { printf 'Subject: %s\n\n%s body\n' "$1" "$1"; }
rcpts_of() { sed -n 's/^recipient //p' "$FAULT_DIR/msgs/$1.env" | sort | tr '\n' ' '; }

# 3. 451 on one of three recipients, once
printf 'rcpt r3@ 451 4.3.0 later once\n' >"$T/s451"
fault_start "$T/s451"
conf=$(posta_conf_fault "$FAULT_PORT")
msg three | "$POSTA" -C "$conf" -f s@example.com r1@dest.test r2@dest.test r3@dest.test 2>"$T/err"
assert_eq $? 0 "451: exit status"
grep -q '451' "$T/err" || fail "451: stderr does not say why: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 1 "451: transactions after the first attempt"
assert_eq "$(rcpts_of 000001)" "r1@dest.test r2@dest.test " "451: first delivery"
assert_eq "$(queued)" 1 "451: queued for the third"
env=$(ls "$T/spool/q/"*.env)
grep -q "^rcpt done [0-9]* <r1@dest.test>$" "$env" || fail "no rcpt done <r1@dest.test> in $env"
grep -q "^rcpt done [0-9]* <r2@dest.test>$" "$env" || fail "no rcpt done <r2@dest.test> in $env"
grep -q "^rcpt pending [0-9]* <r3@dest.test>$" "$env" || fail "no rcpt pending <r3@dest.test> in $env"
"$POSTA" -C "$conf" -bp >"$T/mailq"
grep -q 'pending.*r3@dest.test' "$T/mailq" || fail "451: mailq: $(cat "$T/mailq")"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "451: -q: exit $?"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "451: second -q: exit $?"
assert_eq "$(fault_msgs)" 2 "451: transactions after two -q"
assert_eq "$(rcpts_of 000002)" "r3@dest.test " "451: the retry went to"
cmp -s "$FAULT_DIR/msgs/000001.eml" "$FAULT_DIR/msgs/000002.eml" ||
    fail "451: the retried message differs from the first"
assert_eq "$(queued)" 0 "451: left in q/"
assert_eq "$(failed_count)" 0 "451: entries in failed/"
# every recipient exactly once over all transactions
cat "$FAULT_DIR"/msgs/*.env | sed -n 's/^recipient //p' | sort | uniq -c |
    awk '$1 != 1 { bad = 1 } END { exit bad }' || fail "451: a recipient got it twice"
fault_stop

# 4. 550 for one recipient: the others delivered, a DSN to the sender
printf 'rcpt bad@ 550 5.1.1 no such user here\n' >"$T/s550"
FAULT_PORT=$(free_port)
fault_start "$T/s550"
conf=$(posta_conf_fault "$FAULT_PORT")
printf 'Subject: dsn-subject-4711\nFrom: s@example.com\n\noriginal body\n' |
    "$POSTA" -C "$conf" -f s@example.com g1@dest.test bad@dest.test g2@dest.test 2>"$T/err"
assert_eq $? 0 "550 on one: exit status"
grep -q '550' "$T/err" || fail "550 on one: stderr: $(cat "$T/err")"
assert_eq "$(failed_count)" 1 "550 on one: entries in failed/"
fenv=$(ls "$T/spool/failed/"*.env)
grep -q "^rcpt failed [0-9]* <bad@dest.test>$" "$fenv" || fail "no rcpt failed <bad@dest.test> in $fenv"
assert_file_contains "$fenv" "550 5.1.1 no such user here"
# the DSN goes out with this invocation's flush or with the next -q
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "550: -q: exit $?"
assert_eq "$(fault_msgs)" 2 "550: original + DSN"
orig="" dsn=""
for e in "$FAULT_DIR"/msgs/*.env; do
	if grep -qx 'sender ' "$e"; then dsn=${e%.env}; else orig=${e%.env}; fi
done
[ -n "$orig" ] && [ -n "$dsn" ] || fail "550: no null-sender DSN among $(cat "$FAULT_DIR"/msgs/*.env)"
assert_eq "$(rcpts_of "${orig##*/}")" "g1@dest.test g2@dest.test " "550: delivered to"
assert_eq "$(rcpts_of "${dsn##*/}")" "s@example.com " "550: DSN recipients"
d=$dsn.eml
grep -qi '^Content-Type: multipart/report' "$d" || fail "DSN: not multipart/report: $(head -20 "$d")"
grep -qi 'report-type="\{0,1\}delivery-status' "$d" || fail "DSN: no report-type=delivery-status"
grep -qi '^Content-Type: message/delivery-status' "$d" || fail "DSN: no message/delivery-status part"
grep -qi '^Final-Recipient: rfc822; *bad@dest.test' "$d" || fail "DSN: no Final-Recipient for bad@dest.test"
grep -qi '^Action: failed' "$d" || fail "DSN: no Action: failed"
grep -qi '^Status: 5\.1\.1' "$d" || fail "DSN: no Status: 5.1.1"
grep -qi '^Diagnostic-Code: smtp; *550 5.1.1 no such user here' "$d" || fail "DSN: no Diagnostic-Code"
grep -qi '^Content-Type: text/rfc822-headers' "$d" || fail "DSN: no text/rfc822-headers part"
# the original Subject comes after the text/rfc822-headers part header
awk 'tolower($0) ~ /^content-type: text\/rfc822-headers/ { p = 1 }
     p && /^Subject: dsn-subject-4711/ { f = 1 } END { exit !f }' "$d" ||
    fail "DSN: original Subject not in the returned headers"
grep -q 'g1@dest.test' "$d" && grep -qi '^Final-Recipient: rfc822; *g1' "$d" &&
    fail "DSN: reports a delivered recipient as failed"
assert_eq "$(queued)" 0 "550: left in q/"
# nothing more on another run
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "550: second -q: exit $?"
assert_eq "$(fault_msgs)" 2 "550: after a second -q"

# the same with the null sender: the others delivered, no DSN at all
msg nullsender | "$POSTA" -C "$conf" -f '<>' g3@dest.test bad@dest.test 2>"$T/err"
assert_eq $? 0 "null sender, 550 on one: exit status"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "null sender: -q: exit $?"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "null sender: second -q: exit $?"
assert_eq "$(fault_msgs)" 3 "null sender: transactions (no DSN wanted)"
assert_eq "$(rcpts_of 000003)" "g3@dest.test " "null sender: delivered to"
grep -qx 'sender ' "$FAULT_DIR/msgs/000003.env" || fail "null sender: not sent with <>"
grep -q 'nullsender body' "$FAULT_DIR/msgs/000003.eml" || fail "null sender: wrong message"
assert_eq "$(failed_count)" 2 "null sender: entries in failed/"
assert_eq "$(queued)" 0 "null sender: left in q/"
fault_stop

# Postfix: queued with -odq, a refused and a good recipient, a -q run:
# the good one delivered, the DSN captured for the sender
need_testbed
conf=$(posta_conf_postfix submission)
sed -i "s|^dir = .*|dir = $T/spool2|" "$conf"
# notifications go to senders of ours only: dest.test is, through from
sed -i 's/^\[sender\]$/[sender]\nfrom = postmaster@dest.test/' "$conf"
tok=$$
snd=dsnsender-$tok@dest.test
printf 'Subject: pf-dsn-%s\n\npostfix body\n' "$tok" |
    "$POSTA" -C "$conf" -odq -f "$snd" "good-$tok@dest.test" "reject-$tok@dest.test" 2>"$T/err"
assert_eq $? 0 "postfix -odq: exit status"
[ "$(nfiles "$T/spool2/q" '*.env')" -eq 1 ] || fail "postfix -odq: not queued"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "postfix -q: exit $?: $(cat "$T/err")"
wait_mail "good-$tok@dest.test" 1 || fail "postfix: good recipient got nothing"
wait_mail "$snd" 1 || fail "postfix: no DSN for the sender"
d=$TB_CAPTURE/$snd/1.eml
grep -qx 'sender ' "$TB_CAPTURE/$snd/1.env" ||
    fail "postfix: DSN sender not null: $(cat "$TB_CAPTURE/$snd/1.env")"
grep -qi '^Final-Recipient: rfc822; *reject-'"$tok"'@dest.test' "$d" || fail "postfix DSN: Final-Recipient"
grep -qi '^Status: 5\.1\.1' "$d" || fail "postfix DSN: Status"
grep -qi 'multipart/report' "$d" || fail "postfix DSN: not multipart/report"
grep -q "^Subject: pf-dsn-$tok" "$d" || fail "postfix DSN: original Subject missing"
[ "$(nfiles "$T/spool2/q" '*')" -eq 0 ] || fail "postfix: q/ not empty"
[ "$(nfiles "$TB_CAPTURE" "*reject-$tok*")" -eq 0 ] || fail "postfix: refused recipient got it"
exit 0
