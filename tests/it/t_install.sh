#!/bin/sh
# Issue 4: the installed names. `make install install-sendmail` into a
# DESTDIR tree under $T (never outside it): the binary, the man pages,
# etc/posta.conf (mode 600), and relative links sendmail, mailq and
# newaliases that resolve inside the tree; called by those names they
# behave as SPEC.md says: sendmail is posta, mailq is posta -bp,
# newaliases succeeds and does nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
[ -x "$POSTA" ] || fail "$POSTA is not built"

D=$T/root
# -o src/posta: install the binary under test, never rebuild it here
make -C "$ROOT" -o src/posta install install-sendmail DESTDIR="$D" \
    PREFIX=/usr LOGFILE=/var/log/posta.log >"$T/make.out" 2>&1 ||
    fail "make install: $(tail -5 "$T/make.out")"
# every destination make wrote to is inside $D
awk '/^ *install -m/ { print $NF } /^ln -sf/ { print $NF }' "$T/make.out" >"$T/dests"
[ "$(wc -l <"$T/dests")" -ge 7 ] || fail "make printed no install lines: $(cat "$T/make.out")"
while read -r d; do
	case $d in "$D"/*) ;; *) fail "make installed outside DESTDIR: $d" ;; esac
done <"$T/dests"

mode() { stat -c %a "$1"; }
for f in usr/sbin/posta:755:src/posta usr/share/man/man8/posta.8:644:man/posta.8 \
    usr/share/man/man5/posta.conf.5:644:man/posta.conf.5 etc/posta.conf:600:etc/posta.conf; do
	p=${f%%:*} rest=${f#*:}
	m=${rest%%:*} src=${rest#*:}
	[ -f "$D/$p" ] || fail "$p not installed as a file"
	[ -L "$D/$p" ] && fail "$p installed as a link, not a file"
	assert_eq "$(mode "$D/$p")" "$m" "mode of $p"
	cmp -s "$D/$p" "$ROOT/$src" || fail "$p differs from $src"
done

# the spool with every subdirectory posta would make on first use, and
# the log file: the installer's, not the first user's (issue 13)
me=$(id -un)
for p in var/spool/posta var/spool/posta/tmp var/spool/posta/q \
    var/spool/posta/failed var/spool/posta/corrupt var/spool/posta/tls \
    var/spool/posta/oauth; do
	[ -d "$D/$p" ] || fail "$p not made"
	assert_eq "$(stat -c '%a %U' "$D/$p")" "700 $me" "mode and owner of $p"
done
assert_eq "$(stat -c '%a %U %s' "$D/var/log/posta.log")" "600 $me 0" "the log file"

# make install-setgid (root only): the layout of posta(8) SECURITY
if [ "$(id -u)" -eq 0 ] && grp=postatest$$ && groupadd --system "$grp" 2>/dev/null; then
	# shellcheck disable=SC2154	# rc is set inside the trap
	trap 'rc=$?; groupdel "$grp" 2>/dev/null; (exit $rc); cleanup' EXIT
	G=$T/groot
	make -C "$ROOT" -o src/posta install-setgid DESTDIR="$G" PREFIX=/usr \
	    POSTA_GROUP="$grp" LOGFILE=/var/log/posta.log >"$T/make.out" 2>&1 ||
	    fail "make install-setgid: $(tail -5 "$T/make.out")"
	assert_eq "$(stat -c '%a %U %G' "$G/usr/sbin/posta")" "2755 root $grp" "set-group-id posta"
	assert_eq "$(stat -c '%a %U %G' "$G/etc/posta.conf")" "640 root $grp" "its posta.conf"
	assert_eq "$(stat -c '%a %U %G' "$G/var/log/posta.log")" "660 root $grp" "its log file"
	for p in var/spool/posta var/spool/posta/tmp var/spool/posta/q \
	    var/spool/posta/failed var/spool/posta/corrupt var/spool/posta/tls \
	    var/spool/posta/oauth; do
		assert_eq "$(stat -c '%a %U %G' "$G/$p")" "2770 root $grp" "set-group-id $p"
	done
	# a second run changes nothing and keeps the configuration
	printf '; edited %s\n' "$TAG" >>"$G/etc/posta.conf"
	make -C "$ROOT" -o src/posta install-setgid DESTDIR="$G" PREFIX=/usr \
	    POSTA_GROUP="$grp" >"$T/make.out" 2>&1 ||
	    fail "second make install-setgid: $(tail -5 "$T/make.out")"
	grep -q "edited $TAG" "$G/etc/posta.conf" || fail "install-setgid overwrote posta.conf"
	assert_eq "$(stat -c '%a %G' "$G/var/spool/posta/q")" "2770 $grp" "q/ after a second run"
	# and a later plain install (an upgrade) leaves the spool to the group
	make -C "$ROOT" -o src/posta install DESTDIR="$G" PREFIX=/usr \
	    >"$T/make.out" 2>&1 || fail "make install after: $(tail -5 "$T/make.out")"
	assert_eq "$(stat -c '%a %G' "$G/var/spool/posta/q")" "2770 $grp" "q/ after make install"
fi

# the links: relative, resolving to the installed posta inside $D
for l in usr/sbin/sendmail:posta usr/bin/mailq:../sbin/posta \
    usr/bin/newaliases:../sbin/posta; do
	p=${l%%:*} want=${l#*:}
	[ -L "$D/$p" ] || fail "$p is not a symbolic link"
	assert_eq "$(readlink "$D/$p")" "$want" "target of $p"
	assert_eq "$(readlink -f "$D/$p")" "$(readlink -f "$D/usr/sbin/posta")" "$p resolves to"
done
SM=$D/usr/sbin/sendmail MQ=$D/usr/bin/mailq NA=$D/usr/bin/newaliases

# sendmail: the version, then mail through the real smart host
"$SM" -bV >"$T/out" 2>&1 || fail "sendmail -bV: exit $?"
grep -q '^posta ' "$T/out" || fail "sendmail -bV: $(cat "$T/out")"
posta_conf_postfix submission >/dev/null
R=install-$TAG@dest.test
printf 'Subject: installed %s\n\nvia the sendmail link\n' "$TAG" |
    "$SM" -C "$T/posta.conf" -i "$R" 2>"$T/err" || fail "sendmail: exit $?: $(cat "$T/err")"
getmail "$R" 1
assert_hdr "$M" Subject "installed $TAG"
assert_eq "$(env_sender "$E")" "$ME@example.com" "sendmail link: envelope sender"

# mailq: posta -bp: the empty queue, then a queued message, then empty
"$MQ" -C "$T/posta.conf" >"$T/out" 2>&1 || fail "mailq: exit $?"
assert_eq "$(cat "$T/out")" "Mail queue is empty" "mailq on an empty queue"
printf 'Subject: queued\n\nb\n' | "$SM" -C "$T/posta.conf" -odq "$R" || fail "-odq: exit $?"
"$MQ" -C "$T/posta.conf" >"$T/out" 2>&1 || fail "mailq: exit $?"
id=""
for f in "$T"/spool/q/*.env; do [ -e "$f" ] && id=$(basename "$f" .env); done
[ -n "$id" ] || fail "-odq queued nothing"
grep -q "^$id " "$T/out" || fail "mailq does not list $id: $(cat "$T/out")"
grep -q "pending *<$R>" "$T/out" || fail "mailq does not list <$R>: $(cat "$T/out")"
# the Age column (and a "next try in") may tick between the two listings
noage() {
	sed -E -e 's/^([0-9a-f]{16} +[0-9]+) +[0-9][0-9a-z]*  </\1 AGE  </' \
	    -e 's/next try in [0-9a-z]+$/next try in T/' "$@"
}
"$SM" -C "$T/posta.conf" -bp >"$T/out2" 2>&1 || fail "sendmail -bp: exit $?"
noage "$T/out" >"$T/out.noage"
grep -q "^$id  *[0-9]* AGE  <" "$T/out.noage" || fail "mailq: no Age column: $(cat "$T/out")"
noage "$T/out2" | cmp -s - "$T/out.noage" ||
    fail "mailq and sendmail -bp differ: $(diff "$T/out" "$T/out2")"
"$MQ" -C "$T/posta.conf" -qQ >"$T/out" 2>&1 || fail "mailq -qQ: exit $?"
assert_eq "$(cat "$T/out")" "No failed messages" "mailq -qQ"
"$SM" -C "$T/posta.conf" -q || fail "sendmail -q: exit $?"
getmail "$R" 2
"$MQ" -C "$T/posta.conf" >"$T/out" 2>&1 || fail "mailq: exit $?"
assert_eq "$(cat "$T/out")" "Mail queue is empty" "mailq after -q"

# newaliases: exit 0, silent, reads nothing ([aliases] is read on every
# run); also with the flags a package's postinst may give
for args in "" "-C $T/posta.conf" "-v"; do
	# shellcheck disable=SC2086
	"$NA" $args >"$T/out" 2>&1
	st=$?
	[ $st -eq 0 ] || fail "newaliases $args: exit $st"
	[ -s "$T/out" ] && fail "newaliases $args: printed $(cat "$T/out")"
done
"$SM" -bi >"$T/out" 2>&1 || fail "sendmail -bi: exit $?"
[ -s "$T/out" ] && fail "sendmail -bi printed $(cat "$T/out")"
if command -v strace >/dev/null; then
	# LeakSanitizer stops the world with ptrace, which strace holds
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -e trace=open,openat -o "$T/trace" "$NA" || fail "newaliases under strace"
	grep -v -e '\.so' -e 'ld\.so' -e 'ENOENT' -e '+++' -e 'locale' "$T/trace" |
	    grep -q 'posta' && fail "newaliases opened a posta file: $(grep posta "$T/trace")"
fi

# a second install keeps the administrator's configuration
printf '; edited by the admin %s\n' "$TAG" >>"$D/etc/posta.conf"
make -C "$ROOT" -o src/posta install install-sendmail DESTDIR="$D" \
    PREFIX=/usr >"$T/make.out" 2>&1 || fail "second make install: $(tail -5 "$T/make.out")"
grep -q "edited by the admin $TAG" "$D/etc/posta.conf" ||
    fail "make install overwrote etc/posta.conf"
[ -L "$D/usr/sbin/sendmail" ] && assert_eq "$(readlink "$D/usr/sbin/sendmail")" posta "link after reinstall"
exit 0
