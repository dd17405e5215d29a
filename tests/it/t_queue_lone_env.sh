#!/bin/sh
# Issue 3: "a corrupt or foreign file in the spool is moved aside with a
# log line", also a file q/ID.env without its q/ID.msg (no crash of posta
# leaves that: intake renames the message first, removal and failure
# unlink/move the envelope first). Before 3a2b336 it stayed in q/ for
# ever, reported as unreadable by every run and every mailq.
. "$(dirname "$0")/../lib/common.sh"
enqueue() {
	printf 'Subject: %s\n\ntoken %s\n' "$1" "$1" |
	    "$POSTA" -C "$conf" -odq "$1@dest.test" || fail "-odq $1: exit $?"
}
tokens() { cat "$FAULT_DIR"/msgs/*.eml 2>/dev/null | tr -d '\r' | sed -n 's/^token //p' | sort | tr '\n' ' '; }

fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
Q=$T/spool/q C=$T/spool/corrupt
enqueue good0
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?"	# creates the spool
# an envelope without its message (a foreign ID.env)
printf 'posta-envelope 1\n' >"$Q/fedcba9876543210.env"
enqueue good4
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q with a lone envelope: exit $?"
assert_eq "$(tokens)" "good0 good4 " "delivered with a lone envelope in q/"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q again: exit $?"
[ -e "$Q/fedcba9876543210.env" ] &&
    fail "an envelope without a message stays in q/ for ever (not moved to corrupt/): $(ls -A "$Q")"
assert_eq "$(ls -A "$Q" | wc -l)" 0 "files left in q/"
[ -e "$C/fedcba9876543210.env" ] || fail "the lone envelope is not in corrupt/"
grep -q 'fedcba9876543210.env.*corrupt/' "$T/posta.log" || fail "no log line naming the lone envelope"
exit 0
