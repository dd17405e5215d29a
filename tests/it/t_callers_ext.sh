#!/bin/sh
# Issue 4: SMTP extensions the callers' mail needs. SMTPUTF8 when an
# address is not ASCII (and a clear permanent error when the upstream
# does not offer it), BODY=8BITMIME with -B8BITMIME or an 8-bit body,
# the DSN parameters of -N/-R/-V as NOTIFY=/RET=/ENVID= when the
# upstream offers DSN and not otherwise. The real Postfix shows that
# such mail is accepted; the fault server records the exact commands.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"

# 1. a non-ASCII local part through Postfix (smtputf8_enable = yes)
posta_conf_postfix submission >/dev/null
U=jürgen-$TAG@dest.test
printf 'To: %s\nSubject: utf8 address\n\nHallo Jürgen\n' "$U" |
    "$POSTA" -v -C "$T/posta.conf" -f 'élodie@example.com' "$U" 2>"$T/err" ||
    fail "SMTPUTF8 via Postfix: exit $?: $(grep -v '^[<>*]' "$T/err")"
grep -q '^>>> MAIL FROM:<élodie@example.com> .*SMTPUTF8' "$T/err" ||
    fail "no SMTPUTF8 on MAIL: $(grep '^>>> MAIL' "$T/err")"
grep -q '^<<< 250-SMTPUTF8' "$T/err" || fail "Postfix did not offer SMTPUTF8?"
getmail "$U" 1
assert_eq "$(env_rcpts "$E")" "$U" "SMTPUTF8: envelope recipient"
assert_eq "$(env_sender "$E")" "élodie@example.com" "SMTPUTF8: envelope sender"
assert_hdr "$M" To "$U"

# 2. -N/-R/-V through Postfix (it offers DSN): passed and accepted
D=dsn-$TAG@dest.test
printf 'Subject: dsn\n\nb\n' |
    "$POSTA" -v -C "$T/posta.conf" -N success,delay -R hdrs -V "env-$TAG" "$D" 2>"$T/err" ||
    fail "DSN via Postfix: exit $?"
grep -qi "^>>> MAIL FROM:<.*> .*RET=HDRS ENVID=env-$TAG" "$T/err" ||
    fail "RET/ENVID: $(grep '^>>> MAIL' "$T/err")"
grep -qi "^>>> RCPT TO:<$D> NOTIFY=SUCCESS,DELAY" "$T/err" ||
    fail "NOTIFY: $(grep '^>>> RCPT' "$T/err")"
getmail "$D" 1

# the fault server from here on
fault_start -
posta_conf_fault "$FAULT_PORT" >/dev/null
N=0
send() {	# BODY posta-args...: one message with that body line arrives
	printf 'Subject: ext\n\n%s\n' "$1" >"$T/in"
	shift
	"$POSTA" -C "$T/posta.conf" "$@" <"$T/in" 2>"$T/err" ||
	    fail "$*: exit $?: $(cat "$T/err")"
	N=$((N + 1))
	[ -e "$(fmsg $N)" ] || fail "$*: message $N did not arrive"
	MAILCMD=$(grep -a '< MAIL FROM:' "$FAULT_DIR/transcript" | tail -n 1)
	RCPTCMD=$(grep -a '< RCPT TO:' "$FAULT_DIR/transcript" | tail -n 1)
}
has() { echo "$1" | grep -qi -- "$2" || fail "'$2' not in: $1"; }
hasnt() { echo "$1" | grep -qi -- "$2" && fail "'$2' in: $1"; return 0; }

# 3. SMTPUTF8 with the fault server: the parameter, the address as is
send 'b' 'jürgen@dest.test'
has "$MAILCMD" ' SMTPUTF8'
grep -q '^param .*SMTPUTF8' "$(fenv $N)" || fail "no SMTPUTF8 in $(fenv $N)"
assert_eq "$(env_rcpts "$(fenv $N)")" 'jürgen@dest.test' "utf8 recipient"
send 'b' ascii@dest.test
hasnt "$MAILCMD" SMTPUTF8

# 4. BODY=8BITMIME: -B8BITMIME, an 8-bit body; not for plain ASCII
send 'ascii' -B8BITMIME b1@dest.test
has "$MAILCMD" ' BODY=8BITMIME'
send 'Grüße' b2@dest.test
has "$MAILCMD" ' BODY=8BITMIME'
send 'ascii' b3@dest.test
hasnt "$MAILCMD" 'BODY='
send 'ascii' -B 7BIT b4@dest.test
hasnt "$MAILCMD" '8BITMIME'

# 5. DSN offered: NOTIFY on RCPT, RET and ENVID (xtext) on MAIL
send 'b' -N success,delay -R hdrs -V 'id+1=x' d1@dest.test
has "$MAILCMD" ' RET=HDRS'
has "$MAILCMD" ' ENVID=id+2B1+3Dx'
has "$RCPTCMD" '<d1@dest.test> NOTIFY=SUCCESS,DELAY'
send 'b' -N never -R full d2@dest.test
has "$RCPTCMD" ' NOTIFY=NEVER'
has "$MAILCMD" ' RET=FULL'
send 'b' d3@dest.test	# no flags: no parameters
hasnt "$MAILCMD" 'RET='
hasnt "$MAILCMD" 'ENVID='
hasnt "$RCPTCMD" 'NOTIFY='
# invalid values are usage errors, before anything is read or queued
for bad in "-N sometimes" "-R all" "-B 9BIT"; do
	# shellcheck disable=SC2086
	printf 'x\n' | "$POSTA" -C "$T/posta.conf" $bad x@dest.test 2>/dev/null
	st=$?
	[ $st -eq 64 ] || fail "$bad: exit $st, want 64"
done

# 6. an upstream without DSN: the message goes, without the parameters
fault_stop
printf 'no DSN\nno SMTPUTF8\n' >"$T/script"
FAULT_PORT=$(free_port)
fault_start "$T/script"
posta_conf_fault "$FAULT_PORT" >/dev/null
N=0
send 'b' -N success,delay -R hdrs -V env-1 nodsn@dest.test
hasnt "$MAILCMD" 'RET='
hasnt "$MAILCMD" 'ENVID='
hasnt "$RCPTCMD" 'NOTIFY='
send 'Grüße' nodsn2@dest.test	# 8BITMIME still offered
has "$MAILCMD" ' BODY=8BITMIME'

# 7. no SMTPUTF8 offered: a permanent, clear error; the message is kept
# in failed/, nothing reaches the server, not even MAIL
before=$(grep -ac '< MAIL' "$FAULT_DIR/transcript")
printf 'Subject: u\n\nb\n' | "$POSTA" -C "$T/posta.conf" 'jürgen@dest.test' 2>"$T/err"
st=$?
[ $st -eq 69 ] || fail "no SMTPUTF8: exit $st, want 69 (EX_UNAVAILABLE)"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "no SMTPUTF8: not one line: $(cat "$T/err")"
grep -q 'SMTPUTF8' "$T/err" && grep -q 'jürgen@dest.test' "$T/err" ||
    fail "no SMTPUTF8: unclear error: $(cat "$T/err")"
[ "$(failed_count)" -eq 1 ] || fail "no SMTPUTF8: not in failed/"
[ "$(queued)" -eq 0 ] || fail "no SMTPUTF8: still queued (a permanent error)"
"$POSTA" -C "$T/posta.conf" -bp -qQ | grep -q 'jürgen@dest.test' ||
    fail "mailq -qQ does not list it"
assert_eq "$(grep -ac '< MAIL' "$FAULT_DIR/transcript")" "$before" "MAIL sent anyway"
[ -e "$(fmsg $((N + 1)))" ] && fail "no SMTPUTF8: something arrived"

exit 0
