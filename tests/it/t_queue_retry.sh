#!/bin/sh
# Issue 3: temporary failures keep the message queued; a later -q delivers
# it exactly once. Upstream down, 421 greeting, a server slower than the
# timeout, and the back-off that a failed attempt sets.
. "$(dirname "$0")/../lib/common.sh"
msg() { printf 'Subject: %s\n\n%s body\n' "$1" "$1"; }
env_field() { sed -n "s/^$2 //p" "$1"; }	# env_field FILE KEY
# backoff_is WHAT NT TB TA SECONDS: the next try NT was set SECONDS after
# a failure between TB and TA (date +%s before and after the attempt;
# whole seconds round down, as time() does)
backoff_is() {
	[ "$2" -ge $(($3 + $5)) ] && [ "$2" -le $(($4 + $5)) ] ||
	    fail "$1: next try $2, want ${5}s after the attempt (between $(($3 + $5)) and $(($4 + $5)))"
}
one_env() {	# the only envelope in q/
	[ "$(queued)" -eq 1 ] || fail "$1: $(queued) entries queued, want 1"
	ls "$T/spool/q/"*.env
}

# 1. upstream down: exit 0, queued, mailq shows attempts, next try, error
FAULT_PORT=$(free_port)
conf=$(posta_conf_fault "$FAULT_PORT")
tb1=$(date +%s)
msg down | "$POSTA" -C "$conf" -f s@example.com down@dest.test 2>"$T/err"
assert_eq $? 0 "upstream down: exit status"
ta1=$(date +%s)
grep -q 'queued for retry' "$T/err" || fail "upstream down: stderr: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "upstream down: stderr is not one line"
env=$(one_env "upstream down")
id=$(basename "$env" .env)
[ -s "$T/spool/q/$id.msg" ] || fail "upstream down: no message file"
"$POSTA" -C "$conf" -bp >"$T/mailq" || fail "-bp: exit $?"
assert_file_contains "$T/mailq" "$id"
assert_file_contains "$T/mailq" "<s@example.com>"
assert_file_contains "$T/mailq" "down@dest.test"
assert_file_contains "$T/mailq" "attempts 1"
# 60 s less what has passed: "1m", or "59s" once a second ticked
grep -Eq 'next try in (1m|[0-9]+s)$' "$T/mailq" || fail "mailq: next try: $(cat "$T/mailq")"
grep -q 'last error:.*onnection refused' "$T/mailq" || fail "mailq: no last error: $(cat "$T/mailq")"

# 11. back-off: the first failure puts the next try 60 s ahead
att=$(env_field "$env" attempts); nt=$(env_field "$env" next-try)
assert_eq "$att" 1 "attempts after one failure"
backoff_is "first back-off" "$nt" "$tb1" "$ta1" 60
# -q ignores the back-off (like Postfix sendmail -q): it tries at once, and
# the second failure doubles the back-off
tb=$(date +%s)
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q while down: exit $?"
ta=$(date +%s)
att=$(env_field "$env" attempts); nt=$(env_field "$env" next-try)
assert_eq "$att" 2 "-q did not try the entry (back-off not ignored)"
backoff_is "second back-off" "$nt" "$tb" "$ta" 120
tb=$(date +%s)
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q while down: exit $?"
ta=$(date +%s)
att=$(env_field "$env" attempts); nt=$(env_field "$env" next-try)
assert_eq "$att" 3 "third attempt"
backoff_is "third back-off" "$nt" "$tb" "$ta" 240
# 240 s less what has passed ("3m" once a second ticked)
"$POSTA" -C "$conf" -bp | grep -Eq 'attempts 3, next try in [34]m$' ||
    fail "mailq after 3 attempts: $("$POSTA" -C "$conf" -bp)"

# the upstream comes back: -q delivers it, a second -q sends nothing more
fault_start -
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?: $(cat "$T/err")"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "second -q: exit $?: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 1 "upstream down: deliveries after two -q"
assert_file_contains "$FAULT_DIR/msgs/000001.eml" "down body"
assert_file_contains "$FAULT_DIR/msgs/000001.env" "recipient down@dest.test"
assert_file_contains "$FAULT_DIR/msgs/000001.env" "sender s@example.com"
assert_eq "$(queued)" 0 "upstream down: entries left after -q"
assert_eq "$(find "$T/spool/q" "$T/spool/tmp" -type f | wc -l)" 0 "files left in q/ or tmp/"
"$POSTA" -C "$conf" -bp | grep -q 'Mail queue is empty' || fail "mailq not empty"
fault_stop

# 2. a 421 greeting once: queued, exit 0; -q delivers
printf 'greet 421 4.3.2 busy, come back later once\n' >"$T/s421"
FAULT_PORT=$(free_port)
fault_start "$T/s421"
conf=$(posta_conf_fault "$FAULT_PORT")
msg greet421 | "$POSTA" -C "$conf" g421@dest.test 2>"$T/err"
assert_eq $? 0 "421 greeting: exit status"
grep -q '421' "$T/err" || fail "421 greeting: stderr: $(cat "$T/err")"
assert_eq "$(queued)" 1 "421 greeting: queued"
assert_eq "$(fault_msgs)" 0 "421 greeting: delivered anyway"
grep -q '^C1 < MAIL' "$FAULT_DIR/transcript" && fail "421 greeting: MAIL sent"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "421: -q: exit $?"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "421: second -q: exit $?"
assert_eq "$(fault_msgs)" 1 "421 greeting: deliveries after -q"
assert_file_contains "$FAULT_DIR/msgs/000001.eml" "greet421 body"
assert_eq "$(queued)" 0 "421 greeting: left in q/"
fault_stop

# 6. a server slower than the timeout: the attempt ends after ~timeout,
# exit 0, the message stays queued, stderr says it timed out
printf 'delay MAIL 8\n' >"$T/sdelay"
FAULT_PORT=$(free_port)
fault_start "$T/sdelay"
conf=$(posta_conf_fault "$FAULT_PORT")
sed -i 's/^timeout = .*/timeout = 2/' "$conf"
t0=$(now)
msg slow | "$POSTA" -C "$conf" slow@dest.test 2>"$T/err"
st=$?
dt=$(elapsed "$t0")
assert_eq $st 0 "timeout: exit status"
awk -v d="$dt" 'BEGIN { exit !(d < 10 && d >= 1.5) }' ||
    fail "timeout: posta took ${dt}s (timeout 2 s)"
grep -qi 'timed out\|timeout' "$T/err" || fail "timeout: stderr: $(cat "$T/err")"
grep -q 'queued for retry' "$T/err" || fail "timeout: not queued: $(cat "$T/err")"
assert_eq "$(queued)" 1 "timeout: queued"
assert_eq "$(fault_msgs)" 0 "timeout: delivered anyway"
# a server with normal speed on the same port: -q delivers it
fault_stop
fault_start -
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "timeout: -q: exit $?"
assert_eq "$(fault_msgs)" 1 "timeout: deliveries after -q"
assert_eq "$(queued)" 0 "timeout: left in q/"
exit 0
