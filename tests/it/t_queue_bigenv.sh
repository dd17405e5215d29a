#!/bin/sh
# Issue 12 item 2: posta reads back every envelope it writes. 40,000
# recipients, each deferred with its own 2 KB 450 reply, once made an
# 84 MB envelope that the next queue run refused ("envelope too large")
# and moved to corrupt/: the message was never retried and nobody told.
# Now reasons are cut and kept once each, and a second run retries.
. "$(dirname "$0")/../lib/common.sh"
N=40000
# Under ASan (make check-sanitize) 8,000, still more recipients than the
# reasons an envelope keeps: the same paths, looked at for memory errors;
# make check proves the sizes with 40,000.
sanitized && N=8000

printf 'rcpt-long 450 2048\n' >"$T/long"
fault_start "$T/long"
conf=$(posta_conf_fault "$FAULT_PORT")
awk -v n=$N 'BEGIN { printf "EHLO t\r\nMAIL FROM:<s@example.com>\r\n"
	for (i = 1; i <= n; i++) printf "RCPT TO:<r%06d@dest.test>\r\n", i
	printf "DATA\r\nSubject: big list\r\n\r\nbig list body\r\n.\r\nQUIT\r\n" }' |
    "$POSTA" -C "$conf" -bs -odq >"$T/bs" || fail "-bs intake: exit $?"
grep -q '^250 2.0.0 Ok: queued as' "$T/bs" || fail "-bs: not queued: $(tail -n 3 "$T/bs")"
env=$(ls "$T/spool/q/"*.env)
id=$(basename "$env" .env)

"$POSTA" -C "$conf" -q 2>"$T/err" || fail "first -q: exit $?: $(cat "$T/err")"
grep -q "$id: .* more=$((N - 5)) .* attempt=1 status=deferred dsn=4.0.0 " "$T/posta.log" ||
    fail "first run did not defer all: $(tail -n 3 "$T/posta.log")"
[ -e "$env" ] || fail "first run: the envelope left q/: $(ls -R "$T/spool")"
size=$(wc -c <"$env")
# 40,000 rcpt lines of ~36 octets, at most 1401 reasons of at most 512
[ "$size" -lt 3000000 ] || fail "envelope of $size octets after the first run"
grep -q "^reason 1 450 4.0.0 <r000001@dest.test> xxx" "$env" ||
    fail "the first reason is not kept: $(grep -m 3 '^reason' "$env")"
[ "$(grep -c '^reason ' "$env")" -le 1401 ] || fail "more than 1401 reasons"
"$POSTA" -C "$conf" -bp >"$T/mailq" || fail "-bp: exit $?"
grep -q "pending.*<$(printf 'r%06d' $N)@dest.test>" "$T/mailq" ||
    fail "-bp: $(tail -n 3 "$T/mailq")"

"$POSTA" -C "$conf" -q 2>"$T/err" || fail "second -q: exit $?: $(cat "$T/err")"
grep -q "$id: .* more=$((N - 5)) .* attempt=2 status=deferred " "$T/posta.log" ||
    fail "second run did not retry: $(tail -n 3 "$T/posta.log")"
[ -z "$(ls -A "$T/spool/corrupt")" ] || fail "moved to corrupt/: $(ls "$T/spool/corrupt")"
grep -q 'too large\|unreadable' "$T/posta.log" && fail "$(grep 'too large\|unreadable' "$T/posta.log")"

# the server takes them now: every recipient exactly once, nothing lost
fault_stop
FAULT_PORT=$(free_port)
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "third -q: exit $?: $(cat "$T/err")"
grep -q "$id: .* more=$((N - 5)) .* attempt=3 status=sent " "$T/posta.log" ||
    fail "third run: $(tail -n 2 "$T/posta.log")"
assert_eq "$(sed -n 's/^recipient //p' "$FAULT_DIR"/msgs/*.env | sort -u | wc -l)" $N \
    "distinct recipients delivered"
assert_eq "$(queued)" 0 "left in q/"
exit 0
