#!/bin/sh
# Issue 13: in a set-group-id install, password_command runs with the
# group kept (/bin/sh would drop it), in /, with its stderr captured into
# posta's one error line; after -C the group is gone for good (real,
# effective and saved) and the user's own spool is private (umask 077).
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/setgid.sh"
need_testbed
setgid_group postasec
msg() { printf 'Subject: %s\n\nbody\n' "$1"; }

# a secret only the group may read, and a posta whose default
# configuration fetches it with a command
mkdir -p "$T/sbin" "$T/etc" "$T/spool" "$T/private"
printf '%s\n' "$TB_PASS" >"$T/private/secret"
chown root:"$GRP" "$T/private" "$T/private/secret"
chmod 0750 "$T/private" && chmod 0640 "$T/private/secret"
conf=$(posta_conf_postfix submission)
sed -i -e '/^file = /d' -e "s|^password = .*|password_command = cat $T/private/secret|" "$conf"
mv "$conf" "$T/etc/posta.conf"
chown root:"$GRP" "$T/etc/posta.conf" && chmod 0640 "$T/etc/posta.conf"
chown root:"$GRP" "$T/spool" && chmod 2770 "$T/spool"
setgid_build "$T/etc" "$T/sbin/posta"
as_nobody cat "$T/private/secret" >/dev/null 2>&1 && fail "nobody can read the secret"

# nobody, from a directory the group cannot enter: the command reads
# the group's secret and the AUTH succeeds
mkdir -m 0700 "$T/nobodyhome" && chown nobody "$T/nobodyhome"
msg sgsec | (cd "$T/nobodyhome" && as_nobody "$T/sbin/posta" sgsec@dest.test) \
    2>"$T/err" || fail "nobody could not send: $(cat "$T/err")"
wait_mail sgsec@dest.test 1 || fail "not delivered"
[ -s "$T/err" ] && fail "stderr of a good send: $(cat "$T/err")"

# a failing command: its stderr is in posta's one line, not beside it
sed -i "s|^password_command = .*|password_command = cat $T/private/missing|" \
    "$T/etc/posta.conf"
msg sgfail | as_nobody "$T/sbin/posta" -odi sgfail@dest.test 2>"$T/err"
want="password_command exited with status 1: cat: $T/private/missing: No such file or directory"
grep -qF "$want" "$T/err" || fail "failing command: $(cat "$T/err")"
assert_eq "$(wc -l <"$T/err")" 1 "lines on stderr"
grep -q '^posta: ' "$T/err" || fail "not posta's line: $(cat "$T/err")"
# --check (root only in this mode) says the same
"$T/sbin/posta" --check >"$T/out" 2>&1
grep -qF "cat: $T/private/missing: No such file or directory" "$T/out" ||
    fail "--check: $(cat "$T/out")"

# the configuration may be writable by the group posta runs as, and
# by no other (t_perms.sh has the rest of these rules)
chmod 0660 "$T/etc/posta.conf"
msg sggw | as_nobody "$T/sbin/posta" -odq sggw@dest.test 2>"$T/err" ||
    fail "0660 root:$GRP refused: $(cat "$T/err")"
chgrp nogroup "$T/etc/posta.conf"
msg sggw | "$T/sbin/posta" -odq sggw@dest.test 2>"$T/err"
assert_eq $? 78 "0660 root:nogroup"
grep -q 'lets other users change it' "$T/err" || fail "0660 root:nogroup: $(cat "$T/err")"
chgrp "$GRP" "$T/etc/posta.conf" && chmod 0640 "$T/etc/posta.conf"

# -C: the user's own configuration and spool; the group is given up for
# good: real, effective and saved group ids (seen in /proc while a
# queue runner of that configuration waits; exec would hide the saved one)
mkdir -p "$T/user"
cat >"$T/user/posta.conf" <<CONF
[upstream]
host = $TB_HOST
port = $TB_PORT_SUBMISSION
tls = starttls
username = $TB_USER
password_command = echo no secret here >&2; exit 1
ca_file = $TB_CA
[sender]
domain = example.com
[queue]
dir = $T/user/spool
[log]
syslog = no
CONF
chmod 0600 "$T/user/posta.conf"
chown -R nobody:nogroup "$T/user"
ngid=$(getent group nogroup | cut -d: -f3)
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$T/sbin/posta" -C "$T/user/posta.conf" -q1h 2>"$T/qerr" &
qpid=$!
i=0
until [ -e "$T/user/spool/q" ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$qpid/status")
kill "$qpid"; wait "$qpid"
assert_eq "$gids" "$ngid $ngid $ngid $ngid" "-C: group ids (real effective saved fs)"
msg sgc | as_nobody "$T/sbin/posta" -C "$T/user/posta.conf" -odi sgc@dest.test 2>"$T/err"
grep -q 'password_command exited with status 1: no secret here$' "$T/err" ||
    fail "-C: $(cat "$T/err")"
# what it queued is the user's alone
[ "$(nfiles "$T/user/spool/q" "*.env")" -ge 1 ] || fail "-C: nothing queued"
bad=$(find "$T/user/spool" -newer "$T/user/posta.conf" \( -type f ! -perm 0600 \
    -o -type d ! -perm 0700 \) -printf '%m %p\n')
[ -z "$bad" ] || fail "-C: spool not private: $bad"
# and -C cannot reach the group's spool
sed "s|^dir = .*|dir = $T/spool|" "$T/user/posta.conf" >"$T/user/group.conf"
chown nobody "$T/user/group.conf" && chmod 0600 "$T/user/group.conf"
msg sgg | as_nobody "$T/sbin/posta" -C "$T/user/group.conf" -odq sgg@dest.test 2>"$T/err" &&
    fail "-C: the group's spool was usable"
grep -q 'Permission denied' "$T/err" || fail "-C, group spool: $(cat "$T/err")"
exit 0
