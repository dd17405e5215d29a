#!/bin/sh
# Issue 3: a full disk during intake: non-zero exit (EX_CANTCREAT), one
# line on stderr, no partial entry in q/, nothing left in tmp/; the spool
# still works afterwards. The spool is a 1 MB tmpfs (needs mount rights).
. "$(dirname "$0")/../lib/common.sh"
S=$T/spool
mkdir "$S"
mount -t tmpfs -o size=1m,mode=0700 posta-test-full "$S" 2>/dev/null ||
    skip "cannot mount a tmpfs here"
trap 'st=$?; umount "$S" 2>/dev/null || umount -l "$S" 2>/dev/null; (exit $st); cleanup' EXIT
leftovers() { find "$S/q" "$S/tmp" -type f | wc -l; }

fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
# 5 MB of text
python3 -c '
import sys
line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-=" * 1 + b"\n"
sys.stdout.buffer.write(b"Subject: big\n\n" + line * (5 * 1024 * 1024 // len(line)))
' >"$T/big"
"$POSTA" -C "$conf" big@dest.test <"$T/big" 2>"$T/err"
st=$?
assert_eq $st 73 "5 MB into a 1 MB spool: exit status (EX_CANTCREAT)"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$T/err")"
grep -qi 'no space\|full' "$T/err" || fail "stderr does not say why: $(cat "$T/err")"
assert_eq "$(leftovers)" 0 "files left in q/ and tmp/"
assert_eq "$(fault_msgs)" 0 "sent anyway"
[ -e "$FAULT_DIR/transcript" ] && fail "connected to the upstream anyway"
# the space is free again
used=$(df -k "$S" | awk 'NR == 2 { print $3 }')
[ "$used" -lt 100 ] || fail "the spool still uses ${used} kB"

# a small message still works
printf 'Subject: small\n\nsmall body\n' | "$POSTA" -C "$conf" small@dest.test 2>"$T/err" ||
    fail "small message after a full disk: exit $?: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 1 "small message delivered"
assert_file_contains "$FAULT_DIR/msgs/000001.eml" "small body"
assert_eq "$(leftovers)" 0 "files left after the small message"

# the disk fills at various points of the intake (message file, envelope,
# directory entries): every time either a complete entry (exit 0, then
# delivered) or nothing at all (exit 73)
head -c 2000 "$T/big" >"$T/mid"
total=$(df -k "$S" | awk 'NR == 2 { print $2 }')
n=0 ok=0 full=0 wrong=""
for kb in 4 8 12 16; do
	n=$((n + 1))
	rm -f "$S/filler"
	fallocate -l $(( (total - kb) * 1024 )) "$S/filler" 2>/dev/null ||
	    dd if=/dev/zero of="$S/filler" bs=1k count=$((total - kb)) 2>/dev/null
	printf 'Subject: mid%s\n\n' "$n" | cat - "$T/mid" "$T/mid" "$T/mid" |
	    "$POSTA" -C "$conf" -odq "mid$n@dest.test" 2>"$T/err"
	st=$?
	case $st in
	0)	ok=$((ok + 1))
		[ "$(queued)" -eq 1 ] || fail "exit 0 but $(queued) entries (free ${kb} kB)" ;;
	[1-9]*)	full=$((full + 1))
		assert_eq "$(leftovers)" 0 "exit $st with ${kb} kB free: files left"
		[ "$(wc -l <"$T/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$T/err")"
		# the spool cannot be written: EX_CANTCREAT, as for the message
		[ $st -eq 73 ] || wrong="$wrong; ${kb} kB free: exit $st: $(cat "$T/err")" ;;
	esac
	rm -f "$S/filler"
	if [ $st -eq 0 ]; then
		"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?"
		assert_eq "$(leftovers)" 0 "after -q"
		f=$(grep -l "^Subject: mid$n" "$FAULT_DIR"/msgs/*.eml) || fail "mid$n not delivered"
		[ "$(wc -c <"$f")" -gt 6000 ] || fail "mid$n delivered short"
	fi
done
echo "# nearly full disk: $ok accepted, $full refused"
[ -z "$wrong" ] || fail "disk full, want exit 73 (EX_CANTCREAT)${wrong}"
exit 0
