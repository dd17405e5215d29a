#!/bin/sh
# Issue 9: the cache file's rules. Refused when others can read it, when
# it (or its lock) is a symbolic link, when it is damaged or from a newer
# format, each with one line saying what to do and the mail queued. The
# refresh_token_file seed is taken when it differs from the one taken
# last, and only then.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start --set expires_in=3

# the seed: no import needed
printf '%s\n' "$OB_MS_REFRESH" >"$T/seed"
chmod 600 "$T/seed"
conf=$(oconf ms microsoft refresh_token)
sed -i "s|^refresh_margin = 0|refresh_margin = 0\nrefresh_token_file = $T/seed|" "$conf"
osend "$conf" a@example.com
assert_eq "$OST" 0 "seed: exit"
[ "$(ob_get counts.messages)" = 1 ] || fail "seed: not delivered: $(cat "$T/err")"
grep -q "oauth: new refresh token taken from $T/seed" "$T/posta.log" || fail "seed: not logged"
cache=$(cache_file "$T"/spool/oauth/ms.conf-*)
# the seed was rotated away; unchanged, it is not taken again
sleep 4
osend "$conf" b@example.com
[ "$(ob_get counts.messages)" = 2 ] || fail "unchanged seed taken again: $(cat "$T/err")"
[ "$(grep -c 'new refresh token taken' "$T/posta.log")" -eq 1 ] || fail "seed taken twice"
# a new seed is taken
ob_ctl mint profile=microsoft user="$OB_USER" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])' >"$T/seed"
sleep 4
osend "$conf" c@example.com
[ "$(ob_get counts.messages)" = 3 ] || fail "new seed: not delivered: $(cat "$T/err")"
[ "$(grep -c 'new refresh token taken' "$T/posta.log")" -eq 2 ] || fail "new seed not taken"
# a seed others can read: refused with the configuration
chmod 644 "$T/seed"
osend "$conf" d@example.com
assert_eq "$OST" 78 "seed readable by others"
grep -q "refresh_token_file $T/seed is readable by others; chmod 600" "$T/err" ||
    fail "open seed: $(cat "$T/err")"
chmod 600 "$T/seed"
sleep 4

# a cache others can read
chmod 644 "$cache"
osend "$conf" e@example.com
assert_eq "$OST" 0 "readable cache: exit"
grep -q "queued for retry: OAuth cache $cache: others can access it; chmod 600 it" "$T/err" ||
    fail "readable cache: $(cat "$T/err")"
"$POSTA" -C "$conf" --oauth-status >"$T/status" 2>&1
assert_eq $? 78 "--oauth-status, readable cache"
chmod 600 "$cache"

# a symbolic link as the cache, then as the lock
mv "$cache" "$T/real"
ln -s "$T/real" "$cache"
osend "$conf" f@example.com
grep -q "OAuth cache $cache: is a symbolic link; refusing it" "$T/err" ||
    fail "symlinked cache: $(cat "$T/err")"
rm "$cache"
mv "$T/real" "$cache"
mv "$cache.lock" "$T/lock"
ln -s "$T/lock" "$cache.lock"
osend "$conf" g@example.com
grep -q "OAuth cache $cache.lock: is a symbolic link; refusing it" "$T/err" ||
    fail "symlinked lock: $(cat "$T/err")"
rm "$cache.lock"
[ "$(ob_get counts.messages)" = 3 ] || fail "sent through a refused cache"

# damaged, and from a newer posta: refused, not overwritten
cp "$cache" "$T/good"
sed -i 's/^access-expires .*/access-expires soon/' "$cache"
osend "$conf" h@example.com
grep -q "OAuth cache $cache: damaged at line [0-9]*; move it away and run posta --oauth-login or --oauth-import" \
    "$T/err" || fail "damaged: $(cat "$T/err")"
sed -i '1s/.*/posta-oauth-cache 2/' "$T/good"
cp "$T/good" "$cache"
osend "$conf" i@example.com
grep -q "format version 2 is not 1" "$T/err" || fail "newer: $(cat "$T/err")"
cmp -s "$cache" "$T/good" || fail "a newer cache was overwritten"
[ "$(queued)" -eq 5 ] || fail "$(queued) queued, want 5"
ob_leaks "$T/posta.log" "$T/err" "$T/status"
exit 0
