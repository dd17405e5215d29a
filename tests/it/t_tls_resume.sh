#!/bin/sh
# Issue 10: the TLS session of the last connection is kept in the spool
# and resumed by the next invocation, only for the same peer, name and
# trust settings, unexpired, and exactly as trusted as a full handshake.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
msg() { printf 'Subject: %s\n\nbody\n' "$1"; }
SESS=$T/spool/tls/session
# send NAME [CONF]: one foreground send with -v; the TLS line into $T/tls
send() {
	msg "$1" | "$POSTA" -v -C "${2:-$conf}" "$1@dest.test" 2>"$T/err"
	st=$?
	grep '^\*\*\* TLS' "$T/err" >"$T/tls"
	return $st
}
resumed() { grep -q ' resumed$' "$T/tls"; }
delivered() { grep -q ' status=sent ' "$T/err"; }

conf=$(posta_conf_postfix submission)
send r1 || fail "first send: exit $?"
delivered || fail "first send: $(tail -1 "$T/err")"
[ -s "$T/tls" ] || fail "no TLS line: $(cat "$T/err")"
resumed && fail "the first connection cannot be resumed"
[ -f "$SESS" ] || fail "no session stored in $SESS"
# the spool's permissions (umask 077 outside set-group-id installs)
assert_eq "$(stat -c %a "$SESS")" 600 "session file mode"
assert_eq "$(head -n 1 "$SESS")" "posta-tls-session 1" "session file header"
assert_file_contains "$SESS" "name $TB_HOST"
assert_file_contains "$SESS" "peer $TB_HOST:$TB_PORT_SUBMISSION starttls"
[ "$(nfiles "$T/spool/tls" '*tmp*')" -eq 0 ] || fail "temporary file left: $(ls "$T/spool/tls")"

send r2 || fail "second send: exit $?"
delivered || fail "second send: $(tail -1 "$T/err")"
resumed || fail "second send not resumed: $(cat "$T/tls")"
wait_mail r2@dest.test 1 || fail "r2 not delivered"

# another trust store (the same CA under another path): full handshake
cp "$TB_CA" "$T/ca-copy.crt"
conf2=$T/posta2.conf
sed "s|^ca_file = .*|ca_file = $T/ca-copy.crt|" "$conf" >"$conf2"
chmod 600 "$conf2"
send r3 "$conf2" || fail "r3: exit $?"
delivered || fail "r3: $(tail -1 "$T/err")"
resumed && fail "resumed although ca_file changed"
send r4 "$conf2" && resumed || fail "r4 (same new ca_file) not resumed"
# the file changes (size, mtime): its sessions are not resumed
touch -d '2001-01-01' "$T/ca-copy.crt"
send r5 "$conf2" && delivered || fail "r5: $(tail -1 "$T/err")"
resumed && fail "resumed although ca_file was modified"

# a pin: never resumed from a session stored without it, nor with a wrong one
sed -i "s|^timeout = .*|&\\nfingerprint = sha256:$TB_CERT_SHA256|" "$conf2"
send r6 "$conf2" && delivered || fail "r6 (pin): $(tail -1 "$T/err")"
resumed && fail "resumed although a pin was added"
send r7 "$conf2" && resumed || fail "r7 (same pin) not resumed"
# all zeros: a pin that no certificate of the test bed can have (changing
# only its first byte kept it when that byte was already 00, 1 run in 256)
zeros=$(printf '00:%.0s' $(seq 31))00
sed -i "s/^fingerprint = sha256:.*/fingerprint = sha256:$zeros/" "$conf2"
grep -q "^fingerprint = sha256:$zeros\$" "$conf2" || fail "wrong pin not set"
send r8 "$conf2"
grep -q 'fingerprint mismatch' "$T/err" || fail "wrong pin: $(tail -1 "$T/err")"
resumed && fail "resumed with a wrong pin"

# a session stored for one name is not used, and does not verify, for
# another: the file is forged to name 127.1 (the same server, whose
# certificate is for localhost and 127.0.0.1 only)
send r9a; send r9 && resumed || fail "r9: not resumed: $(tail -1 "$T/err")"
sed -i -e "s|^peer $TB_HOST:|peer 127.1:|" -e 's|^name .*|name 127.1|' "$SESS"
conf3=$T/posta3.conf
sed "s|^host = .*|host = 127.1|" "$conf" >"$conf3"
chmod 600 "$conf3"
send r10 "$conf3"
resumed && fail "a session for $TB_HOST was resumed for 127.1"
grep -q 'certificate verify failed' "$T/err" ||
    fail "127.1: not refused: $(tail -1 "$T/err")"
delivered && fail "delivered to a server whose certificate is not for 127.1"

# garbage instead of a session: a full handshake
send r11 || fail "r11: exit $?"
head -c 5 "$SESS" >"$SESS.new" && head -c 300 /dev/urandom >>"$SESS.new" &&
    mv "$SESS.new" "$SESS"
send r12 && delivered || fail "r12 (corrupt session file): $(tail -1 "$T/err")"
resumed && fail "resumed from a corrupt file"
# a stored session with garbage after the header: also a full handshake
send r13 && resumed || fail "r13 not resumed"
printf '\0\0\0' >>"$SESS"
send r14 && delivered || fail "r14: $(tail -1 "$T/err")"
resumed && fail "resumed from a session with trailing garbage"

# the session's lifetime (Postfix: 2 hours) is honoured. On the TLS 1.2
# port: for TLS 1.3 tickets OpenSSL checks the age itself, while a TLS
# 1.2 server accepts what it issued seconds ago, whatever our clock says.
# NO_FAKE_STAT: faketime would also move the files' mtimes, and so the
# trust digest. faketime preloads its library, which a posta built with
# gcc's ASan (make check-sanitize) refuses unless told the order is fine.
if command -v faketime >/dev/null; then
	conf12=$T/posta12.conf
	sed "s|^port = .*|port = $TB_PORT_TLS12|" "$conf" >"$conf12"
	chmod 600 "$conf12"
	send r15 "$conf12" && delivered || fail "r15: $(tail -1 "$T/err")"
	grep -q 'TLSv1.2' "$T/tls" || fail "r15: not TLS 1.2: $(cat "$T/tls")"
	send r15b "$conf12" && resumed || fail "r15b not resumed"
	later() {
		msg "$2" | NO_FAKE_STAT=1 \
		    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		    faketime -f "$1" "$POSTA" -v \
		    -C "$conf12" "$2@dest.test" 2>"$T/err"
		grep '^\*\*\* TLS' "$T/err" >"$T/tls"
		delivered || fail "$2: $(tail -1 "$T/err")"
	}
	later +1h r16
	resumed || fail "r16 (1 hour later) not resumed: $(cat "$T/tls")"
	later +5h r17
	resumed && fail "an expired session was resumed"
else
	echo "# no faketime: lifetime not checked" >&2
fi
exit 0
