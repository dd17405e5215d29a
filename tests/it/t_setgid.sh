#!/bin/sh
# Spec, Security: posta installed set-group-id with a group that alone can
# read the configuration and the spool. A user can send mail without being
# able to read the password or the queue; -C drops the privilege first.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
[ "$(id -u)" -eq 0 ] || skip "needs root to make a set-group-id binary"
grp=postatest$$
groupadd --system "$grp" 2>/dev/null || skip "cannot create a group"
# shellcheck disable=SC2154	# rc is set inside the trap
trap 'rc=$?; groupdel "$grp" 2>/dev/null; (exit $rc); cleanup' EXIT

# The layout posta(8) recommends, under $T (nobody must reach it).
mkdir -p "$T/sbin" "$T/spool"
cp "$POSTA" "$T/sbin/posta"
chgrp "$grp" "$T/sbin/posta" && chmod 2755 "$T/sbin/posta"
conf=$(posta_conf_postfix submission)
chown root:"$grp" "$conf" && chmod 0640 "$conf"
chown root:"$grp" "$T/spool" && chmod 2770 "$T/spool"
sed -i '/^file = /d' "$conf"	# the log file is not the point here
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

as_nobody cat "$conf" >/dev/null 2>&1 && fail "nobody can read the config"

# sending works for nobody, through the group privilege
printf 'Subject: setgid\n\nfrom nobody\n' |
    as_nobody "$T/sbin/posta" -C "$conf" sg-one@dest.test 2>"$T/err" &&
    fail "-C should have dropped the privilege (config unreadable)"
grep -q 'posta.conf' "$T/err" || fail "-C: unclear error: $(cat "$T/err")"

# without -C posta reads /etc/posta.conf; point it at ours with a
# second binary built for this path from the objects of the build under
# test (relink_posta in common.sh)
cc_conf=$T/etc
mkdir -p "$cc_conf"
cp "$conf" "$cc_conf/posta.conf"
chown root:"$grp" "$cc_conf/posta.conf" && chmod 0640 "$cc_conf/posta.conf"
relink_posta "$T/sbin/posta2" "$cc_conf"
chgrp "$grp" "$T/sbin/posta2" && chmod 2755 "$T/sbin/posta2"
printf 'Subject: setgid\n\nfrom nobody\n' |
    as_nobody "$T/sbin/posta2" sg-two@dest.test 2>"$T/err" ||
    fail "nobody could not send: $(cat "$T/err")"
wait_mail sg-two@dest.test 1 || fail "not delivered"
# the TLS session of that connection is kept like the spool: the
# group's, no access for others
s=$T/spool/tls/session
[ -f "$s" ] || fail "no TLS session stored in $s"
assert_eq "$(stat -c '%a %G' "$s")" "660 $grp" "session file"
assert_eq "$(stat -c '%A %G' "$T/spool/tls" | cut -c8-)" "--- $grp" "session directory"
printf 'Subject: setgid\n\nagain\n' |
    as_nobody "$T/sbin/posta2" -v sg-three@dest.test 2>"$T/err" ||
    fail "nobody could not send again: $(cat "$T/err")"
grep -q '^\*\*\* TLS .* resumed$' "$T/err" || fail "not resumed: $(grep TLS "$T/err")"
# set-group-id: the caller's SSL_CERT_DIR and SSL_CERT_FILE are ignored
# (a config without ca_file, a private store that knows the test CA)
mkdir -p "$T/etc3" "$T/store"
sed '/^ca_file/d' "$cc_conf/posta.conf" >"$T/etc3/posta.conf"
chown root:"$grp" "$T/etc3/posta.conf" && chmod 0640 "$T/etc3/posta.conf"
cp "$TB_CA" "$T/store/ca.pem" && openssl rehash "$T/store" 2>/dev/null ||
    fail "cannot hash the private store"
chmod -R a+rX "$T/store"
relink_posta "$T/sbin/posta3" "$T/etc3"
chgrp "$grp" "$T/sbin/posta3" && chmod 2755 "$T/sbin/posta3"
printf 'Subject: setgid\n\nenv\n' | as_nobody env SSL_CERT_DIR="$T/store" \
    SSL_CERT_FILE="$T/store/ca.pem" "$T/sbin/posta3" sg-env@dest.test 2>"$T/err"
grep -q 'certificate verify failed' "$T/err" ||
    fail "set-group-id posta used SSL_CERT_DIR: $(cat "$T/err")"
# the same binary without the privilege honours them (root runs it)
cp "$T/sbin/posta3" "$T/sbin/posta3-plain" && chmod 0755 "$T/sbin/posta3-plain"
printf 'Subject: setgid\n\nenv\n' | env SSL_CERT_DIR="$T/store" \
    "$T/sbin/posta3-plain" -q 2>"$T/err" || fail "plain posta: $(cat "$T/err")"
wait_mail sg-env@dest.test 1 || fail "SSL_CERT_DIR not honoured without the privilege: $(cat "$T/err")"
# the spool is the group's: files 0660, no access for others
as_nobody ls "$T/spool/q" >/dev/null 2>&1 && fail "nobody can list the spool"
# listing and deleting are for root only
as_nobody "$T/sbin/posta2" -bp >"$T/out" 2>"$T/err"
assert_eq $? 77 "mailq as nobody"
grep -q 'only root' "$T/err" || fail "mailq: $(cat "$T/err")"
"$T/sbin/posta2" -bp | grep -q 'Mail queue is empty' || fail "root cannot list"
as_nobody "$T/sbin/posta2" -bp --json >"$T/out" 2>"$T/err"
assert_eq $? 77 "-bp --json as nobody"
[ -s "$T/out" ] && fail "-bp --json as nobody printed: $(cat "$T/out")"
"$T/sbin/posta2" -bp --json | "$PY" -c 'import json, sys
sys.exit(json.load(sys.stdin)["counts"]["queued"] != 0)' || fail "root cannot list as JSON"
# so are --check (it shows the group's settings) and the --oauth options
for opt in --check --oauth-status; do
	as_nobody "$T/sbin/posta2" "$opt" >"$T/out" 2>"$T/err"
	assert_eq $? 77 "$opt as nobody"
	grep -q "only root may use .*${opt%-status}" "$T/err" ||
	    fail "$opt as nobody: $(cat "$T/err")"
	grep -q 'smtp\.\|port\|user' "$T/out" && fail "$opt as nobody: $(cat "$T/out")"
done
exit 0
