#!/bin/sh
# shellcheck disable=SC2154 # st is set by timed() in hostile.sh
# Issue 12: smart hosts that stall. The configured timeout bounds each
# SMTP step as a whole (a reply of many lines, a TLS handshake), not
# each byte: a run ends within a small multiple of it, in bounded
# memory, exit 0, the message kept queued, then delivered exactly once.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
. "$LIB/hostile.sh"
need_testbed	# the TLS cases use its certificate

# accepts the connection, never says a word
hostile silent <<'EOF2'
silent
EOF2
hostile_deferred 'timed out'

# a greeting of endless lines, trickled a byte every 0.3 s: each line
# comes within the timeout, the reply as a whole never does
hostile trickle <<'EOF2'
endless GREET
trickle GREET 0.3
EOF2
hostile_deferred 'timed out'

# the same over implicit TLS: one byte per TLS record
hostile trickle_tls implicit <<'EOF2'
endless GREET
trickle GREET 0.3
EOF2
hostile_deferred 'timed out'

# implicit TLS: accepts, never answers the ClientHello
hostile tls_stall implicit <<'EOF2'
silent
EOF2
hostile_deferred 'TLS handshake.*timed out'

# STARTTLS answered 220, then no handshake
hostile starttls_stall starttls <<'EOF2'
stall STARTTLS
EOF2
hostile_deferred 'TLS handshake.*timed out'
grep -aq '^C1 > 220 2.0.0 go ahead' "$HOSTILE_DIR/transcript" ||
    fail "starttls_stall: no 220 to STARTTLS"
# a server that stalls mid-transaction, with several entries queued:
# the first timeout ends the queue run, instead of costing the timeout
# once per entry
hostile stall_rcpt <<'EOF2'
stall RCPT
EOF2
for i in 1 2 3 4; do
	timed 'queue only' -odq "h-stall_rcpt@dest.test"
done
: >"$T/posta.log"
timed '-q, four entries' -q
[ "$st" -eq 0 ] || fail "stall_rcpt: -q: exit $st: $(cat "$T/err")"
[ "$(inq)" -eq 4 ] || fail "stall_rcpt: $(inq) queued, want 4"
[ "$(received)" -eq 0 ] || fail "stall_rcpt: $(received) messages arrived"
[ "$(grep -c 'deferred' "$T/posta.log")" -eq 1 ] ||
    fail "stall_rcpt: not one attempt: $(grep deferred "$T/posta.log")"
grep -q 'deferred.*timed out' "$T/posta.log" ||
    fail "stall_rcpt: $(tail -n 1 "$T/posta.log")"
fault_stop
fault_start -
CASE_DIRS="$CASE_DIRS $FAULT_DIR"
timed '-q, server fixed' -q
[ "$st" -eq 0 ] && [ "$(inq)" -eq 0 ] || fail "stall_rcpt: after the fix: exit $st, $(inq) queued"
for i in 1 2 3 4; do received_once "stall_rcpt $i"; done
exit 0
