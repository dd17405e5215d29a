#!/bin/sh
# Issue 4: mailx (Debian's s-nail) `mail -s SUBJECT rcpt`, the way shell
# scripts and admins send mail. s-nail runs its *mta* as
#	MTA -i [-F name -f addr] -- rcpt...
# (recipients after "--"). MAILRC=/dev/null and HOME=$T keep the user's
# configuration out; the system one (/etc/s-nail.rc) is used as on a
# real host.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
MAILX=$(command -v s-nail || command -v mail.s-nail) || skip "s-nail is not installed"

posta_conf_postfix submission >/dev/null
make_bin
R1=mailx-$TAG@dest.test R2=mailx2-$TAG@dest.test CC=mailxcc-$TAG@dest.test
BCC=mailxbcc-$TAG@dest.test

mailx() {	# s-nail args...; the body on stdin
	env LC_ALL=C.UTF-8 MAILRC=/dev/null HOME="$T" "$MAILX" "$@" \
	    >"$T/mailx.out" 2>&1 ||
	    fail "s-nail $*: exit $?: $(cat "$T/mailx.out")"
	grep -i 'posta' "$T/mailx.out" && fail "posta complained: $(cat "$T/mailx.out")"
	return 0
}

# 1. mail -s SUBJECT rcpt, the wrapper as *mta*
printf 'Disk /var is 91%% full.\n.\nend of report\n' >"$T/body"
mailx -Smta="$T/bin/sendmail" -s "disk space on $(hostname)" "$R1" <"$T/body"
getmail "$R1" 1
assert_eq "$(env_sender "$E")" "$ME@example.com" "envelope sender"
assert_eq "$(env_rcpts "$E")" "$R1" "envelope recipient"
assert_eq "$(hdr_dec "$M" Subject)" "disk space on $(hostname)" "Subject"
assert_hdr "$M" To "$R1"
assert_hdr "$M" From "$ME@example.com"	# s-nail writes none: posta adds it
is_date "$(hdr "$M" Date)" || fail "Date: $(hdr "$M" Date)"
[ "$(hdr_count "$M" Message-ID)" -eq 1 ] || fail "Message-ID count"
body_lf "$M" | cmp -s - "$T/body" || fail "body changed: $(body_lf "$M")"

# 2. a UTF-8 subject (s-nail encodes it), -r (s-nail passes -F and -f),
# -c, and the symlink personality with -C through *mta-arguments*
SUBJ='Grüße aus Zürich ✓'
printf 'Hallo, schöne Grüße.\n' >"$T/body"
mailx -Smta="$T/lbin/sendmail" -Smta-arguments="-C $T/posta.conf" \
    -r 'Ops Team <ops@example.com>' -s "$SUBJ" -c "$CC" "$R2" <"$T/body"
for r in "$R2" "$CC"; do
	getmail "$r" 1
	assert_eq "$(env_sender "$E")" "ops@example.com" "$r: envelope sender (-r)"
	assert_eq "$(hdr_dec "$M" Subject)" "$SUBJ" "$r: UTF-8 Subject"
	assert_hdr "$M" From "Ops Team <ops@example.com>"
	assert_hdr "$M" Cc "$CC"
	$MC text "$M" | cmp -s - "$T/body" || fail "$r: body changed: $($MC text "$M")"
done

# 3. -b: the Bcc recipient gets it, nobody sees the Bcc field; also with
# *mta-bcc-ok*, where s-nail leaves the field for the MTA to remove
mailx -Smta="$T/bin/sendmail" -s bcc -b "$BCC" "$R1" <"$T/body"
mailx -Smta="$T/bin/sendmail" -Smta-bcc-ok -s bcc-ok -b "$BCC" "$R1" <"$T/body"
for n in 1 2; do
	getmail "$BCC" $n
	[ "$(hdr_count "$M" Bcc)" -eq 0 ] || fail "Bcc field sent to the Bcc recipient"
	getmail "$R1" $((n + 1))
	[ "$(hdr_count "$M" Bcc)" -eq 0 ] || fail "Bcc field sent ($(hdr "$M" Subject))"
	grep -q "mailxbcc-$TAG" "$M" && fail "the Bcc address leaked"
done

exactly "$R1" 3
exactly "$BCC" 2
[ -z "$(ls "$T/spool/q")" ] || fail "spool not empty"
exit 0
