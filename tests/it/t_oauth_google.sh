#!/bin/sh
# Issue 9: a Google-like upstream with OAUTHBEARER (RFC 7628): the GS2
# header with host and port, the error challenge answered with ^A
# (AQ==), one new token and one retry when a cached token is refused,
# and plain words for the refusals users meet (Gmail 534 5.7.9,
# Microsoft 5.7.139 and 5.7.30).
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start
conf=$(oconf g google refresh_token oauthbearer)
oimport "$conf"

osend "$conf" a@example.com -v
assert_eq "$OST" 0 "OAUTHBEARER: exit"
[ "$(ob_get counts.messages)" = 1 ] || fail "OAUTHBEARER: not delivered: $(tail -n 3 "$T/err")"
grep -qx '>>> AUTH OAUTHBEARER <redacted>' "$T/err" || fail "no OAUTHBEARER line"
grep -qx 'mech OAUTHBEARER' "$OB_MAIL"/000001.env || fail "sent with $(grep mech "$OB_MAIL"/000001.env)"
ob_leaks "$T/err"
[ "$(otokens)" = 1 ] || fail "$(otokens) token requests"

# the cached token is revoked: 334 error challenge, AQ==, 535, one new
# token, a second session that delivers
ob_ctl revoke access=all >/dev/null
osend "$conf" b@example.com -v
assert_eq "$OST" 0 "revoked token: exit"
[ "$(ob_get counts.messages)" = 2 ] || fail "revoked token: not delivered: $(tail -n 5 "$T/err")"
[ "$(otokens)" = 2 ] || fail "revoked token: $(otokens) token requests, want 2"
grep -q ' < AQ==$' "$OB_TRANSCRIPT" || fail "the error challenge was not answered with AQ=="
grep -q 'upstream refused the OAuth token (535 5.7.8' "$T/posta.log" ||
    fail "the refusal is not logged: $(cat "$T/posta.log")"
[ "$(grep -c '^>>> AUTH OAUTHBEARER' "$T/err")" -eq 2 ] || fail "not two AUTH attempts"
cp "$T/err" "$T/verbose"

# refused again after the new token: one retry only, the mail waits
ob_ctl fault kind="535 5.7.8 Username and Password not accepted" \
    target=smtp_auth count=5 >/dev/null
osend "$conf" c@example.com
assert_eq "$OST" 0 "refused twice: exit"
grep -q 'queued for retry: .*535 5.7.8' "$T/err" || fail "refused twice: $(cat "$T/err")"
[ "$(ob_get faults.0.count 2>/dev/null)" = 3 ] ||
    fail "not exactly two AUTH attempts: $(ob_get faults)"
[ "$(otokens)" = 3 ] || fail "refused twice: $(otokens) token requests, want 3"
[ "$(queued)" -eq 1 ] || fail "refused twice: not queued"
ob_ctl clear_faults >/dev/null

# XOAUTH2 on the same upstream, with the cached token
conf2=$(oconf g2 google refresh_token xoauth2)
sed -i "s|^cache = .*||; s|^refresh_margin = 0|refresh_margin = 0\ncache = $(cache_file "$T"/spool/oauth/g.conf-*)|" "$conf2"
osend "$conf2" d@example.com
assert_eq "$OST" 0 "XOAUTH2: exit"
grep -qx 'mech XOAUTH2' "$OB_MAIL"/000003.env || fail "XOAUTH2: not delivered: $(cat "$T/err")"

# Gmail without OAuth: 534 5.7.9 says what is needed
{
	printf '[upstream]\nhost = %s\nport = %s\nusername = %s\n' "$OB_HOST" \
	    "$OB_SMTP_GOOGLE_PORT" "$OB_USER"
	printf 'password = app-pw\nauth = plain\nca_file = %s\ntimeout = 10\n' "$OB_CA"
	printf '[queue]\ndir = %s\n[log]\nsyslog = no\nfile = %s\n' "$T/spool" "$T/posta.log"
} >"$T/pw.conf"
chmod 600 "$T/pw.conf"
osend "$T/pw.conf" e@example.com
grep -q '534 5.7.9 .*Gmail needs an application-specific password, or OAuth: use auth = xoauth2 with an \[oauth\] section' \
    "$T/err" || fail "534 5.7.9: $(cat "$T/err")"
"$POSTA" -C "$T/pw.conf" -bp | grep -q 'Gmail needs an application-specific password' ||
    fail "-bp does not show the advice"

# Microsoft without OAuth: 5.7.139 and 5.7.30
sed -i "s/^port = .*/port = $OB_SMTP_MS_PORT/; s/^auth = .*/auth = login/" "$T/pw.conf"
osend "$T/pw.conf" f@example.com
grep -q '5.7.139 .*SMTP AUTH is disabled for this mailbox' "$T/err" ||
    fail "5.7.139: $(cat "$T/err")"
ob_ctl set ms_login_reply="550 5.7.30 Basic authentication is not supported for Client Submission" >/dev/null
osend "$T/pw.conf" g@example.com
grep -q '5.7.30 .*use auth = xoauth2 with an \[oauth\] section' "$T/err" ||
    fail "5.7.30: $(cat "$T/err")"
grep -q 'Microsoft 365 has turned basic authentication off' "$T/posta.log" ||
    fail "5.7.30: not in the log"

"$POSTA" -C "$conf" -bp >"$T/bp" 2>&1
"$POSTA" -C "$conf" --oauth-status >"$T/status" 2>&1
ob_leaks "$T/posta.log" "$T/verbose" "$T/bp" "$T/status"
exit 0
