#!/bin/sh
# Review dec02 F1: the disk fills after the message is queued, while the
# upstream holds back its reply to the final dot; the reply is 451, and
# the envelope update that records the attempt fails (ENOSPC). The
# message is queued all the same: exit 0 (a caller that retries on an
# error would send it twice), one warning line on stderr and one in the
# log, the entry intact; once there is room again, `posta -q` delivers it
# exactly once. The same for a 550: the refusal is not recorded either,
# so the entry is queued as before, and exit 0 says so. The spool is a
# 1 MB tmpfs (needs mount rights).
. "$(dirname "$0")/../lib/common.sh"
S=$T/spool
mkdir "$S"
mount -t tmpfs -o size=1m,mode=0700 posta-test-full-after "$S" 2>/dev/null ||
    skip "cannot mount a tmpfs here"
pid=""
trap 'st=$?; [ -n "$pid" ] && kill "$pid" 2>/dev/null; umount "$S" 2>/dev/null || umount -l "$S" 2>/dev/null; (exit $st); cleanup' EXIT

# round N CODE TEXT: one foreground delivery whose final dot the upstream
# answers with CODE TEXT once the spool is full; the entry as committed
# is left in $T/env.before and $T/msg.before, its id in $id
round() {
	printf 'hold DOT %s once\nreply DOT %s %s once\n' "$T/filled$1" "$2" \
	    "$3" >"$T/script$1"
	[ -n "${FAULT_PID:-}" ] && fault_stop
	FAULT_PORT=""
	fault_start "$T/script$1"
	conf=$(posta_conf_fault "$FAULT_PORT")
	# the wait for the reply to the dot must outlast the filling, however
	# loaded the machine: a timeout would be a deferral of its own
	sed -i 's/^timeout = .*/timeout = 60\nsend_timeout = 120/' "$conf"
	printf 'Subject: late %s\n\nthe disk fills after the commit\n' "$1" |
	    "$POSTA" -C "$conf" "late$1@dest.test" 2>"$T/err" &
	pid=$!
	i=0
	until grep -q '^C1 \* hold' "$FAULT_DIR/transcript" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null ||
		    fail "posta ended before the final dot: $(cat "$T/err")"
		i=$((i + 1)); [ $i -gt 1200 ] && fail "no final dot within 60 s"
		sleep 0.05
	done
	# committed before the delivery started
	id=$(find "$S/q" -name '*.env' -printf '%f\n' | sed 's/\.env$//')
	[ "$(queued)" -eq 1 ] || fail "not queued during delivery"
	cp "$S/q/$id.env" "$T/env.before"
	cp "$S/q/$id.msg" "$T/msg.before"
	# nothing left: not one block for the envelope update
	dd if=/dev/zero of="$S/filler" bs=4k 2>/dev/null
	[ "$(df -k "$S" | awk 'NR == 2 { print $4 }')" -eq 0 ] ||
	    fail "the spool is not full: $(df -k "$S" | tail -n 1)"
	touch "$T/filled$1"
	wait "$pid"
	st=$?
	pid=""
	assert_eq $st 0 "$2 with the spool full after the commit: exit status"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "stderr is not one line: $(cat "$T/err")"
	grep -q "^posta: message $id queued for retry: .*$2 $3.*not recorded: .*No space left" "$T/err" ||
	    fail "stderr does not say it: $(cat "$T/err")"
	grep -q "$id: the outcome of the delivery was not recorded: .*No space left" \
	    "$T/posta.log" || fail "no log line: $(cat "$T/posta.log")"
	# intact: the envelope and the message as committed, nothing else
	assert_eq "$(queued)" 1 "entries queued"
	cmp -s "$S/q/$id.env" "$T/env.before" || fail "envelope changed"
	cmp -s "$S/q/$id.msg" "$T/msg.before" || fail "message changed"
	assert_eq "$(nfiles "$S/tmp" '*')" 0 "files left in tmp/"
	assert_eq "$(fault_msgs)" 0 "accepted by the upstream"

	rm -f "$S/filler"
	"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?: $(cat "$T/err")"
	assert_eq "$(fault_msgs)" 1 "delivered by the queue run"
	assert_file_contains "$FAULT_DIR/msgs/000001.eml" "Subject: late $1"
	assert_eq "$(queued)" 0 "queued after the run"
	"$POSTA" -C "$conf" -q 2>"$T/err" || fail "second -q: exit $?: $(cat "$T/err")"
	assert_eq "$(fault_msgs)" 1 "delivered once"
}

round 1 451 "4.3.0 try again later"
# a refusal that cannot be recorded leaves the entry queued as it was:
# that is a deferral, not a failure (no exit 69 for a message that the
# next run still sends)
round 2 550 "5.7.1 refused"
assert_eq "$(failed_count)" 0 "entries in failed/"
exit 0
