#!/bin/sh
# A queue id that comes again (the clock stepped back) must not replace
# the entry that has it: the intake fails with EX_TEMPFAIL (75) and one
# line on stderr, q/ (failed/ for an intake refused as data) stays byte
# for byte as it was, and nothing of the intake is left in tmp/. Before,
# rename() put the new message over the queued one. An id is the
# second, the microsecond and 3 random hex digits (spool.c new_id()):
# under faketime the clock stands still, so one intake's id gives the
# first 13 digits of the next, and the 4096 ids that can follow are all
# put in the spool first, as copies of that first entry: the intake,
# which draws again while its id is in use (16 times), then keeps one
# in use, and its commit must refuse it.
. "$(dirname "$0")/../lib/common.sh"
command -v faketime >/dev/null || skip "no faketime"
# nothing is sent: a port nobody listens on
conf=$(posta_conf_fault "$(free_port)")
Q=$T/spool/q F=$T/spool/failed TMP=$T/spool/tmp
# -f and an absolute time without "@": frozen, to the microsecond. A
# posta built with gcc's ASan refuses the preloaded library unless told
# the order is fine (as in t_tls_resume).
frozen() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    faketime -f '2021-06-01 12:00:00' "$POSTA" -C "$conf" "$@"
}
# fill DIR: an entry for every id the frozen clock can give, but the first
fill() {
	"$PY" - "$Q" "$1" "$id" <<'PY' || fail "fill $1"
import os, sys
src, dst, id0 = sys.argv[1:]
msg = open(os.path.join(src, id0 + ".msg"), "rb").read()
env = open(os.path.join(src, id0 + ".env"), "rb").read()
for i in range(4096):
    new = "%s%03x" % (id0[:13], i)
    for ext, data in (("msg", msg),
                      ("env", env.replace(id0.encode(), new.encode()))):
        p = os.path.join(dst, new + "." + ext)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)
PY
}
snap() { find "$Q" "$F" -type f -exec sha256sum {} + | sort; }

printf 'Subject: first\n\nfirst\n' | frozen -odq a@dest.test 2>"$T/err" ||
    fail "first intake: exit $?: $(cat "$T/err")"
id=$(find "$Q" -name '*.env' -printf '%f\n' | sed 's/\.env$//')
[ ${#id} -eq 16 ] || fail "first intake: not one entry in q/: $(ls -A "$Q")"
pre=$(echo "$id" | cut -c1-13)
fill "$Q"
assert_eq "$(nfiles "$Q" "$pre*.env")" 4096 "entries made in q/"

# into q/
snap >"$T/before"
printf 'Subject: second\n\nsecond\n' | frozen -odq b@dest.test 2>"$T/err"
assert_eq $? 75 "intake onto a queue id in q/: exit status (EX_TEMPFAIL)"
assert_eq "$(wc -l <"$T/err")" 1 "lines on stderr"
grep -q "q/${pre}[0-9a-f]*\.msg exists: queue id ${pre}[0-9a-f]* is in use" \
    "$T/err" || fail "the error does not say what clashed: $(cat "$T/err")"
snap >"$T/after"
cmp -s "$T/before" "$T/after" ||
    fail "the spool changed: $(diff "$T/before" "$T/after" | head -n 5)"
assert_eq "$(nfiles "$TMP" '*')" 0 "files left in tmp/"

# into failed/: an intake refused as data (-t without a recipient)
mkdir -p "$F"
fill "$F"
snap >"$T/before"
printf 'Subject: nobody\n\nno recipient\n' | frozen -t 2>"$T/err"
assert_eq $? 75 "intake onto a queue id in failed/: exit status (EX_TEMPFAIL)"
assert_eq "$(wc -l <"$T/err")" 1 "lines on stderr"
grep -q "failed/${pre}[0-9a-f]*\.msg exists" "$T/err" ||
    fail "the error does not say what clashed: $(cat "$T/err")"
snap >"$T/after"
cmp -s "$T/before" "$T/after" ||
    fail "the spool changed: $(diff "$T/before" "$T/after" | head -n 5)"
assert_eq "$(nfiles "$TMP" '*')" 0 "files left in tmp/"

# with the clock going again, intake works as before
printf 'Subject: third\n\nthird\n' | "$POSTA" -C "$conf" -odq c@dest.test \
    2>"$T/err" || fail "intake, clock running: exit $?: $(cat "$T/err")"
assert_eq "$(nfiles "$Q" '*.env')" 4097 "entries in q/"
exit 0
