#!/bin/sh
# Issue 4: hostile and broken input. Each case has the behaviour
# decisions.md documents ("Intake"), and none may crash posta or lose the
# message silently. posta runs under valgrind when it is installed
# (memory errors -> exit 99; POSTA_VALGRIND=0 turns it off) and posta
# is not built with ASan, which then does that job; every exit
# status is checked, so an abort (134) or a segfault (139) fails too.
# The fault server records each message byte for byte.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"

fault_start -
posta_conf_fault "$FAULT_PORT" >/dev/null
N=0
VG=""
if [ "${POSTA_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null &&
    ! sanitized; then
	VG="valgrind -q --error-exitcode=99 --log-file=$T/vg.%p"
fi

# run INPUT-FILE posta-args...: sets st; stderr in $T/err
run() {
	in=$1; shift
	# shellcheck disable=SC2086
	$VG "$POSTA" -C "$T/posta.conf" "$@" <"$in" 2>"$T/err"
	st=$?
	no_crash "$st" "posta $*"
	[ "$st" -ne 99 ] || fail "valgrind: memory errors: $(cat "$T"/vg.* | head -20)"
	if [ -n "$VG" ] && [ -n "$(cat "$T"/vg.* 2>/dev/null)" ]; then
		fail "valgrind: $(cat "$T"/vg.* | head -20)"
	fi
	rm -f "$T"/vg.*
}
# ok INPUT-FILE posta-args...: exit 0, silent, one more message arrived
ok() {
	run "$@"
	[ "$st" -eq 0 ] || fail "$*: exit $st: $(cat "$T/err")"
	[ -s "$T/err" ] && fail "$*: stderr: $(cat "$T/err")"
	N=$((N + 1))
	[ -e "$(fmsg $N)" ] || fail "$*: message $N did not arrive"
	[ "$(queued)" -eq 0 ] || fail "$*: still queued"
	MSG=$(fmsg $N) ENV=$(fenv $N)
}
# has_bytes FILE ESCAPED: FILE contains the bytes (Python escapes: \x00)
has_bytes() {
	$PY -c 'import sys
want = sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1")
sys.exit(0 if want in open(sys.argv[1], "rb").read() else 1)' "$1" "$2"
}
# sent_as FILE ESCAPED: the message is exactly these bytes, except
# posta's Received: field (strip_posta checks it) and the
# generated Date and Message-ID lines, which are checked apart
sent_as() {
	strip_posta "$1" >"$T/all" ||
	    fail "message $N: no Received: naming the user: $(head -n 3 "$1")"
	grep -av -e '^Date: ' -e '^Message-ID: ' "$T/all" >"$T/sent"
	printf '%b' "$2" | cmp -s - "$T/sent" ||
	    { od -c "$T/sent" | head -20; fail "message $N differs from '$2'"; }
	is_date "$(hdr "$1" Date)" || fail "message $N: Date: $(hdr "$1" Date)"
	is_msgid "$(hdr "$1" Message-ID)" example.com || fail "message $N: Message-ID"
}
F='From: '$ME'@example.com\r\n'

# 1. empty input: a message of the generated fields only
: >"$T/in"
ok "$T/in" empty@dest.test
sent_as "$MSG" "$F"
assert_eq "$(env_rcpts "$ENV")" empty@dest.test "empty: recipient"

# 2. a header section only: no empty line, no body
printf 'Subject: only\nX-A: b' >"$T/in"
ok "$T/in" hdronly@dest.test
sent_as "$MSG" "Subject: only\r\nX-A: b\r\n$F"

# 3. no empty line between header and body: one is inserted before the
# first line that is not a field
printf 'Subject: nob\nthis is the body: not a field\nsecond line\n' >"$T/in"
ok "$T/in" noblank@dest.test
sent_as "$MSG" "Subject: nob\r\n${F}\r\nthis is the body: not a field\r\nsecond line\r\n"

# 4. a header line and a body line over 998 octets: passed unchanged
$PY -c 'import sys
sys.stdout.write("X-Long: " + "h" * 2000 + "\nSubject: long\n\n" + "b" * 3000 + "\nend\n")' >"$T/in"
ok "$T/in" long@dest.test
has_bytes "$MSG" "X-Long: $($PY -c 'print("h" * 2000)')\r\nSubject: long\r\n" ||
    fail "the long header line was changed"
has_bytes "$MSG" "\r\n\r\n$($PY -c 'print("b" * 3000)')\r\nend\r\n" ||
    fail "the long body line was changed"
[ "$(awk 'length > 998' "$MSG" | wc -l)" -eq 2 ] || fail "long lines were rewrapped"

# 5. NUL bytes, in a field and in the body: passed unchanged
printf 'Subject: nul\nX-Nul: a\000b\n\nab\000cd\n\000\n' >"$T/in"
ok "$T/in" nul@dest.test
sent_as "$MSG" "Subject: nul\r\nX-Nul: a\0000b\r\n${F}\r\nab\0000cd\r\n\0000\r\n"

# 6. bare CR ends a line, as do LF and CR LF, mixed in one message
printf 'Subject: cr\rX-Mixed: yes\r\n\rone\rtwo\r\nthree\nfour\r' >"$T/in"
ok "$T/in" barecr@dest.test
sent_as "$MSG" "Subject: cr\r\nX-Mixed: yes\r\n${F}\r\none\r\ntwo\r\nthree\r\nfour\r\n"

# 7. non-ASCII bytes in raw header fields (Latin-1, invalid UTF-8, UTF-8)
# are passed as they are; also in a To: display name with -t
printf 'Subject: h\351llo\nX-Raw: \377\376\nX-Utf8: Gr\303\274\303\237e\nTo: J\374rgen <raw8@dest.test>\n\nbody\n' >"$T/in"
ok "$T/in" -t
sent_as "$MSG" "Subject: h\0351llo\r\nX-Raw: \0377\0376\r\nX-Utf8: Gr\0303\0274\0303\0237e\r\nTo: J\0374rgen <raw8@dest.test>\r\n${F}\r\nbody\r\n"
assert_eq "$(env_rcpts "$ENV")" raw8@dest.test "-t with an 8-bit display name"

# 8. a leading mbox "From " line is dropped
printf 'From someone@example.org Mon Nov 23 10:00:00 2026\nSubject: mbox\n\nb\n' >"$T/in"
ok "$T/in" mbox@dest.test
sent_as "$MSG" "Subject: mbox\r\n${F}\r\nb\r\n"

# 9. a header field of 1 MB (under the 1 MiB cap): accepted, intact
$PY -c 'import sys
sys.stdout.write("Subject: big\nX-Big: " + "x" * 1000000 + "\n\nbody\n")' >"$T/in"
ok "$T/in" bigfield@dest.test
[ "$(awk '/^X-Big: /' "$MSG" | wc -c)" -eq 1000009 ] ||
    fail "the 1 MB field changed: $(awk '/^X-Big: /' "$MSG" | wc -c) octets"
body_lf "$MSG" | grep -qx body || fail "1 MB field: body lost"

# 10. a header section over 1 MiB: EX_DATAERR, kept as received in
# failed/ with the reason, nothing sent, nothing left in q/ or tmp/
$PY -c 'import sys
sys.stdout.write("Subject: huge\n" + "".join("X-F%d: %s\n" % (i, "c" * 1000)
    for i in range(1100)) + "\nthe body\n")' >"$T/in"
run "$T/in" huge@dest.test
[ "$st" -eq 65 ] || fail "header over 1 MiB: exit $st, want 65 (EX_DATAERR)"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "header over 1 MiB: $(cat "$T/err")"
grep -q 'failed' "$T/err" || fail "header over 1 MiB: the error does not say where: $(cat "$T/err")"
[ "$(failed_count)" -eq 1 ] || fail "header over 1 MiB: not in failed/"
[ "$(queued)" -eq 0 ] || fail "header over 1 MiB: queued"
[ -e "$(fmsg $((N + 1)))" ] && fail "header over 1 MiB: sent anyway"
[ -z "$(ls "$T/spool/tmp")" ] || fail "header over 1 MiB: left in tmp/"
saved=$(ls "$T"/spool/failed/*.msg)
strip_posta "$saved" | tr -d '\r' | cmp -s - "$T/in" || fail "header over 1 MiB: the saved message differs"
grep -q '^rcpt .*<huge@dest.test>' "${saved%.msg}.env" || fail "failed/ entry without its recipient"
"$POSTA" -C "$T/posta.conf" -bp -qQ >"$T/out" || fail "mailq -qQ: exit $?"
grep -q 'header section larger' "$T/out" || fail "mailq -qQ: no reason: $(cat "$T/out")"

# 11. 10,000 recipients, on the command line and in one -t To: field:
# every one of them in the envelope, once
i=0
while [ $i -lt 10000 ]; do echo "r$i@dest.test"; i=$((i + 1)); done >"$T/rcpts"
printf 'Subject: many\n\nb\n' >"$T/in"
# shellcheck disable=SC2046
ok "$T/in" $(cat "$T/rcpts")
env_rcpts "$ENV" | cmp -s - "$T/rcpts" || fail "10000 arguments: the envelope differs ($(env_rcpts "$ENV" | wc -l))"
{ printf 'Subject: many -t\nTo: '; sed 's/^r/t/' "$T/rcpts" | paste -sd, - | sed 's/,/,\n /g'
  printf '\nb\n'; } >"$T/in"
ok "$T/in" -t
sed 's/^r/t/' "$T/rcpts" >"$T/want"
env_rcpts "$ENV" | cmp -s - "$T/want" || fail "-t with 10000: the envelope differs ($(env_rcpts "$ENV" | wc -l))"

# 12. duplicate To: fields and addresses: each recipient once, the
# fields themselves unchanged
printf 'To: dup1@dest.test, dup1@DEST.test\nTo: dup2@dest.test, dup1@dest.test\nCc: dup2@dest.test\nSubject: dup\n\nb\n' >"$T/in"
ok "$T/in" -t dup1@dest.test
assert_eq "$(env_rcpts "$ENV" | tr '\n' ' ')" "dup1@dest.test dup2@dest.test " "duplicates"
assert_eq "$(hdr_count "$MSG" To)" 2 "To fields"

# 13. CR or LF inside an address on the command line (SMTP command
# injection): EX_USAGE, nothing queued, nothing sent
printf 'Subject: inject\n\nb\n' >"$T/in"
before=$(grep -ac '< MAIL' "$FAULT_DIR/transcript")
for a in "$(printf 'a@dest.test\r\nRCPT TO:<evil@dest.test>')" \
    "$(printf 'a@dest.test\nb@dest.test')" "$(printf 'a@dest.test\rX')"; do
	run "$T/in" "$a"
	[ "$st" -eq 64 ] || fail "CR/LF in a recipient: exit $st, want 64 (EX_USAGE)"
	grep -q 'control character' "$T/err" || fail "CR/LF in a recipient: $(cat "$T/err")"
done
run "$T/in" -f "$(printf 'me@example.com\r\nRCPT TO:<evil@dest.test>')" ok@dest.test
[ "$st" -eq 64 ] || fail "CR LF in -f: exit $st, want 64"
run "$T/in" -F "$(printf 'Name\r\nBcc: evil@dest.test')" ok@dest.test
[ "$st" -eq 64 ] || fail "CR LF in -F: exit $st, want 64"
[ "$(queued)" -eq 0 ] || fail "CR/LF: something was queued"
[ "$(failed_count)" -eq 1 ] || fail "CR/LF: something went to failed/"
[ -z "$(ls "$T/spool/tmp")" ] || fail "CR/LF: left in tmp/"
assert_eq "$(grep -ac '< MAIL' "$FAULT_DIR/transcript")" "$before" "CR/LF: MAIL sent"
grep -aq 'evil' "$FAULT_DIR/transcript" && fail "the injected command reached the server"

# 14. an address longer than 998 octets: refused, nothing kept
run "$T/in" "$($PY -c 'print("a" * 1200)')@dest.test"
[ "$st" -eq 67 ] || [ "$st" -eq 64 ] || fail "over-long address: exit $st"
[ "$(queued)" -eq 0 ] || fail "over-long address: queued"
exit 0
