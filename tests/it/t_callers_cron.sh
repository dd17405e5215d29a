#!/bin/sh
# Issue 4: cron's job mail. Debian's cron runs, through popen(3),
#	/usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem  MAILTO
# (MAILARGS "%s -FCronDaemon -i -B8BITMIME -oem  %s" in /usr/sbin/cron)
# and writes its own header section (From: root (Cron Daemon), To:,
# Subject: Cron <user@host> command, MIME fields, X-Cron-Env lines)
# followed by the job's output. MAILTO is "root" unless set: a bare
# local name that only [aliases] can route.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"

posta_conf_postfix submission >/dev/null
ADMIN=cronadmin-$TAG@dest.test
conf_set aliases "root = $ADMIN"
make_bin

# What the Debian cron binary uses, when it is installed: the test must
# follow a change of cron's command line rather than a stale copy.
if [ -r /usr/sbin/cron ]; then
	strings /usr/sbin/cron 2>/dev/null | grep -q -- '-FCronDaemon -i -B8BITMIME -oem' ||
	    fail "cron's mail command line changed: $(strings /usr/sbin/cron | grep -- -FCronDaemon)"
fi

# A job's output, produced by running a job: 8-bit text, a lone dot,
# a line starting with "From ", long lines.
job='printf "backup: 3 files\n"; printf "Grüße aus dem Rechenzentrum\n"; echo .; echo ..x; echo "From the log:"; seq 1 200 | tr "\n" " "; echo'
sh -c "$job" >"$T/out" 2>&1 || fail "the job failed"
cron_msg() {	# cron's message for the job: To: $1, then the output
	printf 'From: root (Cron Daemon)\nTo: %s\n' "$1"
	printf 'Subject: Cron <root@%s> %s\n' "$(hostname | cut -d. -f1)" "/usr/local/bin/backup --all"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n'
	printf 'X-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\n'
	printf 'X-Cron-Env: <PATH=/usr/bin:/bin>\nX-Cron-Env: <LOGNAME=root>\n\n'
	cat "$T/out"
}
cron_msg root >"$T/msg"
nh=$(awk '$0 == "" { print NR - 1; exit }' "$T/msg")

check_cron() {	# N: the Nth message at $ADMIN is $T/msg, with Date/Message-ID added
	getmail "$ADMIN" "$1"
	assert_eq "$(env_sender "$E")" "$ME@example.com" "cron $1: envelope sender"
	assert_eq "$(env_rcpts "$E")" "$ADMIN" "cron $1: envelope recipient"
	strip_posta "$M" >"$T/got" ||
	    fail "no Received: naming the user: $(head -n 4 "$M")"
	# cron's fields come first, in order, changed only by the
	# qualification of the bare "root" in From and To (issue 14)
	head -n "$nh" "$T/got" >"$T/got.h"
	head -n "$nh" "$T/msg" | sed -e 's/^From: root (/From: root@example.com (/' \
	    -e 's/^To: root$/To: root@example.com/' >"$T/want.h"
	cmp -s "$T/want.h" "$T/got.h" ||
	    { diff "$T/want.h" "$T/got.h" | head; fail "cron $1: header changed"; }
	# ... then only what was missing: Date and Message-ID, no second From
	sed -n "$((nh + 1)),/^\$/p" "$T/got" | sed 's/:.*//' | tr '\n' ' ' >"$T/added"
	assert_eq "$(cat "$T/added")" "Date Message-ID  " "cron $1: added fields"
	[ "$(hdr_count "$M" From)" -eq 1 ] || fail "cron $1: two From fields"
	assert_hdr "$M" To root@example.com
	assert_hdr "$M" From "root@example.com (Cron Daemon)"
	body_lf "$M" | cmp -s - "$T/out" || fail "cron $1: the job output changed"
}

# 1. exactly cron's command, through sh -c as popen() runs it
sh -c "$T/bin/sendmail -FCronDaemon -i -B8BITMIME -oem  root" <"$T/msg" 2>"$T/err" ||
    fail "cron invocation: exit $?: $(cat "$T/err")"
[ -s "$T/err" ] && fail "cron invocation: stderr: $(cat "$T/err")"
check_cron 1

# 2. the same flags in the order of the issue, symlink personality and -C
"$T/lbin/sendmail" -C "$T/posta.conf" -i -FCronDaemon -B8BITMIME -oem root <"$T/msg" ||
    fail "cron flags via the symlink: exit $?"
check_cron 2

# 3. no From field (cron with a header section of its own MAILFROM
# unset, or a job piping to sendmail): From is made from -F and the
# sender: "CronDaemon <user@domain>"
grep -v '^From: ' "$T/msg" >"$T/msg2"
sh -c "$T/bin/sendmail -FCronDaemon -i -B8BITMIME -oem  root" <"$T/msg2" ||
    fail "no From: exit $?"
getmail "$ADMIN" 3
assert_hdr "$M" From "CronDaemon <$ME@example.com>"
[ "$(hdr_count "$M" From)" -eq 1 ] || fail "no From: two From fields"
assert_hdr "$M" Subject "Cron <root@$(hostname | cut -d. -f1)> /usr/local/bin/backup --all"
is_date "$(hdr "$M" Date)" || fail "no From: Date: $(hdr "$M" Date)"
is_msgid "$(hdr "$M" Message-ID)" example.com || fail "Message-ID: $(hdr "$M" Message-ID)"

# 4. MAILTO=someone@else: a full address is not touched by [aliases]
OTHER=cronother-$TAG@dest.test
cron_msg "$OTHER" | sh -c "$T/bin/sendmail -FCronDaemon -i -B8BITMIME -oem  $OTHER" ||
    fail "MAILTO address: exit $?"
getmail "$OTHER" 1
assert_hdr "$M" To "$OTHER"

# 5. -B8BITMIME reaches the upstream as BODY=8BITMIME (the fault server
# records the MAIL command; Postfix does not tell)
fault_start -
posta_conf_fault "$FAULT_PORT" >/dev/null
conf_set aliases "root = $ADMIN"
printf 'Subject: ascii only\n\nplain\n' |
    sh -c "$T/bin/sendmail -FCronDaemon -i -B8BITMIME -oem  root" || fail "fault: exit $?"
[ -e "$(fmsg 1)" ] || fail "fault server got nothing"
assert_eq "$(env_rcpts "$(fenv 1)")" "$ADMIN" "fault: recipient"
grep -q '^param .*BODY=8BITMIME' "$(fenv 1)" || fail "no BODY=8BITMIME: $(cat "$(fenv 1)")"

[ -z "$(ls "$T/spool/q")" ] || fail "spool not empty"
exactly "$ADMIN" 3
exit 0
