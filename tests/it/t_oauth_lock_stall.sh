#!/bin/sh
# A posta stopped for good while it holds the OAuth cache lock (in a
# set-group-id install any user can SIGSTOP their own posta) must not
# hold up everyone's mail: a process that waited the whole lock wait
# refreshes without the lock, says so, and delivers. When the stopped
# one goes on and its refresh fails, it does not write its failure over
# the good token stored meanwhile.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start
# Google's refresh tokens do not rotate: two refreshes from one are fine.
# timeout 2: the lock wait is 2 * 2 + 5 = 9 s
conf=$(oconf g google refresh_token)
sed -i 's/^timeout = .*/timeout = 2/' "$conf"
oimport "$conf"
cache=$(cache_file "$T"/spool/oauth/g.conf-*) || fail "no cache after the import"

# the holder: a forced refresh whose request the endpoint never answers,
# stopped once the request is in
ob_ctl fault kind=stall seconds=60 >/dev/null
n=$(otokens)
"$POSTA" -C "$conf" --oauth-refresh >"$T/holder.out" 2>&1 &
holder=$!
FAULT_PIDS="$FAULT_PIDS $holder"
i=0
while [ "$(otokens)" = "$n" ]; do
	i=$((i + 1)); [ $i -gt 300 ] && fail "no token request within 15 s"
	sleep 0.05
done
kill -STOP "$holder"

t0=$(now)
osend "$conf" stall@example.com
dt=$(elapsed "$t0")
assert_eq "$OST" 0 "send beside a stopped lock holder: exit"
grep -q 'queued' "$T/err" && fail "queued, not delivered: $(cat "$T/err")"
[ "$(ob_get counts.messages)" = 1 ] || fail "not delivered: $(cat "$T/err")"
grep -q 'OAuth cache lock .*holds it too long; refreshing the token without the lock' \
    "$T/posta.log" || fail "no warning in the log: $(tail -n 3 "$T/posta.log")"
awk -v d="$dt" 'BEGIN { exit !(d >= 8) }' ||
    fail "delivered after $dt s: it did not wait the lock wait (9 s)"
[ "$(find "$T/spool/oauth" -name '*.tmp.*' | wc -l)" -eq 0 ] ||
    fail "the unlocked write left a temporary file: $(ls "$T/spool/oauth")"
cp "$cache" "$T/good"
grep -q '^access ' "$T/good" || fail "no access token stored"

# the holder goes on: its request times out; the token stored meanwhile
# stays, and the failure is not written over it
kill -CONT "$holder"
wait "$holder"
hst=$?
cmp -s "$cache" "$T/good" ||
    fail "the stopped refresh wrote over the good token: $(diff "$T/good" "$cache" | grep -v '^[<>] \(access\|refresh\) ' | head -n 5)"
grep -q 'another process stored a new token meanwhile' "$T/posta.log" ||
    fail "holder (exit $hst): $(cat "$T/holder.out")"
assert_eq "$hst" 0 "the holder, a usable token on disk: exit"

# and the next send takes that token without a request
n=$(otokens)
osend "$conf" after@example.com
assert_eq "$OST" 0 "next send: exit"
[ "$(ob_get counts.messages)" = 2 ] || fail "next send not delivered: $(cat "$T/err")"
assert_eq "$(otokens)" "$n" "token requests of the next send"
# a forced refresh that fails is a failure, although the token it
# found under the lock is still usable: nobody stored a new one
ob_ctl fault kind=500 >/dev/null
"$POSTA" -C "$conf" --oauth-refresh >"$T/force.out" 2>&1
fst=$?
[ "$fst" -ne 0 ] || fail "a failed --oauth-refresh exited 0: $(cat "$T/force.out")"
ob_leaks "$T/posta.log" "$T/err" "$T/holder.out" "$T/force.out"
exit 0
