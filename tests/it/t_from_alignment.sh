#!/bin/sh
# Issue 14: with [sender] from set and force_from off, a message whose
# From: domain is not from's domain (another domain, a bare name
# qualified with [sender] domain) gets a log line saying so, with the
# hint to set force_from; an aligned From, or force_from on, gets none.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"

fault_start -
posta_conf_fault "$FAULT_PORT" >/dev/null
conf_set sender "from = app@mail.example.net"
send() {	# FROM-FIELD
	: >"$T/posta.log"
	printf 'From: %s\nSubject: s\n\nb\n' "$1" |
	    "$POSTA" -C "$T/posta.conf" -i rcpt@dest.test || fail "send $1: exit $?"
}
hint='set force_from = yes'

send 'Shop <shop@other.example>'
grep -F "From: domain other.example is not [sender] from's domain mail.example.net" \
    "$T/posta.log" | grep -qF "$hint" || fail "other domain: $(cat "$T/posta.log")"
send 'root'
grep -F "From: domain example.com is not" "$T/posta.log" | grep -qF "$hint" ||
    fail "bare name: $(cat "$T/posta.log")"
send 'App <app@MAIL.example.net>'
grep -qF "$hint" "$T/posta.log" && fail "aligned From: $(cat "$T/posta.log")"
conf_set sender "force_from = yes"
send 'Shop <shop@other.example>'
grep -qF "$hint" "$T/posta.log" && fail "force_from: $(cat "$T/posta.log")"
[ "$(fault_msgs)" -eq 4 ] || fail "delivered $(fault_msgs) of 4"
exit 0
