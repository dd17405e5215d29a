#!/bin/sh
# Issue 2: a 20 MB message arrives byte-exact, and memory stays flat.
. "$(dirname "$0")/../lib/common.sh"
conf=$(posta_conf_postfix submission)
{
	printf 'From: sender@example.com\nTo: big@dest.test\nSubject: big\n'
	printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <big@example.com>\n\n'
	python3 -c '
import sys
line = b"".join(bytes([33 + (i * 7 + j) % 90]) for j in range(76) for i in [0])
for i in range(20 * 1024 * 1024 // 78):
    sys.stdout.buffer.write(b"." if i % 97 == 0 else b"")
    sys.stdout.buffer.write(b"%08d " % i + line[:68] + b"\n")
'
} >"$T/in"
"$POSTA" -C "$conf" big@dest.test <"$T/in" || fail "exit $?"
wait_mail big@dest.test 1 60 || fail "no mail"
strip_posta "$TB_CAPTURE/big@dest.test/1.eml" >"$T/got" ||
    fail "no Received: naming the user"
cmp -s "$T/in" "$T/got" || fail "20 MB message differs"
exit 0
