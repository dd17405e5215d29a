#!/bin/sh
# Issue 13: every submission says who made it: a Received: field first,
# naming the real uid and its login name whatever -f says (as Postfix's
# "(Postfix, from userid N)"), and an intake log line with the same.
. "$(dirname "$0")/../lib/common.sh"
fault_start -
conf=$(posta_conf_fault "$FAULT_PORT")
# first_field FILE: the first field of a message, unfolded, without CR
first_field() {
	tr -d '\r' <"$1" | awk 'NR == 1 { f = $0; next } /^[ \t]/ { f = f " " substr($0, 2); next } { print f; exit }'
}

# 1. the command line, with a forged sender: the field names root
printf 'Subject: forged\n\nbody\n' |
    "$POSTA" -C "$conf" -f victim@elsewhere.test rc-one@dest.test 2>"$T/err" ||
    fail "send: $(cat "$T/err")"
M=$FAULT_DIR/msgs/000001.eml
[ -e "$M" ] || fail "not delivered"
id=$(sed -n 's/^\(.*\): intake .*/\1/p' "$T/posta.log" | sed 's/.* //')
[ -n "$id" ] || fail "no intake log line: $(cat "$T/posta.log")"
first_field "$M" | grep -Eqx "Received: by [^ ]+ \(posta, from userid $(id -u) \($(id -un)\)\) id $id; [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [+-][0-9]{4}" ||
    fail "Received: $(first_field "$M")"
grep -Eq ": $id: intake uid=$(id -u) user=$(id -un) from=<victim@elsewhere.test> nrcpt=1 size=[0-9]+\$" "$T/posta.log" ||
    fail "intake line: $(grep intake "$T/posta.log")"
strip_posta "$M" | tr -d '\r' | head -n 1 | grep -qx 'Subject: forged' ||
    fail "the message does not follow the field"

# 2. another user: its own uid and name (nobody, with its own spool)
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
	mkdir "$T/nb"
	sed -e "s|^dir = .*|dir = $T/nb/spool|" -e "s|^file = .*|file = $T/nb/log|" \
	    "$conf" >"$T/nb/posta.conf"
	chown -R nobody "$T/nb" && chmod 600 "$T/nb/posta.conf"
	printf 'Subject: nobody\n\nbody\n' |
	    setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$POSTA" -C "$T/nb/posta.conf" -f root@example.com rc-two@dest.test \
	    2>"$T/err" || fail "send as nobody: $(cat "$T/err")"
	M=$FAULT_DIR/msgs/000002.eml
	[ -e "$M" ] || fail "not delivered for nobody"
	first_field "$M" | grep -q " (posta, from userid $(id -u nobody) (nobody)) id " ||
	    fail "Received as nobody: $(first_field "$M")"
	grep -q ": intake uid=$(id -u nobody) user=nobody from=<root@example.com> nrcpt=1 " \
	    "$T/nb/log" || fail "intake line as nobody: $(cat "$T/nb/log")"
fi

# 3. -bs: the uid of the posta process, and the protocol
n=$(fault_msgs)
printf 'EHLO client.test\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<rc-bs@dest.test>\r\nDATA\r\nSubject: bs\r\n\r\nhi\r\n.\r\nQUIT\r\n' |
    "$POSTA" -C "$conf" -bs >"$T/bs.out" 2>"$T/err" || fail "-bs: $(cat "$T/err")"
M=$(ls "$FAULT_DIR"/msgs/*.eml | tail -n 1)
[ "$(fault_msgs)" -eq $((n + 1)) ] || fail "-bs: not delivered: $(cat "$T/bs.out")"
first_field "$M" | grep -q "^Received: by [^ ]* (posta, from userid $(id -u) ($(id -un))) with ESMTP id " ||
    fail "-bs Received: $(first_field "$M")"
grep -q ": intake uid=$(id -u) user=$(id -un) from=<app@example.com> nrcpt=1 " "$T/posta.log" ||
    fail "-bs intake line: $(grep intake "$T/posta.log")"
exit 0
