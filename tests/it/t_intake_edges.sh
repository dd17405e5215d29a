#!/bin/sh
# Issue 12, items 4, 5, 7 and 8, end to end through the fault server:
# a NUL in To/Cc/Bcc with -t is refused (exit 65, kept in failed/), not
# a list cut at the NUL; without -i a dot between bare CRs is text;
# posta started with fds 0-2 closed never lets a file it opens take
# their numbers (with stdout closed, -bs replies once went into the log
# file); recipients differing only in the case of the local part are
# two recipients.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")

# 4. printf 'To: a@x\0, b@x\nBcc: c@x\0, d@x\n\nx\n' | posta -t
printf 'To: a@dest.test\000, b@dest.test\nBcc: c@dest.test\000, d@dest.test\nSubject: nul\n\nx\n' |
    "$POSTA" -C "$conf" -t 2>"$T/err"
st=$?
assert_eq $st 65 "-t with a NUL in To and Bcc: exit status (EX_DATAERR)"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "-t NUL: stderr is not one line: $(cat "$T/err")"
grep -q 'To header: contains a NUL byte.*failed' "$T/err" ||
    fail "-t NUL: unclear error: $(cat "$T/err")"
assert_eq "$(queued)" 0 "-t NUL: entries queued"
assert_eq "$(failed_count)" 1 "-t NUL: entries kept in failed/"
assert_eq "$(fault_msgs)" 0 "-t NUL: messages sent"
rm -f "$T"/spool/failed/*

# 5. without -i, "line1\r.\rline3": all of it is the message
printf 'Subject: cr dot\n\nline1\r.\rline3\n' | "$POSTA" -C "$conf" crdot@dest.test ||
    fail "bare CR dot: exit $?"
assert_eq "$(fault_msgs)" 1 "bare CR dot: delivered"
printf 'line1\n.\nline3\n' >"$T/want"
body_lf "$(fmsg 1)" | cmp -s - "$T/want" ||
    fail "bare CR dot: the body was cut: $(body_lf "$(fmsg 1)" | od -c | head -5)"
# a dot line ending in CR LF still ends it
printf 'Subject: crlf dot\r\n\r\nkept\r\n.\r\nnot read\r\n' |
    "$POSTA" -C "$conf" crlfdot@dest.test || fail "CR LF dot: exit $?"
assert_eq "$(fault_msgs)" 2 "CR LF dot: delivered"
assert_eq "$(body_lf "$(fmsg 2)")" kept "CR LF dot: the body"

# 7. fds 0-2 closed: -bs with stdout closed must not answer into the log
printf 'EHLO x\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<fd@dest.test>\r\nDATA\r\nSubject: fd\r\n\r\nfd body\r\n.\r\nQUIT\r\n' >"$T/dialog"
: >"$T/posta.log"
"$POSTA" -C "$conf" -bs -odq <"$T/dialog" >&- 2>"$T/err"
st=$?
no_crash $st "-bs with stdout closed"
grep -q '^220 \|^250[ -]\|^354 \|^221 ' "$T/posta.log" &&
    fail "-bs with stdout closed answered into the log file: $(head -3 "$T/posta.log")"
assert_eq "$(queued)" 1 "-bs with stdout closed: queued"
"$POSTA" -C "$conf" -q || fail "-q after -bs: exit $?"
assert_eq "$(fault_msgs)" 3 "-bs with stdout closed: delivered"
grep -q 'fd body' "$(fmsg 3)" || fail "-bs with stdout closed: wrong message"
# all three closed: the message is read from an empty stdin, errors go nowhere
: >"$T/posta.log"
"$POSTA" -C "$conf" -odq closed@dest.test <&- >&- 2>&-
st=$?
assert_eq $st 0 "posta with fds 0, 1 and 2 closed: exit status"
assert_eq "$(queued)" 1 "fds closed: queued"
grep -q 'posta: ' "$T/posta.log" && fail "fds closed: something went to the log: $(cat "$T/posta.log")"
"$POSTA" -C "$conf" -q || fail "-q after fds closed: exit $?"
assert_eq "$(fault_msgs)" 4 "fds closed: delivered"

# 8. the local part is case-sensitive, the domain is not (one message,
# two recipients)
printf 'Subject: case\n\nb\n' | "$POSTA" -C "$conf" Bob@dest.test bob@dest.test \
    bob@DEST.test || fail "mixed case: exit $?"
n=$(fault_msgs)
assert_eq "$(env_rcpts "$(fenv "$n")" | tr '\n' ' ')" "Bob@dest.test bob@dest.test " \
    "mixed case: recipients"
exit 0
