#!/bin/sh
# Issue 14: bare local names in From, Sender, Reply-To, To, Cc and the
# Resent- forms are qualified with [sender] domain (else the host
# name), as Postfix does for local submissions. Display names,
# comments, groups and folding are kept byte for byte, other fields
# are not touched, and a field with a syntax error goes out as it came.
# The fault server keeps each message byte-exact.
. "$(dirname "$0")/../lib/common.sh"

fault_start -
posta_conf_fault "$FAULT_PORT" >/dev/null

printf '%s\r\n' \
    'From: Fail2Ban <fail2ban>' \
    'Sender: root (Cron Daemon)' \
    'Reply-To: admins: root, ops@dest.test;' \
    'To: root,' \
    '	"Web Server" <www-data>, a@dest.test' \
    'Cc: "john doe", first.last' \
    'Resent-From: root' \
    'Resent-To: <root>' \
    'X-Mailer: root' \
    'Subject: root <root>' \
    'Comments: mail for root' \
    'In-Reply-To: <root>' \
    'Resent-Cc: root, <broken' \
    '' \
    'To: root in the body' >"$T/msg"
"$POSTA" -C "$T/posta.conf" -i rcpt@dest.test <"$T/msg" 2>"$T/err" ||
    fail "send: exit $?: $(cat "$T/err")"
[ "$(fault_msgs)" -eq 1 ] || fail "not delivered"
M=$(ls "$FAULT_DIR"/msgs/*.eml)
printf '%s\r\n' \
    'From: Fail2Ban <fail2ban@example.com>' \
    'Sender: root@example.com (Cron Daemon)' \
    'Reply-To: admins: root@example.com, ops@dest.test;' \
    'To: root@example.com,' \
    '	"Web Server" <www-data@example.com>, a@dest.test' \
    'Cc: "john doe"@example.com, first.last@example.com' \
    'Resent-From: root@example.com' \
    'Resent-To: <root@example.com>' \
    'X-Mailer: root' \
    'Subject: root <root>' \
    'Comments: mail for root' \
    'In-Reply-To: <root>' \
    'Resent-Cc: root, <broken' >"$T/want"
nw=$(wc -l <"$T/want")
strip_posta "$M" >"$T/all" || fail "no Received: naming the user: $(head -n 3 "$M")"
head -n "$nw" "$T/all" >"$T/got"
cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got"; fail "header fields"; }
sed '1,/^\r$/d' "$M" | tr -d '\r' | grep -qx 'To: root in the body' ||
    fail "body changed"

# no [sender] domain: the host name, as for the envelope
sed -i '/^domain = /d' "$T/posta.conf"
printf 'From: root\nTo: ops@dest.test\n\nb\n' |
    "$POSTA" -C "$T/posta.conf" -i -f me@dest.test rcpt@dest.test ||
    fail "no domain: exit $?"
[ "$(fault_msgs)" -eq 2 ] || fail "no domain: not delivered"
M=$(ls "$FAULT_DIR"/msgs/*.eml | tail -n 1)
grep -qx "From: root@$(hostname)$(printf '\r')" "$M" ||
    fail "no domain: $(grep '^From:' "$M")"
exit 0
