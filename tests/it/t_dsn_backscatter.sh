#!/bin/sh
# Issue 13: posta is no source of backscatter. A notification goes only
# to a sender of ours ([sender] domain, the domain of [sender] from);
# for another (anyone can say -f victim@elsewhere) the log says it was
# suppressed. [sender] notify_any = yes tells every sender. And a
# notification carries at most 8 KiB of the original's header fields,
# whole fields only, whatever the sender sent.
. "$(dirname "$0")/../lib/common.sh"
printf 'rcpt refused 550 5.1.1 no such user\n' >"$T/script"
fault_start "$T/script"
conf=$(posta_conf_fault "$FAULT_PORT")
# a header section of about 256 KiB: 4000 fields of 64 octets
big() {
	printf 'Subject: %s\n' "$1"
	"$PY" -c 'for i in range(4000): print("X-Pad-%04d: %s" % (i, "p" * 50))'
	printf '\nbody\n'
}

# 1. a forged sender elsewhere: no notification, a log line says why
big forged | "$POSTA" -C "$conf" -f victim@elsewhere.test refused@dest.test \
    2>"$T/err1"
[ "$(failed_count)" -eq 1 ] || fail "not failed: $(cat "$T/err1")"
# the caller was told at once; a queue run of a partial failure also
# would tell the sender: make one (one accepted, one refused recipient)
big forged2 | "$POSTA" -C "$conf" -f victim@elsewhere.test ok@dest.test \
    refused@dest.test 2>"$T/err2" || true
"$POSTA" -C "$conf" -q 2>/dev/null
assert_eq "$(queued)" 0 "queued (no notification for the victim)"
[ "$(grep -c 'recipient victim@elsewhere.test' "$FAULT_DIR"/msgs/*.env 2>/dev/null | awk -F: '{ s += $NF } END { print s + 0 }')" -eq 0 ] ||
    fail "a notification went to the victim"
grep -q 'notification to <victim@elsewhere.test> suppressed: not a sender of ours' \
    "$T/posta.log" || fail "no log line says it was suppressed: $(cat "$T/posta.log")"

# 2. a sender of ours ([sender] domain = example.com): told, with the
# original's fields cut at a field boundary within 8 KiB
big ours | "$POSTA" -C "$conf" -f me@example.com ok@dest.test \
    refused@dest.test 2>"$T/err3"
"$POSTA" -C "$conf" -q 2>/dev/null
assert_eq "$(queued)" 0 "queued after the notification run"
d=$(grep -l '^recipient me@example.com' "$FAULT_DIR"/msgs/*.env | tail -n 1)
[ -n "$d" ] || fail "no notification for me@example.com: $(cat "$T/posta.log")"
d=${d%.env}.eml
grep -qi '^Content-Type: text/rfc822-headers' "$d" || fail "no header part"
# the header part: from its Content-Type to the closing boundary
tr -d '\r' <"$d" | awk '/^Content-Type: text\/rfc822-headers/ { on = 1; getline; next }
    on && /^--=_posta_/ { exit } on { print }' >"$T/part"
size=$(wc -c <"$T/part")
[ "$size" -le $((8192 + 2 * 200)) ] || fail "header part of $size octets"
[ "$size" -ge 4096 ] || fail "header part of only $size octets"
grep -q '^Subject: ours$' "$T/part" || fail "the original's Subject is missing"
# whole fields only: the last field is a whole X-Pad line
last=$(grep -v '^$' "$T/part" | tail -n 1)
echo "$last" | grep -Eqx 'X-Pad-[0-9]{4}: p{50}' || fail "cut inside a field: '$last'"

# 3. notify_any = yes: the forged sender is told too
sed -i 's/^domain = example.com$/domain = example.com\nnotify_any = yes/' "$conf"
big anyone | "$POSTA" -C "$conf" -f victim@elsewhere.test ok@dest.test \
    refused@dest.test 2>/dev/null
"$POSTA" -C "$conf" -q 2>/dev/null
grep -l '^recipient victim@elsewhere.test' "$FAULT_DIR"/msgs/*.env >/dev/null ||
    fail "notify_any = yes: no notification"
exit 0
