# shellcheck shell=sh
# Sourced by the tests of a set-group-id install, after common.sh.
#
# setgid_group PREFIX: create a system group PREFIX$$ (skip without root
# or groupadd), removed when the test exits; sets GRP.
# setgid_build ETCDIR OUT [GROUP]: OUT, a posta whose default
# configuration is ETCDIR/posta.conf (relink_posta in common.sh), made
# set-group-id GROUP (default GRP).
# as_nobody CMD...: run CMD as nobody:nogroup without other groups.

setgid_group() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to make a set-group-id binary"
	GRP=$1$$
	groupadd --system "$GRP" 2>/dev/null || skip "cannot create a group"
	# shellcheck disable=SC2154	# rc is set inside the trap
	trap 'rc=$?; groupdel "$GRP" 2>/dev/null; (exit $rc); cleanup' EXIT
}

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

setgid_build() {
	relink_posta "$2" "$1"
	chgrp "${3:-$GRP}" "$2" && chmod 2755 "$2"
}
