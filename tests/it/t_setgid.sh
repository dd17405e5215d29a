#!/bin/sh
# Spec, Security: posta installed set-group-id with a group that alone can
# read the configuration and the spool. A user can send mail without being
# able to read the password or the queue; -C drops the privilege first.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
[ "$(id -u)" -eq 0 ] || skip "needs root to make a set-group-id binary"
grp=postatest$$
groupadd --system "$grp" 2>/dev/null || skip "cannot create a group"
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
# second binary built for this path
make -s -C "$ROOT" -o src/posta >/dev/null 2>&1
cc_conf=$T/etc
mkdir -p "$cc_conf"
cp "$conf" "$cc_conf/posta.conf"
chown root:"$grp" "$cc_conf/posta.conf" && chmod 0640 "$cc_conf/posta.conf"
objs=$(ls "$ROOT"/src/*.o | grep -v '/main.o$')
cc -DSYSCONFDIR="\"$cc_conf\"" -D_DEFAULT_SOURCE -I"$ROOT/src" -o "$T/sbin/posta2" \
    "$ROOT/src/main.c" $objs $(pkg-config --libs openssl inih) || fail "build"
chgrp "$grp" "$T/sbin/posta2" && chmod 2755 "$T/sbin/posta2"
printf 'Subject: setgid\n\nfrom nobody\n' |
    as_nobody "$T/sbin/posta2" sg-two@dest.test 2>"$T/err" ||
    fail "nobody could not send: $(cat "$T/err")"
wait_mail sg-two@dest.test 1 || fail "not delivered"
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
exit 0
