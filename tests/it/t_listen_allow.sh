#!/bin/sh
# Issue 11: posta -bd is never an open relay. A non-loopback [listen]
# address without allow is refused at start; a client that is neither
# loopback nor in allow gets 554 5.7.1 at the greeting and is closed;
# allow (IPv4 and IPv6, also from the environment) lets a network in;
# -bl keeps to loopback whatever [listen] says. The clients that are
# not loopback connect from this host's own address to the loopback
# listener: the traffic stays on lo.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
. "$LIB/listen.sh"

R=allow-$TAG

# 1. refused at start: exit 78 and what to set, before anything is bound
for a in 0.0.0.0 :: 192.0.2.77; do
	listen_conf "address = $a"
	timeout 10 "$POSTA" -C "$T/posta.conf" -bd >"$T/start.out" 2>&1
	rc=$?
	assert_eq "$rc" 78 "address $a without allow: exit status"
	grep -qF "posta: [listen] address $a is not a loopback address: set [listen] allow to the client networks that may send mail through this listener (see posta.conf(5)); posta is never an open relay" \
	    "$T/start.out" || fail "address $a: $(cat "$T/start.out")"
done
listen_conf
POSTA_LISTEN_ADDRESS=0.0.0.0
export POSTA_LISTEN_ADDRESS
timeout 10 "$POSTA" -C "$T/posta.conf" -bd >"$T/start.out" 2>&1
assert_eq "$?" 78 "POSTA_LISTEN_ADDRESS=0.0.0.0: exit status"
unset POSTA_LISTEN_ADDRESS
grep -q "address 0.0.0.0 is not a loopback address" "$T/start.out" ||
    fail "environment: $(cat "$T/start.out")"
listen_conf "allow = 10.1.2.3/8"
timeout 10 "$POSTA" -C "$T/posta.conf" -bd >"$T/start.out" 2>&1
assert_eq "$?" 78 "bad allow: exit status"
grep -q "posta.conf:[0-9]*: invalid allow network \"10.1.2.3/8\": host bits set" \
    "$T/start.out" || fail "bad allow: $(cat "$T/start.out")"

L4=$(local_addr 4)
L6=$(local_addr 6)
[ -n "$L4$L6" ] || skip "no address but loopback on this host to connect from"

# 2. neither loopback nor allowed: 554 5.7.1 at the greeting, nothing
# queued; loopback (any of 127/8) is still served
listen_conf "allow = 198.51.100.0/24, 2001:db8::/32"
listen_start
printf 'Subject: x\r\n\r\nx\r\n' >"$T/msg"
for src in $L4; do
	out=$($LC greet "$LPORT" --source "$src")
	assert_eq "$out" "554 5.7.1 posta: your address is not allowed to send mail here" \
	    "greeting for $src"
	out=$($LC send "$LPORT" a@example.com "$R-no4@dest.test" "$T/msg" --source "$src")
	case $out in "refused 554 "*) ;; *) fail "smtplib from $src: $out" ;; esac
	grep -q "refused connection from $src:[0-9]*: not loopback and not in \[listen\] allow" \
	    "$T/bd.out" || fail "no log line for $src"
done
out=$($LC send "$LPORT" a@example.com "$R-lo@dest.test" "$T/msg") || fail "loopback: $out"
out=$($LC send "$LPORT" a@example.com "$R-lo@dest.test" "$T/msg" --source 127.0.0.4) ||
    fail "127.0.0.4: $out"
exactly "$R-lo@dest.test" 2
listen_stop
if [ -n "$L6" ]; then
	listen_conf "address = ::1" "allow = 2001:db8::/32"
	listen_start
	out=$($LC greet "$LPORT" --host ::1 --source "$L6")
	assert_eq "$out" "554 5.7.1 posta: your address is not allowed to send mail here" \
	    "greeting for $L6"
	out=$($LC send "$LPORT" a@example.com "$R-lo6@dest.test" "$T/msg" --host ::1) ||
	    fail "::1: $out"
	getmail "$R-lo6@dest.test" 1
	listen_stop
fi
[ "$(queued)" -eq 0 ] || fail "something queued"
[ -d "$TB_CAPTURE/$R-no4@dest.test" ] && fail "a refused client's message was delivered"

# 3. allowed through [listen] allow, here from the environment
for src in $L4 $L6; do
	case $src in
	*:*) listen_conf "address = ::1"; host=::1 ;;
	*) listen_conf; host=127.0.0.1 ;;
	esac
	POSTA_LISTEN_ALLOW="198.51.100.0/24 $src"
	export POSTA_LISTEN_ALLOW
	listen_start
	unset POSTA_LISTEN_ALLOW
	grep -q "and \[listen\] allow 198.51.100.0/24 $src clients" "$T/bd.out" ||
	    fail "start line: $(cat "$T/bd.out")"
	out=$($LC send "$LPORT" a@example.com "$R-yes@dest.test" "$T/msg" --host "$host" \
	    --source "$src") || fail "allowed $src: $out"
	grep -q "connection from \[*$src\]*:" "$T/bd.out" || fail "no connection line for $src"
	listen_stop
done
n=0
for src in $L4 $L6; do n=$((n + 1)); done
exactly "$R-yes@dest.test" "$n"

# 4. -bl: loopback only, whatever address and allow say
if [ -n "$L4" ]; then
	listen_conf "address = 0.0.0.0" "allow = $L4/32"
	listen_start -bl
	grep -q "listening on 127.0.0.1:$LPORT for loopback clients" "$T/bd.out" ||
	    fail "-bl: $(cat "$T/bd.out")"
	out=$($LC greet "$LPORT" --source "$L4")
	case $out in 554*) ;; *) fail "-bl: $L4 let in: $out" ;; esac
	out=$($LC greet "$LPORT")
	case $out in 220*) ;; *) fail "-bl: loopback: $out" ;; esac
	listen_stop
fi
exit 0
