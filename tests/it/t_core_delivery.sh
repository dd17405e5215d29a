#!/bin/sh
# Issue 2: byte-exact delivery through the real Postfix smart host, on
# both TLS ports, with STARTTLS/implicit TLS and SASL AUTH.
. "$(dirname "$0")/../lib/common.sh"

hdrs() {	# a header section that makes posta add nothing
	printf 'From: Sender <sender@example.com>\nTo: %s\nSubject: %s\n' "$1" "$2"
	printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@example.com>\n' "$2"
}

check_exact() {	# rcpt n expected-file
	wait_mail "$1" "$2" || fail "no mail for $1"
	strip_posta "$TB_CAPTURE/$1/$2.eml" >"$T/got" ||
	    fail "$1: no Received: naming the user: $(head -n 4 "$TB_CAPTURE/$1/$2.eml")"
	cmp -s "$3" "$T/got" || { diff "$3" "$T/got" | head -20; fail "$1: content differs"; }
}

for mode in submission smtps; do
	conf=$(posta_conf_postfix $mode)
	rcpt="plain-$mode@dest.test"
	{ hdrs "$rcpt" "plain-$mode"; printf '\nHello over %s.\n' $mode; } >"$T/in"
	"$POSTA" -C "$conf" -f sender@example.com "$rcpt" <"$T/in" 2>"$T/err" ||
	    fail "$mode: exit $?: $(cat "$T/err")"
	[ -s "$T/err" ] && fail "$mode: stderr not empty: $(cat "$T/err")"
	check_exact "$rcpt" 1 "$T/in"
	assert_file_contains "$TB_CAPTURE/$rcpt/1.env" "sender sender@example.com"
	assert_file_contains "$TB_CAPTURE/$rcpt/1.env" "recipient $rcpt"
	[ -z "$(ls "$T/spool/q")" ] || fail "$mode: spool not empty after delivery"
done
conf=$(posta_conf_postfix submission)

# -t: To, Cc and Bcc; the Bcc recipient gets it; the Bcc header is gone
{
	printf 'From: sender@example.com\nTo: "Doe, Jane" <to1@dest.test>, undisclosed-recipients:;\n'
	printf 'Cc: team: cc1@dest.test, (comment) Cc Two <cc2@dest.test>;\n'
	printf 'Bcc: bcc1@dest.test\nSubject: minus-t\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n'
	printf 'Message-ID: <t@example.com>\n\nbody\n'
} >"$T/in"
"$POSTA" -C "$conf" -t -i <"$T/in" || fail "-t: exit $?"
grep -v '^Bcc:' "$T/in" >"$T/want"
for r in to1 cc1 cc2 bcc1; do
	check_exact "$r@dest.test" 1 "$T/want"
done
grep -q bcc1 "$TB_CAPTURE/to1@dest.test/1.eml" && fail "Bcc leaked into the header"

# leading dots, CR LF input, no final newline, an 8-bit UTF-8 body
{ hdrs dots@dest.test dots; printf '\n.\n..\n.leading dot\n...three\nend\n'; } >"$T/in"
"$POSTA" -C "$conf" -i dots@dest.test <"$T/in" || fail "dots: exit $?"
check_exact dots@dest.test 1 "$T/in"

{ hdrs crlf@dest.test crlf; printf '\nline one\nline two\n'; } >"$T/want"
sed 's/$/\r/' "$T/want" | "$POSTA" -C "$conf" crlf@dest.test || fail "crlf: exit $?"
check_exact crlf@dest.test 1 "$T/want"

{ hdrs nonl@dest.test nonl; printf '\nno newline at the end'; } >"$T/in"
"$POSTA" -C "$conf" nonl@dest.test <"$T/in" || fail "nonl: exit $?"
{ cat "$T/in"; echo; } >"$T/want"
check_exact nonl@dest.test 1 "$T/want"

{ hdrs utf8@dest.test utf8; printf 'Content-Type: text/plain; charset=utf-8\n\n'
  printf 'Grüße aus Zürich — ½ € 日本語\n'; } >"$T/in"
"$POSTA" -C "$conf" utf8@dest.test <"$T/in" || fail "utf8: exit $?"
check_exact utf8@dest.test 1 "$T/in"
grep -q 'BODY=8BITMIME\|body=8BITMIME' "$TB_MAILLOG" 2>/dev/null || :

# without -i a lone dot ends the message
{ hdrs lonedot@dest.test lonedot; printf '\nkept\n.\nnot sent\n'; } >"$T/in"
"$POSTA" -C "$conf" lonedot@dest.test <"$T/in" || fail "lonedot: exit $?"
sed '/^\.$/,$d' "$T/in" >"$T/want"
check_exact lonedot@dest.test 1 "$T/want"

# generated headers: From from -F and the sender, Date, Message-ID
printf 'Subject: gen\n\nbody\n' | "$POSTA" -C "$conf" -F 'Cron Daemon' \
    -f cron@example.com gen@dest.test || fail "gen: exit $?"
wait_mail gen@dest.test 1 || fail "gen: no mail"
f="$TB_CAPTURE/gen@dest.test/1.eml"
assert_file_contains "$f" "From: Cron Daemon <cron@example.com>"
assert_file_contains "$f" "Date: "
assert_file_contains "$f" "Message-ID: <"
exit 0
