#!/bin/sh
# Issue 4: -bs, posta as an SMTP server on stdin/stdout, the way Symfony
# Mailer, Laravel and Drupal use `/usr/sbin/sendmail -bs`. swaks --pipe
# is a real client; smtpchat.py scripts the dialogues (pipelined
# batches in one write, several messages, dot-unstuffing, errors), and
# checks at the moment of each 250 to DATA that the message is in the
# spool.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
command -v swaks >/dev/null || skip "swaks is not installed"

posta_conf_postfix submission >/dev/null
conf_set aliases "root = bsroot-$TAG@dest.test"
make_bin
CHAT="$PY $LIB/smtpchat.py"
R=bs-$TAG

# 1. swaks through a pipe, foreground delivery after QUIT
swaks --pipe "$POSTA -C $T/posta.conf -bs" --to "$R-swaks@dest.test" \
    --from s@example.com --header "Subject: swaks $TAG" \
    --body "$(printf 'first\n.\n..\n.dot\nlast')" >"$T/swaks.out" 2>&1 ||
    fail "swaks: exit $?: $(tail -5 "$T/swaks.out")"
for w in '250-PIPELINING' '250-8BITMIME' '250-SIZE' '250-ENHANCEDSTATUSCODES' \
    '220 ' '250 2.0.0' '221 2.0.0'; do
	grep -q "<- *$w" "$T/swaks.out" || fail "swaks: no '$w' from posta"
done
getmail "$R-swaks@dest.test" 1
assert_eq "$(env_sender "$E")" s@example.com "swaks: envelope sender"
assert_hdr "$M" Subject "swaks $TAG"
printf 'first\n.\n..\n.dot\nlast\n' >"$T/want"
body_lf "$M" | head -n 5 | cmp -s - "$T/want" ||
    fail "swaks: body (dot-unstuffing): $(body_lf "$M" | head -n 5)"

# 2. swaks, two recipients, the symlink personality with -C, a bare
# recipient name resolved through [aliases]
swaks --pipe "$T/lbin/sendmail -C $T/posta.conf -bs" \
    --to "$R-two@dest.test,root" --from s2@example.com >"$T/swaks.out" 2>&1 ||
    fail "swaks (symlink): exit $?: $(tail -5 "$T/swaks.out")"
getmail "$R-two@dest.test" 1
getmail "bsroot-$TAG@dest.test" 1
assert_eq "$(env_sender "$E")" s2@example.com "swaks 2: envelope sender"

# 3. Symfony's way: "/usr/sbin/sendmail -bs" and nothing else (the
# wrapper adds only -C), one command at a time, EHLO [127.0.0.1], a
# CRLF message with stuffed dots; delivered after QUIT
cat >"$T/symfony.chat" <<EOF
< 220
> EHLO [127.0.0.1]
< 250
> MAIL FROM:<site@example.com>
< 250 2.1.0
> RCPT TO:<$R-symfony@dest.test>
< 250 2.1.5
> DATA
< 354
> From: Site <site@example.com>
> To: <$R-symfony@dest.test>
> Subject: Symfony $TAG
> Message-ID: <symfony.$TAG@example.com>
> Date: Mon, 23 Nov 2026 10:00:00 +0000
> MIME-Version: 1.0
> Content-Type: text/plain; charset=utf-8
> Content-Transfer-Encoding: quoted-printable
>
> Hello from Symfony.
> ..
> ...=20
> .
< 250 2.0.0
> QUIT
< 221
EOF
$CHAT "$T/symfony.chat" "$T/bin/sendmail" -bs >"$T/chat.out" ||
    fail "symfony dialogue: $(tail -5 "$T/chat.out")"
grep -qx 'exit 0' "$T/chat.out" || fail "symfony: $(tail -1 "$T/chat.out")"
getmail "$R-symfony@dest.test" 1
assert_eq "$(env_sender "$E")" site@example.com "symfony: envelope sender"
assert_hdr "$M" Message-ID "<symfony.$TAG@example.com>"
[ "$(hdr_count "$M" Date)" -eq 1 ] || fail "symfony: Date added again"
body_lf "$M" >"$T/b"
printf 'Hello from Symfony.\n.\n..=20\n' | cmp -s - "$T/b" ||
    fail "symfony: body: $(cat "$T/b")"

# 4. the scripted dialogue, delivery = queue: pipelined batches, two
# messages in one session, dot-unstuffing, RSET; after each 250 to DATA
# the message must already be in q/ (checked while posta still runs)
conf_set queue "delivery = queue"
SP=$T/spool
inq='test -s "'$SP'/q/${REPLY##* }.msg" && test -s "'$SP'/q/${REPLY##* }.env"'
cat >"$T/pipe.chat" <<EOF
< 220
# one write: EHLO MAIL RCPT RCPT DATA (RFC 2920: DATA ends a batch)
> EHLO client.example
> MAIL FROM:<p1@example.com>
> RCPT TO:<$R-a@dest.test>
> RCPT TO:<$R-b@dest.test>
> DATA
< 250
< 250 2.1.0
< 250 2.1.5
< 250 2.1.5
< 354
> Subject: pipelined one
>
> ..
> ...
> ..leading dot
> .
< 250 2.0.0
! $inq
# the second message of the session, its batch written at once too
> MAIL FROM:<p2@example.com> BODY=8BITMIME
> RCPT TO:<$R-c@dest.test>
> DATA
< 250 2.1.0
< 250 2.1.5
< 354
> Subject: pipelined two
>
> zwei Grüße
> .
< 250 2.0.0
! $inq
# a transaction abandoned with RSET leaves nothing
> MAIL FROM:<p3@example.com>
> RCPT TO:<$R-rset@dest.test>
> RSET
< 250 2.1.0
< 250 2.1.5
< 250 2.0.0
> DATA
< 503 5.5.1
> NOOP
< 250
> QUIT
< 221 2.0.0
EOF
$CHAT "$T/pipe.chat" "$POSTA" -C "$T/posta.conf" -bs >"$T/chat.out" ||
    fail "pipelined dialogue: $(tail -8 "$T/chat.out")"
grep -qx 'exit 0' "$T/chat.out" || fail "pipelined: $(tail -1 "$T/chat.out")"
# the first batch went out in one write and got five replies
sed -n '/^C: EHLO/,/^S: 354/p' "$T/chat.out" | grep -c '^C: <write' | grep -qx 1 ||
    fail "the first batch was not one write"
grep -q '^S: 250-PIPELINING' "$T/chat.out" || fail "no PIPELINING in EHLO"
ids=$(sed -n 's/^S: 250 2\.0\.0 .*queued as \([0-9a-f]*\)$/\1/p' "$T/chat.out" | tr '\n' ' ')
# shellcheck disable=SC2086
set -- $ids
[ $# -eq 2 ] || fail "want 2 queue ids, got '$ids'"
# mailq lists exactly the accepted ones
"$T/lbin/mailq" -C "$T/posta.conf" >"$T/mailq" || fail "mailq: exit $?"
[ "$(queued)" -eq 2 ] || fail "q/ holds $(queued) entries, want 2"
for id in "$@"; do
	grep -q "^$id " "$T/mailq" || fail "mailq does not list $id: $(cat "$T/mailq")"
done
grep -q -- '-- 2 messages' "$T/mailq" || fail "mailq summary: $(tail -1 "$T/mailq")"
grep -q "$R-rset" "$T/mailq" && fail "the RSET transaction was queued"
for r in a b c; do
	grep -q "pending *<$R-$r@dest.test>" "$T/mailq" || fail "mailq: no $R-$r"
done
# delivered like any other queued mail
"$POSTA" -C "$T/posta.conf" -q || fail "-q: exit $?"
[ "$(queued)" -eq 0 ] || fail "-q left $(queued) entries"
for r in a b; do
	getmail "$R-$r@dest.test" 1
	assert_eq "$(env_sender "$E")" p1@example.com "$r: envelope sender"
	assert_hdr "$M" Subject "pipelined one"
	printf '.\n..\n.leading dot\n' >"$T/want"
	body_lf "$M" | cmp -s - "$T/want" || fail "$r: unstuffing: $(body_lf "$M")"
done
getmail "$R-c@dest.test" 1
assert_eq "$(env_sender "$E")" p2@example.com "c: envelope sender"
assert_eq "$(body_lf "$M")" "zwei Grüße" "c: 8-bit body"
sleep 0.5
[ "$(mail_count "$R-rset@dest.test")" -eq 0 ] || fail "the RSET transaction was delivered"

# 5. errors are SMTP replies with enhanced status codes; the session
# goes on after each; nothing is queued
enh='echo "$REPLY" | grep -Eq "^[45][0-9][0-9] [45]\.[0-9]{1,3}\.[0-9]{1,3} "'
cat >"$T/err.chat" <<EOF
< 220
> RCPT TO:<x@dest.test>
< 503 5.5.1
> DATA
< 503 5.5.1
> FROBNICATE now
< 50
! echo "\$REPLY" | grep -Eq '^50[02] 5\.5\.[12] '
> EHLO client.example
< 250
> MAIL FROM:<s@example.com>
< 250 2.1.0
> MAIL FROM:<t@example.com>
< 503 5.5.1
> RCPT TO:<bad address@dest.test>
< 501
! $enh
> RCPT TO:<x@dest.test> FOO=bar
< 55
! $enh
> HELO
< 501
! $enh
> RSET
< 250 2.0.0
> DATA
< 503 5.5.1
> VRFY root
< 252
> NOOP
< 250 2.0.0
> QUIT
< 221 2.0.0
EOF
$CHAT "$T/err.chat" "$POSTA" -C "$T/posta.conf" -bs >"$T/chat.out" ||
    fail "error dialogue: $(tail -8 "$T/chat.out")"
grep -qx 'exit 0' "$T/chat.out" || fail "errors: $(tail -1 "$T/chat.out")"
[ "$(queued)" -eq 0 ] || fail "the error dialogue queued something"

# 6. end of input in the middle of DATA: the transaction is dropped,
# nothing half-written stays in the spool
cat >"$T/cut.chat" <<EOF
< 220
> HELO client.example
> MAIL FROM:<s@example.com>
> RCPT TO:<$R-cut@dest.test>
> DATA
< 250
< 250
< 250
< 354
> Subject: cut
>
> never finished
eof
EOF
$CHAT "$T/cut.chat" "$POSTA" -C "$T/posta.conf" -bs >"$T/chat.out" ||
    fail "cut dialogue: $(tail -5 "$T/chat.out")"
st=$(sed -n 's/^exit //p' "$T/chat.out")
no_crash "$st" "cut dialogue"
[ "$(queued)" -eq 0 ] || fail "a cut message was queued"
[ -z "$(ls "$SP/tmp" 2>/dev/null)" ] || fail "left in tmp/: $(ls "$SP/tmp")"

# 7. issue 8: the messages of a dialogue go through the queue runner's
# loop after QUIT, and each gets its attempt even when the upstream is
# down (closed port): both stay queued with attempt 1 and the reason
conf_unset delivery
conf_set queue "delivery = foreground"
conf_unset port
conf_set upstream "port = $(free_port)"
cat >"$T/down.chat" <<EOF
< 220
> EHLO client.example
< 250
> MAIL FROM:<d1@example.com>
< 250 2.1.0
> RCPT TO:<$R-down1@dest.test>
< 250 2.1.5
> DATA
< 354
> Subject: down one
>
> x
> .
< 250 2.0.0
> MAIL FROM:<d2@example.com>
< 250 2.1.0
> RCPT TO:<$R-down2@dest.test>
< 250 2.1.5
> DATA
< 354
> Subject: down two
>
> y
> .
< 250 2.0.0
> QUIT
< 221 2.0.0
EOF
$CHAT "$T/down.chat" "$POSTA" -C "$T/posta.conf" -bs >"$T/chat.out" ||
    fail "down dialogue: $(tail -8 "$T/chat.out")"
grep -qx 'exit 0' "$T/chat.out" || fail "down: $(tail -1 "$T/chat.out")"
[ "$(queued)" -eq 2 ] || fail "down: q/ holds $(queued) entries, want 2"
"$T/lbin/mailq" -C "$T/posta.conf" >"$T/mailq" || fail "mailq: exit $?"
[ "$(grep -c 'attempts 1,' "$T/mailq")" -eq 2 ] ||
    fail "down: want two entries tried once: $(cat "$T/mailq")"
[ "$(grep -c 'last error: .*connect' "$T/mailq")" -eq 2 ] ||
    fail "down: want the reason on both: $(cat "$T/mailq")"
exit 0
