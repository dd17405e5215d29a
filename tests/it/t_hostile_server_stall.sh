#!/bin/sh
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
exit 0
