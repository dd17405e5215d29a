#!/bin/sh
# Issue 11: posta --check against what is wrong with a configuration or
# a smart host on the test bed: each gives its FAIL line with what to
# change, and the exit status says who has to act (sysexits).
. "$(dirname "$0")/../lib/common.sh"
need_testbed

# check STATUS LINE [CONF]: --check exits STATUS and prints LINE
check() {
	"$POSTA" -C "${3:-$conf}" --check ${ADDR:+"$ADDR"} >"$T/out" 2>"$T/err"
	st=$?
	grep -qF -- "$2" "$T/out" || fail "missing '$2' in: $(cat "$T/out" "$T/err")"
	assert_eq $st "$1" "exit status for '$2'"
	grep -qF -- "$TB_PASS" "$T/out" "$T/err" && fail "the password was printed"
	return 0
}
# has LINE: the last --check printed LINE too
has() { grep -qF -- "$1" "$T/out" || fail "missing '$1' in: $(cat "$T/out")"; }

# the plain port with tls = starttls: no STARTTLS, nothing sent after EHLO
conf=$(posta_conf_postfix plain)
sed -i 's/^tls = .*/tls = starttls/' "$conf"
check 78 "FAIL     STARTTLS: not offered by localhost:$TB_PORT_PLAIN: use the provider's submission port with TLS (587 with tls = starttls, or 465 with tls = implicit)"
has "skip     login: not tried after the failures above"
grep -q '^ok       greeting: 220' "$T/out" || fail "plain: no greeting line"

# a wrong password: the smart host's 535 and what to fix
conf=$(posta_conf_postfix submission)
sed -i 's/^password = .*/password = wrong-password/' "$conf"
check 77 "FAIL     login: wrong password: 535 5.7.8 Error: authentication failed"
grep -q 'wrong-password' "$T/out" && fail "the wrong password was printed"

# the password file is missing: found before the network is used
conf=$(posta_conf_postfix submission)
sed -i "s|^password = .*|password_file = $T/nonexistent|" "$conf"
check 78 "FAIL     credentials: password_file $T/nonexistent"
has "skip     login: not tried"

# a closed port
port=$(free_port)
conf=$(posta_conf_postfix submission)
sed -i "s/^port = .*/port = $port/" "$conf"
check 69 "FAIL     connect: localhost:$port: connect: Connection refused: check host and port"

# a name that does not resolve
conf=$(posta_conf_postfix submission)
sed -i 's/^host = .*/host = nonexistent.invalid/' "$conf"
check 68 "FAIL     resolve nonexistent.invalid: "

# STARTTLS configured on the implicit TLS port (timeout 3: the greeting
# wait is the shorter of timeout and 10 s)
conf=$(posta_conf_postfix smtps)
sed -i 's/^tls = .*/tls = starttls/; s/^timeout = .*/timeout = 3/' "$conf"
check 78 "FAIL     greeting: none, but the server speaks TLS at once: port $TB_PORT_SMTPS is an implicit TLS port: set tls = implicit"

# implicit TLS configured on the STARTTLS port
conf=$(posta_conf_postfix submission)
sed -i 's/^tls = .*/tls = implicit/' "$conf"
check 78 "it is not an implicit TLS port: set tls = starttls"

# a pin that is not the server's
conf=$(posta_conf_postfix submission)
sed -i "s|^ca_file = .*|fingerprint = sha256:$(printf '%064d' 0)|" "$conf"
check 78 "FAIL     certificate pin: the server's is fingerprint = sha256:$(echo "$TB_CERT_SHA256" | tr a-f A-F), not sha256:00:00:"

# the recipient of the test message is refused: RCPT's reply
conf=$(posta_conf_postfix submission)
ADDR=reject-check@dest.test check 69 "FAIL     test message: RCPT TO:<reject-check@dest.test> refused: 550 5.1.1"

# an invalid address: the login is still checked, no message is sent
conf=$(posta_conf_postfix submission)
ADDR='a b@@' check 64 "FAIL     test message: invalid address a b@@: "
has "ok       login: $TB_USER accepted with AUTH PLAIN"
has "skip     test message: not sent"

# a configuration that does not load: FILE:LINE and EX_CONFIG
conf=$(posta_conf_postfix submission)
sed -i 's/^port = /prot = /' "$conf"
check 78 "FAIL     configuration: $conf:3: unknown key \"prot\" in [upstream]; did you mean \"port\"?"
exit 0
