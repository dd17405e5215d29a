#!/bin/sh
# Issue 13, point 4: a recognisable password (and the OAuth test bed's
# tokens) go through the suite's main scenarios: AUTH PLAIN on 465,
# PLAIN, LOGIN and SCRAM on 587 (STARTTLS), CRAM-MD5, a refused login, a
# deferred and a bounced message, -v transcripts, a queue run, -bp,
# -bp --json, -bp -qQ, --check, --check ADDR, XOAUTH2 with a refreshed
# token, --oauth-status. Then every log, transcript, output, spool file
# (q/, failed/, tls/, oauth/), and every message the smart host
# received is searched for the password, its base64 forms (the AUTH
# PLAIN string, LOGIN's password line) and every token: none may be
# there. Not searched: the configuration files and secret file that
# hold the password on purpose, the servers' own state, and the OAuth
# token cache (0600 files in the spool's oauth/ that exist to hold the
# tokens; their .lock files are searched). And posta runs with core
# dumps off: RLIMIT_CORE 0 and not dumpable.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/oauthbed.sh"
. "$LIB/oauthconf.sh"
need_testbed
CANARY=S3cr3t-LEAK-CANARY-7f2
LUSER=leakcanary@smarthost.test
"$ROOT/tests/lib/testbed.sh" useradd "$TB_DIR" "$LUSER" "$CANARY" ||
    fail "cannot add the canary user to the test bed"
mkdir -p "$T/out"
printf '%s\n' "$CANARY" >"$T/pw" && chmod 0600 "$T/pw"

# pconf NAME PORT TLS LINE...: a config for the canary user
pconf() {
	pc_n=$1 pc_port=$2 pc_tls=$3
	shift 3
	{
		printf '[upstream]\nhost = %s\nport = %s\ntls = %s\n' \
		    "$TB_HOST" "$pc_port" "$pc_tls"
		printf 'username = %s\nca_file = %s\ntimeout = 10\n' "$LUSER" "$TB_CA"
		printf '%s\n' "$@"
		conf_tail
	} >"$T/$pc_n.conf"
	chmod 0600 "$T/$pc_n.conf"
}
pconf smtps "$TB_PORT_SMTPS" implicit "password = $CANARY" "auth = plain"
pconf sub "$TB_PORT_SUBMISSION" starttls "password_file = $T/pw"
pconf login "$TB_PORT_SUBMISSION" starttls "password_command = cat $T/pw" \
    "auth = login"
pconf cram "$TB_PORT_SMTPS" implicit "password_file = $T/pw" "auth = cram-md5"
pconf scram "$TB_PORT_SUBMISSION" starttls "password = $CANARY" \
    "auth = scram-sha-256"
pconf wrong "$TB_PORT_SUBMISSION" starttls "password = $CANARY-wrong"

# run NAME ARGS...: posta, stdout and stderr kept in $T/out
run() { r_n=$1; shift; "$POSTA" "$@" >"$T/out/$r_n.out" 2>"$T/out/$r_n.err"; }
# send NAME CONF RCPT [ARGS]: one message with -v
send() {
	s_n=$1 s_c=$2 s_r=$3
	shift 3
	printf 'Subject: leak %s\n\nbody\n' "$s_n" |
	    run "$s_n" -C "$T/$s_c.conf" -v "$@" "$s_r"
}
for c in smtps sub login cram scram; do
	send "$c" "$c" "leak-$c@dest.test" || fail "$c: exit $? ($(tail -n 3 "$T/out/$c.err"))"
	wait_mail "leak-$c@dest.test" 1 || fail "$c: not delivered"
done
grep -q '^>>> AUTH PLAIN' "$T/out/smtps.err" || fail "smtps: no AUTH PLAIN"
grep -q '^>>> AUTH LOGIN' "$T/out/login.err" || fail "login: no AUTH LOGIN"
grep -q '^>>> AUTH CRAM-MD5' "$T/out/cram.err" || fail "cram: no AUTH CRAM-MD5"
grep -q '^>>> AUTH SCRAM-SHA-256' "$T/out/scram.err" || fail "scram: no SCRAM"
send wrong wrong leak-wrong@dest.test
grep -q '535' "$T/out/wrong.err" || fail "wrong: no 535: $(tail -n 3 "$T/out/wrong.err")"
send defer smtps defer-leak@dest.test
send reject smtps reject-leak@dest.test
[ "$(queued)" -ge 2 ] || fail "deferred: nothing queued"
[ "$(failed_count)" -ge 1 ] || fail "bounced: nothing in failed/"
run bp -C "$T/smtps.conf" -bp
run bpjson -C "$T/smtps.conf" -bp --json
run bpfailed -C "$T/smtps.conf" -bp -qQ
grep -q 'defer-leak@dest.test' "$T/out/bp.out" || fail "-bp: $(cat "$T/out/bp.out")"
run qrun -C "$T/smtps.conf" -q -v
run check -C "$T/sub.conf" --check -v
run checkaddr -C "$T/scram.conf" --check -v leak-check@dest.test
wait_mail leak-check@dest.test 1 || fail "--check ADDR: not delivered"
# a password_command that fails: its stderr is in the error line
pconf badcmd "$TB_PORT_SUBMISSION" starttls "password_command = cat $T/pw.missing"
send badcmd badcmd leak-badcmd@dest.test -odi
grep -q 'pw.missing: No such file' "$T/out/badcmd.err" ||
    fail "badcmd: $(cat "$T/out/badcmd.err")"

# what the wire carries, seen by the fault server: the patterns below
# are the right ones (they are found there, and only there)
b64plain=$(printf '\000%s\000%s' "$LUSER" "$CANARY" | base64 -w0)
b64plainz=$(printf '%s\000%s\000%s' "$LUSER" "$LUSER" "$CANARY" | base64 -w0)
b64pw=$(printf '%s' "$CANARY" | base64 -w0)
fault_start - implicit
pconf fplain "$FAULT_PORT" implicit "password = $CANARY" "auth = plain"
pconf flogin "$FAULT_PORT" implicit "password = $CANARY" "auth = login"
sed -i 's/^host = .*/host = localhost/' "$T/fplain.conf" "$T/flogin.conf"
send fplain fplain leak-fplain@dest.test || fail "fault plain: $(cat "$T/out/fplain.err")"
send flogin flogin leak-flogin@dest.test || fail "fault login: $(cat "$T/out/flogin.err")"
grep -qF -e "$b64plain" -e "$b64plainz" "$FAULT_DIR/transcript" ||
    fail "the AUTH PLAIN pattern is not what went on the wire"
grep -qF "$b64pw" "$FAULT_DIR/transcript" ||
    fail "the LOGIN pattern is not what went on the wire"
fault_stop

# OAuth: a refresh token imported, an access token fetched and used
ob_start
oc=$(oconf oauth microsoft refresh_token)
sed -i "s|^dir = .*|dir = $T/ospool|" "$oc"	# a queue of its own
oimport "$oc"
osend "$oc" leak-oauth@example.com -v
cp "$T/err" "$T/out/oauth.err"
[ "$(ob_get counts.messages)" = 1 ] || fail "oauth: not delivered: $(tail -n 3 "$T/err")"
run ostatus -C "$oc" --oauth-status
osend "$oc" leak-oauth2@example.com -v -odq
cp "$T/err" "$T/out/oauth-queued.err"
run oqrun -C "$oc" -q -v
[ "$(ob_get counts.messages)" = 2 ] || fail "oauth: queue run did not deliver"

# the token cache: the only files allowed to hold a token
caches=""
for f in "$T"/ospool/oauth/*; do
	case $f in *.lock) continue ;; esac
	[ -f "$f" ] || continue
	assert_eq "$(stat -c %a "$f")" 600 "token cache $f"
	caches="$caches $f"
done
[ -n "$caches" ] || fail "no token cache in $T/ospool/oauth"

# everything posta wrote or printed, and what the smart host received
find "$T" -type f ! -name '*.conf' ! -path "$T/pw" ! -path "$T/ob/*" \
    ! -path "$T/fault*" >"$T/files"
for f in $caches; do grep -vxF "$f" "$T/files" >"$T/files.new"; mv "$T/files.new" "$T/files"; done
find "$TB_CAPTURE" -type f >>"$T/files"
grep -q "^$T/spool/q/" "$T/files" || fail "no spool entry to search"
grep -q "^$T/spool/failed/" "$T/files" || fail "no failed/ entry to search"
grep -q "^$T/spool/tls/" "$T/files" || fail "no tls/ file to search"
grep -q "^$T/ospool/oauth/.*\.lock$" "$T/files" || fail "no oauth/ lock to search"
grep -q "^$T/posta.log$" "$T/files" || fail "no log file to search"
printf '%s\n' "$CANARY" "$b64plain" "$b64plainz" "$b64pw" >"$T/patterns"
n=0
while IFS= read -r f; do
	n=$((n + 1))
	if grep -aqF -f "$T/patterns" -- "$f"; then
		fail "$f holds the password: $(grep -anoF -f "$T/patterns" -- "$f" | head -n 3)"
	fi
	ob_leaks "$f"
done <"$T/files"
[ "$n" -ge 40 ] || fail "only $n files searched"
# the patterns would be found: the configuration holds the password
grep -qF -f "$T/patterns" "$T/smtps.conf" || fail "the search finds nothing"

# core dumps are off while the secrets are held: a queue runner of
# nobody's own (with the password inline) has RLIMIT_CORE 0 and is not
# dumpable, so its /proc files belong to root
mkdir -p "$T/nob"
sed -e "s|^dir = .*|dir = $T/nob/spool|" -e '/^file = /d' "$T/smtps.conf" \
    >"$T/nob/posta.conf"
chown -R nobody:nogroup "$T/nob" && chmod 0600 "$T/nob/posta.conf"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$POSTA" -C "$T/nob/posta.conf" -q1h 2>"$T/out/nob.err" &
qpid=$!
i=0
until [ -e "$T/nob/spool/q" ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
core=$(awk '/^Max core file size/ { print $5, $6 }' "/proc/$qpid/limits")
owner=$(stat -c %U "/proc/$qpid/status")
kill "$qpid"; wait "$qpid"
assert_eq "$core" "0 0" "RLIMIT_CORE of a queue runner"
# AddressSanitizer builds stay dumpable for LeakSanitizer (main.c)
if nm -u "$ROOT/src/main.o" 2>/dev/null | grep -q ' __asan_'; then
	echo "# ASan build: dumpable by design, not checked" >&2
else
	assert_eq "$owner" root "owner of /proc/PID of a non-dumpable posta"
fi
exit 0
