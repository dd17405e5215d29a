#!/bin/sh
# Issue 3: a foreign file or a corrupt envelope in q/ is moved to corrupt/
# with a log line; it never stops a queue run, the other entries go out.
# Issue 12: that line is an error, -bp counts and shows what is in
# corrupt/, and the sender of an unreadable entry is told once, like a
# failure, when its address can be read.
. "$(dirname "$0")/../lib/common.sh"
enqueue() {
	printf 'Subject: %s\n\ntoken %s\n' "$1" "$1" |
	    "$POSTA" -C "$conf" -odq "$1@dest.test" || fail "-odq $1: exit $?"
}
id_of() { basename "$(grep -l "^token $1" "$T/spool/q/"*.msg)" .msg; }
tokens() { cat "$FAULT_DIR"/msgs/*.eml 2>/dev/null | tr -d '\r' | sed -n 's/^token //p' | sort | tr '\n' ' '; }

fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
for t in good1 cut bad good2 unknown good3; do enqueue $t; done
Q=$T/spool/q C=$T/spool/corrupt
cut=$(id_of cut) bad=$(id_of bad) unk=$(id_of unknown)
# cut short: no "end" line
grep -v '^end$' "$Q/$cut.env" >"$T/x" && cat "$T/x" >"$Q/$cut.env"
# garbage
printf '\001\002 not an envelope \377\n' >"$Q/$bad.env"
# a key a newer posta might write
sed -i 's/^end$/frobnicate 1\nend/' "$Q/$unk.env"
# foreign files
printf 'hello\n' >"$Q/README.txt"
printf 'x\n' >"$Q/0123456789abcdef.tmp"
: >"$Q/.hidden"

"$POSTA" -C "$conf" -bp >"$T/mailq" 2>"$T/bperr"
st=$?
[ $st -eq 0 ] || fail "-bp with corrupt files: exit $st: $(cat "$T/bperr")"

"$POSTA" -C "$conf" -q 2>"$T/err"
st=$?
[ $st -eq 0 ] || fail "-q with corrupt files: exit $st: $(cat "$T/err")"
assert_eq "$(tokens)" "good1 good2 good3 " "the run delivered"
for id in "$cut" "$bad" "$unk"; do
	[ -e "$C/$id.env" ] || fail "$id.env not moved to corrupt/: $(ls -a "$C" "$Q")"
	[ -e "$C/$id.msg" ] || fail "$id.msg (its message) not kept in corrupt/"
	[ -e "$Q/$id.env" ] || [ -e "$Q/$id.msg" ] && fail "$id still in q/"
	grep -q "error: .*$id.env.*corrupt/" "$T/posta.log" || fail "no error line for $id.env: $(cat "$T/posta.log")"
done
for f in README.txt 0123456789abcdef.tmp .hidden; do
	[ -e "$C/$f" ] || fail "$f not moved to corrupt/: $(ls -a "$C" "$Q")"
	[ -e "$Q/$f" ] && fail "$f still in q/"
	grep -q "$f.*corrupt/" "$T/posta.log" || fail "no log line for $f"
done
assert_eq "$(ls -A "$Q" | wc -l)" 0 "files left in q/"
# the contents moved aside are intact
grep -q 'not an envelope' "$C/$bad.env" || fail "the garbage envelope was altered"
grep -q '^token cut' "$C/$cut.msg" || fail "the message of the cut envelope was altered"

# the senders of the two entries whose sender can be read are told, by a
# null-sender notification naming the recipients; the garbage one is not
dsns() { grep -lx 'sender ' "$FAULT_DIR"/msgs/*.env 2>/dev/null; }
assert_eq "$(dsns | wc -l)" 2 "notifications for unreadable entries"
for d in $(dsns); do
	grep -qx "recipient $(id -un)@example.com" "$d" || fail "DSN not to the sender: $(cat "$d")"
	grep -q 'set aside' "${d%.env}.eml" || fail "DSN does not say why: $(cat "${d%.env}.eml")"
done
cat "$FAULT_DIR"/msgs/*.eml | grep -q '^Final-Recipient: rfc822; cut@dest.test' ||
    fail "no DSN names cut@dest.test"
cat "$FAULT_DIR"/msgs/*.eml | grep -q '^Final-Recipient: rfc822; unknown@dest.test' ||
    fail "no DSN names unknown@dest.test"
grep -q "error: $bad: unreadable entry in corrupt/.*nobody told" "$T/posta.log" ||
    fail "no line for the entry nobody can be told about: $(cat "$T/posta.log")"
"$POSTA" -C "$conf" -bp >"$T/mailq2" || fail "-bp after the run: exit $?"
grep -q "$cut.env *from <$(id -un)@example.com>, sender notified" "$T/mailq2" ||
    fail "-bp does not show $cut.env: $(cat "$T/mailq2")"
grep -q "$bad.env *(no sender found)" "$T/mailq2" || fail "-bp: $bad.env: $(cat "$T/mailq2")"
grep -q '^    README.txt$' "$T/mailq2" || fail "-bp: README.txt: $(cat "$T/mailq2")"
grep -q '^-- 9 files in corrupt/$' "$T/mailq2" || fail "-bp: count: $(cat "$T/mailq2")"
# told once: a second run sends nothing more
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "second -q: exit $?"
assert_eq "$(dsns | wc -l)" 2 "notifications after a second run"

exit 0
