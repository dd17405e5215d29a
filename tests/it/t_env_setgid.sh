#!/bin/sh
# Issue 11: a set-group-id (or set-user-id) posta ignores the
# environment, as it ignores a -C file it would read with privilege:
# the caller cannot redirect the smart host, the spool or the secret.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
[ "$(id -u)" -eq 0 ] || skip "needs root to make a set-group-id binary"
grp=postaenv$$
groupadd --system "$grp" 2>/dev/null || skip "cannot create a group"
# shellcheck disable=SC2154 # rc is set inside the trap
trap 'rc=$?; groupdel "$grp" 2>/dev/null; (exit $rc); cleanup' EXIT
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"
msg() { printf 'Subject: %s\n\nbody\n' "$1"; }

# a posta whose default configuration is $T/etc/posta.conf (group-only)
mkdir -p "$T/sbin" "$T/etc" "$T/spool"
conf=$(posta_conf_postfix submission)
sed -i '/^file = /d' "$conf"
mv "$conf" "$T/etc/posta.conf"
chown root:"$grp" "$T/etc/posta.conf" && chmod 0640 "$T/etc/posta.conf"
chown root:"$grp" "$T/spool" && chmod 2770 "$T/spool"
relink_posta "$T/sbin/posta" "$T/etc"
chmod 0755 "$T"

# what a caller would try: another smart host, spool and secret
closed=$(free_port)
hostile() {
	env POSTA_UPSTREAM_PORT="$closed" POSTA_QUEUE_DIR="$T/evil" \
	    POSTA_UPSTREAM_PASSWORD_FILE=/etc/shadow \
	    POSTA_URL="smtps://u:refused-if-read@localhost:$closed" "$@"
}

# control: an ordinary posta (root, no set-id bit) takes the environment
msg ctl | hostile "$T/sbin/posta" ctl@dest.test 2>"$T/err"
assert_eq $? 78 "control: exit status"
grep -q 'POSTA_URL: a password in the URL is refused' "$T/err" ||
    fail "control: environment not read: $(cat "$T/err")"

# set-group-id, run by nobody: the environment is ignored
chgrp "$grp" "$T/sbin/posta" && chmod 2755 "$T/sbin/posta"
msg sg | hostile $NOBODY "$T/sbin/posta" sg-env@dest.test 2>"$T/err" ||
    fail "setgid: exit $? ($(cat "$T/err"))"
wait_mail sg-env@dest.test 1 || fail "setgid: not delivered through the file's smart host"
[ -e "$T/evil" ] && fail "setgid: POSTA_QUEUE_DIR was used"
# by root too: real and effective group differ
msg sg-root | hostile "$T/sbin/posta" sg-root@dest.test 2>"$T/err" ||
    fail "setgid, root: exit $? ($(cat "$T/err"))"
wait_mail sg-root@dest.test 1 || fail "setgid, root: not delivered"

# set-user-id: real and effective user differ
chgrp root "$T/sbin/posta" && chmod 4755 "$T/sbin/posta"
msg su | hostile $NOBODY "$T/sbin/posta" su-env@dest.test 2>"$T/err" ||
    fail "setuid: exit $? ($(cat "$T/err"))"
wait_mail su-env@dest.test 1 || fail "setuid: not delivered"
[ -e "$T/evil" ] && fail "setuid: POSTA_QUEUE_DIR was used"
# OpenSSL's variables: honoured by an ordinary posta, ignored by a
# set-group-id one (AT_SECURE: OpenSSL's own secure getenv, and trust.c)
chgrp "$grp" "$T/sbin/posta" && chmod 2755 "$T/sbin/posta"
cp "$T/sbin/posta" "$T/sbin/posta-plain" && chmod 0755 "$T/sbin/posta-plain"
setconf() {	# setconf PORT TLS [CA_FILE]: the default configuration
	{
		printf '[upstream]\nhost = %s\nport = %s\ntls = %s\n' \
		    "$TB_HOST" "$1" "$2"
		printf 'username = %s\npassword = %s\ntimeout = 10\n' \
		    "$TB_USER" "$TB_PASS"
		[ -n "${3:-}" ] && printf 'ca_file = %s\n' "$3"
		printf '[sender]\ndomain = example.com\n[queue]\ndir = %s\n' \
		    "$T/spool"
		printf '[log]\nsyslog = no\n'
	} >"$T/etc/posta.conf"
}
# SSL_CERT_FILE naming a CA the system store does not have, the only
# one that signed the server's certificate (a server of the fault bed)
mkdir -p "$T/nodir"
chmod 0755 "$T/nodir"
tb_cert=$TB_CERT tb_key=$TB_KEY
TB_CERT=$TB_OTHER_CERT TB_KEY=$TB_OTHER_KEY
fault_start - implicit
TB_CERT=$tb_cert TB_KEY=$tb_key
setconf "$FAULT_PORT" implicit
sslenv() { env SSL_CERT_FILE="$TB_OTHER_CA" SSL_CERT_DIR="$T/nodir" "$@"; }
msg ca-plain | sslenv "$T/sbin/posta-plain" ca-plain@dest.test 2>"$T/err" ||
    fail "control: SSL_CERT_FILE not honoured: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 1 "control: delivered through SSL_CERT_FILE's CA"
msg ca-sg | sslenv $NOBODY "$T/sbin/posta" ca-sg@dest.test 2>"$T/err"
grep -q 'certificate verify failed' "$T/err" ||
    fail "setgid: SSL_CERT_FILE changed verification: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 1 "setgid: nothing delivered"
fault_stop
# OPENSSL_CONF allowing nothing above TLS 1.1 (posta's minimum is 1.2)
cat >"$T/openssl.cnf" <<CNF
openssl_conf = posta_test
[posta_test]
ssl_conf = posta_ssl
[posta_ssl]
system_default = posta_sys
[posta_sys]
MaxProtocol = TLSv1.1
CNF
chmod 0644 "$T/openssl.cnf"
setconf "$TB_PORT_SUBMISSION" starttls "$TB_CA"
msg cnf-plain | OPENSSL_CONF=$T/openssl.cnf "$T/sbin/posta-plain" -odi \
    cnf-plain@dest.test 2>"$T/err"
grep -q 'no protocols available' "$T/err" ||
    fail "control: OPENSSL_CONF not read: $(cat "$T/err")"
msg cnf-sg | OPENSSL_CONF=$T/openssl.cnf $NOBODY "$T/sbin/posta" \
    cnf-sg@dest.test 2>"$T/err" || fail "setgid, OPENSSL_CONF: $(cat "$T/err")"
wait_mail cnf-sg@dest.test 1 || fail "setgid: OPENSSL_CONF was read: $(cat "$T/err")"
exit 0
