#!/bin/sh
# The token offered in AUTH is the one delivery fetched before it
# connected, and a refused token is never offered again. Another process
# refreshes the cache while the server holds its greeting; the server
# refuses the first AUTH (535). posta must have offered the token it
# fetched first (A), not the one now cached (B), so that the refusal is
# pinned on A: the renewal then takes B from the cache, and B goes out.
# Before the fix posta read the cache again for AUTH: it offered B, got
# the 535, and "renewed" A, which gave B again: the refused token twice.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start --set expires_in=3600
conf=$(oconf ms microsoft refresh_token)
# the greeting is held while another posta runs: room for a slow machine
sed -i 's/^timeout = 10$/timeout = 60/' "$conf"
oimport "$conf"
cache=$(cache_file "$T"/spool/oauth/ms.conf-*)

# offered: the tokens of the XOAUTH2 responses in the bed's transcript,
# in order, one a line (secrets: compared, never printed)
offered() {
	"$PY" - "$OB_TRANSCRIPT" <<'EOF'
import base64, binascii, re, sys
for ln in open(sys.argv[1], errors="replace"):
    m = re.match(r"\S+ C\d+ < (?:AUTH XOAUTH2 )?([A-Za-z0-9+/]+=*)$",
                 ln.rstrip("\n"))
    if not m:
        continue
    try:
        d = base64.b64decode(m.group(1), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        continue
    m = re.search("auth=Bearer ([^\x01]*)\x01", d)
    if m:
        print(m.group(1))
EOF
}
# tok_name: name a token by what the test knows of it
tok_name() {
	if [ "$1" = "$A" ]; then echo A
	elif [ "$1" = "$B" ]; then echo B
	else echo "another token"; fi
}

# A: the token in the cache when the delivery starts
"$POSTA" -C "$conf" --oauth-refresh >/dev/null 2>&1 || fail "--oauth-refresh: exit $?"
A=$(sed -n 's/^access //p' "$cache")
[ -n "$A" ] || fail "no access token cached"

ob_ctl set greeting_hold=true >/dev/null
ob_ctl fault target=smtp_auth kind="535 5.7.3 Authentication unsuccessful" \
    count=1 >/dev/null
printf 'Subject: oauth test\n\nhello\n' |
    "$POSTA" -C "$conf" a@example.com 2>"$T/err" &
pid=$!
i=0
until [ "$(ob_get counts.greeting_held)" = 1 ]; do
	i=$((i + 1))
	[ $i -le 400 ] || fail "posta did not connect: $(cat "$T/err")"
	sleep 0.05
done
# B: another process refreshes the cache while posta waits for the 220
"$POSTA" -C "$conf" --oauth-refresh >/dev/null 2>&1 || fail "--oauth-refresh (B): exit $?"
B=$(sed -n 's/^access //p' "$cache")
ob_ctl set greeting_hold=false >/dev/null
wait "$pid"
assert_eq $? 0 "send: exit"
if [ -z "$B" ] || [ "$B" = "$A" ]; then
	fail "the second refresh cached no new token"
fi

[ "$(ob_get counts.messages)" = 1 ] || fail "not delivered: $(cat "$T/err")"
[ "$(ob_get counts.faults_used)" = 1 ] || fail "the first AUTH was not refused"
grep -q 'upstream refused the OAuth token (535 5.7.3 Authentication unsuccessful); getting a new one' \
    "$T/posta.log" || fail "the refusal is not logged"
offered >"$T/offered"
names=$(while read -r t; do tok_name "$t"; done <"$T/offered" | tr '\n' ' ')
# A first (fetched before connecting), then, after the 535, B: never A
# again, and never the token of the cache offered twice
assert_eq "$names" "A B " "the tokens offered, in order"
# B came from the cache: the renewal asked the endpoint nothing
[ "$(otokens)" = 2 ] || fail "$(otokens) token requests, want 2 (A and B)"

ob_leaks "$T/posta.log" "$T/err"
exit 0
