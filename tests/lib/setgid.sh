# shellcheck shell=sh
# Sourced by the tests of a set-group-id install, after common.sh.
#
# setgid_group PREFIX: create a system group PREFIX$$ (skip without root
# or groupadd), removed when the test exits; sets GRP.
# setgid_build ETCDIR OUT [GROUP]: link OUT, a posta whose default configuration
# is ETCDIR/posta.conf, from the objects of the build under test, as
# they were compiled (clang or cc, with the sanitizer runtimes after
# `make SANITIZE=1`), and make it set-group-id GROUP (default GRP).
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
	sg_objs=""
	for o in "$ROOT"/src/*.o; do
		case $o in */main.o|*'*'*) ;; *) sg_objs="$sg_objs $o" ;; esac
	done
	[ -n "$sg_objs" ] || fail "no object files next to $POSTA"
	sg_cc=cc
	# shellcheck disable=SC2086
	readelf -p .comment $sg_objs 2>/dev/null | grep -q 'clang version' &&
	    sg_cc=clang
	sg_san=""
	# shellcheck disable=SC2086
	nm -u $sg_objs 2>/dev/null | grep -q ' __asan_' &&
	    sg_san="$sg_san -fsanitize=address"
	# shellcheck disable=SC2086
	nm -u $sg_objs 2>/dev/null | grep -q ' __ubsan_' &&
	    sg_san="$sg_san -fsanitize=undefined"
	# LeakSanitizer ptraces the process at exit, which a set-group-id
	# process run by nobody does not allow, and such a process cannot
	# read ASAN_OPTIONS from /proc/self/environ: built in instead
	sg_extra=""
	case $sg_san in *address*)
		printf '%s\n' 'const char *__asan_default_options(void);' \
		    'const char *__asan_default_options(void) { return "detect_leaks=0"; }' \
		    >"$T/noleaks.c"
		sg_extra=$T/noleaks.c ;;
	esac
	# shellcheck disable=SC2086,SC2046
	$sg_cc $sg_san -DSYSCONFDIR="\"$1\"" -D_DEFAULT_SOURCE -I"$ROOT/src" \
	    -o "$2" "$ROOT/src/main.c" $sg_extra $sg_objs \
	    $(pkg-config --libs openssl inih) 2>"$T/cc.err" ||
	    fail "build ($sg_cc$sg_san): $(tail -5 "$T/cc.err")"
	chgrp "${3:-$GRP}" "$2" && chmod 2755 "$2"
}
