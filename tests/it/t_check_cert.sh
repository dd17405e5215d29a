#!/bin/sh
# Issue 11: posta --check against the fault server presenting bad
# certificates (unknown CA, wrong name, expired, expiring in days) and
# an AUTH offer that does not suit the config: one FAIL (or warning)
# line each, with what to change, and no credentials sent.
. "$(dirname "$0")/../lib/common.sh"
need_testbed

# serve CERT KEY TLS [SCRIPT]: a fault server with that certificate
# shellcheck disable=SC2034 # common.sh reads it
FAULT_PID=""
serve() {
	fault_stop
	save_cert=$TB_CERT save_key=$TB_KEY
	TB_CERT=$1 TB_KEY=$2 FAULT_PORT=""
	fault_start "${4:--}" "$3"
	TB_CERT=$save_cert TB_KEY=$save_key
	conf=$(posta_conf_fault "$FAULT_PORT" "$3")
}

# check STATUS LINE: --check exits STATUS and prints LINE
check() {
	"$POSTA" -C "$conf" --check >"$T/out" 2>"$T/err"
	st=$?
	grep -qF -- "$2" "$T/out" || fail "missing '$2' in: $(cat "$T/out" "$T/err")"
	assert_eq $st "$1" "exit status for '$2'"
}
# has LINE: the last --check printed LINE too
has() { grep -qF -- "$1" "$T/out" || fail "missing '$1' in: $(cat "$T/out")"; }
no_auth() {
	grep -q ' < AUTH' "$FAULT_DIR/transcript" && fail "$1: AUTH was sent"
	return 0
}

# a certificate from an unknown CA ("the untrusted-certificate port")
serve "$TB_OTHER_CERT" "$TB_OTHER_KEY" implicit
check 78 "FAIL     certificate chain: unable to get local issuer certificate (unknown CA): set ca_file to the CA that issued it, or fix the server's chain"
has "ok       certificate issuer: O=unrelated, CN=unrelated test CA"
has "ok       certificate pin: fingerprint = sha256:"
has "skip     login: not tried after the failures above"
no_auth "unknown CA"
# the printed pin is what the fingerprint key takes: with it, all is well
pin=$(sed -n 's/^ok       certificate pin: fingerprint = //p' "$T/out")
sed -i "s|^ca_file = .*|fingerprint = $pin|" "$conf"
check 0 "ok       certificate pin: matches fingerprint"
has "ok       login: u@example.com accepted with AUTH PLAIN"

# a certificate for another name
serve "$TB_BADNAME_CERT" "$TB_BADNAME_KEY" starttls
check 78 "FAIL     certificate name: localhost is not among wrong.example: set host to a name the certificate carries"
no_auth "wrong name"

# an expired certificate: the server's to fix
serve "$TB_EXPIRED_CERT" "$TB_EXPIRED_KEY" implicit
check 69 "FAIL     certificate expired "
has "days ago (2021-01-01 00:00 UTC): the server's certificate must be renewed"
grep -q 'certificate chain' "$T/out" && fail "expired: reported twice"
no_auth "expired"

# a certificate from the test CA that ends in 5 days (4 whole days left
# once a second has passed): a warning, exit 1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/soon.key" -out "$T/soon.csr" -subj /CN=localhost \
    >/dev/null 2>&1 || fail "openssl req"
printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/soon.ext"
openssl x509 -req -in "$T/soon.csr" -CA "$TB_CA" -CAkey "$TB_DIR/tls/ca.key" \
    -set_serial "$$" -days 5 -extfile "$T/soon.ext" -out "$T/soon.crt" \
    >/dev/null 2>&1 || fail "openssl x509"
serve "$T/soon.crt" "$T/soon.key" starttls
check 1 "warning  certificate expires in "
grep -Eq '^warning  certificate expires in [45] days \(' "$T/out" ||
    fail "expiring: days left: $(cat "$T/out")"
has "): the server's certificate must be renewed"
has "ok       login: u@example.com accepted with AUTH PLAIN"
has "check: "
grep -q '^FAIL' "$T/out" && fail "expiring: a FAIL line"

# the server's AUTH offer does not include the configured mechanism
serve "$TB_CERT" "$TB_KEY" starttls
echo 'auth = cram-md5' >"$T/auth"
sed -i "/^\[upstream\]/r $T/auth" "$conf"
check 78 "FAIL     the server offers AUTH PLAIN LOGIN: set auth = plain (or auto)"
no_auth "AUTH mismatch"
exit 0
