#!/bin/sh
# make demo: start the loopback smart host the tests use (a private
# Postfix instance with its own CA and SASL), send one message through
# posta with -v, and show where it landed. No mail account needed.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
POSTA=${POSTA:-$ROOT/src/posta}
D=$(mktemp -d /tmp/posta-demo.XXXXXX)
chmod 755 "$D"
cleanup() { "$ROOT/tests/lib/testbed.sh" stop "$D/tb" >/dev/null 2>&1 || :; }
trap cleanup EXIT INT TERM

echo "== starting the loopback smart host (Postfix, STARTTLS + AUTH) in $D/tb"
"$ROOT/tests/lib/testbed.sh" start "$D/tb" >/dev/null
. "$D/tb/testbed.env"

cat >"$D/posta.conf" <<CONF
[upstream]
host = $TB_HOST
port = $TB_PORT_SUBMISSION
tls = starttls
username = $TB_USER
password = $TB_PASS
ca_file = $TB_CA
[sender]
from = demo@example.com
domain = example.com
[aliases]
root = admin@example.com
[queue]
dir = $D/spool
[log]
syslog = no
CONF
chmod 600 "$D/posta.conf"

echo "== posta.conf"
sed 's/^password = .*/password = (hidden)/' "$D/posta.conf"
echo
echo "== printf 'Subject: hello from posta ...' | posta -v -C posta.conf root"
printf 'Subject: hello from posta\n\nIt works: this went through STARTTLS and AUTH.\n' |
    "$POSTA" -v -C "$D/posta.conf" root
echo "== posta exited $?"
i=0
while [ $i -lt 50 ] && [ -z "$(find "$TB_CAPTURE" -name '*.eml' 2>/dev/null)" ]; do
	sleep 0.1; i=$((i + 1))
done
f=$(find "$TB_CAPTURE" -name '*.eml' | head -n 1)
echo
echo "== the smart host delivered it to $f"
echo "== envelope: $(tr '\n' ' ' <"${f%.eml}.env")"
echo
cat "$f"
