#!/bin/sh
# Issue 4: git send-email with --smtp-server set to a sendmail program:
# git runs it as
#	SERVER [--smtp-server-option...] [-f envelope-sender] -i rcpt...
# with the patch mail (its own From, To, Cc, Subject, Date, Message-Id
# fields) on standard input.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
command -v git >/dev/null && [ -x "$(git --exec-path)/git-send-email" ] ||
    skip "git send-email (git-email) is not installed"
perl -MMail::Address -e 1 2>/dev/null ||
    skip "git send-email needs Mail::Address: install libmailtools-perl"

posta_conf_postfix submission >/dev/null
make_bin
DEV=dev-$TAG@dest.test LIST=list-$TAG@dest.test

# a repository with two commits to send as patches
export HOME="$T" GIT_CONFIG_NOSYSTEM=1
R=$T/repo
git init -q "$R" && cd "$R" || fail "git init"
git config user.name 'Dev Eloper' && git config user.email dev@example.com &&
    printf 'one\n' >f.txt && git add f.txt && git commit -qm 'Initial import' &&
    printf 'two\n.\n' >>f.txt && git commit -qam 'Add the second line' &&
    printf 'three\n' >>f.txt && git commit -qam 'Add a third line' ||
    fail "git commits"
git format-patch -q -2 -o "$T/patches" || fail "git format-patch"
set -- "$T"/patches/*.patch
[ $# -eq 2 ] || fail "want 2 patches, got $#"

sendemail() {	# git send-email args... (the patches last)
	git send-email --confirm=never --suppress-cc=all --quiet \
	    --from='Dev Eloper <dev@example.com>' "$@" </dev/null \
	    >"$T/git.out" 2>&1 ||
	    fail "git send-email $*: exit $?: $(cat "$T/git.out")"
	return 0
}

check_patch() {	# RCPT N SUBJECT-END DIFF-LINE SENDER PATCH-FILE
	getmail "$1" "$2"
	assert_eq "$(env_sender "$E")" "$5" "$1 #$2: envelope sender"
	assert_hdr "$M" Subject "[PATCH $3"
	assert_hdr "$M" From "Dev Eloper <dev@example.com>"
	assert_hdr "$M" X-Mailer "git-send-email $(git --version | sed 's/^git version //')"
	case $(hdr "$M" Message-Id) in
	*@example.com\>) ;;	# git's own, kept (posta adds none)
	*) fail "$1 #$2: Message-Id: $(hdr "$M" Message-Id)" ;;
	esac
	[ "$(hdr_count "$M" Message-ID)" -eq 1 ] || fail "two Message-IDs"
	body_lf "$M" >"$T/body"
	grep -qx 'diff --git a/f.txt b/f.txt' "$T/body" || fail "$1 #$2: no diff"
	grep -qx -- "$4" "$T/body" || fail "$1 #$2: no '$4' in the diff"
	# the patch body as format-patch wrote it (from "---" on)
	sed -n '/^---$/,$p' "$6" >"$T/want"
	sed -n '/^---$/,$p' "$T/body" | cmp -s - "$T/want" ||
	    { diff "$T/want" - <"$T/body" | head; fail "$1 #$2: patch changed"; }
}

# 1. the wrapper as --smtp-server, two patches; git passes no -f
sendemail --smtp-server="$T/bin/sendmail" --to="$DEV" "$@"
check_patch "$DEV" 1 "1/2] Add the second line" '+.' "$ME@example.com" "$1"
check_patch "$DEV" 2 "2/2] Add a third line" '+three' "$ME@example.com" "$2"
# the second is a reply to the first (git threads the series)
getmail "$DEV" 1
first=$(hdr "$M" Message-Id)
getmail "$DEV" 2
assert_hdr "$M" In-Reply-To "$first"

# 2. the symlink personality with -C as --smtp-server-option, an explicit
# --envelope-sender and a Cc
sendemail --smtp-server="$T/lbin/sendmail" \
    --smtp-server-option=-C --smtp-server-option="$T/posta.conf" \
    --envelope-sender=patches@example.com --to="$DEV" --cc="$LIST" "$1"
check_patch "$DEV" 3 "1/2] Add the second line" '+.' patches@example.com "$1"
check_patch "$LIST" 1 "1/2] Add the second line" '+.' patches@example.com "$1"
assert_hdr "$M" Cc "$LIST"

exactly "$DEV" 3
exactly "$LIST" 1
[ -z "$(ls "$T/spool/q")" ] || fail "spool not empty"
exit 0
