#!/bin/sh
# Issue 9: a Microsoft 365-like upstream (XOAUTH2 only, 2 KB tokens, 512-
# octet command lines, refresh tokens that rotate on every use). The
# refresh token is imported once; posta then renews short-lived access
# tokens by itself, stores each rotated refresh token, and sends the
# token after an empty 334 (RFC 4954 4). No token shows anywhere.
# Tokens live an hour except in the expiry step, so that no check that
# a valid token is reused depends on how fast the machine is.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start --set expires_in=3600
conf=$(oconf ms microsoft refresh_token)

# before any login: queued, and the reason says what to do
osend "$conf" early@example.com
assert_eq "$OST" 0 "no refresh token: exit"
grep -q 'queued for retry: no OAuth refresh token yet: run posta --oauth-login' \
    "$T/err" || fail "no refresh token: $(cat "$T/err")"
[ "$(queued)" -eq 1 ] || fail "no refresh token: not queued"
[ "$(otokens)" = 0 ] || fail "a token request without a refresh token"

oimport "$conf"
cache=$(cache_file "$T"/spool/oauth/ms.conf-*)
[ "$(stat -c %a "$cache")" = 600 ] || fail "cache mode $(stat -c %a "$cache")"
[ "$(stat -c %a "$cache.lock")" = 600 ] || fail "lock mode"

# first send: one token request, the token after an empty 334
osend "$conf" a@example.com -v
assert_eq "$OST" 0 "first send: exit"
[ "$(ob_get counts.messages)" = 1 ] || fail "first send: not delivered: $(tail -n 3 "$T/err")"
[ "$(otokens)" = 1 ] || fail "first send: $(otokens) token requests"
grep -qx '>>> AUTH XOAUTH2' "$T/err" || fail "the 2 KB token was put on the AUTH line"
grep -qx '<<< 235 2.7.0 Authentication successful' "$T/err" || fail "no 235"
cp "$T/err" "$T/verbose"
grep -q "$OB_USER" "$OB_MAIL"/*.env || fail "delivered for another mailbox"

# the queue run sends the early one with the cached token
"$POSTA" -C "$conf" -q || fail "-q: exit $?"
[ "$(queued)" -eq 0 ] || fail "-q left mail queued"
[ "$(ob_get counts.messages)" = 2 ] || fail "-q: not delivered"
[ "$(otokens)" = 1 ] || fail "a valid cached token was refreshed"

# rotation: the seed is spent; the cache holds the bed's current token
grep -qF "$OB_MS_REFRESH" "$cache" && fail "the rotated-out refresh token is still cached"
cur=$(ob_get refresh_current | "$PY" -c 'import json,sys; print("\n".join(json.load(sys.stdin)))')
echo "$cur" | grep -qxF "$(sed -n 's/^refresh //p' "$cache")" ||
    fail "the cached refresh token is not the current one"

# --oauth-refresh: now, whatever the expiry (the cached one is valid)
"$POSTA" -C "$conf" --oauth-refresh >"$T/refresh" 2>&1 || fail "--oauth-refresh: exit $?"
grep -q "new access token for $OB_USER, valid until" "$T/refresh" ||
    fail "--oauth-refresh: $(cat "$T/refresh")"
[ "$(otokens)" = 2 ] || fail "--oauth-refresh made no request"

# expiry: a token of 6 s, then after expires_in a new one, through the
# rotated refresh token
ob_ctl set expires_in=6 >/dev/null
"$POSTA" -C "$conf" --oauth-refresh >/dev/null 2>&1 || fail "--oauth-refresh (6 s): exit $?"
ob_ctl set expires_in=3600 >/dev/null
sleep 7
osend "$conf" b@example.com
assert_eq "$OST" 0 "after expiry: exit"
[ "$(ob_get counts.messages)" = 3 ] || fail "after expiry: not delivered: $(cat "$T/err")"
[ "$(otokens)" = 4 ] || fail "after expiry: $(otokens) token requests, want 4"
# renewed because it was due, not after the server refused it
[ "$(ob_get counts.smtp_auth_fail 2>/dev/null || echo 0)" = 0 ] ||
    fail "after expiry: the expired token was sent"
[ "$(ob_get counts.errors.invalid_grant 2>/dev/null || echo 0)" != 1 ] ||
    fail "the old refresh token was used"
[ "$(grep -c 'refresh token rotated' "$T/posta.log")" -eq 4 ] ||
    fail "rotations logged: $(grep -c 'refresh token rotated' "$T/posta.log")"

"$POSTA" -C "$conf" --oauth-status >"$T/status" 2>&1 || fail "--oauth-status: exit $?"
for w in "grant:          refresh_token" "access token:   valid until" \
    "refresh token:  obtained" "last error:     none"; do
	grep -qF "$w" "$T/status" || fail "--oauth-status lacks '$w': $(cat "$T/status")"
done
"$POSTA" -C "$conf" -bp >"$T/bp" 2>&1

# --check logs in with the cached token, as a delivery would
"$POSTA" -C "$conf" --check -v >"$T/check" 2>&1; st=$?
grep -q '^ok .*credentials: .*OAuth access token from' "$T/check" ||
    fail "--check: no OAuth credentials line: $(cat "$T/check")"
grep -q '^ok .*login' "$T/check" || fail "--check: login: $(cat "$T/check")"
[ "$st" -le 1 ] || fail "--check: exit $st: $(cat "$T/check")"
[ "$(otokens)" = 4 ] || fail "--check renewed a valid token"

# no token in the log, the -v transcript, -bp, --oauth-status or --check
ob_leaks "$T/posta.log" "$T/verbose" "$T/err" "$T/bp" "$T/status" \
    "$T/refresh" "$T/check"
exit 0
