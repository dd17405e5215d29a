#!/bin/sh
# Issue 9: the token cache under concurrency and crashes. 20 posta
# processes that all find the token due make ONE token request between
# them and all use its result; kill -9 during a refresh, or at any
# moment of one, leaves a cache that is still whole and usable.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start --set token_delay=1
conf=$(oconf ms microsoft refresh_token)
oimport "$conf"

# 20 at once (Microsoft rotates: a second request would also be refused)
i=0 pids=""
while [ $i -lt 20 ]; do
	printf 'Subject: c%s\n\nx\n' $i |
	    "$POSTA" -C "$conf" "c$i@example.com" 2>"$T/err.$i" &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p" || fail "a concurrent send exited $?"; done
[ "$(otokens)" = 1 ] || fail "20 concurrent sends made $(otokens) token requests, want 1"
[ "$(ob_get counts.messages)" = 20 ] ||
    fail "$(ob_get counts.messages) of 20 delivered: $(cat "$T"/err.* | sort | uniq -c | head -n 3)"
[ "$(queued)" -eq 0 ] || fail "$(queued) left queued"
cat "$T"/err.* >"$T/errs"
ob_leaks "$T/errs" "$T/posta.log"

# kill -9 while the endpoint is answering (Google does not rotate, so
# the old refresh token stays good): the cache is the old one, whole
gconf=$(oconf g google refresh_token)
sed -i "s|^dir = .*|dir = $T/gspool|" "$gconf"
oimport "$gconf"
gcache=$(cache_file "$T"/gspool/oauth/g.conf-*)
cp "$gcache" "$T/before"
# The bed counts the request before it waits token_delay: 30 s leaves the
# polling all the time it needs before the kill, however slow the machine
# (the killed posta is not waited for; the new delay applies to new requests)
ob_ctl set token_delay=30 >/dev/null
n=$(otokens)
"$POSTA" -C "$gconf" --oauth-refresh >/dev/null 2>&1 &
pid=$!
i=0
while [ "$(otokens)" = "$n" ]; do
	i=$((i + 1)); [ $i -gt 300 ] && fail "no token request within 15 s"
	sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
cmp -s "$gcache" "$T/before" || fail "the cache changed although the refresh was killed"
ob_ctl set token_delay=0 >/dev/null
# the lock died with the process: the next send refreshes and delivers
osend "$gconf" k@example.com
assert_eq "$OST" 0 "after kill -9: exit"
grep -q 'queued' "$T/err" && fail "after kill -9: $(cat "$T/err")"
[ "$(ob_get counts.messages)" = 21 ] || fail "after kill -9: not delivered"

# kill -9 at arbitrary moments of forced refreshes: always a whole cache
i=0
while [ $i -lt 15 ]; do
	"$POSTA" -C "$gconf" --oauth-refresh >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$(( (i * 7) % 10 ))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	"$POSTA" -C "$gconf" --oauth-status >"$T/status" 2>&1 ||
	    fail "after kill -9 #$i: $(cat "$T/status")"
	grep -q '^refresh ' "$gcache" || fail "after kill -9 #$i: no refresh token"
	i=$((i + 1))
done
[ "$(find "$T/gspool/oauth" -mindepth 1 ! -regex '.*/g\.conf-[0-9a-f]*\(\.lock\|\.tmp\)?' | wc -l)" -eq 0 ] ||
    fail "stray files: $(ls "$T/gspool/oauth")"
osend "$gconf" l@example.com
[ "$(ob_get counts.messages)" = 22 ] || fail "after the kills: not delivered: $(cat "$T/err")"
exit 0
