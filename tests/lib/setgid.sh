# shellcheck shell=sh
# Sourced by the tests of a set-group-id install (after common.sh).
#
# setgid_build ETC OUT GROUP: OUT, a posta that reads ETC/posta.conf
# instead of /etc/posta.conf, set-group-id GROUP, made from the objects
# of the build under test and linked as they were compiled: with clang
# if clang made them, and with the sanitizer runtimes after
# `make SANITIZE=1`.
setgid_build() {
	objs=""
	for o in "$ROOT"/src/*.o; do
		case $o in */main.o|*'*'*) ;; *) objs="$objs $o" ;; esac
	done
	[ -n "$objs" ] || fail "no object files next to $POSTA"
	ccx=cc
	# shellcheck disable=SC2086
	readelf -p .comment $objs 2>/dev/null | grep -q 'clang version' && ccx=clang
	san=""
	# shellcheck disable=SC2086
	nm -u $objs 2>/dev/null | grep -q ' __asan_' && san="$san -fsanitize=address"
	# shellcheck disable=SC2086
	nm -u $objs 2>/dev/null | grep -q ' __ubsan_' && san="$san -fsanitize=undefined"
	# LeakSanitizer stops the world with ptrace, which a set-group-id
	# (not dumpable) process run by another user does not allow: off,
	# built in (such a process cannot read ASAN_OPTIONS either)
	extra=""
	case $san in *address*)
		printf '%s\n' 'const char *__asan_default_options(void);' \
		    'const char *__asan_default_options(void) { return "detect_leaks=0"; }' \
		    >"$T/noleaks.c"
		extra=$T/noleaks.c ;;
	esac
	# shellcheck disable=SC2086,SC2046
	$ccx $san -DSYSCONFDIR="\"$1\"" -D_DEFAULT_SOURCE -I"$ROOT/src" \
	    -o "$2" "$ROOT/src/main.c" $extra $objs \
	    $(pkg-config --libs openssl inih) 2>"$T/cc.err" ||
	    fail "build ($ccx$san): $(tail -5 "$T/cc.err")"
	chgrp "$3" "$2" && chmod 2755 "$2"
}
