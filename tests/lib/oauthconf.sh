# shellcheck shell=sh
# Configurations of posta for the OAuth test bed (oauthbed.sh), for the
# tests/it/t_oauth_*.sh scripts. sh, not bash. Source after oauthbed.sh
# and ob_start.
#
#   oconf NAME PROFILE GRANT [MECH]   write $T/NAME.conf and print its path:
#       PROFILE microsoft|google (SMTP server and token endpoint),
#       GRANT refresh_token|client_credentials|jwt_bearer, MECH xoauth2
#       (default) or oauthbearer. Spool $T/spool, log $T/posta.log,
#       refresh_margin 0, a 10 s timeout.
#   oimport CONF [TOKEN]              --oauth-import of TOKEN (default: the
#                                     profile's seed refresh token)
#   osend CONF RCPT [ARGS]            send one small message, stderr in
#                                     $T/err, exit status in $OST
#   otokens                           token requests the bed has seen

oconf() {
	oc_f=$T/$1.conf
	case $2 in
	microsoft) oc_port=$OB_SMTP_MS_PORT oc_url=$OB_MS_TOKEN_URL ;;
	google) oc_port=$OB_SMTP_GOOGLE_PORT oc_url=$OB_GOOGLE_TOKEN_URL ;;
	esac
	{
		printf '[upstream]\nhost = %s\nport = %s\nusername = %s\n' \
		    "$OB_HOST" "$oc_port" "$OB_USER"
		printf 'ca_file = %s\nauth = %s\ntimeout = 10\n' "$OB_CA" \
		    "${4:-xoauth2}"
		printf '[oauth]\nprovider = %s\ngrant = %s\n' "$2" "$3"
		[ "$2" = microsoft ] && printf 'tenant = %s\n' "$OB_TENANT"
		printf 'token_url = %s\nca_file = %s\nrefresh_margin = 0\n' \
		    "$oc_url" "$OB_CA"
		case $3 in
		jwt_bearer) printf 'key_file = %s\n' "$OB_KEY_FILE" ;;
		client_credentials)
			printf 'client_id = %s\nclient_secret = %s\n' \
			    "$OB_CLIENT_ID" "$OB_CLIENT_SECRET" ;;
		*)
			printf 'client_id = %s\n' "$OB_CLIENT_ID"
			[ "$2" = google ] &&
			    printf 'client_secret = %s\n' "$OB_CLIENT_SECRET" ;;
		esac
		printf '[sender]\ndomain = example.com\n[queue]\ndir = %s\n' \
		    "$T/spool"
		printf '[log]\nsyslog = no\nfile = %s\n' "$T/posta.log"
	} >"$oc_f"
	chmod 600 "$oc_f"
	echo "$oc_f"
}

oimport() {
	case $(sed -n 's/^provider = //p' "$1") in
	microsoft) oi_tok=${2:-$OB_MS_REFRESH} ;;
	*) oi_tok=${2:-$OB_GOOGLE_REFRESH} ;;
	esac
	printf '%s\n' "$oi_tok" | "$POSTA" -C "$1" --oauth-import ||
	    fail "--oauth-import: exit $?"
}

osend() {
	oc_conf=$1 oc_rcpt=$2
	shift 2
	printf 'Subject: oauth test\n\nhello\n' |
	    "$POSTA" -C "$oc_conf" "$@" "$oc_rcpt" 2>"$T/err"
	# shellcheck disable=SC2034 # read by the tests that source this
	OST=$?
}

otokens() { ob_get counts.token; }
