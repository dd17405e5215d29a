# shellcheck shell=sh
# Helpers of the --oauth-login tests (tests/it/t_oauth_login*.sh), sourced
# after common.sh, oauthbed.sh and oauthconf.sh, with the bed started
# (OB_* set). sh.

# The token cache of the configurations below.
CACHE=$T/cache/login.json

# login_conf microsoft|google: oauthconf.sh's refresh_token configuration
# for that profile, with the device and authorization endpoints and the
# cache CACHE. Prints the path.
login_conf() {
	mkdir -p "$T/cache" && chmod 700 "$T/cache" || return 1
	lc_f=$(oconf login "$1" refresh_token) || return 1
	if [ "$1" = microsoft ]; then
		lc_dev=$OB_MS_DEVICE_URL lc_auth=$OB_MS_AUTH_URL
	else
		lc_dev=$OB_GOOGLE_DEVICE_URL lc_auth=$OB_GOOGLE_AUTH_URL
	fi
	sed -i "/^\[oauth\]\$/a device_url = $lc_dev\nauth_url = $lc_auth\ncache = $CACHE" \
	    "$lc_f" || return 1
	echo "$lc_f"
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
