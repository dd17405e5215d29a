#!/bin/sh
# shellcheck disable=SC2154 # st is set by timed() in hostile.sh
# Issue 12: smart hosts whose replies break the protocol. For each: the
# run ends in bounded time and memory (tests/lib/hostile.sh), the exit
# status is right, and the message is kept queued or delivered exactly
# once, never lost and never taken for delivered when it was not.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/callers.sh"
. "$LIB/hostile.sh"

# a greeting line of 1 MiB: refused at the line cap, message kept
hostile huge_greet <<'EOF2'
huge GREET 1048576
EOF2
hostile_deferred 'line longer than'

# a 1 MiB reply to a (pipelined) RCPT, mid-transaction
hostile huge_rcpt <<'EOF2'
huge RCPT 1048576
EOF2
hostile_deferred 'line longer than'

# "250-" forever after EHLO
hostile endless_ehlo <<'EOF2'
endless EHLO
EOF2
hostile_deferred 'longer than [0-9]+ lines'

# a reply without a line end, then the close
hostile noeol_mail <<'EOF2'
noeol MAIL
EOF2
hostile_deferred 'connection closed'

# DATA answered 250: nothing was sent, so nothing is delivered; the
# session is not trusted further (no QUIT on it)
hostile data_2xx <<'EOF2'
reply DATA 250 2.0.0 ok
EOF2
hostile_deferred 'no 354 to DATA.*250'
grep -aq '< QUIT' "$HOSTILE_DIR/transcript" &&
    fail "data_2xx: the session went on after the 250 to DATA"

# DATA answered with a 3xx other than 354
hostile data_3xx <<'EOF2'
reply DATA 334 what now
EOF2
hostile_deferred 'no 354 to DATA.*334'

# DATA answered 451: temporary, like any 4xx
hostile data_4xx <<'EOF2'
reply DATA 451 4.3.0 try again later
EOF2
hostile_deferred '451 4.3.0 try again later'

# DATA answered 554: permanent for the recipients, like any 5xx
hostile data_5xx <<'EOF2'
reply DATA 554 5.6.0 not from you
EOF2
timed send h-data_5xx@dest.test
[ "$st" -eq 69 ] || fail "data_5xx: exit $st, want 69: $(cat "$T/err")"
grep -q '554 5.6.0 not from you' "$T/err" || fail "data_5xx: $(cat "$T/err")"
[ "$(inq)" -eq 0 ] && [ "$(infailed)" -eq 1 ] || fail "data_5xx: not in failed/"
[ "$(received)" -eq 0 ] || fail "data_5xx: a message arrived"

# bare LF line ends: a server that is sloppy but clear; delivered once
hostile lf_only <<'EOF2'
lf-only
EOF2
timed send h-lf@dest.test
[ "$st" -eq 0 ] && [ ! -s "$T/err" ] || fail "lf_only: exit $st: $(cat "$T/err")"
[ "$(inq)" -eq 0 ] || fail "lf_only: still queued"
received_once "lf_only 1"

# NUL bytes in every reply line: delivered once, and a reply is not cut
# at its NUL (the whole text reaches the error message)
hostile nul <<'EOF2'
nul
rcpt bad@ 550 5.1.1 no such user
EOF2
timed send h-nul@dest.test
[ "$st" -eq 0 ] && [ ! -s "$T/err" ] || fail "nul: exit $st: $(cat "$T/err")"
[ "$(inq)" -eq 0 ] || fail "nul: still queued"
received_once "nul 1"
timed 'send, refused' bad@dest.test
[ "$st" -eq 69 ] || fail "nul: refused: exit $st, want 69: $(cat "$T/err")"
grep -q '550 5.1.1 no such  *user' "$T/err" ||
    fail "nul: the reply was cut: $(cat "$T/err")"
tr -d ' -~\n' <"$T/err" | grep -q . && fail "nul: control bytes in stderr"
[ "$(received)" -eq 1 ] || fail "nul: $(received) messages arrived"

# C1 controls in a reply (U+009B, a CSI for terminals that honour C1):
# blanked in the -v transcript, the error line and mailq; kept queued
c1=$(printf '\302\233')
hostile c1 <<EOF2
rcpt c1@ 450 4.2.0 busy ${c1}31m now
EOF2
timed 'send, deferred' -v c1@dest.test
[ "$st" -eq 0 ] && [ "$(inq)" -eq 1 ] || fail "c1: exit $st: $(cat "$T/err")"
"$POSTA" -C "$T/posta.conf" -bp >"$T/bp" 2>&1 || fail "c1: -bp: $(cat "$T/bp")"
for f in "$T/err" "$T/bp"; do
	grep -q 'busy  *31m now' "$f" || fail "c1: the reply is not in $f: $(cat "$f")"
	LC_ALL=C grep -q "$c1" "$f" && fail "c1: a C1 control in $f"
done

# 250 to the final dot, then 550 to everything that follows (RSET,
# QUIT): each message counts as delivered exactly once, none is resent
hostile after_dot <<'EOF2'
after-dot 550 5.5.0 go away
EOF2
timed send h-after@dest.test
[ "$st" -eq 0 ] && [ ! -s "$T/err" ] || fail "after_dot: exit $st: $(cat "$T/err")"
[ "$(inq)" -eq 0 ] || fail "after_dot: still queued"
timed 'queue only' -odq h-after@dest.test
timed 'queue only' -odq h-after@dest.test
[ "$(inq)" -eq 2 ] || fail "after_dot: -odq queued $(inq)"
timed '-q, two messages' -q
[ "$st" -eq 0 ] || fail "after_dot: -q: exit $st: $(cat "$T/err")"
[ "$(inq)" -eq 0 ] || fail "after_dot: -q left $(inq) queued"
timed '-q, again' -q
[ "$(received)" -eq 3 ] || fail "after_dot: $(received) messages arrived, want 3"
for i in 1 2 3; do received_once "after_dot $i"; done
exit 0
