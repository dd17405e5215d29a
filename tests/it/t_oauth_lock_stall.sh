#!/bin/sh
# A posta stopped for good while it holds the OAuth cache lock (in a
# set-group-id install any user can SIGSTOP their own posta) must not
# hold up everyone's mail: a process that waited the whole lock wait
# refreshes without the lock, says so, and delivers. When the stopped
# one goes on and its refresh fails, it never writes over what was
# stored meanwhile: with Google it takes the good token stored there;
# with Microsoft, whose refresh tokens rotate, it must not put back the
# refresh token that has since been used up, or OAuth mail would stop
# until a new sign-in.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
ob_start

# hold CONF: a forced refresh that takes the lock and whose request the
# endpoint holds for 20 s, stopped once the request is in. Its own
# timeout is long, so that it is surely still waiting when stopped.
hold() {
	ob_ctl fault kind=stall seconds=20 >/dev/null
	h_n=$(otokens)
	POSTA_UPSTREAM_TIMEOUT=30 "$POSTA" -C "$1" --oauth-refresh \
	    >"$T/holder.out" 2>&1 &
	holder=$!
	FAULT_PIDS="$FAULT_PIDS $holder"
	h_i=0
	while [ "$(otokens)" = "$h_n" ]; do
		h_i=$((h_i + 1)); [ $h_i -gt 300 ] && fail "no token request within 15 s"
		sleep 0.05
	done
	kill -STOP "$holder" || fail "the holder ended early: $(cat "$T/holder.out")"
}

# stalled_send CONF RCPT N: a send beside the stopped holder delivers
# (the Nth message of the bed) after the whole lock wait, 9 s with
# timeout 2, and warns
stalled_send() {
	s_t0=$(now)
	osend "$1" "$2"
	s_dt=$(elapsed "$s_t0")
	assert_eq "$OST" 0 "send beside a stopped lock holder ($2): exit"
	grep -q 'queued' "$T/err" && fail "$2 queued, not delivered: $(cat "$T/err")"
	[ "$(ob_get counts.messages)" = "$3" ] || fail "$2 not delivered: $(cat "$T/err")"
	awk -v d="$s_dt" 'BEGIN { exit !(d >= 8) }' ||
	    fail "$2 delivered after $s_dt s: it did not wait the lock wait (9 s)"
	[ "$(find "$T/spool/oauth" -name '*.tmp.*' | wc -l)" -eq 0 ] ||
	    fail "the unlocked write left a temporary file: $(ls "$T/spool/oauth")"
}

# Google: refresh tokens do not rotate
conf=$(oconf g google refresh_token)
sed -i 's/^timeout = .*/timeout = 2/' "$conf"
oimport "$conf"
cache=$(cache_file "$T"/spool/oauth/g.conf-*) || fail "no cache after the import"
hold "$conf"
stalled_send "$conf" stall@example.com 1
grep -q 'OAuth cache lock .*holds it too long; refreshing the token without the lock' \
    "$T/posta.log" || fail "no warning in the log: $(tail -n 3 "$T/posta.log")"
cp "$cache" "$T/good"
grep -q '^access ' "$T/good" || fail "no access token stored"

# the holder goes on: its request fails; it takes the token stored
# meanwhile, and the failure is not written over it
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

# Microsoft: the unlocked send uses the refresh token up (it rotates);
# its access token lives 12 s, so that by the time the holder goes on
# there is no usable token on disk, only the new refresh token
mconf=$(oconf ms microsoft refresh_token)
sed -i 's/^timeout = .*/timeout = 2/' "$mconf"
oimport "$mconf"
mcache=$(cache_file "$T"/spool/oauth/ms.conf-*) || fail "no cache after the import"
hold "$mconf"
ob_ctl set expires_in=12 >/dev/null
stalled_send "$mconf" rotate@example.com 3
cp "$mcache" "$T/rotated"
sleep 13
kill -CONT "$holder"
wait "$holder"
hst=$?
[ "$hst" -ne 0 ] || fail "the holder's failed refresh exited 0: $(cat "$T/holder.out")"
cmp -s "$mcache" "$T/rotated" ||
    fail "the stopped refresh wrote over the rotated refresh token: $(diff "$T/rotated" "$mcache" | grep -v '^[<>] \(access\|refresh\) ' | head -n 5)"
ob_ctl set expires_in=3600 >/dev/null
osend "$mconf" rotated@example.com
assert_eq "$OST" 0 "send after the holder: exit"
[ "$(ob_get counts.messages)" = 4 ] ||
    fail "send after the holder not delivered: $(cat "$T/err")"

# without the lock a failure is never written: the refresh of a send
# beside the stopped holder fails (500); the mail is queued and the
# cache is as it was, byte for byte
g2conf=$(oconf g2 google refresh_token)
sed -i 's/^timeout = .*/timeout = 2/' "$g2conf"
oimport "$g2conf"
g2cache=$(cache_file "$T"/spool/oauth/g2.conf-*) || fail "no cache after the import"
cp "$g2cache" "$T/g2.before"
hold "$g2conf"
ob_ctl fault kind=500 >/dev/null
osend "$g2conf" failing@example.com
assert_eq "$OST" 0 "a failed unlocked refresh: exit (queued)"
grep -q 'queued' "$T/err" || fail "a failed unlocked refresh: $(cat "$T/err")"
cmp -s "$g2cache" "$T/g2.before" ||
    fail "a failed refresh without the lock wrote the cache: $(diff "$T/g2.before" "$g2cache" | grep -v '^[<>] \(access\|refresh\) ' | head -n 5)"
kill -CONT "$holder"
wait "$holder"
ob_leaks "$T/posta.log" "$T/err" "$T/holder.out" "$T/force.out"
exit 0
