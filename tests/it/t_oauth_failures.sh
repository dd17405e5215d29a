#!/bin/sh
# Issue 9: a token endpoint that refuses or fails never loses mail. The
# mail stays queued (exit 0), the stored refresh token is kept, the
# endpoint's error (with Microsoft's AADSTS code) is in stderr, the log,
# -bp and --oauth-status; after invalid_grant the endpoint is not asked
# again for an hour unless the cache or the configuration changes.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start
conf=$(oconf ms microsoft refresh_token)
oimport "$conf"
cache=$(cache_file "$T"/spool/oauth/ms.conf-*)

# HTTP 500, then 429: queued, tried again later
for st in 500 429; do
	ob_ctl fault kind=$st count=1 >/dev/null
	osend "$conf" "h$st@example.com"
	assert_eq "$OST" 0 "HTTP $st: exit"
	grep -q "queued for retry: token endpoint $OB_MS_TOKEN_URL answered HTTP $st" "$T/err" ||
	    fail "HTTP $st: $(cat "$T/err")"
	grep -q "oauth: token endpoint .* answered HTTP $st" "$T/posta.log" ||
	    fail "HTTP $st: not logged"
done
[ "$(queued)" -eq 2 ] || fail "5xx/429: $(queued) queued, want 2"
[ "$(ob_get counts.messages)" = 0 ] || fail "5xx/429: something was sent"
grep -q '^refresh ' "$cache" || fail "the refresh token was dropped after an error"

# the endpoint closes the connection: queued
ob_ctl fault kind=drop count=1 >/dev/null
osend "$conf" drop@example.com
assert_eq "$OST" 0 "dropped: exit"
grep -q 'queued for retry: .*; the mail stays queued' "$T/err" || fail "dropped: $(cat "$T/err")"

# the endpoint is back: a queue run sends all three, with one token
"$POSTA" -C "$conf" -q || fail "-q: exit $?"
[ "$(queued)" -eq 0 ] || fail "-q: $(queued) still queued"
[ "$(ob_get counts.messages)" = 3 ] || fail "-q: $(ob_get counts.messages) sent, want 3"
ok_tokens=$(ob_get counts.status.200)
[ "$ok_tokens" = 1 ] || fail "$ok_tokens successful token requests, want 1"

# invalid_grant: the refresh token is revoked at the provider
ob_ctl revoke access=all >/dev/null
ob_ctl revoke refresh_token="$(sed -n 's/^refresh //p' "$cache")" >/dev/null
osend "$conf" ig@example.com
assert_eq "$OST" 0 "invalid_grant: exit"
grep -q 'queued for retry: token endpoint refused: invalid_grant (AADSTS70000: ' "$T/err" ||
    fail "invalid_grant: $(cat "$T/err")"
grep -q 'run posta --oauth-login (or --oauth-import)' "$T/err" || fail "invalid_grant: no advice"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "invalid_grant: more than one line: $(cat "$T/err")"
n=$(otokens)
grep -q 'oauth: token endpoint refused: invalid_grant (AADSTS70000' "$T/posta.log" ||
    fail "invalid_grant: not logged"
"$POSTA" -C "$conf" -bp >"$T/bp"
grep -q 'invalid_grant (AADSTS70000' "$T/bp" || fail "-bp: $(cat "$T/bp")"
"$POSTA" -C "$conf" --oauth-status >"$T/status" 2>&1
assert_eq $? 77 "--oauth-status after invalid_grant"
grep -q 'last error: .*invalid_grant (AADSTS70000' "$T/status" || fail "status: $(cat "$T/status")"
grep -q '^next request:   not before ' "$T/status" || fail "status: no quiet period"
grep -q '^refresh ' "$cache" || fail "the refresh token was dropped after invalid_grant"

# within the hour: no request, the same reason
osend "$conf" ig2@example.com
assert_eq "$OST" 0 "quiet period: exit"
grep -q 'invalid_grant (AADSTS70000.*(not asking the token endpoint again before ' "$T/err" ||
    fail "quiet period: $(cat "$T/err")"
"$POSTA" -C "$conf" -q
[ "$(otokens)" = "$n" ] || fail "the endpoint was asked again within the hour"
[ "$(queued)" -eq 2 ] || fail "quiet period: $(queued) queued"

# a configuration change ends the quiet period (and is refused again)
sed -i 's|^refresh_margin = 0|refresh_margin = 0\nscope = https://outlook.office.com/SMTP.Send offline_access openid|' "$conf"
"$POSTA" -C "$conf" -q
[ "$(otokens)" = $((n + 1)) ] || fail "a new configuration did not lift the quiet period"
n=$(otokens)
"$POSTA" -C "$conf" -q
[ "$(otokens)" = "$n" ] || fail "asked again after the second invalid_grant"

# a new login (import) ends it too: the queue goes out
tok=$(ob_ctl mint profile=microsoft user="$OB_USER" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["refresh_token"] if isinstance(d, dict) else d)')
oimport "$conf" "$tok"
"$POSTA" -C "$conf" --oauth-status >"$T/status" 2>&1 || fail "status after import: $(cat "$T/status")"
grep -q 'last error:     none' "$T/status" || fail "import did not clear the error"
"$POSTA" -C "$conf" -q || fail "-q after import: exit $?"
[ "$(queued)" -eq 0 ] || fail "after import: $(queued) still queued"
[ "$(ob_get counts.messages)" = 5 ] || fail "after import: $(ob_get counts.messages) sent"

ob_leaks "$T/posta.log" "$T/bp" "$T/status" "$T/err" "$T/spool/q"/* "$T/spool/failed"/*
exit 0
