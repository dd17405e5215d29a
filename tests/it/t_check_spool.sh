#!/bin/sh
# Issue 11: posta --check reports the spool: entries queued and the
# oldest one's age (a warning past an hour), entries in failed/ and
# files in corrupt/ (warnings: exit 1 when nothing else is wrong).
. "$(dirname "$0")/../lib/common.sh"
need_testbed
conf=$(posta_conf_postfix submission)

check() {
	"$POSTA" -C "$conf" --check >"$T/out" 2>"$T/err"
	st=$?
	grep -qF -- "$2" "$T/out" || fail "missing '$2' in: $(cat "$T/out" "$T/err")"
	assert_eq $st "$1" "exit status for '$2'"
}

check 0 "ok       spool $T/spool: not created yet, nothing queued"
printf 'Subject: q\n\nq\n' | "$POSTA" -C "$conf" -odq q1@dest.test || fail "-odq"
# the age in seconds is the machine's speed (a sanitized build takes
# more than one); the 2h case below checks the age itself
check 0 "ok       queue: 1 queued, the oldest for "
check 0 "ok       failed: none"
sleep 1
printf 'Subject: q\n\nq\n' | "$POSTA" -C "$conf" -odq q2@dest.test || fail "-odq"
# the oldest entry, queued two hours ago
env=$(grep -l 'q1@dest.test' "$T/spool/q/"*.env)
sed -i "s/^created .*/created $(( $(date +%s) - 7200 ))/" "$env"
check 1 "warning  queue: 2 queued, the oldest for 2h"
grep -q ': see its last error with posta -bp$' "$T/out" || fail "no hint"
grep -q "$(basename "$env" .env)" "$T/out" && fail "a queue id was shown"
"$POSTA" -C "$conf" -q || fail "-q"
check 0 "ok       queue: empty"

# a message the smart host refuses for good lands in failed/
printf 'Subject: f\n\nf\n' | "$POSTA" -C "$conf" reject-spool@dest.test 2>/dev/null
[ "$(failed_count)" -eq 1 ] || fail "no entry in failed/"
check 1 "warning  failed: 1 entry: see posta -bp -qQ, remove with posta --delete ID"
: >"$T/spool/corrupt/junk"
check 1 "warning  corrupt: 1 file in $T/spool/corrupt: look at them, then remove them"
grep -q '^FAIL' "$T/out" && fail "a FAIL line"
exit 0
