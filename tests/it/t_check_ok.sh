#!/bin/sh
# Issue 11: posta --check against the good STARTTLS and implicit TLS
# ports of the test bed: exit 0 and every line present; --check ADDR
# delivers a test message and prints the smart host's reply; a pin in
# the config is compared; --check creates no spool.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
pin=$(echo "$TB_CERT_SHA256" | tr 'a-f' 'A-F')

# want LINE...: each line must appear in $T/out
want() {
	for w in "$@"; do
		grep -qF -- "$w" "$T/out" || fail "missing '$w' in: $(cat "$T/out")"
	done
}

for mode in submission smtps; do
	conf=$(posta_conf_postfix $mode)
	"$POSTA" -C "$conf" --check >"$T/out" 2>"$T/err"
	assert_eq $? 0 "$mode: exit status ($(cat "$T/out" "$T/err"))"
	want "ok       configuration: $conf" \
	    "ok       credentials: $TB_USER, password in the configuration" \
	    "ok       spool $T/spool: not created yet, nothing queued" \
	    "ok       resolve localhost: 127.0.0.1" \
	    "ok       connect: localhost:" \
	    "ok       greeting: 220 smarthost.test ESMTP" \
	    "ok       TLS: TLSv1." \
	    "ok       certificate subject: CN=localhost" \
	    "ok       certificate issuer: O=posta tests, CN=posta test CA" \
	    "days left" \
	    "ok       certificate name: matches localhost" \
	    "ok       certificate chain: verified against $TB_CA" \
	    "ok       certificate pin: fingerprint = sha256:$pin" \
	    "ok       SIZE: messages up to 262144000 octets" \
	    "ok       extensions: PIPELINING" \
	    "ok       AUTH: offered PLAIN LOGIN" \
	    "ok       login: $TB_USER accepted with AUTH PLAIN" \
	    " 0 warnings, 0 failed"
	grep -v '^ok       \|^check: ' "$T/out" && fail "$mode: a line is not ok"
	[ -s "$T/err" ] && fail "$mode: stderr: $(cat "$T/err")"
	grep -qF "$TB_PASS" "$T/out" && fail "$mode: the password was printed"
	[ -e "$T/spool" ] && fail "$mode: --check created the spool"
done

# the pin printed is the one the fingerprint key takes
conf=$(posta_conf_postfix submission)
sed -i "s|^ca_file = .*|fingerprint = sha256:$pin|" "$conf"
"$POSTA" -C "$conf" --check >"$T/out" 2>&1
assert_eq $? 0 "pinned: exit status ($(cat "$T/out"))"
want "ok       certificate pin: matches fingerprint"

# --check ADDR: a test message, the smart host's reply with its queue id
conf=$(posta_conf_postfix submission)
"$POSTA" -C "$conf" --check check-me@dest.test >"$T/out" 2>"$T/err"
assert_eq $? 0 "--check ADDR: exit status ($(cat "$T/out" "$T/err"))"
want "ok       test message to check-me@dest.test: 250 2.0.0 Ok: queued as "
wait_mail check-me@dest.test 1 || fail "the test message did not arrive"
m=$(ls "$TB_CAPTURE/check-me@dest.test/"*.eml | head -1)
assert_file_contains "$m" "Subject: posta --check test message"
assert_file_contains "$m" "To: <check-me@dest.test>"
# the queue id Postfix gave is the one --check printed
qid=$(sed -n 's/^ok       test message to .*queued as \([0-9A-F]*\).*/\1/p' "$T/out")
[ -n "$qid" ] && grep -q "^queue_id $qid" "$TB_CAPTURE/check-me@dest.test/"*.env ||
    fail "queue id $qid not in the capture"
[ -e "$T/spool/q" ] && [ -n "$(ls "$T/spool/q")" ] &&
    fail "the test message went through the spool"

# -v: the probe's dialogue on stderr, without the password
conf=$(posta_conf_postfix submission)
"$POSTA" -C "$conf" -v --check >"$T/out" 2>"$T/err" || fail "-v: exit $?"
grep -q '^>>> STARTTLS' "$T/err" || fail "-v: no transcript: $(cat "$T/err")"
grep -qF "$TB_PASS" "$T/err" && fail "-v: the password was printed"
exit 0
