# shellcheck shell=sh
# The OAuth test bed (tests/lib/oauthbed.py) for shell scripts. sh, not bash.
#
# In an integration test, after common.sh:
#   . "$LIB/oauthbed.sh"
#   ob_start [--set KEY=VALUE]...   start it in $T/ob, source its env (OB_*),
#                                   stopped by common.sh's cleanup
#   ob_ctl COMMAND [K=V]...         a control command, JSON answer on stdout
#   ob_get PATH                     one value of its state: ob_get counts.grant.refresh_token
#   ob_stop                         stop it now (bounded)
#   ob_leaks FILE...                fail when a file holds any secret the bed
#                                   knows (tokens, codes, client secret, key)
# As a command:
#   sh tests/lib/oauthbed.sh start DIR [--set KEY=VALUE]...   prints DIR/oauthbed.env
#   sh tests/lib/oauthbed.sh stop DIR
# With $TB_ENV (the Postfix test bed) set, the bed serves the test bed's
# certificate (TB_CERT, TB_KEY, CA TB_CA), otherwise it makes its own CA,
# and its RSA keys are made once per run ($TB_DIR/oauthbed-keys).

OB_LIBDIR=${LIB:-$(cd "$(dirname "$0")" && pwd)}
OB_PY=${PY:-/usr/bin/python3}
[ -x "$OB_PY" ] || OB_PY=python3

# ob_launch DIR [serve-args]: start in the background, wait for DIR/ready
# (at most 30 s); OB_PID is the process.
ob_launch() {
	ob_d=$1; shift
	mkdir -p "$ob_d" || return 1
	rm -f "$ob_d/ready"
	# The service-account RSA keys cost most of the start: one pair per
	# tests/run, kept in the Postfix test bed's directory.
	ob_kc=${TB_DIR:+$TB_DIR/oauthbed-keys}
	if [ -n "$ob_kc" ] && [ -r "$ob_kc/sa-bad.pem" ] && [ ! -e "$ob_d/sa.pem" ]; then
		cp -p "$ob_kc/sa.pem" "$ob_kc/sa-bad.pem" "$ob_d/"
	fi
	if [ -n "${TB_CERT:-}" ] && [ -r "${TB_CERT:-}" ]; then
		set -- --cert "$TB_CERT" --key "$TB_KEY" --ca "$TB_CA" "$@"
	fi
	"$OB_PY" "$OB_LIBDIR/oauthbed.py" serve --dir "$ob_d" "$@" \
	    </dev/null >>"$ob_d/stderr" 2>&1 &
	OB_PID=$!
	ob_i=0
	while [ ! -e "$ob_d/ready" ]; do
		if ! kill -0 "$OB_PID" 2>/dev/null; then
			echo "oauthbed: exited: $(tail -n 5 "$ob_d/stderr")" >&2
			return 1
		fi
		ob_i=$((ob_i + 1))
		if [ $ob_i -gt 600 ]; then
			kill "$OB_PID" 2>/dev/null
			echo "oauthbed: not ready after 30 s" >&2
			return 1
		fi
		sleep 0.05
	done
	if [ -n "$ob_kc" ] && [ ! -e "$ob_kc/sa-bad.pem" ] && mkdir -p "$ob_kc"; then
		cp -p "$ob_d/sa.pem" "$ob_kc/sa.pem" &&
		    cp -p "$ob_d/sa-bad.pem" "$ob_kc/sa-bad.pem.$$" &&
		    mv "$ob_kc/sa-bad.pem.$$" "$ob_kc/sa-bad.pem"
	fi
	return 0
}

# ob_kill PID: TERM, wait at most 5 s, then KILL.
ob_kill() {
	kill "$1" 2>/dev/null || return 0
	ob_i=0
	while kill -0 "$1" 2>/dev/null; do
		ob_i=$((ob_i + 1))
		if [ $ob_i -gt 100 ]; then
			kill -KILL "$1" 2>/dev/null
			break
		fi
		sleep 0.05
	done
}

ob_start() {
	ob_launch "$T/ob" "$@" || fail "the OAuth test bed did not start"
	FAULT_PIDS="$FAULT_PIDS $OB_PID"
	# shellcheck source=/dev/null
	. "$T/ob/oauthbed.env"
}
ob_stop() { [ -n "${OB_PID:-}" ] && ob_kill "$OB_PID"; OB_PID=""; }
ob_ctl() { "$OB_PY" "$OB_LIBDIR/oauthbed.py" ctl "$OB_CTL_PORT" "$@"; }
ob_get() { "$OB_PY" "$OB_LIBDIR/oauthbed.py" ctl "$OB_CTL_PORT" get "$@"; }
ob_leaks() {
	for ob_f in "$@"; do
		[ -e "$ob_f" ] || continue
		if grep -F -f "$OB_SECRETS" -- "$ob_f" >/dev/null; then
			fail "$ob_f holds a secret of the OAuth test bed: $(grep -n -o -F -f "$OB_SECRETS" -- "$ob_f" | cut -c1-60 | head -n 3)"
		fi
	done
}

case ${0##*/} in
oauthbed.sh)
	set -u
	cmd=${1:-}
	[ $# -ge 2 ] || { echo "usage: oauthbed.sh start DIR [--set K=V]... | stop DIR" >&2; exit 64; }
	dir=$2
	shift 2
	case $cmd in
	start)
		ob_launch "$dir" "$@" || exit 1
		echo "$(cd "$dir" && pwd)/oauthbed.env"
		;;
	stop)
		[ -r "$dir/pid" ] || exit 0
		ob_kill "$(cat "$dir/pid")"
		rm -f "$dir/ready"
		;;
	*)
		echo "usage: oauthbed.sh start DIR [--set K=V]... | stop DIR" >&2
		exit 64
		;;
	esac
	;;
esac
