#!/bin/sh
# Issue 11 item 2: posta -bp --json and mailq --json, read by python3's
# json module: an empty or missing spool, an entry whose recipients
# fared differently (one pending with the server's reason), a sender
# and a reason that need escaping, a byte that is not UTF-8, failed/
# (-qQ), an unreadable envelope and a file set aside in corrupt/.
. "$(dirname "$0")/../lib/common.sh"
ln -s "$POSTA" "$T/mailq"
# jcheck FILE PYTHON: run PYTHON with d = the document in FILE (read as
# strict UTF-8), and the helpers below; it fails by raising
jcheck() {
	"$PY" - "$1" "$2" <<'PY' || fail "JSON check failed on $(cat "$1")"
import json, sys, time
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw.decode("utf-8"))	# refuses invalid UTF-8
def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
def eq(got, want, what):
    if got != want:
        raise SystemExit("%s: got %r, want %r" % (what, got, want))
exec(sys.argv[2])
PY
}

# no spool directory yet: an empty listing, still a document
conf=$(posta_conf_fault "$(free_port)")
"$POSTA" -C "$conf" -bp --json >"$T/j0" || fail "no spool: exit $?"
jcheck "$T/j0" '
eq(d["version"], 1, "version")
eq(d["queue"], "q", "queue")
eq(d["entries"], [], "entries")
eq(d["unreadable"], [], "unreadable")
eq(d["counts"], {"queued": 0, "failed": 0, "corrupt": 0}, "counts")
eq(d["now_iso"], iso(d["now"]), "now_iso")'
"$T/mailq" -C "$conf" --json >"$T/j0m" || fail "mailq --json: exit $?"
jcheck "$T/j0m" 'eq(d["counts"]["queued"], 0, "mailq --json")'
"$POSTA" -C "$conf" -bp >"$T/human"
grep -qx 'Mail queue is empty' "$T/human" || fail "-bp changed: $(cat "$T/human")"

# one pending recipient of four; odd characters in the sender and the reason
printf '%s\n' 'rcpt r3@ 451 4.3.0 "busy" \ later' >"$T/s451"
fault_start "$T/s451"
conf=$(posta_conf_fault "$FAULT_PORT")
t0=$(date +%s)
printf 'Subject: json\n\njson body\n' | "$POSTA" -C "$conf" -f '"we\"ird \\ one"@example.com' \
    r1@dest.test r2@dest.test r3@dest.test "$(printf 'j\303\266rg@dest.test')" 2>"$T/err" ||
    fail "intake: exit $?: $(cat "$T/err")"
t1=$(date +%s)
env=$(ls "$T/spool/q/"*.env) || fail "not queued"
id=$(basename "$env" .env)
size=$(wc -c <"$T/spool/q/$id.msg")
"$POSTA" -C "$conf" -bp --json >"$T/j1" || fail "-bp --json: exit $?"
jcheck "$T/j1" "
eq(len(d['entries']), 1, 'entries')
e = d['entries'][0]
eq(e['id'], '$id', 'id')
assert $t0 <= e['created'] <= $t1, 'created %r' % e['created']
eq(e['created_iso'], iso(e['created']), 'created_iso')
eq(e['size'], $size, 'size')
eq(e['sender'], '\"we\\\\\"ird \\\\\\\\ one\"@example.com', 'sender')
eq(e['attempts'], 1, 'attempts')
assert e['next_try'] > e['created'], 'next_try %r' % e['next_try']
eq(e['next_try_iso'], iso(e['next_try']), 'next_try_iso')
eq(e['last_error'], '<r3@dest.test>: 451 4.3.0 \"busy\" \\\\ later', 'last_error')
eq([(r['address'], r['state'], r['reason']) for r in e['recipients']], [
    ('r1@dest.test', 'delivered', None), ('r2@dest.test', 'delivered', None),
    ('r3@dest.test', 'pending', '451 4.3.0 \"busy\" \\\\ later'),
    ('j\u00f6rg@dest.test', 'delivered', None)], 'recipients')
eq(d['counts'], {'queued': 1, 'failed': 0, 'corrupt': 0}, 'counts')"

# a byte that is not UTF-8 in the stored reason: U+FFFD, valid JSON
sed -i 's/"busy"/"bu\xffsy"/' "$env"
grep -q "$(printf 'bu\377sy')" "$env" || fail "the test could not put 0xff in $env"
"$T/mailq" -C "$conf" --json >"$T/j2" || fail "mailq --json: exit $?"
jcheck "$T/j2" "
r = d['entries'][0]['recipients'][2]
eq(r['reason'], '451 4.3.0 \"bu\ufffdsy\" \\\\ later', 'reason with 0xff')"
grep -q 'bu\\ufffdsy' "$T/j2" || fail "0xff not written as \\ufffd: $(cat "$T/j2")"
"$POSTA" -C "$conf" -bp | grep -q 'pending   <r3@dest.test>' || fail "-bp layout: $("$POSTA" -C "$conf" -bp)"
fault_stop

# failed/: a null sender refused for good
printf 'rcpt bad@ 550 5.1.1 no "such" user\n' >"$T/s550"
FAULT_PORT=$(free_port)
fault_start "$T/s550"
conf=$(posta_conf_fault "$FAULT_PORT")
printf 'Subject: fail\n\nfail body\n' | "$POSTA" -C "$conf" -f '<>' bad@dest.test 2>/dev/null
fid=$(basename "$(ls "$T/spool/failed/"*.env)" .env) || fail "not in failed/"
"$POSTA" -C "$conf" -bp -qQ --json >"$T/j3" || fail "-bp -qQ --json: exit $?"
jcheck "$T/j3" "
eq(d['queue'], 'failed', 'queue')
eq(len(d['entries']), 1, 'entries')
e = d['entries'][0]
eq(e['id'], '$fid', 'id')
eq(e['sender'], '', 'null sender')
eq(e['next_try'], None, 'next_try in failed/')
eq(e['next_try_iso'], None, 'next_try_iso in failed/')
eq(e['recipients'], [{'address': 'bad@dest.test', 'state': 'failed',
    'reason': '550 5.1.1 no \"such\" user'}], 'recipients')
eq(d['counts'], {'failed': 1, 'queued': 1, 'corrupt': 0}, 'counts')"
fault_stop

# an envelope that cannot be read, and a stray file (set aside in corrupt/)
bad=0123456789abcdef
printf 'posta-envelope 2\nid %s\nno such key\n' "$bad" >"$T/spool/q/$bad.env"
printf 'x\r\n' >"$T/spool/q/$bad.msg"
printf 'junk\n' >"$T/spool/q/junk"
"$POSTA" -C "$conf" -bp --json >"$T/j4" || fail "unreadable: exit $?"
jcheck "$T/j4" "
eq(len(d['entries']), 1, 'readable entries')
eq([u['id'] for u in d['unreadable']], ['$bad'], 'unreadable')
assert d['unreadable'][0]['error'], 'no error text'
eq(d['counts'], {'queued': 2, 'failed': 1, 'corrupt': 1}, 'counts')"
exit 0
