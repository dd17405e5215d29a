#!/bin/sh
# Issue 4, SMTPUTF8 not offered, a message with one non-ASCII and one
# ASCII recipient. decisions.md: "Non-ASCII address -> SMTPUTF8 when
# offered; when not offered those recipients fail with a clear error
# (permanent)": only the non-ASCII recipient fails; the ASCII one is
# delivered, the sender gets a DSN for the other, exit 0 with a stderr
# line (some delivered, some failed).
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"

printf 'no SMTPUTF8\n' >"$T/script"
fault_start "$T/script"
posta_conf_fault "$FAULT_PORT" >/dev/null
printf 'Subject: mixed\n\nb\n' |
    "$POSTA" -C "$T/posta.conf" 'jürgen@dest.test' plain@dest.test 2>"$T/err"
st=$?
got_plain=$(grep -l '^recipient plain@dest.test$' "$FAULT_DIR"/msgs/*.env 2>/dev/null |
    head -n 1)
[ -n "$got_plain" ] ||
    fail "mixed recipients without SMTPUTF8: the ASCII recipient got nothing (exit $st: $(cat "$T/err"))"
[ $st -eq 0 ] || fail "mixed recipients: exit $st, want 0"
grep -q 'jürgen@dest.test' "$T/err" || fail "mixed recipients: no error line"
dsn=$(grep -l '^sender $' "$FAULT_DIR"/msgs/*.env 2>/dev/null | head -n 1)
[ -n "$dsn" ] || fail "mixed recipients: no DSN to the sender"
assert_eq "$(env_rcpts "$dsn")" "$ME@example.com" "the DSN's recipient"
grep -q 'jürgen@dest.test' "${dsn%.env}.eml" || fail "the DSN does not name the recipient"
exit 0
