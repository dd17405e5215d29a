# Helpers of the --oauth-login tests (tests/it/t_oauth_login*.sh), sourced
# after common.sh and oauthbed.sh, with the bed started (OB_* set). sh.

# The token cache of the configurations below.
CACHE=$T/cache/login.json

# login_conf microsoft|google [extra [oauth] lines]: a configuration for
# the bed's SMTP server of that profile and its endpoints, with the cache
# CACHE. Prints the path.
login_conf() {
	prof=$1; shift
	mkdir -p "$T/cache" && chmod 700 "$T/cache"
	{
		if [ "$prof" = microsoft ]; then
			printf '[upstream]\nhost = %s\nport = %s\ntls = starttls\n' \
			    "$OB_HOST" "$OB_SMTP_MS_PORT"
		else
			printf '[upstream]\nhost = %s\nport = %s\ntls = implicit\n' \
			    "$OB_HOST" "$OB_SMTPS_GOOGLE_PORT"
		fi
		printf 'username = %s\nauth = xoauth2\nca_file = %s\ntimeout = 10\n' \
		    "$OB_USER" "$OB_CA"
		printf '[oauth]\nprovider = %s\nclient_id = %s\nca_file = %s\n' \
		    "$prof" "$OB_CLIENT_ID" "$OB_CA"
		printf 'cache = %s\n' "$CACHE"
		if [ "$prof" = microsoft ]; then
			printf 'tenant = %s\ntoken_url = %s\ndevice_url = %s\nauth_url = %s\n' \
			    "$OB_TENANT" "$OB_MS_TOKEN_URL" "$OB_MS_DEVICE_URL" \
			    "$OB_MS_AUTH_URL"
		else
			# Google wants the secret of its Desktop clients
			printf 'client_secret = %s\ntoken_url = %s\ndevice_url = %s\nauth_url = %s\n' \
			    "$OB_CLIENT_SECRET" "$OB_GOOGLE_TOKEN_URL" \
			    "$OB_GOOGLE_DEVICE_URL" "$OB_GOOGLE_AUTH_URL"
		fi
		for l in "$@"; do printf '%s\n' "$l"; done
		conf_tail
	} >"$T/login.conf"
	chmod 600 "$T/login.conf"
	echo "$T/login.conf"
}

# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN.
wait_for() {
	wf_i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		wf_i=$((wf_i + 1))
		[ $wf_i -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
}

# wait_value PATH MIN SECONDS: until the bed's state value PATH >= MIN.
wait_value() {
	wv_i=0
	while [ "$(ob_get "$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
		wv_i=$((wv_i + 1))
		[ $wv_i -gt $(($3 * 5)) ] && return 1
		sleep 0.2
	done
}

# wait_exit PID SECONDS: the status of background job PID, or fail when it
# is still running after SECONDS (it is killed then).
wait_exit() {
	we_i=0
	while kill -0 "$1" 2>/dev/null; do
		we_i=$((we_i + 1))
		if [ $we_i -gt $(($2 * 10)) ]; then
			kill "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			fail "posta --oauth-login still running after $2 s"
		fi
		sleep 0.1
	done
	wait "$1"
}

# The refresh token the bed issued last (its state list), for the mailbox.
bed_refresh() {
	ob_ctl state | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
r = [x for x in s["refresh"] if x["state"] == "current" and x["user"] == sys.argv[1]]
print(max(r, key=lambda x: x["issued"])["token"] if r else "")' "$OB_USER"
}

# send_one RCPT: one message through the bed's SMTP server, in the foreground.
send_one() {
	printf 'Subject: after login\n\nsent with the token of the login\n' |
	    "$POSTA" -C "$conf" -odi "$1" 2>"$T/send.err"
}
