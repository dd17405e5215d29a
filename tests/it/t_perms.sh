#!/bin/sh
# Issue 13: a configuration or secret file that others may change is
# refused, whatever it holds (whoever writes the configuration runs
# password_command as the queue runner): mode o+w, or g+w for a group
# other than root's or posta's own. One line, exit 78 (EX_CONFIG).
# The older rule stays: an inline password in a file others can read.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
[ "$(id -u)" -eq 0 ] || skip "needs root to give files to other groups"
msg() { printf 'Subject: %s\n\nbody\n' "$1"; }

base=$(posta_conf_postfix smtps)
sed -i '/^password = /d' "$base"
printf '%s\n' "$TB_PASS" >"$T/secret"
cp "$TB_CLIENT_KEY" "$T/client.key"
chmod 0600 "$T/secret" "$T/client.key"

# mkconf NAME LINE...: the base config with LINEs added to [upstream]
mkconf() {
	n=$1; shift
	awk -v add="$(printf '%s\n' "$@")" '{ print } /^\[upstream\]$/ { print add }' \
	    "$base" >"$T/$n.conf"
	chmod 0600 "$T/$n.conf"
	echo "$T/$n.conf"
}
pwfile=$(mkconf pwfile "password_file = $T/secret")
cmd=$(mkconf cmd "password_command = cat $T/secret")
inline=$(mkconf inline "password = $TB_PASS")
ccert=$(mkconf ccert "password_file = $T/secret" "cert_file = $TB_CLIENT_CERT" \
    "key_file = $T/client.key")
noauth=$(mkconf noauth)
sed -i '/^username = /d' "$noauth"
oauth=$T/oauth.conf
{
	sed '/^\[sender\]/,$d' "$base"
	printf 'auth = xoauth2\n[oauth]\nprovider = google\nclient_id = a\n'
	printf 'client_secret_file = %s\n' "$T/secret"
	sed -n '/^\[sender\]/,$p' "$base"
} >"$oauth"
chmod 0600 "$oauth"
jwt=$T/jwt.conf
{
	sed '/^\[sender\]/,$d' "$base"
	printf 'auth = xoauth2\n[oauth]\nprovider = google\ngrant = jwt_bearer\n'
	printf 'key_file = %s\n' "$T/client.key"
	sed -n '/^\[sender\]/,$p' "$base"
} >"$jwt"
chmod 0600 "$jwt"

# case CONF FILE MODE GROUP WANT [TEXT]: FILE (CONF itself or a file it
# names) gets MODE and GROUP, CONF is used to queue a message; WANT is
# the exit status, TEXT what stderr must say (default: the mode line)
n=0
case_() {
	c_conf=$1 c_file=$2 c_mode=$3 c_grp=$4 c_want=$5
	c_text=${6:-"posta: $c_file: mode $c_mode lets other users change it; chmod go-w $c_file"}
	n=$((n + 1))
	chmod "$c_mode" "$c_file" && chgrp "$c_grp" "$c_file" || fail "case $n: chmod"
	msg "perm$n" | "$POSTA" -C "$c_conf" -odq "perm$n@dest.test" >"$T/out" 2>"$T/err"
	got=$?
	chmod 0600 "$c_file" && chgrp root "$c_file"
	[ "$got" -eq "$c_want" ] ||
	    fail "case $n ($c_file $c_mode $c_grp): exit $got, want $c_want: $(cat "$T/err")"
	if [ "$c_want" -ne 0 ]; then
		assert_eq "$(cat "$T/err")" "$c_text" "case $n ($c_file $c_mode $c_grp)"
	else
		[ -s "$T/err" ] && fail "case $n: stderr: $(cat "$T/err")"
	fi
	return 0
}
inl="posta: $inline: holds a password but is readable by others; chmod 600 $inline"
# the configuration, whatever it holds
case_ "$noauth" "$noauth" 0666 root 78
case_ "$noauth" "$noauth" 0602 root 78
case_ "$noauth" "$noauth" 0620 nogroup 78
case_ "$noauth" "$noauth" 0620 root 0
case_ "$noauth" "$noauth" 0644 nogroup 0
case_ "$cmd" "$cmd" 0602 root 78
case_ "$cmd" "$cmd" 0660 nogroup 78
case_ "$cmd" "$cmd" 0640 nogroup 0
case_ "$pwfile" "$pwfile" 0622 root 78
case_ "$pwfile" "$pwfile" 0644 root 0
case_ "$inline" "$inline" 0646 root 78
case_ "$inline" "$inline" 0604 root 78 "$inl"
case_ "$inline" "$inline" 0640 nogroup 0
# the secret files it names
case_ "$pwfile" "$T/secret" 0666 root 78
case_ "$pwfile" "$T/secret" 0602 root 78
case_ "$pwfile" "$T/secret" 0660 nogroup 78
case_ "$pwfile" "$T/secret" 0660 root 0
case_ "$ccert" "$T/client.key" 0606 root 78
case_ "$ccert" "$T/client.key" 0620 nogroup 78
case_ "$ccert" "$T/client.key" 0640 nogroup 0
case_ "$oauth" "$T/secret" 0622 root 78
case_ "$oauth" "$T/secret" 0620 nogroup 78
case_ "$jwt" "$T/client.key" 0602 root 78

# the group of the user posta runs as counts as posta's own: nobody's
# configuration, 0664 nobody:nogroup, is accepted for nobody
mkdir -p "$T/nob"
sed "s|^dir = .*|dir = $T/nob/spool|; /^file = /d" "$noauth" >"$T/nob/posta.conf"
chown -R nobody:nogroup "$T/nob" && chmod 0664 "$T/nob/posta.conf"
msg nob | setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$POSTA" -C "$T/nob/posta.conf" -odq nob@dest.test 2>"$T/err" ||
    fail "nobody, 0664 nobody:nogroup: $(cat "$T/err")"

# --check says it in its FAIL line
chmod 0666 "$noauth"
"$POSTA" -C "$noauth" --check >"$T/out" 2>&1
assert_eq $? 78 "--check: exit status"
grep -qF "$noauth: mode 0666 lets other users change it; chmod go-w $noauth" "$T/out" ||
    fail "--check: $(cat "$T/out")"
# and a real delivery goes through once the modes are right
chmod 0600 "$noauth"
msg ok | "$POSTA" -C "$pwfile" perm-ok@dest.test 2>"$T/err" || fail "send: $(cat "$T/err")"
wait_mail perm-ok@dest.test 1 || fail "not delivered"
exit 0
