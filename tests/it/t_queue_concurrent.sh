#!/bin/sh
# Issue 3: 200 concurrent foreground invocations, and 2 queue runners
# started while they run: every message is delivered exactly once, and the
# spool is empty at the end. 50 more invocations with -odq only queue, so
# the runners and the flush that follows each foreground delivery really
# compete for the same entries.
. "$(dirname "$0")/../lib/common.sh"
N=200 NQ=50 R1=60 R2=140
# Under ASan (make check-sanitize) a quarter of it: what it looks for
# there is a memory error on these paths; make check proves the counts.
sanitized && N=50 NQ=12 R1=15 R2=35
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
# a loaded box is no failure: neither a slow step nor a slow foreground
# delivery and its flush (a send_timeout spent while waiting for the reply
# to a dot leaves that entry queued, and the final -q sends it again)
sed -i 's/^timeout = .*/timeout = 30\nsend_timeout = 300/' "$conf"
mkdir "$T/rc"
send() {	# send NUMBER [-odq]
	printf 'Subject: c%s\n\ntoken c%s\n' "$1" "$1" |
	    "$POSTA" -C "$conf" ${2:-} -f "s$1@example.com" "c$1@dest.test" 2>"$T/rc/$1.err"
	echo $? >"$T/rc/$1"
}
pids=""
i=1
while [ $i -le $N ]; do
	send $i &
	pids="$pids $!"
	if [ $((i % 4)) -eq 0 ]; then
		send $((N + i / 4)) -odq &
		pids="$pids $!"
	fi
	if [ $i -eq $R1 ] || [ $i -eq $R2 ]; then
		"$POSTA" -C "$conf" -q 2>"$T/runner$i.err" &
		pids="$pids $!"
	fi
	i=$((i + 1))
done
# bounded: everything started here must be gone within 120 s
n=0
for p in $pids; do
	while kill -0 "$p" 2>/dev/null; do
		n=$((n + 1)); [ $n -gt 1200 ] && fail "invocations still running after 120 s"
		sleep 0.1
	done
	wait "$p"
done
bad=0
for f in "$T"/rc/*[0-9]; do
	[ "$(cat "$f")" = 0 ] || { bad=$((bad + 1)); echo "# ${f##*/}: exit $(cat "$f"): $(cat "$f.err")"; }
done
[ $bad -eq 0 ] || fail "$bad invocations did not exit 0"
for r in $R1 $R2; do
	[ -s "$T/runner$r.err" ] && grep -v 'queue run:\|status=sent' "$T/runner$r.err" | grep -q . &&
	    echo "# runner $r: $(cat "$T/runner$r.err")"
done
echo "# $(fault_msgs) of $((N + NQ)) delivered by the invocations and runners; $(queued) left"
# what is left (queue-only entries nobody got to yet) goes with one more run
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "final -q: exit $?: $(cat "$T/err")"
cat "$FAULT_DIR"/msgs/*.eml | tr -d '\r' | sed -n 's/^token //p' | sort >"$T/tokens"
sort -u "$T/tokens" >"$T/unique"
dups=$(uniq -d "$T/tokens" | wc -l)
assert_eq "$(wc -l <"$T/unique")" $((N + NQ)) "distinct messages delivered"
assert_eq "$dups" 0 "messages delivered more than once ($(uniq -d "$T/tokens" | head -5 | tr '\n' ' '))"
assert_eq "$(wc -l <"$T/tokens")" $((N + NQ)) "deliveries"
# each to its own recipient, from its own sender
for e in "$FAULT_DIR"/msgs/*.env; do
	t=$(tr -d '\r' <"${e%.env}.eml" | sed -n 's/^token c//p')
	grep -qx "recipient c$t@dest.test" "$e" && grep -qx "sender s$t@example.com" "$e" ||
	    fail "message c$t: wrong envelope: $(cat "$e")"
done
assert_eq "$(find "$T/spool/q" "$T/spool/tmp" -type f | wc -l)" 0 "files left in q/ and tmp/"
assert_eq "$(failed_count)" 0 "entries in failed/"
echo "# $(fault_connections) connections for $((N + NQ)) messages"
exit 0
