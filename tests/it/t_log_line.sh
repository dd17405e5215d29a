#!/bin/sh
# Issue 11 item 2: one log line per delivery attempt of a message, in
# key=value form, read back field by field (tests/lib/logline.py, which
# also refuses a line that breaks the quoting rules of posta(8)):
# a delivery through the test bed's Postfix (its TLS version, its SASL
# method and the queue id of its 250 reply checked against its own log),
# its 450 and 550 recipients, one message that fares three ways, a 4xx
# and a 5xx to the final dot from the fault server over STARTTLS, a
# closed port, more than five recipients, addresses that need quoting.
. "$(dirname "$0")/../lib/common.sh"
need_testbed
LOG=$T/posta.log
field() { "$PY" "$LIB/logline.py" "$LOG" "$1" "$2" || fail "$1: no $2 in: $(tail -n 2 "$LOG")"; }
# queue a message with -odq (its id and size known), then one queue run
queue() {	# subject args...
	s=$1; shift
	printf 'Subject: %s\n\n%s body\n' "$s" "$s" | "$POSTA" -C "$conf" -odq "$@" ||
	    fail "$s: intake: exit $?"
	id=$(ls -t "$T/spool/q" | sed -n 's/\.env$//p' | head -n 1)
	[ -n "$id" ] || fail "$s: not queued"
	size=$(wc -c <"$T/spool/q/$id.msg")
}
run() { "$POSTA" -C "$conf" -q 2>"$T/err" || fail "-q: exit $?: $(cat "$T/err")"; }

# 1. sent through Postfix (STARTTLS on the submission port, AUTH)
conf=$(posta_conf_postfix submission)
tok=$$
queue "log-$tok" -f "s-$tok@example.com" "good-$tok@dest.test"
sleep 1		# the delay counts from the intake
run
assert_eq "$(field "$id" from)" "<s-$tok@example.com>" "sent: from"
assert_eq "$(field "$id" to)" "<good-$tok@dest.test>" "sent: to"
assert_eq "$(field "$id" size)" "$size" "sent: size"
assert_eq "$(field "$id" relay)" "localhost:$TB_PORT_SUBMISSION" "sent: relay"
assert_eq "$(field "$id" attempt)" 1 "sent: attempt"
assert_eq "$(field "$id" status)" sent "sent: status"
assert_eq "$(field "$id" dsn)" 2.0.0 "sent: dsn"
delay=$(field "$id" delay)
echo "$delay" | grep -qx '[0-9]*\.[0-9][0-9]' || fail "sent: delay=$delay"
awk -v d="$delay" 'BEGIN { exit !(d >= 1 && d < 30) }' || fail "sent: delay=$delay after a 1 s sleep"
reply=$(field "$id" reply)
qid=$(echo "$reply" | sed -n 's/^250 2\.0\.0 Ok: queued as \([0-9A-Za-z]*\)$/\1/p')
[ -n "$qid" ] || fail "sent: reply=$reply"
wait_mail "good-$tok@dest.test" 1 || fail "sent: nothing captured"
# Postfix's own log: the queue id, the SASL method, the TLS version of
# that smtpd process's last session before it
pfline=$(grep " $qid: client=" "$TB_MAILLOG") || fail "sent: $qid not in Postfix's log"
assert_eq "$(field "$id" auth)" "$(echo "$pfline" | sed -n 's/.*sasl_method=\([A-Z0-9-]*\).*/\1/p')" "sent: auth"
pid=$(echo "$pfline" | sed -n 's/.*smtpd\[\([0-9]*\)\]: .*/\1/p')
pftls=$(awk -v pid="smtpd[$pid]:" -v q="$qid: client=" '
	index($0, pid) && /TLS connection established/ {
		v = $0; sub(/.*: /, "", v); sub(/ with cipher.*/, "", v) }
	index($0, q) { print v; exit }' "$TB_MAILLOG")
case $pftls in TLSv1.[23]) ;; *) fail "sent: Postfix logged no TLS version ($pftls)" ;; esac
assert_eq "$(field "$id" tls)" "$pftls" "sent: tls (Postfix logged $pftls)"
assert_not_contains "$LOG" "$TB_PASS"
grep -c "$id: from=" "$LOG" | grep -qx 1 || fail "sent: not one line: $(grep "$id" "$LOG")"

# 2. Postfix: a 450 recipient (deferred, twice), a 550 one (bounced)
queue "defer-$tok" -f "s-$tok@example.com" "defer-$tok@dest.test"
run
assert_eq "$(field "$id" status)" deferred "450: status"
assert_eq "$(field "$id" dsn)" 4.2.0 "450: dsn"
assert_eq "$(field "$id" attempt)" 1 "450: attempt"
field "$id" reply | grep -q "^<defer-$tok@dest.test>: 450 4.2.0 .*temporarily refused by test policy" ||
    fail "450: reply=$(field "$id" reply)"
run
assert_eq "$(field "$id" attempt)" 2 "450: attempt of the retry"
assert_eq "$(field "$id" status)" deferred "450: status of the retry"
"$POSTA" -C "$conf" --delete "$id" >/dev/null || fail "450: --delete"

queue "reject-$tok" -f "s-$tok@example.com" "reject-$tok@dest.test"
run
assert_eq "$(field "$id" status)" bounced "550: status"
assert_eq "$(field "$id" dsn)" 5.1.1 "550: dsn"
field "$id" reply | grep -q "^<reject-$tok@dest.test>: 550 5.1.1 .*rejected by test policy" ||
    fail "550: reply=$(field "$id" reply)"
grep -q "$id: from=.* status=bounced" "$LOG" || fail "550: raw line"

# one message, three fates: the line says deferred, counts them, and
# keeps the 250 with Postfix's queue id
queue "mixed-$tok" -f "s-$tok@example.com" "good2-$tok@dest.test" \
    "reject2-$tok@dest.test" "defer2-$tok@dest.test"
run
assert_eq "$(field "$id" to)" "<good2-$tok@dest.test>,<reject2-$tok@dest.test>,<defer2-$tok@dest.test>" "mixed: to"
assert_eq "$(field "$id" status)" deferred "mixed: status"
assert_eq "$(field "$id" dsn)" 4.2.0 "mixed: dsn"
assert_eq "$(field "$id" sent)/$(field "$id" deferred)/$(field "$id" bounced)" 1/1/1 "mixed: counts"
field "$id" sent_reply | grep -q '^250 2\.0\.0 Ok: queued as [0-9A-Za-z]*$' ||
    fail "mixed: sent_reply=$(field "$id" sent_reply)"
"$POSTA" -C "$conf" --delete "$id" >/dev/null || fail "mixed: --delete"

# 3. the fault server over STARTTLS: 451 to the final dot once, then 250
printf 'reply DOT 451 4.3.0 queue full, try later once\nreply DOT 554 5.6.0 "content" \\ refused\n' >"$T/dot"
fault_start "$T/dot" starttls
conf=$(posta_conf_fault "$FAULT_PORT" starttls)
queue dot451 -f s@example.com r@dest.test
run
ftls=$(sed -n 's/^C1 \* tls-version //p' "$FAULT_DIR/transcript")
[ -n "$ftls" ] || fail "451: the fault server logged no TLS version"
assert_eq "$(field "$id" tls)" "$ftls" "451: tls"
assert_eq "$(field "$id" auth)" PLAIN "451: auth"
assert_eq "$(field "$id" relay)" "localhost:$FAULT_PORT" "451: relay"
assert_eq "$(field "$id" status)" deferred "451: status"
assert_eq "$(field "$id" dsn)" 4.3.0 "451: dsn"
assert_eq "$(field "$id" reply)" "<r@dest.test>: 451 4.3.0 queue full, try later" "451: reply"
assert_not_contains "$LOG" fault-secret-pw
# the 554 rule fires on the retry: bounced, the reply's odd characters
# quoted and read back the same
run
assert_eq "$(field "$id" attempt)" 2 "554: attempt"
assert_eq "$(field "$id" status)" bounced "554: status"
assert_eq "$(field "$id" dsn)" 5.6.0 "554: dsn"
assert_eq "$(field "$id" reply)" '<r@dest.test>: 554 5.6.0 "content" \ refused' "554: reply"
grep -q "$id: from=.* reply=\"<r@dest.test>: 554 5.6.0 \\\\\"content\\\\\" \\\\\\\\ refused\"\$" "$LOG" ||
    fail "554: raw quoting: $(grep "$id" "$LOG")"
fault_stop

# a 250 for the next one, more than five recipients, addresses that need quotes
FAULT_PORT=$(free_port)
fault_start - starttls
conf=$(posta_conf_fault "$FAULT_PORT" starttls)
queue many -f '"odd \"q\" x"@example.com' r1@dest.test '"sp ace"@dest.test' \
    r3@dest.test r4@dest.test r5@dest.test r6@dest.test r7@dest.test
run
assert_eq "$(field "$id" from)" '<"odd \"q\" x"@example.com>' "many: from"
assert_eq "$(field "$id" to)" '<r1@dest.test>,<"sp ace"@dest.test>,<r3@dest.test>,<r4@dest.test>,<r5@dest.test>' "many: to"
assert_eq "$(field "$id" more)" 2 "many: more"
assert_eq "$(field "$id" status)" sent "many: status"
assert_eq "$(field "$id" reply)" "250 2.0.0 queued" "many: reply"
assert_eq "$("$PY" "$LIB/logline.py" "$LOG" "$id" | cut -d' ' -f1 | tr '\n' ' ')" \
    "from to more size relay tls auth delay attempt status dsn reply " "many: the fields in order"
fault_stop

# 4. nobody listens: deferred, no TLS, no AUTH, why in reply
conf=$(posta_conf_fault "$(free_port)" starttls)
queue closed -f s@example.com r@dest.test
run
assert_eq "$(field "$id" status)" deferred "closed: status"
assert_eq "$(field "$id" tls)" none "closed: tls"
assert_eq "$(field "$id" auth)" none "closed: auth"
assert_eq "$(field "$id" dsn)" 4.0.0 "closed: dsn"
field "$id" reply | grep -q 'connect: Connection refused' || fail "closed: reply=$(field "$id" reply)"

# 5. syslog gets the same line, at info (sent) and warning (bounced), facility
# mail: posta runs in a private mount namespace whose /dev/log is a socket
# of ours (the host has no syslog daemon to ask, and must not get one)
unshare -m true 2>/dev/null || { echo "# no mount namespace: syslog part not run"; exit 0; }
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
' "$T/syslog.sock" "$T/syslog.out" &
FAULT_PIDS="$FAULT_PIDS $!"
i=0
while [ ! -e "$T/syslog.sock.ready" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "syslog listener did not start"
	sleep 0.05
done
printf 'rcpt bad@ 550 5.1.1 no such user\n' >"$T/s550"
FAULT_PORT=$(free_port)
fault_start "$T/s550" starttls
conf=$(posta_conf_fault "$FAULT_PORT" starttls)
sed -i 's/^syslog = no$/syslog = yes/' "$conf"
mkdir "$T/dev"
: >"$T/dev/null"
ln -s "$T/syslog.sock" "$T/dev/log"
# run ARGS...: posta in the namespace, with /dev holding null and log
nsrun() {
	unshare -m sh -c 'mount --bind /dev/null "$1/dev/null" &&
	    mount --rbind "$1/dev" /dev && shift && exec "$@"' sh "$T" "$@"
}
queue sysok -f s@example.com ok@dest.test
nsrun "$POSTA" -C "$conf" -q 2>"$T/err" || fail "syslog: -q: exit $?: $(cat "$T/err")"
okid=$id
queue sysbad -f '<>' bad@dest.test
nsrun "$POSTA" -C "$conf" -q 2>"$T/err" || fail "syslog: -q: exit $?: $(cat "$T/err")"
for x in "$okid 22" "$id 20"; do
	set -- $x
	fileline=$(grep " posta\[[0-9]*\]: $1: from=" "$LOG" | sed 's/^[^ ]* posta\[[0-9]*\]: //')
	# the listener writes asynchronously: up to 10 s for the line
	i=0
	until sysline=$(grep "posta\[[0-9]*\]: $1: from=" "$T/syslog.out"); do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "syslog: no line for $1 in 10 s: $(cat "$T/syslog.out")"
		sleep 0.1
	done
	case $sysline in "<$2>"*) ;; *) fail "syslog: not mail.$2: $sysline" ;; esac
	assert_eq "${sysline#*posta\[*\]: }" "$fileline" "syslog: the same line as the file"
done
exit 0
