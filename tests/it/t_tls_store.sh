#!/bin/sh
# Issue 10: without ca_file the system trust store is used as OpenSSL's
# defaults name it (SSL_CERT_DIR, SSL_CERT_FILE): the hashed directory,
# the bundle only where the directory lacks a certificate or does not
# exist; a ca_file bundle of any size keeps its meaning.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
command -v openssl >/dev/null || skip "no openssl command"
msg() { printf 'Subject: %s\n\nbody\n' "$1"; }
base=$(posta_conf_postfix submission)
# conf NAME: the test bed's config without ca_file, its own spool
conf() {
	sed -e '/^ca_file/d' -e "s|^dir = .*|dir = $T/spool-$1|" "$base" >"$T/$1.conf"
	chmod 600 "$T/$1.conf"
	echo "$T/$1.conf"
}
# try NAME ENV...: one foreground send with that environment
try() {
	n=$1; shift
	msg "$n" | env "$@" "$POSTA" -v -C "$(conf "$n")" "$n@dest.test" 2>"$T/err"
}
ok() { grep -q ' status=sent ' "$T/err" || fail "$1: $(tail -1 "$T/err")"; }
refused() {
	grep -q "certificate verify failed: $2" "$T/err" || fail "$1: $(tail -1 "$T/err")"
	grep -q '^>>> AUTH' "$T/err" && fail "$1: AUTH after a failed verification"
	return 0
}

# a private store: the test CA in a hashed directory, and a bundle
# (the system's certificates, then the test CA) as Debian makes one
mkdir "$T/store" "$T/empty"
cp "$TB_CA" "$T/store/posta-test-ca.pem"
openssl rehash "$T/store" 2>/dev/null || c_rehash "$T/store" >/dev/null ||
    fail "cannot hash $T/store"
sysfile=$(openssl version -d | sed 's/^[^"]*"//; s/"$//')/cert.pem
[ -r "$sysfile" ] || sysfile=/etc/ssl/certs/ca-certificates.crt
cat "$sysfile" "$TB_CA" >"$T/bundle.pem"

try dir SSL_CERT_DIR="$T/store" SSL_CERT_FILE="$T/missing.pem"
ok "SSL_CERT_DIR with the CA"
# a directory without it: SSL_CERT_FILE is consulted for what it lacks
try dirmiss SSL_CERT_DIR="$T/empty" SSL_CERT_FILE="$T/bundle.pem"
ok "SSL_CERT_FILE behind a directory without the CA"
# no directory at all: the bundle
try nodir SSL_CERT_DIR="$T/none" SSL_CERT_FILE="$T/bundle.pem"
ok "SSL_CERT_FILE without a directory"
# two directories, the CA in the second
try twodirs SSL_CERT_DIR="$T/empty:$T/store" SSL_CERT_FILE="$T/missing.pem"
ok "SSL_CERT_DIR list"
# neither knows the CA: refused
try neither SSL_CERT_DIR="$T/empty" SSL_CERT_FILE="$TB_OTHER_CA"
refused neither "unable to get local issuer certificate"
# a directory without the CA, SSL_CERT_FILE unset: the system's store,
# which does not know the test CA either
try sysdefault SSL_CERT_DIR="$T/empty"
refused sysdefault "unable to get local issuer certificate"

# ca_file: a large bundle with the CA last, the system bundle without it
c=$(conf bigca)
sed "s|^timeout = .*|&\nca_file = $T/bundle.pem|" "$c" >"$c.tmp" && mv "$c.tmp" "$c"
chmod 600 "$c"
msg bigca | "$POSTA" -v -C "$c" bigca@dest.test 2>"$T/err"
ok "ca_file with $(grep -c 'BEGIN CERT' "$T/bundle.pem") certificates"
sed -i "s|^ca_file = .*|ca_file = $sysfile|" "$c"
msg sysca | "$POSTA" -v -C "$c" sysca@dest.test 2>"$T/err"
refused "ca_file without the CA" "unable to get local issuer certificate"
# a ca_file that is not usable says so, whatever the directory holds
printf 'not a certificate\n' >"$T/junk.pem"
sed -i "s|^ca_file = .*|ca_file = $T/junk.pem|" "$c"
msg junk | SSL_CERT_DIR="$T/store" "$POSTA" -v -C "$c" junk@dest.test 2>"$T/err"
refused "junk ca_file" "ca_file $T/junk.pem: no certificate found"
{ cat "$TB_CA"; printf -- '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n'; } >"$T/bad.pem"
sed -i "s|^ca_file = .*|ca_file = $T/bad.pem|" "$c"
msg badpem | "$POSTA" -v -C "$c" badpem@dest.test 2>"$T/err"
refused "ca_file with a bad block" "ca_file $T/bad.pem: bad PEM data"
sed -i "s|^ca_file = .*|ca_file = $T/missing.pem|" "$c"
msg missing | "$POSTA" -v -C "$c" missing@dest.test 2>"$T/err"
refused "missing ca_file" "ca_file $T/missing.pem: cannot open: No such file"
for n in neither sysdefault sysca junk badpem missing; do
	[ "$(mail_count "$n@dest.test")" -eq 0 ] || fail "$n: delivered"
done
exit 0
