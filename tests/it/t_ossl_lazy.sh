#!/bin/sh
# Issue 10: OpenSSL is loaded for the first TLS connection, not at
# start-up. --version, -bp and an -odq intake never load libssl or
# libcrypto (the dynamic loader's own record, LD_DEBUG=files); a queue
# run over STARTTLS does. When libssl cannot be loaded at all nothing
# is lost: -odq still queues, a foreground send keeps the message for
# retry with the loader's reason, and a later -q with OpenSSL delivers.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
conf=$(posta_conf_postfix submission)
msg() { printf 'Subject: %s\n\nbody\n' "$1" >"$T/msg"; }
# libs CMD...: run CMD (stdin $T/msg); print the OpenSSL libraries the
# dynamic loader loaded for it; exit as CMD did
libs() {
	LD_DEBUG=files "$@" <"$T/msg" >"$T/out" 2>"$T/ld"
	st=$?
	grep -o 'file=lib\(ssl\|crypto\)\.so[^ ]*' "$T/ld" | sort -u | tr '\n' ' '
	return $st
}

ldd "$POSTA" | grep -q 'lib\(ssl\|crypto\)\.so' && fail "posta is linked with OpenSSL"
msg lazy-odq
got=$(libs "$POSTA" --version) || fail "--version: exit $?"
assert_eq "$got" "" "OpenSSL loaded by --version"
got=$(libs "$POSTA" -C "$conf" -odq lazy-odq@dest.test) || fail "-odq: exit $?"
assert_eq "$got" "" "OpenSSL loaded by -odq"
assert_eq "$(queued)" 1 "queued by -odq"
got=$(libs "$POSTA" -C "$conf" -bp) || fail "-bp: exit $?"
assert_eq "$got" "" "OpenSSL loaded by -bp"
grep -q 'lazy-odq@dest.test' "$T/out" || fail "-bp: $(cat "$T/out")"
got=$(libs "$POSTA" -C "$conf" -q) || fail "-q: exit $?"
case $got in *libssl.so*) ;; *) fail "-q over STARTTLS: OpenSSL not loaded ($got)" ;; esac
wait_mail lazy-odq@dest.test 1 || fail "-q: not delivered"
assert_eq "$(queued)" 0 "left by -q"

# a posta whose libssl is missing
relink_posta "$T/posta-nossl" "$T/etc" libposta-missing.so.3
P=$T/posta-nossl
msg nossl-odq
"$P" -C "$conf" -odq nossl-odq@dest.test <"$T/msg" 2>"$T/err" ||
    fail "-odq without libssl: exit $? ($(cat "$T/err"))"
msg nossl-send
"$P" -C "$conf" nossl-send@dest.test <"$T/msg" 2>"$T/err" ||
    fail "send without libssl: exit $? ($(cat "$T/err"))"
grep -q 'queued for retry.*cannot load OpenSSL: libposta-missing.so.3' "$T/err" ||
    fail "send without libssl: $(cat "$T/err")"
assert_eq "$(queued)" 2 "queued without libssl"
"$P" -C "$conf" -q 2>"$T/err"
assert_eq "$(queued)" 2 "kept by -q without libssl"
grep -q 'cannot load OpenSSL' "$T/posta.log" || fail "no reason logged: $(tail -n 3 "$T/posta.log")"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $? ($(cat "$T/err"))"
wait_mail nossl-odq@dest.test 1 && wait_mail nossl-send@dest.test 1 ||
    fail "not delivered once OpenSSL was there"
assert_eq "$(mail_count nossl-send@dest.test)" 1 "copies of nossl-send"
assert_eq "$(queued)" 0 "left at the end"
exit 0
