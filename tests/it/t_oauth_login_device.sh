#!/bin/sh
# Issue 9 point 4: `posta --oauth-login`, the device-code flow (RFC 8628),
# against the OAuth test bed's Microsoft-like endpoints: the URL and code
# are printed, polls keep to the interval, authorization_pending keeps
# polling, slow_down adds 5 s, approval stores the tokens, and a send
# through the Microsoft-like SMTP server then works. Then the ways it
# ends without tokens: the code expiring, expired_token, a denial, and
# Google refusing device codes for Gmail.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
. "$LIB/oauthlogin.sh"

ob_start --set device_approve=manual --set device_interval=1
conf=$(login_conf microsoft)

# the login: pending polls, one slow_down, then approval
"$POSTA" -C "$conf" --oauth-login >"$T/out" 2>"$T/err" &
lp=$!
wait_for "$T/out" "Waiting for the sign-in" 10 ||
    fail "no instructions printed: $(cat "$T/out" "$T/err")"
uc=$(ob_get devices.0.user_code)
[ -n "$uc" ] && [ "$uc" != 0 ] || fail "the bed issued no device code"
grep -qx "    $OB_URL/devicelogin" "$T/out" ||
    fail "verification URI not printed on a line of its own: $(cat "$T/out")"
grep -qx "    $uc" "$T/out" || fail "user code $uc not printed: $(cat "$T/out")"
wait_value devices.0.pending 2 10 || fail "posta does not poll"
ob_ctl fault kind=slow_down target=token count=1 >/dev/null
wait_value counts.faults_used 1 10 || fail "no poll after the slow_down fault"
ob_ctl approve >/dev/null || fail "approve"
wait_exit $lp 30
st=$?
[ $st -eq 0 ] || fail "login: exit $st: $(cat "$T/err")"
grep -q "signed in" "$T/out" || fail "no success line: $(cat "$T/out")"
[ ! -s "$T/err" ] || fail "stderr on success: $(cat "$T/err")"

# the polls, from the bed's request log: never faster than the interval,
# and 1 + 5 s after the slow_down
"$PY" - "$OB_LOG" <<'PY' || fail "poll timing"
import json, sys
polls = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("kind") == "http" and r.get("grant") == "device_code":
        polls.append((r["t"], r.get("fault"), r.get("status")))
if len(polls) < 4:
    sys.exit("only %d polls: %r" % (len(polls), polls))
for (t0, f0, _), (t1, _, _) in zip(polls, polls[1:]):
    gap = t1 - t0
    want = 5.9 if f0 == "slow_down" else 0.9
    if gap < want:
        sys.exit("poll %.2f s after %s, want >= %.1f" % (gap, f0 or "pending", want))
if not any(f == "slow_down" for _, f, _ in polls[:-1]):
    sys.exit("the slow_down was not followed by a poll")
if polls[-1][2] != 200:
    sys.exit("the last poll did not get the tokens: %r" % (polls[-1],))
PY
[ "$(ob_get devices.0.slow_downs)" -eq 0 ] ||
    fail "the bed saw polls sooner than the interval"
[ "$(ob_get devices.0.state)" = redeemed ] || fail "device code not redeemed"

# what was stored: the refresh token the bed issued, in a private file
rt=$(bed_refresh)
[ -n "$rt" ] || fail "the bed issued no refresh token"
[ -f "$CACHE" ] || fail "no cache file $CACHE"
grep -qF -- "$rt" "$CACHE" || fail "the cache does not hold the refresh token"
[ "$(stat -c %a "$CACHE")" = 600 ] || fail "cache mode $(stat -c %a "$CACHE")"
"$POSTA" -C "$conf" --oauth-status >"$T/status" 2>&1 ||
    fail "--oauth-status: $(cat "$T/status")"
ob_leaks "$T/out" "$T/err" "$T/status" "$T/posta.log"

# and the token works: one message through the Microsoft-like server
osend "$conf" login-device@dest.test -odi
[ "$OST" -eq 0 ] || fail "send after login: exit $OST: $(cat "$T/err")"
[ "$(nfiles "$OB_MAIL" '*.eml')" -eq 1 ] || fail "the bed has no message"
grep -qx "user $OB_USER" "$OB_MAIL"/*.env || fail "not sent as $OB_USER"
grep -qx "mech XOAUTH2" "$OB_MAIL"/*.env || fail "not sent with XOAUTH2"
grep -qx "grant device_code" "$OB_MAIL"/*.env ||
    fail "not sent with the token of the login: $(cat "$OB_MAIL"/*.env)"
ob_leaks "$T/err" "$T/posta.log"

# the code expires before anyone signs in: posta stops at expires_in
rm -f "$CACHE"
ob_ctl set device_expires=3 >/dev/null
t0=$(date +%s)
"$POSTA" -C "$conf" --oauth-login >"$T/out2" 2>"$T/err2"
st=$?
dt=$(($(date +%s) - t0))
[ $st -eq 77 ] || fail "expiry: exit $st, want 77: $(cat "$T/err2")"
grep -q "code expired" "$T/err2" || fail "expiry: $(cat "$T/err2")"
[ "$(wc -l <"$T/err2")" -eq 1 ] || fail "expiry: more than one line"
[ $dt -le 10 ] || fail "expiry: took $dt s for a 3 s code"
[ ! -e "$CACHE" ] || fail "expiry: a cache was written"

# expired_token and a denial from the endpoint end the login at once
ob_ctl set device_expires=600 >/dev/null
ob_ctl fault kind=expired_token target=token count=1 >/dev/null
expect_exit 77 "$POSTA" -C "$conf" --oauth-login >"$T/out3" 2>"$T/err3"
grep -q "code expired.*expired_token" "$T/err3" || fail "expired_token: $(cat "$T/err3")"
"$POSTA" -C "$conf" --oauth-login >"$T/out4" 2>"$T/err4" &
lp=$!
wait_for "$T/out4" "Waiting for the sign-in" 10 || fail "second login"
wait_value devices.3.pending 1 10 || fail "the fourth device code is not polled"
ob_ctl deny >/dev/null || fail "deny"
wait_exit $lp 10
st=$?
[ $st -eq 77 ] || fail "denied: exit $st: $(cat "$T/err4")"
grep -q "declined" "$T/err4" || fail "denied: $(cat "$T/err4")"
[ ! -e "$CACHE" ] || fail "denied: a cache was written"

# Google gives no device codes for Gmail's scope: posta says what to use
conf=$(login_conf google)
expect_exit 77 "$POSTA" -C "$conf" --oauth-login >"$T/out5" 2>"$T/err5"
grep -q "invalid_scope.*--oauth-login=loopback:PORT" "$T/err5" ||
    fail "Google device code: $(cat "$T/err5")"
ob_leaks "$T/out2" "$T/err2" "$T/out3" "$T/err3" "$T/out4" "$T/err4" \
    "$T/out5" "$T/err5" "$T/posta.log"
exit 0
