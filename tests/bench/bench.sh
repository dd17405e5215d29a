#!/bin/sh
# make bench: posta against msmtp on the loopback Postfix smart host
# (STARTTLS + AUTH). A benchmark, not a test: it prints figures.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/posta-bench.XXXXXX)
chmod 755 "$D"
cleanup() { "$ROOT/tests/lib/testbed.sh" stop "$D/tb" >/dev/null 2>&1 || :; }
trap cleanup EXIT INT TERM
"$ROOT/tests/lib/testbed.sh" start "$D/tb" >/dev/null
. "$D/tb/testbed.env"
python3 "$ROOT/tests/bench/bench.py" --posta "${POSTA:-$ROOT/src/posta}" \
    --dir "$D" "$@"
# memory against the number of recipients (issue 12): 1 vs 100,000
sh "$ROOT/tests/bench/rcpt_rss.sh"
