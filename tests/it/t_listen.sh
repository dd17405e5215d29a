#!/bin/sh
# Issue 11: posta -bd, the local SMTP listener for applications that
# speak SMTP to localhost. Python's smtplib and swaks are the clients,
# the loopback Postfix the smart host: a message arrives byte for byte,
# several in one session, the size limit answers 552 and keeps nothing,
# commands per connection are bounded, and SIGTERM on an idle listener
# stops it cleanly.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
. "$LIB/listen.sh"

R=listen-$TAG
listen_conf "max_message_size = 64k" "max_commands = 30"
listen_start
grep -q "listening on 127.0.0.1:$LPORT for loopback clients, at most 50" \
    "$T/bd.out" || fail "start line: $(cat "$T/bd.out")"

# 1. smtplib, a message that needs nothing added: Postfix gets exactly
# these bytes (dots stuffed and unstuffed on the way, 8-bit text, a
# line of 998 octets, a line that is only "."  and one of "..")
"$PY" - "$T/msg" "$R-exact@dest.test" <<'PY'
import sys
long = "x" * 998
lines = ["From: App <app@example.com>", "To: <%s>" % sys.argv[2],
         "Subject: byte-exact through -bd", "Date: Mon, 23 Nov 2026 10:00:00 +0000",
         "Message-ID: <exact.listen@example.com>", "MIME-Version: 1.0",
         "Content-Type: text/plain; charset=utf-8",
         "Content-Transfer-Encoding: 8bit", "",
         "Grüße aus dem Listener", ".", "..", ".leading dot", long, "last"]
open(sys.argv[1], "wb").write(("\r\n".join(lines) + "\r\n").encode())
PY
out=$($LC send "$LPORT" app@example.com "$R-exact@dest.test" "$T/msg") ||
    fail "smtplib: $out"
getmail "$R-exact@dest.test" 1
strip_posta "$M" >"$T/got" ||
    fail "no Received: naming the user: $(head -n 4 "$M")"
# posta's Received: names the client, and the uid of the listener
grep -q '^Received: from [^ ]* (\[127\.0\.0\.1\])$' "$M" ||
    fail "Received: does not name the client: $(head -n 6 "$M")"
tr -d '\r' <"$T/msg" >"$T/want"
cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got" | head; fail "content differs"; }
assert_eq "$(env_sender "$E")" app@example.com "smtplib: envelope sender"
exactly "$R-exact@dest.test" 1

# 2. swaks, over TCP to the listener, two recipients
swaks --server 127.0.0.1 --port "$LPORT" --to "$R-sw1@dest.test,$R-sw2@dest.test" \
    --from swaks@example.com --header "Subject: swaks $TAG" \
    --body "$(printf 'one\n.\ntwo')" >"$T/swaks.out" 2>&1 ||
    fail "swaks: exit $?: $(tail -5 "$T/swaks.out")"
for w in '220 ' '250-PIPELINING' '250-SIZE 65536' '250 2.0.0 Ok: queued as' \
    '221 2.0.0'; do
	grep -q "<- *$w" "$T/swaks.out" || fail "swaks: no '$w' from posta"
done
getmail "$R-sw1@dest.test" 1
getmail "$R-sw2@dest.test" 1
assert_eq "$(env_sender "$E")" swaks@example.com "swaks: envelope sender"
printf 'one\n.\ntwo\n' >"$T/want"
body_lf "$M" | head -n 3 | cmp -s - "$T/want" || fail "swaks body: $(body_lf "$M")"

# 3. two messages in one session, the second one too big: 552 5.3.4,
# nothing of it kept, the session goes on
"$PY" - "$LPORT" "$R" >"$T/two.out" 2>&1 <<'PY' || fail "session: $(cat "$T/two.out")"
import smtplib, sys
port, r = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.sendmail("a@example.com", ["%s-s1@dest.test" % r], "Subject: s1\r\n\r\nsmall\r\n")
try:
    s.sendmail("a@example.com", ["%s-big@dest.test" % r],
               "Subject: big\r\n\r\n" + ("y" * 100 + "\r\n") * 1000)
    print("big one accepted")
    sys.exit(1)
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
    assert e.smtp_code == 552 and b"5.3.4" in e.smtp_error, e
s.sendmail("a@example.com", ["%s-s2@dest.test" % r], "Subject: s2\r\n\r\nafter\r\n")
s.quit()
PY
grep -q "^552 5.3.4 message larger than 65536 octets" "$T/two.out" ||
    fail "552 text: $(cat "$T/two.out")"
getmail "$R-s1@dest.test" 1
getmail "$R-s2@dest.test" 1
[ -d "$TB_CAPTURE/$R-big@dest.test" ] && fail "the big one was delivered"
[ "$(nfiles "$T/spool/tmp" '*')" -eq 0 ] || fail "left in tmp/: $(ls "$T/spool/tmp")"
[ "$(queued)" -eq 0 ] || fail "left in q/"
[ "$(failed_count)" -eq 0 ] || fail "the big one kept in failed/"

# 4. commands per connection: the 31st gets 421 4.7.0 and the close
"$PY" - "$LPORT" >"$T/cmds.out" 2>&1 <<'PY' || fail "commands: $(cat "$T/cmds.out")"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"NOOP\r\n" * 40)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
lines = data.decode().split("\r\n")
assert lines[0].startswith("220 "), lines[0]
assert lines[1:31] == ["250 2.0.0 Ok"] * 30, lines[1:31]
assert lines[31].startswith("421 4.7.0 ") and "too many commands" in lines[31], lines[31]
assert lines[32:] == [""], lines[32:]
PY

# 5. SIGTERM on an idle listener: it stops at once, exit 0, port closed
t0=$(date +%s)
listen_stop
assert_eq "$LRC" 0 "exit status after SIGTERM"
[ $(($(date +%s) - t0)) -le 3 ] || fail "idle listener took $(($(date +%s) - t0)) s to stop"
grep -q "stopping: 0 connections to finish" "$T/bd.out" || fail "no stop line"
grep -q "posta: stopped" "$T/bd.out" || fail "no stopped line"
out=$($LC greet "$LPORT")
case $out in "connect: "*) ;; *) fail "still accepting after SIGTERM: $out" ;; esac
grep -q "connection from 127.0.0.1:" "$T/posta.log" || fail "[log] file: no connection line"
exit 0
