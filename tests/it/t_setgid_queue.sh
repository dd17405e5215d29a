#!/bin/sh
# Issue 13: on a set-group-id install a user other than root runs only
# the entries they submitted (the owner of the message file): -q, -q -v,
# -qI and the flush after a send neither deliver nor show another
# user's queued mail. Root's runs take every entry.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/setgid.sh"
need_testbed
[ "$(id -u)" -eq 0 ] || skip "needs root to make a set-group-id binary"
getent passwd daemon >/dev/null || skip "no user daemon"
grp=postatest$$
groupadd --system "$grp" 2>/dev/null || skip "cannot create a group"
# shellcheck disable=SC2154	# rc is set inside the trap
trap 'rc=$?; groupdel "$grp" 2>/dev/null; (exit $rc); cleanup' EXIT

mkdir -p "$T/sbin" "$T/spool" "$T/etc"
conf=$(posta_conf_postfix submission)
sed -i '/^file = /d' "$conf"	# the log file is not the point here
cp "$conf" "$T/etc/posta.conf"
chown root:"$grp" "$T/etc/posta.conf" && chmod 0640 "$T/etc/posta.conf"
chown root:"$grp" "$T/spool" && chmod 2770 "$T/spool"
P=$T/sbin/posta
setgid_build "$T/etc" "$P" "$grp"
as_a() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_b() { setpriv --reuid=daemon --regid=daemon --clear-groups "$@"; }

# one queued message each
printf 'Subject: a\n\nfrom A\n' |
    as_a "$P" -odq -f sgq-asender@example.com sgq-a@dest.test 2>"$T/err" ||
    fail "A could not queue: $(cat "$T/err")"
printf 'Subject: b\n\nfrom B\n' |
    as_b "$P" -odq -f sgq-bsender@example.com sgq-b@dest.test 2>"$T/err" ||
    fail "B could not queue: $(cat "$T/err")"
assert_eq "$(queued)" 2 "queued"
assert_eq "$(stat -c %U "$T"/spool/q/*.msg | sort | tr '\n' ' ')" \
    "daemon nobody " "owners of the message files"
aid=$(basename "$(grep -l '^sender <sgq-asender@example.com>$' "$T"/spool/q/*.env)" .env)
[ -n "$aid" ] || fail "cannot find A's entry: $(cat "$T"/spool/q/*.env)"

# B's queue run: B's message only, and nothing of A's on stderr
as_b "$P" -q -v 2>"$T/b-q.err" || fail "B -q -v: $(cat "$T/b-q.err")"
wait_mail sgq-b@dest.test 1 || fail "B's own message not delivered"
assert_eq "$(queued)" 1 "queued after B's run"
[ -f "$T/spool/q/$aid.env" ] || fail "A's entry is gone"
grep -q 'sgq-b@dest.test' "$T/b-q.err" || fail "B's -v shows nothing: $(cat "$T/b-q.err")"
grep -qi 'sgq-a\|'"$aid" "$T/b-q.err" && fail "B's -v shows A's mail: $(cat "$T/b-q.err")"
grep -q '1 tried, 1 delivered' "$T/b-q.err" || fail "B's run: $(tail -1 "$T/b-q.err")"

# -qI with A's id: nothing
as_b "$P" -qI"$aid" -v 2>"$T/b-qi.err" || fail "B -qI: $(cat "$T/b-qi.err")"
grep -qi 'sgq-a' "$T/b-qi.err" && fail "B's -qI shows A's mail: $(cat "$T/b-qi.err")"
grep -q '0 tried' "$T/b-qi.err" || fail "B's -qI: $(cat "$T/b-qi.err")"

# the flush after B's send leaves A's entry alone
printf 'Subject: b2\n\nfrom B\n' |
    as_b "$P" -v sgq-b2@dest.test 2>"$T/b-send.err" ||
    fail "B could not send: $(cat "$T/b-send.err")"
wait_mail sgq-b2@dest.test 1 || fail "B's second message not delivered"
grep -qi 'sgq-a\|'"$aid" "$T/b-send.err" && fail "B's flush shows A's mail: $(cat "$T/b-send.err")"
[ -f "$T/spool/q/$aid.env" ] || fail "B's flush took A's entry"
sleep 1
assert_eq "$(mail_count sgq-a@dest.test)" 0 "A's message delivered by B"

# A's own run delivers it
as_a "$P" -q -v 2>"$T/a-q.err" || fail "A -q: $(cat "$T/a-q.err")"
wait_mail sgq-a@dest.test 1 || fail "A's message not delivered by A: $(cat "$T/a-q.err")"
grep -qi 'sgq-b' "$T/a-q.err" && fail "A's -v shows B's mail: $(cat "$T/a-q.err")"
assert_eq "$(queued)" 0 "queued after A's run"

# root's run takes everyone's
printf 'Subject: a2\n\nfrom A\n' | as_a "$P" -odq sgq-a2@dest.test ||
    fail "A could not queue again"
"$P" -q 2>"$T/root.err" || fail "root -q: $(cat "$T/root.err")"
wait_mail sgq-a2@dest.test 1 || fail "root's run did not deliver A's message"
assert_eq "$(queued)" 0 "queued after root's run"
exit 0
