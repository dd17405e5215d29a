#!/bin/sh
# The test bed itself, with swaks (and Python's smtplib for SMTPUTF8):
# the private Postfix (TLS on both ports, SASL, relay only when
# authenticated, the reject*/defer* policy, the plain port that offers AUTH
# in clear, byte-exact capture) and the fault server (plain session,
# STARTTLS, pipelining, drop/greet/max-rcpts counters, script errors).
# If this fails, every other integration test is suspect.
. "$(dirname "$0")/../lib/common.sh"
# posta does not run here: under make check-sanitize there is nothing
# for ASan to watch, and make check has run this already
sanitized && skip "checks the test bed, not posta (make check runs it)"
need_testbed
command -v swaks >/dev/null 2>&1 || skip "swaks is not installed"
# swaks needs Net::SSLeay for TLS; `make deps` should install it.
swaks --support 2>&1 | grep -q '=== TLS supported' ||
    skip "swaks cannot do TLS: apt-get install libnet-ssleay-perl"

# sw OUT swaks-args...: one swaks session, transcript in $T/OUT
sw() {
	out=$T/$1; shift
	swaks --server "$TB_HOST" --helo selfcheck.test --timeout 15 "$@" \
	    >"$out" 2>&1
}
# saw OUT REGEX: the transcript has a line matching REGEX
saw() { grep -qE -- "$2" "$T/$1" || fail "$1: no '$2' in: $(tail -n 8 "$T/$1")"; }
nosaw() { ! grep -qE -- "$2" "$T/$1" || fail "$1: unexpected '$2'"; }
TLSA="--tls-verify --tls-ca-path $TB_CA"
AUTHP="-au $TB_USER -ap $TB_PASS"

postfix -c "$TB_PFDIR" check >"$T/check" 2>&1 ||
    fail "postfix check: $(cat "$T/check")"

# --- the certificate: chain, name, fingerprint --------------------------
openssl s_client -connect "127.0.0.1:$TB_PORT_SMTPS" -servername localhost \
    -CAfile "$TB_CA" -verify_hostname localhost -verify_return_error \
    </dev/null >"$T/s_client" 2>&1 || fail "s_client: $(tail -n 5 "$T/s_client")"
grep -q 'Verify return code: 0 (ok)' "$T/s_client" || fail "certificate not verified"
fp=$(openssl x509 -in "$T/s_client" -noout -fingerprint -sha256 |
    sed 's/^.*=//' | tr 'A-F' 'a-f')
assert_eq "$fp" "$TB_CERT_SHA256" "TB_CERT_SHA256"
echo "$TB_CERT_SHA256" | grep -qE '^([0-9a-f]{2}:){31}[0-9a-f]{2}$' ||
    fail "TB_CERT_SHA256 format: $TB_CERT_SHA256"
openssl verify -CAfile "$TB_OTHER_CA" "$TB_CERT" >/dev/null 2>&1 &&
    fail "TB_OTHER_CA verifies the server certificate"
openssl verify -CAfile "$TB_CA" "$TB_EXPIRED_CERT" >/dev/null 2>&1 &&
    fail "TB_EXPIRED_CERT is not expired"
openssl verify -CAfile "$TB_OTHER_CA" "$TB_OTHER_CERT" >/dev/null 2>&1 ||
    fail "TB_OTHER_CERT is not signed by TB_OTHER_CA"

# --- implicit TLS, AUTH PLAIN, byte-exact capture -------------------------
# swaks sends the file as is (LF -> CR LF, dot-stuffed) plus CR LF when
# it does not end in a newline; Postfix stores LF line ends.
R=tb-smtps@dest.test
printf 'From: Self Check <sender@example.org>\nTo: %s\nSubject: selfcheck smtps\n\n8-bit body: Gr\303\274\303\237e \342\202\254\n.leading dot\n..two dots\nFrom the start of a line\n\n  trailing blank above\nlast line' \
    "$R" >"$T/m1"
# shellcheck disable=SC2086
sw smtps --port "$TB_PORT_SMTPS" --tlsc $TLSA $AUTHP -a PLAIN \
    -f sender@example.org -t "$R" --data @"$T/m1" || fail "smtps: swaks exit $?"
saw smtps '^<~ +250-AUTH .*PLAIN'
saw smtps '^<~ +250-AUTH .*LOGIN'
saw smtps '^<~ +250-AUTH .*CRAM-MD5'
saw smtps '^<~ +250-SMTPUTF8'
saw smtps '^<~ +250-8BITMIME'
saw smtps '^<~ +235 2\.7\.0'
saw smtps '^<~ +250 2\.0\.0 Ok: queued'
wait_mail "$R" 1 || fail "smtps: nothing captured"
E=$TB_CAPTURE/$R/1
{ cat "$T/m1"; echo; } >"$T/want"
strip_received "$E.eml" >"$T/got"
cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got" | head; fail "smtps: content differs"; }
head -n 1 "$E.eml" | grep -q '^Received: from selfcheck.test (localhost \[127\.0\.0\.1\])$' ||
    fail "smtps: first line: $(head -n 1 "$E.eml")"
assert_file_contains "$E.eml" "(Authenticated sender: $TB_USER)"
assert_file_contains "$E.eml" "(using TLSv1."
assert_file_contains "$E.eml" "by smarthost.test (Postfix) with ESMTPSA id "
[ "$(grep -c '^Received:' "$E.eml")" -eq 1 ] || fail "smtps: not exactly one Received"
assert_file_contains "$E.env" "sender sender@example.org"
assert_file_contains "$E.env" "recipient $R"
assert_file_contains "$E.env" "sasl_username $TB_USER"
assert_file_contains "$E.env" "size $(wc -c <"$E.eml")"
assert_eq "$(mail_count "$R")" 1 "smtps: mail_count"

# --- STARTTLS: no AUTH before TLS; AUTH LOGIN and CRAM-MD5 after -----------
sw subclear --port "$TB_PORT_SUBMISSION" --quit-after EHLO || fail "submission EHLO: exit $?"
saw subclear '^<- +250-STARTTLS'
nosaw subclear 'AUTH'
R=tb-sub@dest.test
printf 'Subject: selfcheck submission\nBcc: hidden@dest.test\nContent-Length: 12\n\nNo From, no Date, no Message-ID: Postfix must add none.' >"$T/m2"
for mech in LOGIN CRAM-MD5; do
	# shellcheck disable=SC2086
	sw "sub-$mech" --port "$TB_PORT_SUBMISSION" --tls $TLSA $AUTHP -a "$mech" \
	    -f "<>" -t "$R" --data @"$T/m2" || fail "submission $mech: swaks exit $?"
	saw "sub-$mech" '^<~ +235 2\.7\.0'
	saw "sub-$mech" '^<~ +250 2\.0\.0 Ok: queued'
done
wait_mail "$R" 2 || fail "submission: not captured"
{ cat "$T/m2"; echo; } >"$T/want"
for n in 1 2; do
	strip_received "$TB_CAPTURE/$R/$n.eml" >"$T/got"
	cmp -s "$T/want" "$T/got" || { diff "$T/want" "$T/got" | head; fail "submission $n: content differs (headers added or dropped?)"; }
	assert_file_contains "$TB_CAPTURE/$R/$n.env" "sender "
	grep -qx 'sender ' "$TB_CAPTURE/$R/$n.env" || fail "null sender not recorded as empty"
done

# --- refusals --------------------------------------------------------------
# shellcheck disable=SC2086
sw badpw --port "$TB_PORT_SUBMISSION" --tls $TLSA -au "$TB_USER" -ap "wrong-$TB_PASS" \
    -a PLAIN -f s@example.org -t x@dest.test
saw badpw '^<~\*? +535 5\.7\.8'
# shellcheck disable=SC2086
sw noauth --port "$TB_PORT_SUBMISSION" --tls $TLSA -f s@example.org -t relay@dest.test
saw noauth '^<~\*? +554 5\.7\.1 '
# shellcheck disable=SC2086
sw reject --port "$TB_PORT_SMTPS" --tlsc $TLSA $AUTHP -a PLAIN -f s@example.org \
    -t reject-me@dest.test
saw reject '^<~\*? +550 5\.1\.1 '
# shellcheck disable=SC2086
sw defer --port "$TB_PORT_SMTPS" --tlsc $TLSA $AUTHP -a PLAIN -f s@example.org \
    -t defer-me@dest.test
saw defer '^<~\*? +450 4\.2\.0 '
# shellcheck disable=SC2086
sw badca --port "$TB_PORT_SMTPS" --tlsc --tls-verify --tls-ca-path "$TB_OTHER_CA" \
    $AUTHP -a PLAIN -f s@example.org -t badca@dest.test
nosaw badca '^<~ +220 '
nosaw badca '235 '
sw smtps-clear --port "$TB_PORT_SMTPS" --quit-after EHLO --timeout 2
nosaw smtps-clear '^<- +220 '

# --- the plain port: AUTH offered in clear, no STARTTLS ---------------------
sw plain --port "$TB_PORT_PLAIN" --quit-after EHLO || fail "plain EHLO: exit $?"
saw plain '^<- +250-AUTH .*PLAIN'
nosaw plain 'STARTTLS'
sw plainrelay --port "$TB_PORT_PLAIN" -f s@example.org -t relay@dest.test
saw plainrelay '^<\*\* +554 5\.7\.1 '

# --- SMTPUTF8 and 8-bit, unchanged -----------------------------------------
R='jürgen@dest.test'
"$PY" - "$TB_HOST" "$TB_PORT_SUBMISSION" "$TB_CA" "$TB_USER" "$TB_PASS" "$R" \
    "$T/m3" <<'EOF' || fail "SMTPUTF8 through the test bed"
import smtplib, ssl, sys
host, port, ca, user, pw, rcpt, out = sys.argv[1:]
msg = ("From: Jörg <jörg@example.org>\r\nTo: <%s>\r\nSubject: Grüße\r\n\r\n"
       "Zürich \u20ac 日本語\r\n" % rcpt).encode()
open(out, "wb").write(msg.replace(b"\r\n", b"\n"))
ctx = ssl.create_default_context(cafile=ca)
with smtplib.SMTP(host, int(port), timeout=15) as s:
    s.starttls(context=ctx)
    s.login(user, pw)
    s.sendmail("jörg@example.org", [rcpt], msg,
               mail_options=["SMTPUTF8", "BODY=8BITMIME"])
EOF
wait_mail "$R" 1 || fail "SMTPUTF8: not captured"
strip_received "$TB_CAPTURE/$R/1.eml" >"$T/got"
cmp -s "$T/m3" "$T/got" || { diff "$T/m3" "$T/got" | head; fail "SMTPUTF8: content differs"; }
assert_file_contains "$TB_CAPTURE/$R/1.env" "sender jörg@example.org"
testbed_idle || fail "test bed queue not empty"

# --- the fault server ------------------------------------------------------
# default: a plain, well-behaved server; the DATA stored with CR LF
fault_start -
sw f-basic --server 127.0.0.1 --port "$FAULT_PORT" --pipeline -f a@example.org \
    -t b@dest.test,c@dest.test --data @"$T/m1" || fail "fault basic: swaks exit $?"
saw f-basic '^<- +250-PIPELINING'
nosaw f-basic 'STARTTLS|AUTH'
{ cat "$T/m1"; echo; } | sed 's/$/\r/' >"$T/want"
cmp -s "$T/want" "$FAULT_DIR/msgs/000001.eml" || fail "fault basic: content differs"
printf 'sender a@example.org\nrecipient b@dest.test\nrecipient c@dest.test\n' >"$T/want"
cmp -s "$T/want" "$FAULT_DIR/msgs/000001.env" ||
    fail "fault basic: envelope: $(cat "$FAULT_DIR/msgs/000001.env")"
assert_file_contains "$FAULT_DIR/transcript" "C1 < MAIL FROM:<a@example.org>"
assert_file_contains "$FAULT_DIR/transcript" "C1 > 250 2.0.0 queued"
[ -s "$FAULT_DIR/pid" ] && kill -0 "$(cat "$FAULT_DIR/pid")" || fail "fault: no pid file"
fault_stop

# drop DOT once: the first session dies after the dot, the retry succeeds
printf 'drop DOT once\nmax-rcpts 1\n' >"$T/sdrop"
FAULT_PORT=$(free_port)
fault_start "$T/sdrop"
sw f-drop1 --server 127.0.0.1 --port "$FAULT_PORT" -f a@example.org -t d@dest.test
nosaw f-drop1 '250 2\.0\.0'
[ "$(fault_msgs)" -eq 0 ] || fail "drop DOT: the dropped message was stored"
sw f-drop2 --server 127.0.0.1 --port "$FAULT_PORT" -f a@example.org -t d@dest.test,e@dest.test
saw f-drop2 '452 4\.5\.3'
saw f-drop2 '^<- +250 2\.0\.0 queued'
[ "$(fault_msgs)" -eq 1 ] || fail "drop DOT: retry not stored"
assert_file_contains "$FAULT_DIR/transcript" "C1 * drop"
assert_not_contains "$FAULT_DIR/transcript" "C2 * drop"
fault_stop

# STARTTLS with the test bed's certificate: AUTH only after "* tls"
printf 'greet 421 4.3.2 busy once\n' >"$T/stls"
FAULT_PORT=$(free_port)
fault_start "$T/stls" starttls
sw f-421 --server 127.0.0.1 --port "$FAULT_PORT" -f a@example.org -t t@dest.test
saw f-421 '421 4\.3\.2 busy'
# shellcheck disable=SC2086
sw f-tls --port "$FAULT_PORT" --tls $TLSA -au u@example.org -ap fault-secret \
    -a PLAIN -f a@example.org -t t@dest.test || fail "fault STARTTLS: swaks exit $?"
saw f-tls '^<~ +235 '
awk '$1 == "C2" && $2 == "*" && $3 == "tls" { tls = 1 }
     $1 == "C2" && $3 == "AUTH" { exit !tls }
     END { }' "$FAULT_DIR/transcript" || fail "fault: AUTH logged before TLS"
grep -q '^C2 < AUTH PLAIN ' "$FAULT_DIR/transcript" || fail "fault: AUTH not logged"
fault_stop

# a typo in a script is an error, not a silent no-op
printf 'dorp DOT once\n' >"$T/styp"
mkdir "$T/ftyp"
"$PY" "$LIB/faultsmtp.py" --port "$(free_port)" --dir "$T/ftyp" --script "$T/styp" \
    >/dev/null 2>"$T/ftyp.err"
assert_eq $? 2 "fault server with a bad script: exit status"
assert_file_contains "$T/ftyp.err" "unknown directive"
exit 0
