#!/bin/sh
# Issue 9 point 4: `posta --oauth-login=loopback:PORT`, the authorization
# code flow with PKCE (RFC 7636) on 127.0.0.1:PORT, against the OAuth
# test bed. The test plays the browser: it reads the printed URL and has
# the bed's authorization endpoint approve it and follow the redirect to
# posta's listener (oauthbed.py ctl browse). The bed refuses a code
# exchange whose code_verifier does not hash to the code_challenge.
# Google (client secret, offline access) then a send through the
# Google-like SMTP server; Microsoft (public client); a wrong state, a
# denial and a port in use are refused.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
. "$LIB/oauthlogin.sh"

ob_start
port=$(free_port)

# login PORT: start the login in the background (LP), URL of the output
login() {
	: >"$T/out"
	"$POSTA" -C "$conf" --oauth-login=loopback:"$1" >"$T/out" 2>"$T/err" &
	LP=$!
	wait_for "$T/out" "^    https://" 10 ||
	    fail "no URL printed: $(cat "$T/out" "$T/err")"
	URL=$(sed -n 's/^    \(https:.*\)$/\1/p' "$T/out")
}
# browse URL [K=V]...: the bed as the browser; prints the JSON answer
browse() { u=$1; shift; ob_ctl browse url="$u" "$@"; }
# field JSON-FILE NAME
field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$1" "$2"; }
exchanges() { ob_get counts.grant.authorization_code; }

# Google: the URL carries everything, the listener is on 127.0.0.1 only
conf=$(login_conf google)
login "$port"
"$PY" - "$URL" "$port" "$OB_GOOGLE_AUTH_URL" "$OB_CLIENT_ID" <<'PY' || fail "authorization URL: $URL"
import sys, urllib.parse as up
url, port, base, cid = sys.argv[1:]
u = up.urlsplit(url)
assert url.startswith(base + "?"), "not the auth_url"
q = dict(up.parse_qsl(u.query, strict_parsing=True))
want = {"client_id": cid, "response_type": "code",
        "redirect_uri": "http://127.0.0.1:%s/" % port,
        "scope": "https://mail.google.com/", "code_challenge_method": "S256",
        "access_type": "offline", "prompt": "consent"}
for k, v in want.items():
    assert q.get(k) == v, "%s=%r, want %r" % (k, q.get(k), v)
assert len(q["code_challenge"]) == 43, "code_challenge length"
assert len(q["state"]) >= 22, "state too short"
PY
"$PY" - "$port" <<'PY' || fail "the listener answers on 127.0.0.2: bound to more than 127.0.0.1"
import socket, sys
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("127.0.0.2", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
PY
# a stray request (the browser's favicon) is answered and the wait goes on
"$PY" - "$port" <<'PY' || fail "favicon request"
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:%s/favicon.ico" % sys.argv[1], timeout=5)
    sys.exit("favicon: 200")
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 404 else "favicon: %d" % e.code)
PY
kill -0 $LP 2>/dev/null || fail "the login ended at a stray request"
browse "$URL" >"$T/browse.json" || fail "browse"
[ "$(field "$T/browse.json" authorize_status)" = 302 ] || fail "authorize: $(cat "$T/browse.json")"
[ "$(field "$T/browse.json" status)" = 200 ] || fail "listener page: $(cat "$T/browse.json")"
grep -q "close this window" "$T/browse.json" || fail "page: $(cat "$T/browse.json")"
wait_exit $LP 20
st=$?
[ $st -eq 0 ] || fail "Google login: exit $st: $(cat "$T/err")"
grep -q "signed in" "$T/out" || fail "no success line: $(cat "$T/out")"
[ "$(exchanges)" -eq 1 ] || fail "$(exchanges) code exchanges, want 1"
# the exchange carried a 43-character verifier and the client secret
"$PY" - "$OB_LOG" <<'PY' || fail "the code exchange"
import json, sys
ex = [r for r in map(json.loads, open(sys.argv[1]))
      if r.get("kind") == "http" and r.get("grant") == "authorization_code"]
assert len(ex) == 1, ex
p = ex[0]["params"]
assert len(p.get("code_verifier", "")) >= 43, "verifier"
assert p.get("client_secret"), "no client secret"
assert ex[0]["status"] == 200, ex[0]["status"]
PY
rt=$(bed_refresh)
[ -n "$rt" ] || fail "the bed issued no refresh token"
grep -qF -- "$rt" "$CACHE" || fail "the cache does not hold the refresh token"
"$POSTA" -C "$conf" --oauth-status >"$T/status" 2>&1 ||
    fail "--oauth-status: $(cat "$T/status")"
ob_leaks "$T/out" "$T/err" "$T/status" "$T/posta.log"
osend "$conf" login-loopback@dest.test -odi
[ "$OST" -eq 0 ] || fail "send after login: exit $OST: $(cat "$T/err")"
[ "$(nfiles "$OB_MAIL" '*.eml')" -eq 1 ] || fail "the bed has no message"
grep -qx "user $OB_USER" "$OB_MAIL"/*.env || fail "not sent as $OB_USER"
grep -qx "grant authorization_code" "$OB_MAIL"/*.env ||
    fail "not sent with the token of the login: $(cat "$OB_MAIL"/*.env)"
ob_leaks "$T/err" "$T/posta.log"

# a redirect with another state: refused, nothing exchanged, no cache
rm -f "$CACHE"
login "$port"
bad=$(printf '%s' "$URL" | sed 's/\([?&]state=\)[^&]*/\1forged-by-someone-else/')
browse "$bad" >"$T/browse.json"
[ "$(field "$T/browse.json" status)" = 400 ] || fail "wrong state page: $(cat "$T/browse.json")"
wait_exit $LP 10
st=$?
[ $st -eq 77 ] || fail "wrong state: exit $st: $(cat "$T/err")"
grep -q "wrong state" "$T/err" || fail "wrong state: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "wrong state: more than one line"
[ "$(exchanges)" -eq 1 ] || fail "a code with a wrong state was exchanged"
[ ! -e "$CACHE" ] || fail "wrong state: a cache was written"

# the user declines: the provider's error, no exchange
login "$port"
browse "$URL" deny=true >"$T/browse.json"
wait_exit $LP 10
st=$?
[ $st -eq 77 ] || fail "denied: exit $st: $(cat "$T/err")"
grep -q "authorization refused: access_denied" "$T/err" || fail "denied: $(cat "$T/err")"
[ "$(exchanges)" -eq 1 ] || fail "a denied login exchanged a code"

# the port is taken: refused before a URL is printed
"$PY" -c 'import socket,sys,time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(20)' "$port" "$T/busy" &
busy=$!
FAULT_PIDS="$FAULT_PIDS $busy"
wait_for_file() { i=0; while [ ! -e "$1" ]; do i=$((i + 1)); [ $i -gt 50 ] && return 1; sleep 0.1; done; }
wait_for_file "$T/busy" || fail "port holder did not start"
expect_exit 69 "$POSTA" -C "$conf" --oauth-login=loopback:"$port" >"$T/out" 2>"$T/err"
grep -q "listen on 127.0.0.1:$port" "$T/err" || fail "port in use: $(cat "$T/err")"
grep -q https "$T/out" && fail "a URL was printed for a port in use"
# the next login binds the same port: only once the holder is gone
kill $busy
wait $busy 2>/dev/null
FAULT_PIDS=${FAULT_PIDS% "$busy"}

# Microsoft: a public client (no secret), no Google-only parameters
conf=$(login_conf microsoft)
login "$port"
case $URL in *access_type*|*prompt=*) fail "Google parameters for Microsoft: $URL" ;; esac
case $URL in "$OB_MS_AUTH_URL?"*) ;; *) fail "not the Microsoft auth_url: $URL" ;; esac
browse "$URL" >"$T/browse.json"
wait_exit $LP 20
st=$?
[ $st -eq 0 ] || fail "Microsoft login: exit $st: $(cat "$T/err")"
grep -qF -- "$(bed_refresh)" "$CACHE" || fail "Microsoft: refresh token not cached"
ob_leaks "$T/out" "$T/err" "$T/posta.log"
exit 0
