#!/bin/sh
# Issue 3: a queue run delivers every entry over ONE connection, RSET
# between messages, MAIL/RCPT pipelined; it reconnects when the server
# closes; -qI / -qR / -qS select entries by id, recipient, sender.
. "$(dirname "$0")/../lib/common.sh"
enqueue() {	# enqueue TAG SENDER RCPT...: -odq, no connection
	tag=$1 snd=$2; shift 2
	printf 'Subject: %s\n\ntoken %s\n' "$tag" "$tag" |
	    "$POSTA" -C "$conf" -odq -f "$snd" "$@" || fail "-odq $tag: exit $?"
}
tokens() { cat "$FAULT_DIR"/msgs/*.eml 2>/dev/null | tr -d '\r' | sed -n 's/^token //p' | sort; }

# 7. five entries, one -q, one connection
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
for i in 1 2 3 4 5; do enqueue "m$i" "s$i@example.com" "a$i@dest.test" "b$i@dest.test"; done
assert_eq "$(queued)" 5 "-odq: queued"
[ -e "$FAULT_DIR/transcript" ] && fail "-odq opened a connection"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?: $(cat "$T/err")"
assert_eq "$(fault_msgs)" 5 "one run: messages"
assert_eq "$(fault_connections)" 1 "one run: connections"
assert_eq "$(tokens | tr '\n' ' ')" "m1 m2 m3 m4 m5 " "one run: tokens"
assert_eq "$(queued)" 0 "one run: left in q/"
tr=$FAULT_DIR/transcript
assert_eq "$(grep -c '^C1 < MAIL' "$tr")" 5 "one run: MAIL commands"
# RSET between two transactions: every MAIL but the first follows a RSET
awk '/^C1 < MAIL/ { if (n++ && !rset) bad = 1; rset = 0 }
     /^C1 < RSET/ { rset = 1 }
     END { exit bad }' "$tr" || fail "one run: a MAIL without RSET before it"
[ "$(grep -c '^C1 < RSET' "$tr")" -ge 4 ] || fail "one run: fewer than 4 RSET"
# each transaction has its own recipients
for i in 1 2 3 4 5; do
	f=$(grep -l "^token m$i.\$" "$FAULT_DIR"/msgs/*.eml)
	assert_eq "$(sed -n 's/^recipient //p' "${f%.eml}.env" | tr '\n' ' ')" \
	    "a$i@dest.test b$i@dest.test " "m$i recipients"
	assert_file_contains "${f%.eml}.env" "sender s$i@example.com"
done
fault_stop

# pipelining: a server that holds its reply to MAIL sees the RCPT coming
# before it answered (a client waiting for the 250 would not send it)
FAULT_PORT=$(free_port)
conf=$(posta_conf_fault "$FAULT_PORT")
for i in 1 2 3; do enqueue "p$i" "p@example.com" "x$i@dest.test" "y$i@dest.test"; done
mkdir "$T/probe"
python3 "$LIB/pipeprobe.py" --port "$FAULT_PORT" --dir "$T/probe" 2>"$T/probe/err" &
FAULT_PIDS="$FAULT_PIDS $!"; probe=$!
i=0; while [ ! -e "$T/probe/ready" ]; do i=$((i + 1)); [ $i -gt 100 ] && fail "probe did not start"; sleep 0.05; done
"$POSTA" -C "$conf" -v -q 2>"$T/err" || fail "pipelining -q: exit $?"
assert_eq "$(wc -l <"$T/probe/msgs")" 3 "pipelining: messages"
assert_eq "$(sort -u "$T/probe/result")" "pipelined" "pipelining: MAIL/RCPT"
# the client's own account agrees: RCPT written before the MAIL reply read
awk '/^>>> MAIL/ { m = 1; next } m && /^>>> RCPT/ { ok = 1 } m && /^<<< / { exit }
     END { exit !ok }' "$T/err" || fail "-v: RCPT not sent before the MAIL reply"
kill "$probe"; wait "$probe" 2>/dev/null
assert_eq "$(queued)" 0 "pipelining: left in q/"

# the server closes after 2 messages: the run reconnects, all 5 once
printf 'close-after 2\n' >"$T/sclose"
FAULT_PORT=$(free_port)
conf=$(posta_conf_fault "$FAULT_PORT")
fault_start "$T/sclose"
for i in 1 2 3 4 5; do enqueue "c$i" "c@example.com" "c$i@dest.test"; done
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "close-after: exit $?: $(cat "$T/err")"
assert_eq "$(queued)" 0 "close-after: left in q/ after one run"
"$POSTA" -C "$conf" -q 2>>"$T/err" || fail "close-after: second -q: exit $?"
assert_eq "$(tokens | tr '\n' ' ')" "c1 c2 c3 c4 c5 " "close-after: delivered (exactly once each)"
assert_eq "$(grep -c 'close-after' "$FAULT_DIR/transcript")" 2 "close-after: closes seen"
[ "$(fault_connections)" -eq 3 ] || fail "close-after: $(fault_connections) connections, want 3 (2+2+1)"
fault_stop

# 8. -qI / -qR / -qS: only the matching entries, now; the rest stays
FAULT_PORT=$(free_port)
conf=$(posta_conf_fault "$FAULT_PORT")
fault_start -
enqueue sel1 alice@example.com one@dest.test
enqueue sel2 bob@example.com two@dest.test
enqueue sel3 carol@example.com three@dest.test
enqueue sel4 dave@example.com four@dest.test
id2=$(grep -l '^token sel2' "$T/spool/q/"*.msg); id2=$(basename "$id2" .msg)
part=$(printf '%s' "$id2" | cut -c 9-16)	# the random half: unique
"$POSTA" -C "$conf" -qI"$part" 2>"$T/err" || fail "-qI: exit $?"
assert_eq "$(tokens | tr '\n' ' ')" "sel2 " "-qI$part delivered"
assert_eq "$(queued)" 3 "-qI: left in q/"
"$POSTA" -C "$conf" -qRTHREE@dest 2>"$T/err" || fail "-qR: exit $?"
assert_eq "$(tokens | tr '\n' ' ')" "sel2 sel3 " "-qRTHREE@dest delivered"
"$POSTA" -C "$conf" -qSAlice 2>"$T/err" || fail "-qS: exit $?"
assert_eq "$(tokens | tr '\n' ' ')" "sel1 sel2 sel3 " "-qSAlice delivered"
"$POSTA" -C "$conf" -qSnobody-matches 2>"$T/err" || fail "-qS no match: exit $?"
assert_eq "$(queued)" 1 "-qS without a match: left in q/"
"$POSTA" -C "$conf" -bp | grep -q 'dave@example.com' || fail "the unselected entry is not listed"
"$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?"
assert_eq "$(tokens | tr '\n' ' ')" "sel1 sel2 sel3 sel4 " "finally"
assert_eq "$(queued)" 0 "selection: left in q/"
exit 0
