#!/bin/sh
# Issue 11: configuration from the environment. POSTA_<SECTION>_<KEY>
# overrides the file; without any file POSTA_URL or POSTA_UPSTREAM_HOST
# is enough; a password in the URL and bad values are refused naming
# the variable; --check reports the configuration in use.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
msg() { printf 'Subject: %s\n\nbody\n' "$1"; }
printf '%s\n' "$TB_PASS" >"$T/pw"
chmod 600 "$T/pw"

# the environment overrides the file: port, queue dir, sender
conf=$(posta_conf_postfix submission)
sed -i "s/^port = .*/port = $(free_port)/" "$conf"
msg env-over2 | POSTA_UPSTREAM_PORT=$TB_PORT_SUBMISSION \
    POSTA_QUEUE_DIR=$T/envspool POSTA_SENDER_FROM=env-sender@example.com \
    "$POSTA" -C "$conf" env-over2@dest.test 2>"$T/err" ||
    fail "override: exit $? ($(cat "$T/err"))"
wait_mail env-over2@dest.test 1 || fail "override: not delivered"
grep -q '^sender env-sender@example.com' "$TB_CAPTURE/env-over2@dest.test/"*.env ||
    fail "override: sender not from POSTA_SENDER_FROM"
[ -d "$T/envspool/q" ] || fail "override: POSTA_QUEUE_DIR not used"
[ -e "$T/spool" ] && fail "override: the file's queue dir was used"
# and without the environment the file's closed port holds
msg env-none | "$POSTA" -C "$conf" env-none@dest.test 2>"$T/err"
grep -q 'queued for retry' "$T/err" || fail "file alone: $(cat "$T/err")"

# no file at all: a posta whose default configuration does not exist
relink_posta "$T/posta-nofile" "$T/etc"
P=$T/posta-nofile
# the common settings of a container, all from the environment
envrun() {
	env POSTA_UPSTREAM_PASSWORD_FILE="$T/pw" POSTA_UPSTREAM_CA_FILE="$TB_CA" \
	    POSTA_QUEUE_DIR="$T/nf" POSTA_LOG_SYSLOG=no \
	    POSTA_UPSTREAM_TIMEOUT=10 "$@"
}
u=$(echo "$TB_USER" | sed 's/@/%40/')
msg url-smtps | envrun POSTA_URL="smtps://$u@localhost:$TB_PORT_SMTPS" \
    "$P" url-smtps@dest.test 2>"$T/err" || fail "smtps URL: exit $? ($(cat "$T/err"))"
msg url-smtp | envrun POSTA_URL="smtp://$TB_USER@localhost:$TB_PORT_SUBMISSION" \
    "$P" url-smtp@dest.test 2>"$T/err" || fail "smtp URL: exit $? ($(cat "$T/err"))"
msg host-only | envrun POSTA_UPSTREAM_HOST=localhost \
    POSTA_UPSTREAM_PORT="$TB_PORT_SUBMISSION" POSTA_UPSTREAM_USERNAME="$TB_USER" \
    "$P" host-only@dest.test 2>"$T/err" || fail "host: exit $? ($(cat "$T/err"))"
for r in url-smtps url-smtp host-only; do
	wait_mail $r@dest.test 1 || fail "$r: not delivered"
	grep -q "^sasl_username $TB_USER" "$TB_CAPTURE/$r@dest.test/"*.env ||
	    fail "$r: not authenticated as $TB_USER"
done
[ -z "$(ls "$T/nf/q")" ] || fail "no file: something stayed queued"
# --check says where the configuration came from
envrun POSTA_URL="smtps://$u@localhost:$TB_PORT_SMTPS" "$P" --check \
    >"$T/out" 2>&1 || fail "--check: exit $? ($(cat "$T/out"))"
grep -q '^ok       configuration: from the environment (no file)' "$T/out" ||
    fail "--check: $(cat "$T/out")"
grep -q "^ok       login: $TB_USER accepted" "$T/out" || fail "--check login"
# without a host in the environment the missing file is an error
msg nohost | envrun "$P" nohost@dest.test 2>"$T/err"
assert_eq $? 78 "no file, no host: exit status"
grep -q "$T/etc/posta.conf: cannot open: No such file" "$T/err" ||
    fail "no file, no host: $(cat "$T/err")"

# errors name the variable, and nothing is sent
bad() {	# want VAR=VALUE...
	want=$1; shift
	msg bad | envrun POSTA_URL="smtp://$TB_USER@localhost:$TB_PORT_SUBMISSION" \
	    "$@" "$P" bad@dest.test 2>"$T/err"
	assert_eq $? 78 "$*: exit status"
	assert_eq "$(cat "$T/err")" "posta: $want" "$*: message"
}
bad 'POSTA_UPSTREAM_PORT: invalid port "abc"; expected a number from 1 to 65535' \
    POSTA_UPSTREAM_PORT=abc
bad 'POSTA_UPSTREAM_TLS: invalid tls "maybe"; expected starttls, implicit or none' \
    POSTA_UPSTREAM_TLS=maybe
bad 'POSTA_QUEUE_DELIVERY: invalid delivery "later"; expected foreground, background or queue' \
    POSTA_QUEUE_DELIVERY=later
bad 'POSTA_UPSTREAM_PASWORD_FILE: unknown variable; did you mean POSTA_UPSTREAM_PASSWORD_FILE?' \
    POSTA_UPSTREAM_PASWORD_FILE=/x
bad 'POSTA_URL: a password in the URL is refused; put it in a file and set POSTA_UPSTREAM_PASSWORD_FILE' \
    POSTA_URL="smtps://user:secret@localhost:$TB_PORT_SMTPS"
grep -q secret "$T/err" && fail "the URL's password was printed"
bad 'POSTA_URL: expected smtps://[user@]host[:port] (implicit TLS) or smtp://[user@]host[:port] (STARTTLS)' \
    POSTA_URL="localhost:587"
sleep 1
[ -d "$TB_CAPTURE/bad@dest.test" ] && fail "a refused configuration sent mail"
exit 0
