# shellcheck shell=sh
# Helpers of the posta -bd tests (tests/it/t_listen*.sh), sourced after
# common.sh and callers.sh. sh, not bash.
# shellcheck disable=SC2034
LC="$PY $LIB/listenclient.py"

# listen_conf [LINE...]: $T/posta.conf for the test bed's submission
# port, with a [listen] section on a free loopback port LPORT.
listen_conf() {
	posta_conf_postfix submission >/dev/null
	LPORT=$(free_port)
	conf_set listen "port = $LPORT"
	for l in "$@"; do conf_set listen "$l"; done
}

# alive PID: running, not a zombie waiting for our wait
alive() {
	[ -r "/proc/$1/stat" ] &&
	    ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# wait_log TEXT [TENTHS]: until posta -bd's output says TEXT
wait_log() {
	i=0
	until grep -qF -- "$1" "$T/bd.out"; do
		i=$((i + 1)); [ $i -gt "${2:-100}" ] && return 1
		sleep 0.1
	done
}

# listen_start [ARGS...]: posta -C $T/posta.conf -bd ARGS in the
# background (LPID, output in $T/bd.out), once it is listening.
listen_start() {
	: >"$T/bd.out"	# here, not in the background: no old line is seen
	"$POSTA" -C "$T/posta.conf" -bd "$@" >>"$T/bd.out" 2>&1 &
	LPID=$!
	FAULT_PIDS="$FAULT_PIDS $LPID"
	i=0
	until grep -q "listening on" "$T/bd.out"; do
		alive "$LPID" || fail "posta -bd exited: $(cat "$T/bd.out")"
		i=$((i + 1)); [ $i -gt 100 ] && fail "posta -bd did not start"
		sleep 0.05
	done
}

# listen_stop [SIGNAL]: stop it (bounded: 45 s); its exit status in LRC
listen_stop() {
	kill "-${1:-TERM}" "$LPID" 2>/dev/null
	i=0
	while alive "$LPID"; do
		i=$((i + 1)); [ $i -gt 450 ] && fail "posta -bd did not stop"
		sleep 0.1
	done
	wait "$LPID"; LRC=$?
}

# local_addr 4|6: an address of this host that is not loopback, or ""
# (a UDP connect sends nothing; it only picks the source address).
# Connecting from it to a loopback listener stays on lo: no traffic
# leaves the host.
local_addr() {
	"$PY" - "$1" <<'PY'
import socket, sys
fam, dst = (socket.AF_INET, "192.0.2.1") if sys.argv[1] == "4" else \
    (socket.AF_INET6, "2001:db8::1")
try:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((dst, 9))
    a = s.getsockname()[0]
    if not (a.startswith("127.") or a == "::1" or a.startswith("fe80")):
        print(a)
except OSError:
    pass
PY
}
