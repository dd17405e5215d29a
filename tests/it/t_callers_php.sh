#!/bin/sh
# Issue 4: PHP's mail() with sendmail_path = "sendmail -t -i", the way
# every PHP site on a Debian host sends mail, through the real Postfix
# smart host. mail() runs sendmail_path with popen(); additional_params
# ("-f...") are appended to that command line.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
command -v php >/dev/null || skip "php-cli is not installed"

posta_conf_postfix submission >/dev/null
make_bin
TO=php-$TAG@dest.test CC=phpcc-$TAG@dest.test BCC=phpbcc-$TAG@dest.test
export TO CC BCC

# php prints nothing and exits 0 only when mail() returned true
php_mail() {	# sendmail_path [additional_params]
	AP=${2:-} php -n -d sendmail_path="$1" -r '
	    $ap = getenv("AP");
	    $h = "From: site@example.com\r\nCc: " . getenv("CC") .
		"\r\nX-Mailer: PHP";
	    $ok = $ap === "" ?
		mail(getenv("TO"), "Subject ü", "Body\n.line\n", $h) :
		mail(getenv("TO"), "Subject ü", "Body\n.line\n", $h, $ap);
	    exit($ok ? 0 : 1);' >"$T/php.out" 2>&1
	st=$?
	[ $st -eq 0 ] || fail "php mail() with '$1' $2: exit $st: $(cat "$T/php.out")"
	[ -s "$T/php.out" ] && fail "php printed: $(cat "$T/php.out")"
	return 0
}

check_php_mail() {	# N envelope-sender
	for r in "$TO" "$CC"; do
		getmail "$r" "$1"
		assert_eq "$(env_sender "$E")" "$2" "$r: envelope sender"
		assert_eq "$(env_rcpts "$E")" "$r" "$r: envelope recipient"
		assert_hdr "$M" Subject "Subject ü"
		assert_hdr "$M" From "site@example.com"
		assert_hdr "$M" To "$TO"
		assert_hdr "$M" Cc "$CC"
		assert_hdr "$M" X-Mailer "PHP"
		is_date "$(hdr "$M" Date)" || fail "$r: Date: $(hdr "$M" Date)"
		is_msgid "$(hdr "$M" Message-ID)" example.com ||
		    fail "$r: Message-ID: $(hdr "$M" Message-ID)"
		[ "$(hdr_count "$M" Message-ID)" -eq 1 ] || fail "two Message-IDs"
		# the body exactly as PHP wrote it (PHP adds a CR LF after
		# the text); "-i": the ".line" line is just text
		body_lf "$M" >"$T/body"
		cmp -s "$T/want" "$T/body" ||
		    fail "$r: body differs: $(od -c "$T/body" | head -5)"
	done
}

# What PHP itself writes to sendmail_path, for the body comparison
printf '#!/bin/sh\ncat >"%s"\n' "$T/php.raw" >"$T/cat.sh" && chmod 755 "$T/cat.sh"
php_mail "$T/cat.sh"
body_lf "$T/php.raw" >"$T/want"
printf 'Body\n.line\n\n' | cmp -s - "$T/want" ||
    fail "unexpected PHP output: $(od -c "$T/php.raw" | tail -4)"

# 1. the wrapper as sendmail_path (php.ini: sendmail_path = "... -t -i")
php_mail "$T/bin/sendmail -t -i"
check_php_mail 1 "$ME@example.com"

# 2. additional_params -f: the envelope sender; From: stays as written
php_mail "$T/bin/sendmail -t -i" "-fbounce@example.com"
check_php_mail 2 "bounce@example.com"

# 3. the symlink personality: posta called as "sendmail" with -C
php_mail "$T/lbin/sendmail -C $T/posta.conf -t -i" "-fsym@example.com"
check_php_mail 3 "sym@example.com"

# each recipient got each message once: -t with the same address in To
# and on the command line is not doubled
exactly "$TO" 3
exactly "$CC" 3

# 4. a Bcc: in the additional headers: delivered, the field removed
BCC=$BCC php -n -d sendmail_path="$T/bin/sendmail -t -i" -r '
    exit(mail(getenv("TO"), "with bcc", "b\n",
	"From: site@example.com\r\nBcc: " . getenv("BCC")) ? 0 : 1);' ||
    fail "php mail() with Bcc"
getmail "$BCC" 1
[ "$(hdr_count "$M" Bcc)" -eq 0 ] || fail "the Bcc field was sent"
getmail "$TO" 4
grep -q "phpbcc-$TAG" "$M" && fail "the Bcc address leaked to To"
assert_hdr "$M" Subject "with bcc"

# nothing left in the spool
[ -z "$(ls "$T/spool/q")" ] || fail "spool not empty: $(ls "$T/spool/q")"
exit 0
