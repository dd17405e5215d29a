#!/bin/sh
# Issue 11: posta -bd started by systemd socket activation. A launcher
# does what systemd does (a listening socket as fd 3, LISTEN_FDS=1,
# LISTEN_PID = the pid that execs posta); posta serves that socket and
# binds nothing of its own. LISTEN_PID of another process is ignored.
# Also: inetd-style, one "posta -bs" per connection on a socket.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
. "$LIB/listen.sh"

R=sd-$TAG
printf 'Subject: activated\r\n\r\nvia systemd\r\n' >"$T/msg"

# 1. the socket from "systemd"; [listen] port is not bound
listen_conf
: >"$T/bd.out"
$LC launch "$T/port" -- "$POSTA" -C "$T/posta.conf" -bd >>"$T/bd.out" 2>&1 &
LPID=$!
FAULT_PIDS="$FAULT_PIDS $LPID"
wait_log "listening on" || fail "did not start: $(cat "$T/bd.out")"
SPORT=$(cat "$T/port")
grep -q "listening on 127.0.0.1:$SPORT (from systemd) for loopback clients" "$T/bd.out" ||
    fail "start line: $(cat "$T/bd.out")"
out=$($LC send "$SPORT" sd@example.com "$R-act@dest.test" "$T/msg") || fail "client: $out"
getmail "$R-act@dest.test" 1
assert_eq "$(env_sender "$E")" sd@example.com "envelope sender"
out=$($LC greet "$LPORT")
case $out in "connect: "*) ;; *) fail "[listen] port bound too: $out" ;; esac
listen_stop
assert_eq "$LRC" 0 "exit status"

# 2. LISTEN_PID of someone else: not ours, [listen] is bound instead
listen_conf
: >"$T/bd.out"
LISTEN_PID=1 LISTEN_FDS=1 "$POSTA" -C "$T/posta.conf" -bd >>"$T/bd.out" 2>&1 &
LPID=$!
FAULT_PIDS="$FAULT_PIDS $LPID"
wait_log "listening on" || fail "did not start: $(cat "$T/bd.out")"
grep -q "listening on 127.0.0.1:$LPORT for" "$T/bd.out" || fail "start line: $(cat "$T/bd.out")"
out=$($LC send "$LPORT" sd@example.com "$R-own@dest.test" "$T/msg") || fail "client: $out"
getmail "$R-own@dest.test" 1
listen_stop

# 3. a passed fd that is not a listening socket: refused with a reason
"$PY" - "$POSTA" "$T/posta.conf" >"$T/bad.out" 2>&1 <<'PY'
import os, sys
r, w = os.pipe()
os.dup2(r, 3)
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execve(sys.argv[1], [sys.argv[1], "-C", sys.argv[2], "-bd"], env)
PY
assert_eq "$?" 64 "fd 3 a pipe: exit status"
grep -q "posta: LISTEN_FDS: fd 3 is not a listening socket" "$T/bad.out" ||
    fail "fd 3 a pipe: $(cat "$T/bad.out")"

# 4. inetd: one "posta -bs" per connection, the socket as stdin/stdout
"$PY" - "$POSTA" "$T/posta.conf" "$T/iport" >"$T/inetd.out" 2>&1 <<'PY' &
import os, socket, subprocess, sys
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(4)
open(sys.argv[3], "w").write("%d\n" % ls.getsockname()[1])
ls.settimeout(30)
c, _ = ls.accept()
rc = subprocess.call([sys.argv[1], "-C", sys.argv[2], "-bs"], stdin=c, stdout=c)
print("posta -bs exit", rc)
PY
INETD=$!
i=0
until [ -s "$T/iport" ]; do i=$((i + 1)); [ $i -gt 100 ] && fail "inetd"; sleep 0.05; done
out=$($LC send "$(cat "$T/iport")" in@example.com "$R-inetd@dest.test" "$T/msg") ||
    fail "inetd client: $out"
wait "$INETD"
grep -q "posta -bs exit 0" "$T/inetd.out" || fail "inetd: $(cat "$T/inetd.out")"
getmail "$R-inetd@dest.test" 1
exit 0
