#!/usr/bin/env bash
# The loopback smart host of the integration tests and of `make demo`:
# a private Postfix instance with its own CA, SASL database and capture
# transport.  It never touches the system Postfix instance beyond listing
# its own config directory in alternate_config_directories.
#
#   testbed.sh start DIR          build DIR, start, write DIR/testbed.env
#   testbed.sh stop DIR           stop that instance (bounded)
#   testbed.sh useradd DIR U P    add a SASL user (U may be user@realm)
#   testbed.sh status DIR         exit 0 when the instance is running
#
# Layout of DIR: postfix/ (main.cf master.cf recipient_access relay_clientcerts
# sasl/smtpd.conf)
# queue/ data/ tls/ sasldb2 bin/capture.py capture/ maillog testbed.env.
#
# testbed.env exports TB_DIR TB_PFDIR TB_HOST(localhost) TB_CA TB_OTHER_CA
# TB_CERT TB_KEY TB_CERT_SHA256 (ab:cd:..) TB_OTHER_CERT/KEY (localhost,
# unknown CA) TB_BADNAME_CERT/KEY (wrong.example) TB_EXPIRED_CERT/KEY
# TB_USER TB_PASS TB_PORT_SMTPS (implicit TLS) TB_PORT_SUBMISSION (STARTTLS
# required, AUTH only after it) TB_PORT_PLAIN (no TLS, AUTH in clear)
# TB_PORT_CCERT (STARTTLS required, asks for a client certificate, no AUTH,
# relays only for the certificate TB_CLIENT_CERT/KEY, signed by TB_CA, whose
# SHA-256 fingerprint TB_CLIENT_CERT_SHA256 is in relay_clientcerts)
# TB_PORT_TLS12 (like submission, TLS 1.2 only)
# TB_CAPTURE TB_MAILLOG TB_QUEUE TB_ENV.  Relaying needs AUTH; recipients
# reject* get 550 5.1.1, defer* 450 4.2.0, all others are captured as
# TB_CAPTURE/<recipient>/<n>.eml (+ <n>.env: sender, recipient, size, ...).
#
# What Postfix changes in a captured message: it puts ONE Received header
# on top (folded: from HELO (localhost [127.0.0.1]), the TLS line, the
# "(Authenticated sender: ...)" line, "by smarthost.test (Postfix) with
# ESMTPSA id ...", "for <rcpt>; date") and stores lines with LF instead of
# CR LF.  Nothing else: no Return-Path, Delivered-To, X-Original-To,
# Date, Message-ID, From or To added, Bcc/Content-Length not dropped, no
# 8bit->7bit conversion, dots unstuffed.  TB_POSTFIX_CHECK=1 runs
# "postfix check" at start.
set -u
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SYS_MAINCF=/etc/postfix/main.cf
REALM=smarthost.test
SASL_LOCAL=posta-test
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

die() {
	echo "testbed: $*" >&2
	exit 1
}

quiet() {
	# Run a command, show its output only when it fails.
	local out
	if ! out=$("$@" 2>&1); then
		echo "testbed: failed: $*" >&2
		echo "$out" >&2
		return 1
	fi
	return 0
}

# Three (or N) distinct free TCP ports on 127.0.0.1 in 30000-39999.
free_ports() {
	"$PY" - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1]); got = []
ports = list(range(30000, 40000)); random.shuffle(ports)
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    got.append(p)
    if len(got) == n:
        break
print(" ".join(map(str, got)))
EOF
}

port_open() {
	# bash's /dev/tcp: refused at once on loopback when nobody listens.
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Postfix reads a configuration file modified within the last second
# again and again, 300 ms apart, until it is older (a guard against
# half-written files): 2-3 s lost at every start.  Ours are complete.
backdate() {
	touch -d "@$(($(date +%s) - 10))" "$@"
}

# alternate_config_directories of the system main.cf: add or remove ours.
# postconf -e edits the file in place (keeps everything else, handles
# continuation lines); it never signals a running Postfix.
sys_altdir() {
	local op=$1 dir=$2 cur new d changed found
	(
		flock -w 10 9 || exit 1
		if [ ! -e "$SYS_MAINCF" ]; then
			[ "$op" = add ] || exit 0
			printf '# Created by posta tests/lib/testbed.sh: only lists private\n# test instances, the system instance is not configured.\nalternate_config_directories = %s\n' \
			    "$dir" >"$SYS_MAINCF" || exit 1
			backdate "$SYS_MAINCF"
			exit 0
		fi
		# Read the value ourselves: postconf -n is slow (seconds) when
		# the parameter is unset.  Last assignment wins, continuation
		# lines start with white space.
		cur=$(awk '
		    /^alternate_config_directories[ \t]*=/ {
			v = $0; sub(/^[^=]*=[ \t]*/, "", v); on = 1; next }
		    on && /^[ \t]/ { v = v " " $0; next }
		    { on = 0 }
		    END { print v }' "$SYS_MAINCF")
		new="" changed=no found=no
		for d in $(echo "$cur" | tr ',' ' '); do
			if [ "$d" = "$dir" ]; then
				found=yes
				[ "$op" = del ] && { changed=yes; continue; }
			fi
			# Left behind by a test bed whose run was killed and
			# whose temporary directory is gone: forget it.
			case $d in
			/tmp/*/postfix)
				[ -d "$d" ] || { changed=yes; continue; } ;;
			esac
			new="${new:+$new, }$d"
		done
		if [ "$op" = add ] && [ "$found" = no ]; then
			new="${new:+$new, }$dir"
			changed=yes
		fi
		# Unchanged: do not touch the file (nor its mtime).
		[ "$changed" = yes ] || exit 0
		if [ -z "$new" ]; then
			postconf -c /etc/postfix -X alternate_config_directories 2>/dev/null
		else
			postconf -c /etc/postfix -e "alternate_config_directories = $new" 2>/dev/null
		fi
		backdate "$SYS_MAINCF"
	) 9>>/run/posta-testbed.lock
}

make_tls() {
	local t=$1/tls
	mkdir -p "$t" || return 1
	# EC keys: generated in milliseconds, unlike RSA.
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	quiet openssl req -x509 "${ec[@]}" -keyout "$t/ca.key" -out "$t/ca.crt" \
	    -days 3650 -subj "/O=posta tests/CN=posta test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" || return 1
	quiet openssl req -x509 "${ec[@]}" -keyout "$t/other-ca.key" \
	    -out "$t/other-ca.crt" -days 3650 \
	    -subj "/O=unrelated/CN=unrelated test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" || return 1
	# name:CA:SAN  -> name.crt/name.key
	local spec name ca san
	for spec in "server:ca:DNS:localhost,IP:127.0.0.1" \
	    "other-server:other-ca:DNS:localhost,IP:127.0.0.1" \
	    "badname:ca:DNS:wrong.example" \
	    "client:ca:DNS:client.posta.test"; do
		name=${spec%%:*}; spec=${spec#*:}
		ca=${spec%%:*}; san=${spec#*:}
		eku=serverAuth
		[ "$name" = client ] && eku=clientAuth
		printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\nsubjectAltName=%s\n' \
		    "$eku" "$san" >"$t/$name.ext"
		quiet openssl req -new "${ec[@]}" -keyout "$t/$name.key" \
		    -out "$t/$name.csr" \
		    -subj "/CN=${san#DNS:}" -addext "subjectAltName=$san" &&
		quiet openssl x509 -req -in "$t/$name.csr" -CA "$t/$ca.crt" \
		    -CAkey "$t/$ca.key" -CAcreateserial -days 825 \
		    -extfile "$t/$name.ext" -out "$t/$name.crt" || return 1
	done
	# Expired (2020-2021) localhost certificate from the test CA, for the
	# fault server: openssl x509 cannot back-date, openssl ca can.
	mkdir -p "$t/ca.db" && : >"$t/ca.db/index.txt" &&
	    echo 1000 >"$t/ca.db/serial" || return 1
	cat >"$t/ca.cnf" <<EOF
[ca]
default_ca = tb
[tb]
database = $t/ca.db/index.txt
serial = $t/ca.db/serial
new_certs_dir = $t/ca.db
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
EOF
	quiet openssl req -new "${ec[@]}" -keyout "$t/expired.key" \
	    -out "$t/expired.csr" -subj "/CN=localhost" &&
	quiet openssl ca -batch -config "$t/ca.cnf" -extensions ext \
	    -cert "$t/ca.crt" -keyfile "$t/ca.key" -in "$t/expired.csr" \
	    -startdate 20200101000000Z -enddate 20210101000000Z \
	    -notext -out "$t/expired.crt" || return 1
	chgrp postfix "$t"/*.key && chmod 0640 "$t"/*.key
}

write_maincf() {
	local d=$1
	cat >"$d/postfix/main.cf" <<EOF
# Private Postfix instance of the posta test bed (tests/lib/testbed.sh).
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-testbed
maillog_file = $d/maillog
maillog_file_prefixes = $d
biff = no

myhostname = $REALM
mydomain = $REALM
myorigin = \$myhostname
mydestination =
relay_domains =
relayhost =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
smtpd_banner = \$myhostname ESMTP posta test bed

# Everything accepted goes to the capture pipe, one recipient per call.
default_transport = capture
relay_transport = capture
local_transport = capture
virtual_transport = capture
capture_destination_recipient_limit = 1
capture_destination_concurrency_limit = 50
capture_time_limit = 120s

# Keep the content as the client sent it: no header rewriting for
# loopback clients, no added Date/Message-ID/From/To, no dropped Bcc,
# no 8bit -> 7bit conversion.  Postfix still adds its Received header.
local_header_rewrite_clients =
remote_header_rewrite_domain =
always_add_missing_headers = no
message_drop_headers =
disable_mime_output_conversion = yes
header_size_limit = 4194304
smtputf8_enable = yes
message_size_limit = 262144000
mailbox_size_limit = 0

# Load: 200 concurrent clients, no throttling, no tarpit.
default_process_limit = 300
in_flow_delay = 0
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
smtpd_client_new_tls_session_rate_limit = 0
smtpd_client_auth_rate_limit = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_junk_command_limit = 1000
smtpd_recipient_limit = 10000
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 10s
delay_warning_time = 0

# Relay only for authenticated clients; test addresses reject*/defer*.
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = check_recipient_access regexp:$d/postfix/recipient_access
smtpd_data_restrictions =

# SASL: Cyrus, sasldb, config in $d/postfix/sasl/smtpd.conf (Debian's
# libsasl2 looks in the config directory/sasl whatever cyrus_sasl_config_path
# says).
smtpd_sasl_auth_enable = no
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $d/postfix/sasl
smtpd_sasl_local_domain =
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_authenticated_header = yes

# TLS: per listener in master.cf; the default here is "may".
smtpd_tls_cert_file = $d/tls/server.crt
smtpd_tls_key_file = $d/tls/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = no
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
relay_clientcerts = texthash:$d/postfix/relay_clientcerts
smtp_tls_security_level = none
EOF
}

write_mastercf() {
	local d=$1 ps=$2 pu=$3 pp=$4 pc=$5 p12=$6
	cat >"$d/postfix/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
$ps      inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix-testbed/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
$pu      inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix-testbed/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
$pp      inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix-testbed/plain
  -o smtpd_tls_security_level=none
  -o smtpd_tls_auth_only=no
  -o smtpd_sasl_auth_enable=yes
$pc      inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix-testbed/ccert
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_CAfile=$d/tls/ca.crt
  -o smtpd_tls_fingerprint_digest=sha256
  -o smtpd_sasl_auth_enable=no
  -o smtpd_relay_restrictions=permit_tls_clientcerts,reject
$p12      inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix-testbed/tls12
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_protocols=!SSLv2,!SSLv3,!TLSv1,!TLSv1.1,!TLSv1.3
  -o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3,!TLSv1,!TLSv1.1,!TLSv1.3
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
capture   unix  -       n       n       -       -       pipe
  flags=X user=nobody null_sender=
  argv=$PY -I -S $d/bin/capture.py $d/capture sender=\${sender} recipient=\${recipient} orig=\${original_recipient} size=\${size} sasl=\${sasl_username} proto=\${client_protocol} helo=\${client_helo} queue=\${queue_id}
EOF
}

write_sasl() {
	local d=$1
	local mechs=${TB_SASL_MECHS:-PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 SCRAM-SHA-1}
	mkdir -p "$d/postfix/sasl" || return 1
	cat >"$d/postfix/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $d/sasldb2
mech_list: $mechs
EOF
}

# useradd DIR USER PASS: USER "name@realm" or "name" (realm = smarthost.test).
sasl_useradd() {
	local d=$1 user=$2 pass=$3 name realm
	name=${user%@*}
	realm=$REALM
	[ "$name" != "$user" ] && realm=${user##*@}
	printf '%s' "$pass" |
	    quiet saslpasswd2 -p -c -f "$d/sasldb2" -u "$realm" "$name" ||
	    return 1
	chgrp postfix "$d/sasldb2" && chmod 0640 "$d/sasldb2"
}

write_env() {
	local d=$1 f=$1/testbed.env fp cfp
	fp=$(openssl x509 -in "$d/tls/server.crt" -noout -fingerprint -sha256 |
	    sed 's/^.*=//' | tr 'A-F' 'a-f')
	cfp=$(openssl x509 -in "$d/tls/client.crt" -noout -fingerprint -sha256 |
	    sed 's/^.*=//' | tr 'A-F' 'a-f')
	{
		echo "# posta test bed: source this file (sh)."
		printf 'export TB_DIR=%q\n' "$d"
		printf 'export TB_PFDIR=%q\n' "$d/postfix"
		printf 'export TB_HOST=localhost\n'
		printf 'export TB_CA=%q\n' "$d/tls/ca.crt"
		printf 'export TB_OTHER_CA=%q\n' "$d/tls/other-ca.crt"
		printf 'export TB_CERT=%q\n' "$d/tls/server.crt"
		printf 'export TB_KEY=%q\n' "$d/tls/server.key"
		printf 'export TB_CERT_SHA256=%q\n' "$fp"
		printf 'export TB_OTHER_CERT=%q\n' "$d/tls/other-server.crt"
		printf 'export TB_OTHER_KEY=%q\n' "$d/tls/other-server.key"
		printf 'export TB_BADNAME_CERT=%q\n' "$d/tls/badname.crt"
		printf 'export TB_BADNAME_KEY=%q\n' "$d/tls/badname.key"
		printf 'export TB_EXPIRED_CERT=%q\n' "$d/tls/expired.crt"
		printf 'export TB_EXPIRED_KEY=%q\n' "$d/tls/expired.key"
		printf 'export TB_USER=%q\n' "$SASL_LOCAL@$REALM"
		printf 'export TB_PASS=%q\n' "$2"
		printf 'export TB_PORT_SMTPS=%q\n' "$3"
		printf 'export TB_PORT_SUBMISSION=%q\n' "$4"
		printf 'export TB_PORT_PLAIN=%q\n' "$5"
		printf 'export TB_PORT_CCERT=%q\n' "$6"
		printf 'export TB_PORT_TLS12=%q\n' "$7"
		printf 'export TB_CLIENT_CERT=%q\n' "$d/tls/client.crt"
		printf 'export TB_CLIENT_KEY=%q\n' "$d/tls/client.key"
		printf 'export TB_CLIENT_CERT_SHA256=%q\n' "$cfp"
		printf 'export TB_CAPTURE=%q\n' "$d/capture"
		printf 'export TB_MAILLOG=%q\n' "$d/maillog"
		printf 'export TB_QUEUE=%q\n' "$d/queue"
		printf 'export TB_ENV=%q\n' "$f"
	} >"$f.tmp" && mv "$f.tmp" "$f"
}

# The queue directories as postfix-files wants them.  "postfix check"
# would create them too, but one mkdir/chown/chmod per directory costs
# over a second on slow-fork machines.
mkqueue() {
	local q=$1
	(
		cd "$q" || exit 1
		mkdir active bounce corrupt defer deferred flush hold incoming \
		    private saved trace maildrop public pid &&
		chown postfix active bounce corrupt defer deferred flush hold \
		    incoming private saved trace maildrop public &&
		chmod 0700 active bounce corrupt defer deferred flush hold \
		    incoming private saved trace &&
		chgrp postdrop maildrop public &&
		chmod 0730 maildrop && chmod 0710 public && chmod 0755 pid
	)
}

master_pid() {
	local p
	p=$(sed -n '1s/[^0-9]//gp' "$1/queue/pid/master.pid" 2>/dev/null)
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

# Postfix refuses to run with its config or queue reachable through a
# directory that others may write; nobody (the capture user) must be able
# to reach DIR/capture.
check_dir() {
	local d=$1
	if ! runuser -u nobody -- test -x "$d"; then
		die "$d is not searchable by user nobody (the capture pipe runs as nobody); use a directory under /tmp or chmod the parents"
	fi
}

start() {
	local d=$1 pass ports ps pu pp pc p12 try p
	[ "$(id -u)" = 0 ] || die "must run as root (a private Postfix instance)"
	command -v postfix >/dev/null || die "postfix is not installed"
	command -v saslpasswd2 >/dev/null || die "saslpasswd2 (sasl2-bin) is not installed"
	mkdir -p "$d" || die "cannot create $d"
	d=$(cd "$d" && pwd -P) || die "cannot resolve $d"
	[ -z "$(master_pid "$d")" ] || die "already running in $d"
	chmod 0755 "$d" || die "chmod $d"
	check_dir "$d"
	rm -rf "${d:?}/postfix" "${d:?}/queue" "${d:?}/data" "${d:?}/tls" \
	    "${d:?}/sasldb2" "${d:?}/bin" "${d:?}/capture" "${d:?}/maillog" \
	    "${d:?}/testbed.env"
	mkdir -p "$d/postfix" "$d/queue" "$d/data" "$d/bin" "$d/capture" ||
	    die "mkdir in $d"
	chown postfix "$d/data" && chmod 0700 "$d/data" &&
	    chown nobody:nogroup "$d/capture" ||
	    die "chown in $d"
	mkqueue "$d/queue" || die "cannot create the queue directories"
	install -m 0755 "$HERE/capture.py" "$d/bin/capture.py" ||
	    die "cannot install capture.py"
	cat >"$d/postfix/recipient_access" <<'EOF'
# Test addresses: the local part decides the answer.
/^reject/	550 5.1.1 Recipient address rejected by test policy
/^defer/	450 4.2.0 Recipient temporarily refused by test policy
/^discard/	DISCARD accepted and thrown away (for benchmarks)
EOF
	make_tls "$d" || die "certificate generation failed"
	# texthash: read as is, no postmap; Postfix writes fingerprints in
	# upper case with colons
	printf '%s client.posta.test\n' "$(openssl x509 -in "$d/tls/client.crt" \
	    -noout -fingerprint -sha256 | sed 's/^.*=//')" \
	    >"$d/postfix/relay_clientcerts" ||
	    die "cannot write relay_clientcerts"
	pass=$(openssl rand -hex 12) || die "openssl rand"
	write_sasl "$d" && sasl_useradd "$d" "$SASL_LOCAL@$REALM" "$pass" ||
	    die "SASL setup failed"
	write_maincf "$d" || die "cannot write $d/postfix/main.cf"
	sys_altdir add "$d/postfix" ||
	    die "cannot list $d/postfix in $SYS_MAINCF alternate_config_directories"

	for try in 1 2 3; do
		ports=$(free_ports 5)
		read -r ps pu pp pc p12 <<<"$ports"
		[ -n "$p12" ] || die "no free ports in 30000-39999"
		write_mastercf "$d" "$ps" "$pu" "$pp" "$pc" "$p12" ||
		    die "cannot write $d/postfix/master.cf"
		backdate "$d/postfix/main.cf" "$d/postfix/master.cf" \
		    "$d/postfix/recipient_access" "$d/postfix/relay_clientcerts"
		# Never let a broken main.cf fall back to the system queue.
		[ "$(postconf -c "$d/postfix" -h queue_directory 2>/dev/null)" = "$d/queue" ] &&
		[ "$(postconf -c "$d/postfix" -h inet_interfaces 2>/dev/null)" = 127.0.0.1 ] ||
		    die "generated $d/postfix/main.cf is incomplete; not starting"
		# "postfix check" (also run by start unless quick-start exists)
		# forks some 150 processes: 0.6 s idle, 4 s on a busy machine.
		# The configuration is generated, so the check runs on demand
		# (TB_POSTFIX_CHECK=1) and in t_testbed_selfcheck.sh.
		if [ "${TB_POSTFIX_CHECK:-0}" = 1 ]; then
			quiet postfix -c "$d/postfix" check ||
			    die "postfix check failed"
		fi
		touch "$d/queue/quick-start"
		if quiet postfix -c "$d/postfix" start; then
			break
		fi
		# Most likely a port was taken between probe and bind.
		stop "$d" >/dev/null 2>&1
		[ "$try" = 3 ] && die "postfix did not start; see $d/maillog"
	done
	write_env "$d" "$pass" "$ps" "$pu" "$pp" "$pc" "$p12"
	for p in $ps $pu $pp $pc $p12; do
		try=0
		until port_open "$p"; do
			try=$((try + 1))
			[ "$try" -ge 300 ] && die "port $p not listening after 30 s"
			[ -n "$(master_pid "$d")" ] ||
			    die "postfix master died; see $d/maillog"
			sleep 0.1
		done
	done
	echo "$d/testbed.env"
}

stop() {
	local d=$1 pid
	[ -d "$d" ] || return 0
	d=$(cd "$d" && pwd -P)
	pid=$(master_pid "$d")
	if [ -n "$pid" ]; then
		# What "postfix stop" does (SIGTERM to this instance's master,
		# which takes its children down), polled at 50 ms instead of
		# its 1 s steps; then SIGKILL to the master's process group.
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 200); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
		fi
	fi
	sys_altdir del "$d/postfix" 2>/dev/null
	return 0
}

case "${1:-}" in
start)
	[ $# = 2 ] || die "usage: testbed.sh start DIR"
	start "$2"
	;;
stop)
	[ $# = 2 ] || die "usage: testbed.sh stop DIR"
	stop "$2"
	;;
useradd)
	[ $# = 4 ] || die "usage: testbed.sh useradd DIR USER PASS"
	sasl_useradd "$2" "$3" "$4"
	;;
status)
	[ $# = 2 ] || die "usage: testbed.sh status DIR"
	[ -n "$(master_pid "$2")" ]
	;;
*)
	echo "usage: testbed.sh start DIR | stop DIR | useradd DIR USER PASS | status DIR" >&2
	exit 64
	;;
esac
