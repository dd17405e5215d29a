#!/bin/sh
# Peak RSS of the queue run (-q) that delivers one message to 1, then to
# RCPTS (default 100,000) recipients, through the fault server (STARTTLS
# and AUTH when the test bed's certificate is there, as under make bench).
# Issue 12: memory does not grow with the replies, and at most 100 octets
# a recipient: the large run must stay within twice the small one plus
# 100 octets a recipient. Prints the figures; exits 1 beyond that bound.
. "$(dirname "$0")/../lib/common.sh"
N=${RCPTS:-100000}
tls=none
[ -n "${TB_CERT:-}" ] && tls=starttls
fault_start - "$tls"
conf=$(posta_conf_fault "$FAULT_PORT" "$tls")

queue() {	# queue N: one message to N recipients, through -bs
	awk -v n="$1" 'BEGIN { printf "EHLO bench\r\nMAIL FROM:<s@example.com>\r\n"
		for (i = 1; i <= n; i++) printf "RCPT TO:<r%06d@dest.test>\r\n", i
		printf "DATA\r\nSubject: list\r\n\r\nbody\r\n.\r\nQUIT\r\n" }' |
	    "$POSTA" -C "$conf" -bs -odq >"$T/bs" || fail "intake of $1: exit $?"
	grep -q '^250 2.0.0 Ok: queued' "$T/bs" || fail "intake of $1: $(tail -n 2 "$T/bs")"
}
rss() {	# the peak RSS of one -q, in KiB; it must deliver everything
	/usr/bin/time -f %M -o "$T/rss" "$POSTA" -C "$conf" -q 2>"$T/err" ||
	    fail "-q: exit $?: $(cat "$T/err")"
	[ "$(queued)" -eq 0 ] || fail "-q left $(queued) entries: $(tail -n 2 "$T/posta.log")"
	tail -n 1 "$T/rss"
}
queue 1
one=$(rss)
queue "$N"
t0=$(date +%s)
many=$(rss)
t1=$(date +%s)
grep -q " more=$((N - 5)) .* status=sent " "$T/posta.log" || fail "not delivered to $N"
limit=$((2 * one + N * 100 / 1024))
per=$(( (many - one) * 1024 / N ))
printf 'peak RSS of posta -q (%s), 1 recipient: %d KiB\n' "$tls" "$one"
printf 'peak RSS of posta -q (%s), %d recipients: %d KiB (%d s), %d octets a recipient more; limit %d KiB\n' \
    "$tls" "$N" "$many" $((t1 - t0)) "$per" "$limit"
if sanitized; then
	echo "# built with ASan: its shadow memory and quarantine, not posta, set the RSS; bound not checked"
	exit 0
fi
[ "$many" -le "$limit" ] || fail "$many KiB for $N recipients is over $limit KiB"
exit 0
