#!/bin/sh
# Issue 4: the addresses real callers produce. Bare local names (root,
# www-data, a cron MAILTO) go through [aliases] (comma lists, alias to
# alias, loops, the "*" catch-all) and are then qualified with [sender]
# domain; with neither, EX_NOUSER naming the keys to set. The envelope
# sender: -f, else [sender] from, else user@domain, else user@host.
# force_from = yes rewrites the From field, keeping the display name.
# The fault server records each envelope exactly.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"

fault_start -
posta_conf_fault "$FAULT_PORT" >/dev/null
conf_set aliases "ops = ops1@dest.test, ops2@dest.test"
conf_set aliases "team = ops, lead"
conf_set aliases "lead = lead@dest.test"
conf_set aliases "loopa = loopb"
conf_set aliases "loopb = loopa"
conf_set aliases "self = self, selfcopy@dest.test"
conf_set aliases "Www-Data = webmaster@dest.test"
i=1
while [ $i -le 20 ]; do
	conf_set aliases "c$i = c$((i + 1))"
	i=$((i + 1))
done
conf_set aliases "c21 = chainend@dest.test"
N=0

# send EXPECTED-RECIPIENTS posta-args...: one message, the fault server
# must get it with exactly these envelope recipients (space separated,
# in order)
send() {
	want=$1; shift
	printf 'Subject: addr\n\nbody\n' | "$POSTA" -C "$T/posta.conf" "$@" 2>"$T/err"
	st=$?
	[ $st -eq 0 ] || fail "$*: exit $st: $(cat "$T/err")"
	N=$((N + 1))
	[ -e "$(fmsg $N)" ] || fail "$*: the server got no message $N"
	got=$(env_rcpts "$(fenv $N)" | tr '\n' ' ')
	assert_eq "$got" "$want " "recipients of '$*'"
}

# aliases: one name, comma list, alias to alias, case-insensitive keys
send "ops1@dest.test ops2@dest.test" ops
send "ops1@dest.test ops2@dest.test lead@dest.test" team
send "ops1@dest.test ops2@dest.test lead@dest.test" TEAM
send "webmaster@dest.test" www-data
# argument forms: a comma list, "Name <local>", aliases mixed with addresses
send "ops1@dest.test ops2@dest.test lead@dest.test" "ops, lead"
send "ops1@dest.test ops2@dest.test" "Ops Team <ops>"
# duplicates, also through aliases and with the domain in another case,
# go out once (the local part is case-sensitive: RFC 5321)
send "ops1@dest.test ops2@dest.test lead@dest.test" ops ops1@DEST.Test team lead
# a loop: the name met again is qualified, not expanded again
send "loopa@example.com" loopa
send "self@example.com selfcopy@dest.test" self
# no alias: qualified with [sender] domain; a full address is left alone
send "nosuchname@example.com" nosuchname
send "root@dest.test" root@dest.test
# 16 aliases deep is fine, 17 is refused (a loop in disguise): nothing
# is queued, the error names the entry
send "chainend@dest.test" c6
printf 'x\n' | "$POSTA" -C "$T/posta.conf" c5 2>"$T/err"
st=$?
[ $st -eq 78 ] || fail "17 aliases deep: exit $st, want 78 (EX_CONFIG)"
grep -q 'c21.*16' "$T/err" || fail "17 aliases deep: $(cat "$T/err")"
[ "$(queued)" -eq 0 ] && [ "$(failed_count)" -eq 0 ] || fail "17 deep: something was kept"
# -t: a bare name in To: and Cc: is resolved the same way
printf 'To: ops\nCc: "Web" <www-data>\nSubject: t\n\nb\n' |
    "$POSTA" -C "$T/posta.conf" -t || fail "-t with local names: exit $?"
N=$((N + 1))
assert_eq "$(env_rcpts "$(fenv $N)" | tr '\n' ' ')" \
    "ops1@dest.test ops2@dest.test webmaster@dest.test " "-t local names"
assert_hdr "$(fmsg $N)" To ops@example.com	# qualified, not expanded (issue 14)

# the catch-all: every name without an entry, once (no loop through "*")
conf_set aliases "* = catchall@dest.test"
send "catchall@dest.test" nosuchname
send "catchall@dest.test" root
send "ops1@dest.test ops2@dest.test" ops
send "somebody@dest.test" somebody@dest.test
conf_unset '\*'
conf_set aliases "* = team, nobodyelse"
send "ops1@dest.test ops2@dest.test lead@dest.test nobodyelse@example.com" whoever

# neither alias nor domain: EX_NOUSER, one clear line naming the keys,
# nothing queued, nothing sent
posta_conf_fault "$FAULT_PORT" >/dev/null
conf_unset domain
printf 'Subject: lost\n\nb\n' | "$POSTA" -C "$T/posta.conf" root 2>"$T/err"
st=$?
[ $st -eq 67 ] || fail "no alias, no domain: exit $st, want 67 (EX_NOUSER)"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "no alias, no domain: not one line: $(cat "$T/err")"
grep -q '^posta: root: ' "$T/err" || fail "the error does not name root: $(cat "$T/err")"
grep -qF '[aliases]' "$T/err" && grep -qF '[sender] domain' "$T/err" ||
    fail "the error does not name the keys: $(cat "$T/err")"
[ "$(queued)" -eq 0 ] && [ "$(failed_count)" -eq 0 ] || fail "no alias, no domain: something was kept"
[ -e "$(fmsg $((N + 1)))" ] && fail "no alias, no domain: something was sent"
# the same with -t and To: root
printf 'To: root\nSubject: lost\n\nb\n' | "$POSTA" -C "$T/posta.conf" -t 2>"$T/err"
st=$?
[ $st -eq 67 ] || fail "-t To: root without domain: exit $st, want 67 (EX_NOUSER)"
grep -qF '[aliases]' "$T/err" || fail "-t To: root: $(cat "$T/err")"
[ "$(queued)" -eq 0 ] || fail "-t To: root: queued"

# the envelope sender, in order of precedence
sender_is() {	# WANT posta-args...: one message; its MAIL FROM
	want=$1; shift
	printf 'Subject: sender\n\nb\n' | "$POSTA" -C "$T/posta.conf" "$@" x@dest.test ||
	    fail "sender $*: exit $?"
	N=$((N + 1))
	[ -e "$(fenv $N)" ] || fail "sender $*: nothing sent"
	assert_eq "$(env_sender "$(fenv $N)")" "$want" "envelope sender with '$*' ($CASE)"
}
CASE="no domain, no from"
sender_is "$ME@$(hostname)"
sender_is "me@example.org" -f me@example.org
posta_conf_fault "$FAULT_PORT" >/dev/null
CASE="domain"
sender_is "$ME@example.com"
sender_is "bounce@example.com" -f bounce		# a bare -f is qualified
sender_is "me@example.org" -f '<me@example.org>'
sender_is "" -f '<>'					# the null sender
sender_is "me@example.org" -r me@example.org
conf_set sender "from = robot@example.com"
CASE="domain and from"
sender_is "robot@example.com"
sender_is "me@example.org" -f me@example.org
# another user: that user's name, not root's (needs a spool it can write)
if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	mkdir -p "$T/nb" && posta_conf_fault "$FAULT_PORT" >/dev/null &&
	    sed -i "s|^dir = .*|dir = $T/nb/spool|" "$T/posta.conf" &&
	    cp "$T/posta.conf" "$T/nb/posta.conf" && chown -R nobody "$T/nb" ||
	    fail "setting up a spool for nobody"
	printf 'Subject: nobody\n\nb\n' |
	    runuser -u nobody -- "$POSTA" -C "$T/nb/posta.conf" x@dest.test ||
	    fail "as nobody: exit $?"
	N=$((N + 1))
	assert_eq "$(env_sender "$(fenv $N)")" "nobody@example.com" "sender as nobody"
	assert_hdr "$(fmsg $N)" From "nobody@example.com"
fi

# force_from = yes: From: becomes [sender] from, the display name kept;
# the envelope sender follows (also over -f), except the null sender
posta_conf_fault "$FAULT_PORT" >/dev/null
conf_set sender "force_from = yes"
conf_set sender "from = robot@example.com"
force() {	# FROM-FIELD WANT-FIELD WANT-SENDER posta-args...
	in=$1 wf=$2 ws=$3; shift 3
	printf 'From: %s\nSubject: force\n\nb\n' "$in" |
	    "$POSTA" -C "$T/posta.conf" "$@" x@dest.test || fail "force_from: exit $?"
	N=$((N + 1))
	[ -e "$(fmsg $N)" ] || fail "force_from: nothing sent"
	assert_hdr "$(fmsg $N)" From "$wf"
	[ "$(hdr_count "$(fmsg $N)" From)" -eq 1 ] || fail "force_from: two From fields"
	assert_eq "$(env_sender "$(fenv $N)")" "$ws" "force_from: envelope sender for '$in' $*"
}
force '"Web Shop" <shop@other.test>' '"Web Shop" <robot@example.com>' robot@example.com
force 'Web Shop <shop@other.test>' 'Web Shop <robot@example.com>' robot@example.com -f bounce@other.test
force 'shop@other.test' 'robot@example.com' robot@example.com
force 'shop@other.test (Shop Comment)' 'Shop Comment <robot@example.com>' "" -f '<>'
force '=?UTF-8?Q?J=C3=BCrgen?= <j@other.test>' '=?UTF-8?Q?J=C3=BCrgen?= <robot@example.com>' robot@example.com
# no From at all: generated from -F (RFC 2047 when not ASCII) and from
printf 'Subject: nofrom\n\nb\n' | "$POSTA" -C "$T/posta.conf" -F 'Jürgen Müller' x@dest.test ||
    fail "-F: exit $?"
N=$((N + 1))
case $(hdr "$(fmsg $N)" From) in
"=?"*"?= <robot@example.com>") ;;
*) fail "-F not encoded: $(hdr "$(fmsg $N)" From)" ;;
esac
assert_eq "$(hdr_dec "$(fmsg $N)" From)" "Jürgen Müller <robot@example.com>" "-F decoded"
# a long one: RFC 2047 2 allows 75 characters per encoded word and 76 per
# line holding one, so it is split into several words, on character
# boundaries, and the address goes on a line of its own when needed
long='Jürgen Müller-Lüdenscheidt von und zu Großenhain-Überöd, Köln-Mülheim'
printf 'Subject: nofrom\n\nb\n' | "$POSTA" -C "$T/posta.conf" -F "$long" x@dest.test ||
    fail "-F long: exit $?"
N=$((N + 1))
awk '{ sub(/\r$/, "") } /^$/ { exit }
	/^From:/ { on = 1; print; next } /^[ \t]/ { if (on) print; next }
	{ on = 0 }' "$(fmsg $N)" >"$T/from"
awk 'length($0) > 76 { bad = 1 } END { exit bad }' "$T/from" ||
    fail "-F long: a line over 76 characters: $(cat "$T/from")"
grep -o '=?UTF-8?B?[^?]*?=' "$T/from" >"$T/words"
[ "$(wc -l <"$T/words")" -ge 2 ] || fail "-F long: one word: $(cat "$T/from")"
awk 'length($0) > 75 { bad = 1 } END { exit bad }' "$T/words" ||
    fail "-F long: a word over 75 characters: $(cat "$T/words")"
assert_eq "$(hdr_dec "$(fmsg $N)" From)" "$long <robot@example.com>" "-F long decoded"
printf 'Subject: nofrom\n\nb\n' | "$POSTA" -C "$T/posta.conf" -F 'Doe, John' x@dest.test ||
    fail "-F: exit $?"
N=$((N + 1))
assert_hdr "$(fmsg $N)" From '"Doe, John" <robot@example.com>'
exit 0
