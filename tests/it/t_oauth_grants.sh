#!/bin/sh
# Issue 9: the grants without a user's refresh token. client_credentials
# (Microsoft app-only: the client secret buys an access token, nothing
# to import) and jwt_bearer (a Google service account: an RS256
# assertion signed with the key file, checked by the fake endpoint, with
# sub = the mailbox).
# Tokens live an hour except the ones that must expire (taken by
# --oauth-refresh, not by a send), so that no token a send has just been
# given can expire before its AUTH on a slow machine, which would make
# posta renew it after the 535 and count one request more.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start --set expires_in=3600

# short_token CONF LIFE: the cached token expires LIFE s from now
short_token() {
	ob_ctl set expires_in="$2" >/dev/null
	"$POSTA" -C "$1" --oauth-refresh >/dev/null 2>&1 || fail "--oauth-refresh ($2 s): exit $?"
	ob_ctl set expires_in=3600 >/dev/null
}

# client_credentials: a token on first use, another when it is due
conf=$(oconf cc microsoft client_credentials)
osend "$conf" a@example.com
assert_eq "$OST" 0 "client_credentials: exit"
[ "$(ob_get counts.messages)" = 1 ] || fail "client_credentials: not delivered: $(cat "$T/err")"
[ "$(ob_get counts.grant.client_credentials)" = 1 ] || fail "no client_credentials request"
short_token "$conf" 6
sleep 7
osend "$conf" b@example.com
[ "$(ob_get counts.messages)" = 2 ] || fail "client_credentials, expired: not delivered: $(cat "$T/err")"
[ "$(ob_get counts.grant.client_credentials)" = 3 ] || fail "expired token not renewed"
# renewed because it was due, not after the server refused it
[ "$(ob_get counts.smtp_auth_fail 2>/dev/null || echo 0)" = 0 ] ||
    fail "client_credentials: the expired token was sent"
grep -q '^refresh ' "$(cache_file "$T"/spool/oauth/cc.conf-*)" &&
    fail "a refresh token in a client_credentials cache"
printf 'x\n' | "$POSTA" -C "$conf" --oauth-import 2>"$T/err"
assert_eq $? 64 "--oauth-import with client_credentials"
grep -q 'is for grant = refresh_token' "$T/err" || fail "import: $(cat "$T/err")"

# a wrong client secret: invalid_client with its AADSTS code, queued
# (the secret is not part of what the cache is for: the token must be due)
short_token "$conf" 2
sed -i "s/^client_secret = .*/client_secret = not-the-secret/" "$conf"
sleep 3
osend "$conf" c@example.com
assert_eq "$OST" 0 "invalid_client: exit"
grep -q 'queued for retry: token endpoint refused: invalid_client (AADSTS7000215: ' "$T/err" ||
    fail "invalid_client: $(cat "$T/err")"
grep -q 'check client_id and the client secret' "$T/err" || fail "invalid_client: no advice"
[ "$(queued)" -eq 1 ] || fail "invalid_client: not queued"
"$POSTA" -C "$conf" --oauth-status >"$T/status" 2>&1
assert_eq $? 77 "--oauth-status after invalid_client"
grep -q 'last error: .*invalid_client (AADSTS7000215' "$T/status" || fail "status: $(cat "$T/status")"
ob_leaks "$T/status" "$T/posta.log"
mv "$T/spool" "$T/spool.cc"

# jwt_bearer: the bed checks the signature, iss, aud, scope and sub
conf=$(oconf jw google jwt_bearer)
osend "$conf" d@example.com -v
assert_eq "$OST" 0 "jwt_bearer: exit"
[ "$(ob_get counts.messages)" = 3 ] || fail "jwt_bearer: not delivered: $(tail -n 3 "$T/err")"
[ "$(ob_get counts.grant.jwt_bearer)" = 1 ] || fail "no jwt_bearer request"
grep -qx "user $OB_USER" "$OB_MAIL"/000003.env || fail "jwt_bearer: sent as $(grep user "$OB_MAIL"/000003.env)"
cp "$T/err" "$T/verbose"

# another key with the same client_email: the signature fails
sed -i "s|^key_file = .*|key_file = $OB_BAD_KEY_FILE|" "$conf"
osend "$conf" e@example.com
assert_eq "$OST" 0 "bad signature: exit"
grep -q 'token endpoint refused: invalid_grant (Invalid JWT Signature.): check the service account' \
    "$T/err" || fail "bad signature: $(cat "$T/err")"
[ "$(queued)" -eq 1 ] || fail "bad signature: not queued"

# a key file others can read is refused before anything is sent
cp "$OB_KEY_FILE" "$T/open.json"
chmod 644 "$T/open.json"
sed -i "s|^key_file = .*|key_file = $T/open.json|" "$conf"
osend "$conf" f@example.com
assert_eq "$OST" 78 "key file readable by others"
grep -q "key_file $T/open.json is readable by others; chmod 600" "$T/err" ||
    fail "open key: $(cat "$T/err")"

ob_leaks "$T/posta.log" "$T/verbose" "$T/err"
exit 0
