#!/bin/sh
# Issue 2: what happens when the upstream cannot or will not take the mail.
. "$(dirname "$0")/../lib/common.sh"
msg() { printf 'Subject: %s\n\nbody\n' "$1"; }
spool() { sed -i "s|^dir = .*|dir = $T/$2|" "$1"; S=$T/$2; }
inq() { nfiles "$S/q" '*.env'; }

# wrong password: stays queued, exit 0, stderr says why
conf=$(posta_conf_postfix submission)
sed -i 's/^password = .*/password = wrong-password/' "$conf"
msg wrongpw | "$POSTA" -C "$conf" wrongpw@dest.test 2>"$T/err"
assert_eq $? 0 "wrong password: exit status"
grep -q 'queued for retry' "$T/err" || fail "wrong password: stderr: $(cat "$T/err")"
grep -q '535' "$T/err" || fail "wrong password: no server reply: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "wrong password: more than one line"
grep -q 'wrong-password' "$T/err" && fail "the password was printed"
[ "$(nfiles "$T/spool/q" '*.env')" -eq 1 ] || fail "wrong password: not queued"
"$POSTA" -C "$conf" -bp | grep -q '535' || fail "mailq does not show the error"
# fixed password: the queue run delivers it, once
conf2=$(posta_conf_postfix submission)
sed -i "s|^dir = .*|dir = $T/spool|" "$conf2"
"$POSTA" -C "$conf2" -q || fail "-q: exit $?"
wait_mail wrongpw@dest.test 1 || fail "not delivered after the fix"
[ -z "$(ls "$T/spool/q")" ] || fail "queue not empty after -q"

# a certificate from an unknown CA: refused, stays queued, no AUTH sent
conf=$(posta_conf_postfix submission)
sed -i "s|^ca_file = .*|ca_file = $TB_OTHER_CA|" "$conf"
spool "$conf" s2
msg badca | "$POSTA" -C "$conf" badca@dest.test 2>"$T/err"
assert_eq $? 0 "unknown CA: exit status"
grep -q 'certificate verify failed' "$T/err" || fail "unknown CA: stderr: $(cat "$T/err")"
[ "$(inq)" -eq 1 ] || fail "unknown CA: not queued"
sleep 1
[ "$(nfiles "$TB_CAPTURE" '*badca*')" -eq 0 ] || fail "unknown CA: delivered anyway"

# the plain port offers AUTH but no STARTTLS: nothing secret is sent
conf=$(posta_conf_postfix plain)
sed -i 's/^tls = .*/tls = starttls/' "$conf"
spool "$conf" s3
: >"$T/mark"
msg notls | "$POSTA" -v -C "$conf" notls@dest.test 2>"$T/err"
assert_eq $? 0 "no STARTTLS: exit status"
grep -q 'does not offer STARTTLS' "$T/err" || fail "no STARTTLS: $(tail -1 "$T/err")"
grep -q '^>>> AUTH' "$T/err" && fail "AUTH was sent without TLS"
grep -q '^>>> MAIL' "$T/err" && fail "MAIL was sent without TLS"
sleep 1
# Postfix lists the commands of each session at disconnect
tail -n 50 "$TB_MAILLOG" | grep "disconnect from" | tail -1 | grep -q 'auth=' &&
    fail "the smart host saw an AUTH command"
[ "$(inq)" -eq 1 ] || fail "no STARTTLS: not queued"

# every recipient refused: failed/, non-zero exit with the server's reply
conf=$(posta_conf_postfix submission)
spool "$conf" s4
msg refused | "$POSTA" -C "$conf" reject-a@dest.test reject-b@dest.test 2>"$T/err"
st=$?
[ $st -eq 69 ] || fail "all refused: exit $st, want 69 (EX_UNAVAILABLE)"
grep -q '550' "$T/err" || fail "all refused: no server reply: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "all refused: more than one line"
[ "$(inq)" -eq 0 ] || fail "all refused: still in q/"
[ "$(nfiles "$S/failed" '*.msg')" -eq 1 ] || fail "all refused: not in failed/"
"$POSTA" -C "$conf" -bp -qQ | grep -q 'reject-a@dest.test' || fail "mailq -qQ does not list it"

# 4xx: stays queued, exit 0
msg deferred | "$POSTA" -C "$conf" defer-x@dest.test 2>"$T/err"
assert_eq $? 0 "4xx: exit status"
grep -q '450' "$T/err" || fail "4xx: $(cat "$T/err")"
exit 0
