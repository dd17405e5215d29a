# shellcheck shell=sh
# Helpers of the real-caller tests (issue 4), sourced after common.sh.
# sh, not bash. The variables set here are used by the tests that source it.
# shellcheck disable=SC2034

# The test bed's capture directory is shared by every test of a run (and
# by reruns against a kept test bed): recipients carry a tag of this run.
TAG=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
ME=$(id -un)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3	# not a pyenv shim: it starts slowly
MC="$PY $LIB/mailcheck.py"

# $T/bin/sendmail: a wrapper for the programs that cannot pass -C; it
# makes posta read $T/posta.conf instead of /etc/posta.conf.
# $T/lbin/{sendmail,mailq,newaliases}: symlinks to posta, for the argv[0]
# personality, used with -C.
make_bin() {
	mkdir -p "$T/bin" "$T/lbin" || fail "mkdir bin"
	printf '#!/bin/sh\nexec "%s" -C "%s" "$@"\n' "$POSTA" "$T/posta.conf" \
	    >"$T/bin/sendmail" && chmod 755 "$T/bin/sendmail" || fail "wrapper"
	for n in sendmail mailq newaliases; do
		ln -sf "$POSTA" "$T/lbin/$n" || fail "symlink $n"
	done
}

# conf_set SECTION "key = value" [FILE]: add a line to a section of the
# config (the section is created when missing).
conf_set() {
	f=${3:-$T/posta.conf}
	if grep -qx "\[$1\]" "$f"; then
		awk -v s="[$1]" -v l="$2" '{ print } $0 == s { print l }' "$f" \
		    >"$f.new" && mv "$f.new" "$f" || fail "conf_set"
	else
		printf '[%s]\n%s\n' "$1" "$2" >>"$f" || fail "conf_set"
	fi
	chmod 600 "$f"
}

# conf_unset KEY [FILE]: drop every "KEY = ..." line.
conf_unset() {
	f=${2:-$T/posta.conf}
	grep -v "^$1 *=" "$f" >"$f.new"; mv "$f.new" "$f" && chmod 600 "$f"
}

# Fields of a captured message, in awk (python3 starts too slowly for
# dozens of look-ups): hdr_all FILE NAME prints every NAME field's value,
# unfolded, one a line; the header section ends at the first empty line.
hdr_all() {
	awk -v n="$2" '
	BEGIN { n = tolower(n) }
	{ sub(/\r$/, "") }
	$0 == "" { exit }
	/^[ \t]/ { if (on) v = v $0; next }
	{
		if (on) print v
		on = 0
		i = index($0, ":")
		if (i > 0 && tolower(substr($0, 1, i - 1)) == n) {
			on = 1
			v = substr($0, i + 1)
			sub(/^[ \t]+/, "", v)
		}
	}
	END { if (on) print v }' "$1"
}
hdr() { hdr_all "$1" "$2" | head -n 1; }
hdr_count() { hdr_all "$1" "$2" | wc -l; }
hdr_dec() { $MC hdr-dec "$1" "$2"; }	# RFC 2047 decoded
# body_lf FILE: the body, CR LF turned into LF
body_lf() { awk 'b { sub(/\r$/, ""); print; next } /^\r?$/ { b = 1 }' "$1"; }

# assert_hdr FILE NAME VALUE: the first NAME field is exactly VALUE
assert_hdr() {
	[ "$(hdr_count "$1" "$2")" -ge 1 ] || fail "$1: no $2 field"
	got=$(hdr "$1" "$2")
	[ "$got" = "$3" ] || fail "$1: $2: got '$got', want '$3'"
}

# env_sender FILE.env / env_rcpts FILE.env: the envelope (test bed
# capture or fault server)
env_sender() { sed -n 's/^sender //p' "$1"; }
env_rcpts() { sed -n 's/^recipient //p' "$1"; }

# getmail RCPT [N]: wait for the Nth captured message for RCPT (20 s at
# most); sets M to its .eml and E to its .env.
getmail() {
	wait_mail "$1" "${2:-1}" || fail "no mail for $1 (want ${2:-1})"
	M=$TB_CAPTURE/$1/${2:-1}.eml
	E=$TB_CAPTURE/$1/${2:-1}.env
}

# exactly RCPT N: RCPT has N messages, no more (after a short settle so
# that a duplicate in flight would be seen).
exactly() {
	wait_mail "$1" "$2" || fail "$1: fewer than $2 messages"
	testbed_idle || :
	sleep 0.3
	n=$(mail_count "$1")
	[ "$n" -eq "$2" ] || fail "$1: $n messages, want $2"
}

# The fault server's messages: fmsg N -> path of message N (.eml)
fmsg() { printf '%s/msgs/%06d.eml' "$FAULT_DIR" "$1"; }
fenv() { printf '%s/msgs/%06d.env' "$FAULT_DIR" "$1"; }

# A sane exit status: not a signal (abort 134, segfault 139, ...).
no_crash() { [ "$1" -lt 128 ] || fail "$2: exit $1 (killed by a signal)"; }

# RFC 5322 date and posta's Message-ID format
is_date() {
	echo "$1" | grep -Eq '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$'
}
is_msgid() {	# is_msgid VALUE DOMAIN
	echo "$1" | grep -Eq "^<[0-9]{14}\.[0-9a-f]{16}@$2>\$"
}
