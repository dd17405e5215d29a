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
exit 0
