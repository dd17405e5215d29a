#!/bin/sh
# Issue 10: [upstream] cert_file and key_file (a smart host that relays
# on the client certificate's fingerprint) and tls_min_version.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
msg() { printf 'Subject: %s\n\nbody\n' "$1"; }
# ccert_conf NAME [cert key]: STARTTLS to the port that relays only for
# TB_CLIENT_CERT; no AUTH at all
ccert_conf() {
	c=$T/$1.conf
	{
		printf '[upstream]\nhost = %s\nport = %s\nca_file = %s\ntimeout = 10\n' \
		    "$TB_HOST" "$TB_PORT_CCERT" "$TB_CA"
		[ $# -ge 3 ] && printf 'cert_file = %s\nkey_file = %s\n' "$2" "$3"
		printf '[sender]\ndomain = example.com\n[queue]\ndir = %s\n' "$T/spool-$1"
		printf '[log]\nsyslog = no\n'
	} >"$c"
	chmod 600 "$c"
	echo "$c"
}

# the key as a password file would be kept: 0600, owned by us
install -m 0600 "$TB_CLIENT_KEY" "$T/client.key"
conf=$(ccert_conf with "$TB_CLIENT_CERT" "$T/client.key")
msg ccert | "$POSTA" -C "$conf" ccert@relay.test 2>"$T/err"
assert_eq $? 0 "with the client certificate: exit status"
[ ! -s "$T/err" ] || fail "with certificate: $(cat "$T/err")"
wait_mail ccert@relay.test 1 || fail "with certificate: not relayed"

# without it the same relay is refused (permanently: 554)
conf=$(ccert_conf without)
msg nocert | "$POSTA" -C "$conf" nocert@relay.test 2>"$T/err"
st=$?
[ "$st" -ne 0 ] || fail "without certificate: exit 0: $(cat "$T/err")"
grep -q '554 5.7.1' "$T/err" || fail "without certificate: $(cat "$T/err")"
[ "$(mail_count nocert@relay.test)" -eq 0 ] || fail "relayed without a certificate"

# a certificate the relay does not know (other CA, same name): refused
conf=$(ccert_conf other "$TB_OTHER_CERT" "$T/other.key")
install -m 0600 "$TB_OTHER_KEY" "$T/other.key"
msg othercert | "$POSTA" -C "$conf" othercert@relay.test 2>"$T/err"
[ $? -ne 0 ] || fail "unknown certificate: exit 0"
[ "$(mail_count othercert@relay.test)" -eq 0 ] || fail "relayed for an unknown certificate"

# the key file follows the password file's rules
install -m 0604 "$TB_CLIENT_KEY" "$T/open.key"
conf=$(ccert_conf open "$TB_CLIENT_CERT" "$T/open.key")
msg openkey | "$POSTA" -C "$conf" openkey@relay.test 2>"$T/err"
grep -q "key_file $T/open.key: is readable by others; chmod 600" "$T/err" ||
    fail "world-readable key: $(cat "$T/err")"
ln -s "$T/client.key" "$T/link.key"
conf=$(ccert_conf link "$TB_CLIENT_CERT" "$T/link.key")
msg linkkey | "$POSTA" -C "$conf" linkkey@relay.test 2>"$T/err"
grep -q "key_file $T/link.key: cannot open: is a symbolic link" "$T/err" ||
    fail "key behind a symbolic link: $(cat "$T/err")"
# a key that is not the certificate's
conf=$(ccert_conf mismatch "$TB_CLIENT_CERT" "$T/other.key")
msg mismatch | "$POSTA" -C "$conf" mismatch@relay.test 2>"$T/err"
grep -q "does not match cert_file" "$T/err" || fail "mismatched key: $(cat "$T/err")"
# an encrypted key is refused, never prompted for
openssl pkey -in "$TB_CLIENT_KEY" -aes256 -passout pass:secret -out "$T/enc.key" 2>/dev/null &&
    chmod 600 "$T/enc.key" || fail "cannot encrypt the key"
conf=$(ccert_conf enc "$TB_CLIENT_CERT" "$T/enc.key")
msg enckey | "$POSTA" -C "$conf" enckey@relay.test 2>"$T/err"
grep -q "no usable private key" "$T/err" || fail "encrypted key: $(cat "$T/err")"
for n in openkey linkkey mismatch enckey; do
	[ "$(mail_count $n@relay.test)" -eq 0 ] || fail "$n: relayed"
done
# one without the other is a configuration error, found before sending
conf=$(ccert_conf half "$TB_CLIENT_CERT" "$T/client.key")
sed -i '/^key_file/d' "$conf"
msg half | "$POSTA" -C "$conf" half@relay.test 2>"$T/err"
assert_eq $? 78 "cert_file without key_file: exit status"
grep -q "set both cert_file and key_file" "$T/err" || fail "half: $(cat "$T/err")"

# tls_min_version = 1.3 against a TLS 1.2-only server: a clean TLS
# failure before any credentials; the message stays queued
conf=$(posta_conf_postfix submission)
sed -i -e "s|^port = .*|port = $TB_PORT_TLS12|" -e "s|^dir = .*|dir = $T/spool13|" "$conf"
msg tls12 | "$POSTA" -v -C "$conf" tls12@dest.test 2>"$T/err"
assert_eq $? 0 "TLS 1.2 server, default minimum: exit status"
grep -q '^\*\*\* TLS TLSv1.2' "$T/err" || fail "TLS 1.2 server: $(grep TLS "$T/err")"
sed -i "s|^timeout = .*|&\ntls_min_version = 1.3|" "$conf"
msg tls13 | "$POSTA" -v -C "$conf" tls13@dest.test 2>"$T/err"
assert_eq $? 0 "tls_min_version 1.3 vs a TLS 1.2 server: exit status"
grep -q 'queued for retry: .*TLS handshake with localhost: .*protocol version' "$T/err" ||
    fail "tls_min_version 1.3: $(tail -1 "$T/err")"
grep -q '^>>> AUTH' "$T/err" && fail "AUTH sent after a failed handshake"
[ "$(nfiles "$T/spool13/q" '*.env')" -eq 1 ] || fail "tls13: not queued"
# and against a server that speaks 1.3 it works
sed -i "s|^port = .*|port = $TB_PORT_SUBMISSION|" "$conf"
msg tls13ok | "$POSTA" -v -C "$conf" tls13ok@dest.test 2>"$T/err"
grep -q '^\*\*\* TLS TLSv1.3' "$T/err" || fail "1.3 server: $(tail -1 "$T/err")"
sed -i "s|^tls_min_version = .*|tls_min_version = 1.1|" "$conf"
msg bad | "$POSTA" -C "$conf" bad@dest.test 2>"$T/err"
assert_eq $? 78 "tls_min_version 1.1: exit status"
grep -q 'invalid tls_min_version "1.1"; expected 1.2 or 1.3' "$T/err" ||
    fail "tls_min_version 1.1: $(cat "$T/err")"
exit 0
