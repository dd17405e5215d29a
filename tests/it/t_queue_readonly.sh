#!/bin/sh
# Issue 12, item 6: posta -q on a spool it cannot write exited 0 with
# "0 tried" and logged nothing (EROFS on opening an entry was taken for
# "busy"). Now: one line on stderr and in the log, exit 73
# (EX_CANTCREAT), the entries untouched; once the spool is writable
# again, the same run delivers them. The spool is a small tmpfs,
# remounted read-only (needs mount rights); then, as nobody, a spool
# that is not writable for the caller and an entry it cannot open.
. "$(dirname "$0")/../lib/common.sh"
S=$T/spool
mkdir "$S"
mount -t tmpfs -o size=1m,mode=0700 posta-test-ro "$S" 2>/dev/null ||
    skip "cannot mount a tmpfs here"
# shellcheck disable=SC2154	# st is set inside the trap
trap 'st=$?; umount "$S" 2>/dev/null || umount -l "$S" 2>/dev/null; (exit $st); cleanup' EXIT
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
send() { printf 'Subject: %s\n\n%s\n' "$1" "$1" | "$POSTA" -C "$conf" -odq "$1@dest.test" || fail "-odq $1: exit $?"; }
one_line() { [ "$(wc -l <"$1")" -eq 1 ] || fail "$2: stderr is not one line: $(cat "$1")"; }

# an empty queue on a read-only spool: an error too, not "nothing to do"
"$POSTA" -C "$conf" -q || fail "-q (creates the spool): exit $?"
mount -o remount,ro "$S" || skip "cannot remount read-only"
: >"$T/posta.log"
"$POSTA" -C "$conf" -q 2>"$T/err"
assert_eq $? 73 "-q, empty read-only spool: exit status (EX_CANTCREAT)"
one_line "$T/err" "-q, empty read-only spool"
grep -q 'Read-only file system' "$T/err" || fail "-q, empty: unclear: $(cat "$T/err")"
grep -q 'Read-only file system' "$T/posta.log" || fail "-q, empty: not logged: $(cat "$T/posta.log")"
mount -o remount,rw "$S" || fail "remount rw"

# two queued entries, then read-only
send ro1
send ro2
mount -o remount,ro "$S" || fail "remount ro"
: >"$T/posta.log"
"$POSTA" -C "$conf" -q 2>"$T/err"
assert_eq $? 73 "-q, read-only spool: exit status (EX_CANTCREAT)"
one_line "$T/err" "-q, read-only spool"
grep -q 'Read-only file system' "$T/err" || fail "-q: unclear: $(cat "$T/err")"
[ "$(grep -c 'Read-only file system' "$T/posta.log")" -eq 1 ] ||
    fail "-q: not logged once: $(cat "$T/posta.log")"
assert_eq "$(fault_msgs)" 0 "-q, read-only spool: messages sent"
# -v says the same, once
"$POSTA" -C "$conf" -q -v 2>"$T/err"
assert_eq $? 73 "-q -v, read-only spool: exit status"
one_line "$T/err" "-q -v, read-only spool"
# sending to it: 73, as before
printf 'Subject: x\n\nx\n' | "$POSTA" -C "$conf" -odq x@dest.test 2>"$T/err"
assert_eq $? 73 "sending to a read-only spool: exit status"
mount -o remount,rw "$S" || fail "remount rw"
assert_eq "$(queued)" 2 "entries kept"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q, writable again: exit $?: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 2 "-q, writable again: delivered"
assert_eq "$(queued)" 0 "-q, writable again: entries left"

# EACCES, as nobody: a spool the caller cannot write, and an entry it cannot open
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "# EACCES cases skipped: not root"
	exit 0
fi
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
chmod 644 "$conf"
chmod 755 "$T" "$S" "$S"/*
send acc1
as_nobody "$POSTA" -C "$conf" -q 2>"$T/err"
assert_eq $? 73 "-q as nobody, spool not writable for it: exit status"
one_line "$T/err" "-q as nobody, spool not writable"
grep -q 'Permission denied' "$T/err" || fail "-q as nobody: unclear: $(cat "$T/err")"
chmod 777 "$S" "$S"/*
as_nobody "$POSTA" -C "$conf" -q 2>"$T/err"
assert_eq $? 73 "-q as nobody, an entry it cannot open: exit status"
one_line "$T/err" "-q as nobody, an entry it cannot open"
grep -q 'q/.*\.msg: Permission denied' "$T/err" || fail "-q as nobody, entry: unclear: $(cat "$T/err")"
assert_eq "$(queued)" 1 "entry kept"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q as root: exit $?: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 3 "delivered by root"
exit 0
