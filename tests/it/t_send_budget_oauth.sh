#!/bin/sh
# Issue 14 point 6: the OAuth token request is part of the foreground
# delivery's time budget. A token endpoint that takes 30 s (timeout 60)
# holds the caller for send_timeout (4 s) only, give or take some slack
# (exec, the spool's fsyncs, an ASan exit; far below the 30 s): exit 0,
# "queued for retry" saying the budget ran out at the endpoint, the
# entry kept; a queue run once the endpoint is fast delivers it exactly
# once.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
BUDGET=4 SLACK=4
sanitized && SLACK=6
ob_start --set token_delay=30
conf=$(oconf g google refresh_token)	# Google: refresh tokens do not rotate
sed -i "s/^timeout = .*/timeout = 60\nsend_timeout = $BUDGET/" "$conf"
oimport "$conf"

t0=$(now)
osend "$conf" slow@example.com
secs=$(elapsed "$t0")
echo "# exit $OST after $secs s: $(cat "$T/err")" >&2
assert_eq "$OST" 0 "exit status"
awk -v s="$secs" -v b="$BUDGET" -v k="$SLACK" 'BEGIN { exit !(s >= b - 0.2 && s <= b + k) }' ||
    fail "came back after $secs s, send_timeout = $BUDGET s"
grep -q 'queued for retry: https://.*time budget of the delivery (send_timeout) exhausted' "$T/err" ||
    fail "stderr: $(cat "$T/err")"
assert_eq "$(queued)" 1 "queued"
assert_eq "$(ob_get counts.messages)" 0 "delivered"
grep -q 'status=deferred.*send_timeout' "$T/posta.log" || fail "log: $(cat "$T/posta.log")"

ob_ctl set token_delay=0 >/dev/null
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?: $(cat "$T/err")"
assert_eq "$(queued)" 0 "left queued after -q"
assert_eq "$(ob_get counts.messages)" 1 "delivered after -q"
ob_leaks "$T/err" "$T/posta.log"
exit 0
