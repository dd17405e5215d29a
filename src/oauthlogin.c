/* SPDX-License-Identifier: ISC */
/*
 * posta --oauth-login: the two ways a person grants posta its first
 * refresh token on a server without a browser.
 *
 * Device code (RFC 8628), the default:
 *	POST device_url  client_id, scope
 *	  <- device_code, user_code, verification_uri[_complete],
 *	     expires_in, interval
 *	print the URL and the code; then every interval seconds
 *	POST token_url   grant_type=urn:ietf:params:oauth:grant-type:device_code
 *	  <- 400 authorization_pending: poll again
 *	  <- 400 slow_down: poll again, interval + 5 s (RFC 8628 3.5)
 *	  <- 400 expired_token, access_denied, anything else: stop
 *	  <- 200 tokens: oauth_store(), done
 *	until expires_in has passed.
 *
 * Authorization code with PKCE (RFC 7636), --oauth-login=loopback:PORT,
 * for providers that refuse device codes (Google, for Gmail scopes):
 *	listen on 127.0.0.1:PORT (never another address: the code must not
 *	    be catchable from the network); the user forwards the port with
 *	    ssh -L and opens the printed URL in a local browser
 *	verifier = base64url(32 random octets) (43 characters, RFC 7636 4.1)
 *	print auth_url?...&code_challenge=base64url(SHA256(verifier))
 *	accept connections until one "GET /?code=..&state=.." arrives; a
 *	    wrong state or an error= ends the login, other requests get 404
 *	POST token_url   grant_type=authorization_code, code, redirect_uri,
 *	    code_verifier
 *	  <- 200 tokens: oauth_store(), done
 *
 * Waits are bounded: the device flow by expires_in, the listener by
 * LOOPBACK_WAIT and each connection by loopback.c.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "jwt.h"
#include "loopback.h"
#include "oauth.h"
#include "oauthlogin.h"
#include "oauthreq.h"
#include "ossl.h"
#include "posta.h"
#include "secret.h"
#include "util.h"

#define LOOPBACK_WAIT	 600 /* seconds for the browser's redirect */
#define DEFAULT_INTERVAL 5   /* seconds between polls (RFC 8628 3.2) */
#define SLOW_DOWN	 5   /* seconds slow_down adds (RFC 8628 3.5) */
#define LOGIN_MAX_URL	 (4 * HTTP_MAX_URL) /* the printed authorization URL */
#define MAX_LOST_POLLS	 3   /* device-flow polls lost in a row */
#define MAX_INTERVAL	 300 /* seconds between polls, at most */

/* An error_description's first line: Microsoft adds trace IDs and a time. */
static void
first_line(const char *s, char *buf, size_t cap)
{
	size_t n;

	n = strcspn(s, "\r\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/*
 * The RFC 6749 5.2 error of a reply: its code into code, and
 * "code: first line of the description" into what.
 */
static int
endpoint_error(const char *body, size_t len, char *code, size_t ccap,
    char *what, size_t wcap)
{
	/* clang-format off */
	struct json_field f[] = {
		{ .name = "error", .kind = JSON_STR, .max = 128 },
		{ .name = "error_description", .kind = JSON_STR, .max = 4096 },
	};
	/* clang-format on */
	struct perr jerr = { 0 };
	char desc[300];
	int rc = -1;

	if (json_get(body, len, f, nitems(f), &jerr) == -1 || !f[0].found ||
	    has_ctl(f[0].str) || xstrlcpy(code, f[0].str, ccap) == -1)
		goto out;
	first_line(f[1].found ? f[1].str : "", desc, sizeof(desc));
	(void)xsnprintf(what, wcap, "%s%s%s", f[0].str,
	    desc[0] != '\0' ? ": " : "", desc);
	rc = 0;
out:
	json_fields_free(f, nitems(f));
	return rc;
}

enum oauthlogin_verdict
oauthlogin_token_reply(int status, const char *body, size_t len,
    struct oauthlogin_tokens *t, struct perr *err)
{
	/* clang-format off */
	struct json_field f[] = {
		{ .name = "access_token", .kind = JSON_STR,
		    .max = MAX_SECRET - 1 },
		{ .name = "refresh_token", .kind = JSON_STR,
		    .max = MAX_SECRET - 1 },
		{ .name = "expires_in", .kind = JSON_INT },
		{ .name = "token_type", .kind = JSON_STR, .max = 64 },
	};
	/* clang-format on */
	struct perr jerr = { 0 };
	enum oauthlogin_verdict v = LOGIN_FAIL;
	char code[128], what[512];

	memset(t, 0, sizeof(*t));
	if (status == 429 || status >= 500) {
		perr_set(err, EX_TEMPFAIL,
		    "token endpoint: HTTP %d; try again "
		    "later",
		    status);
		return LOGIN_RETRY;
	}
	/* Google says 428 for authorization_pending and 403 for slow_down */
	if (status >= 400 && status < 500) {
		if (endpoint_error(body, len, code, sizeof(code), what,
			sizeof(what)) == -1) {
			perr_set(err, EX_PROTOCOL,
			    "token endpoint: HTTP %d "
			    "without an OAuth error",
			    status);
			return LOGIN_FAIL;
		}
		if (strcmp(code, "authorization_pending") == 0)
			return LOGIN_PENDING;
		if (strcmp(code, "slow_down") == 0)
			return LOGIN_SLOW_DOWN;
		/* Microsoft says authorization_declined */
		if (strcmp(code, "access_denied") == 0 ||
		    strcmp(code, "authorization_declined") == 0)
			perr_set(err, EX_NOPERM,
			    "the sign-in was declined "
			    "(%s); run the login again to retry",
			    what);
		else if (strcmp(code, "expired_token") == 0)
			perr_set(err, EX_NOPERM,
			    "the code expired before the "
			    "sign-in was completed (%s); run the login again",
			    what);
		else if (strcmp(code, "invalid_client") == 0 ||
		    strcmp(code, "unauthorized_client") == 0)
			perr_set(err, EX_NOPERM,
			    "token endpoint refused the "
			    "client (%s); check client_id and the client "
			    "secret",
			    what);
		else
			perr_set(err, EX_NOPERM, "token endpoint: %s", what);
		return LOGIN_FAIL;
	}
	if (status != 200) {
		perr_set(err, EX_PROTOCOL,
		    "token endpoint answered HTTP %d; "
		    "check token_url",
		    status);
		return LOGIN_FAIL;
	}
	if (json_get(body, len, f, nitems(f), &jerr) == -1) {
		perr_set(err, EX_PROTOCOL, "token endpoint: %s", jerr.msg);
		goto out;
	}
	if (f[3].found && strcasecmp(f[3].str, "bearer") != 0) {
		perr_set(err, EX_PROTOCOL,
		    "token endpoint: token_type is not "
		    "Bearer");
		goto out;
	}
	if (!f[0].found || f[0].len == 0 || has_ctl(f[0].str)) {
		perr_set(err, EX_PROTOCOL,
		    "token endpoint: no usable "
		    "access_token in the reply");
		goto out;
	}
	if (!f[1].found || f[1].len == 0 || has_ctl(f[1].str)) {
		perr_set(err, EX_CONFIG,
		    "token endpoint gave no refresh "
		    "token: the scope must allow offline access (Microsoft: "
		    "offline_access)");
		goto out;
	}
	t->access = f[0].str;
	t->refresh = f[1].str;
	f[0].str = f[1].str = NULL;
	f[0].found = f[1].found = 0;
	t->expires_in = f[2].found && f[2].num > 0 &&
		f[2].num < 10L * 365 * 24 * 3600 ?
	    (long)f[2].num :
	    0;
	v = LOGIN_TOKENS;
out:
	json_fields_free(f, nitems(f));
	return v;
}

void
oauthlogin_tokens_free(struct oauthlogin_tokens *t)
{
	if (t->access != NULL)
		OPENSSL_clear_free(t->access, strlen(t->access));
	if (t->refresh != NULL)
		OPENSSL_clear_free(t->refresh, strlen(t->refresh));
	memset(t, 0, sizeof(*t));
}

int
oauthlogin_devcode_reply(int status, const char *body, size_t len,
    struct oauthlogin_devcode *d, struct perr *err)
{
	struct json_field f[] = {
		{ .name = "device_code", .kind = JSON_STR, .max = 4096 },
		{ .name = "user_code", .kind = JSON_STR, .max = 128 },
		{ .name = "verification_uri", .kind = JSON_STR, .max = 2048 },
		{ .name = "verification_url", .kind = JSON_STR, .max = 2048 },
		{ .name = "verification_uri_complete",
		    .kind = JSON_STR,
		    .max = 2048 },
		{ .name = "expires_in", .kind = JSON_INT },
		{ .name = "interval", .kind = JSON_INT },
	};
	struct perr jerr = { 0 };
	struct json_field *uri;
	char code[128], what[512];
	int rc = -1;
	size_t i;

	memset(d, 0, sizeof(*d));
	if (status != 200) {
		if (endpoint_error(body, len, code, sizeof(code), what,
			sizeof(what)) == 0)
			return perr_set(err,
			    status == 429 || status >= 500 ? EX_TEMPFAIL :
							     EX_NOPERM,
			    "device authorization "
			    "endpoint: %s",
			    what);
		return perr_set(err,
		    status == 429 || status >= 500 ? EX_TEMPFAIL : EX_PROTOCOL,
		    "device authorization "
		    "endpoint answered HTTP %d; check device_url",
		    status);
	}
	if (json_get(body, len, f, nitems(f), &jerr) == -1) {
		perr_set(err, EX_PROTOCOL, "device authorization endpoint: %s",
		    jerr.msg);
		goto out;
	}
	uri = f[2].found ? &f[2] : &f[3];
	if (!f[0].found || !f[1].found || !uri->found || f[0].len == 0 ||
	    f[1].len == 0 || strncmp(uri->str, "http", 4) != 0) {
		perr_set(err, EX_PROTOCOL,
		    "device authorization endpoint: "
		    "device_code, user_code or verification_uri missing");
		goto out;
	}
	/* these go to a terminal: no escape sequences from the network */
	for (i = 0; i < 5; i++) {
		if (f[i].found && has_ctl(f[i].str)) {
			perr_set(err, EX_PROTOCOL,
			    "device authorization "
			    "endpoint: %s holds a control character",
			    f[i].name);
			goto out;
		}
	}
	d->device_code = f[0].str;
	d->user_code = f[1].str;
	d->uri = uri->str;
	if (f[4].found && strncmp(f[4].str, "http", 4) == 0) {
		d->uri_complete = f[4].str;
		f[4].str = NULL;
	}
	f[0].str = f[1].str = uri->str = NULL;
	d->expires_in = f[5].found && f[5].num > 0 ?
	    (long)(f[5].num > 3600 ? 3600 : f[5].num) :
	    900;
	d->interval = f[6].found && f[6].num > 0 ?
	    (long)(f[6].num > MAX_INTERVAL ? MAX_INTERVAL : f[6].num) :
	    DEFAULT_INTERVAL;
	rc = 0;
out:
	json_fields_free(f, nitems(f));
	return rc;
}

void
oauthlogin_devcode_free(struct oauthlogin_devcode *d)
{
	if (d->device_code != NULL)
		OPENSSL_clear_free(d->device_code, strlen(d->device_code));
	free(d->user_code);
	free(d->uri);
	free(d->uri_complete);
	memset(d, 0, sizeof(*d));
}

/*
 * POST form to url; the reply's status and body come back in resp for
 * the caller to judge. Transport trouble is -1 with err.
 */
static int
post(const struct config *cfg, const char *url, const struct buf *form,
    struct http_response *resp, struct perr *err)
{
	struct http_request req = { 0 };

	http_response_free(resp);
	req.url = url;
	req.ca_file = cfg->oauth.ca_file;
	req.form = form;
	req.timeout = cfg->timeout;
	return http_post_form(&req, resp, err);
}

/* The login flows exist to get a refresh token for the refresh_token grant. */
static int
check_login_conf(const struct config *cfg, const char *url, const char *key,
    struct perr *err)
{
	if (!cfg->oauth.set)
		return perr_set(err, EX_CONFIG,
		    "%s: --oauth-login needs an "
		    "[oauth] section",
		    cfg->path);
	if (cfg->oauth.grant != GRANT_REFRESH_TOKEN)
		return perr_set(err, EX_CONFIG,
		    "%s: --oauth-login is for "
		    "grant = refresh_token; %s needs no sign-in",
		    cfg->path,
		    cfg->oauth.grant == GRANT_CLIENT_CREDENTIALS ?
			"client_credentials" :
			"jwt_bearer");
	if (cfg->oauth.client_id == NULL)
		return perr_set(err, EX_CONFIG,
		    "%s: [oauth] client_id is "
		    "missing",
		    cfg->path);
	if (url == NULL)
		return perr_set(err, EX_CONFIG,
		    "%s: [oauth] %s is missing "
		    "(needed with provider = generic)",
		    cfg->path, key);
	if (cfg->oauth.token_url == NULL)
		return perr_set(err, EX_CONFIG,
		    "%s: [oauth] token_url is "
		    "missing",
		    cfg->path);
	return 0;
}

/* client_id, and client_secret when the client has one (Google's do). */
static int
add_client(const struct config *cfg, struct buf *form, struct perr *err)
{
	char *secret;
	int rc = -1;

	/* MAX_SECRET is 16 KB: on the heap, wiped before it is freed */
	if ((secret = calloc(1, MAX_SECRET)) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	if (oauthreq_client_secret(cfg, secret, MAX_SECRET, err) == -1)
		goto out;
	if (http_form_add(form, "client_id", cfg->oauth.client_id) == -1 ||
	    (secret[0] != '\0' &&
		http_form_add(form, "client_secret", secret) == -1)) {
		perr_set(err, EX_SOFTWARE, "token request: %s",
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	secret_wipe(secret, MAX_SECRET);
	free(secret);
	return rc;
}

/* Store what the endpoint gave and say so, without a token in sight. */
static int
store(const struct config *cfg, struct oauthlogin_tokens *t, FILE *out,
    struct perr *err)
{
	if (oauth_store(cfg, t->refresh, t->access, t->expires_in, err) == -1)
		return -1;
	fprintf(out, "posta: signed in; the refresh token is stored in %s\n",
	    cfg->oauth.cache != NULL ? cfg->oauth.cache : "the cache");
	(void)fflush(out);
	return 0;
}

/* Sleep until the monotonic time t. */
static void
sleep_until(double t)
{
	double left;

	while ((left = t - mono_now()) > 0)
		(void)poll(NULL, 0, (int)(left * 1000) + 1);
}

/* The form of one device-code poll (RFC 8628 3.4). */
static int
poll_form(const struct config *cfg, const char *device_code, struct buf *form,
    struct perr *err)
{
	buf_reset(form);
	if (http_form_add(form, "grant_type",
		"urn:ietf:params:oauth:grant-type:device_code") == -1 ||
	    http_form_add(form, "device_code", device_code) == -1)
		return perr_set(err, EX_SOFTWARE, "token request: %s",
		    strerror(errno));
	return add_client(cfg, form, err);
}

/* Print where to sign in: a URL and a code, each on a line of its own. */
static void
instructions(FILE *out, const struct oauthlogin_devcode *d)
{
	fprintf(out,
	    "To let posta send mail, open\n\n    %s\n\nin a browser "
	    "on any device and enter the code\n\n    %s\n\n",
	    d->uri, d->user_code);
	if (d->uri_complete != NULL)
		fprintf(out, "(or open %s, which carries the code)\n\n",
		    d->uri_complete);
	fprintf(out,
	    "Waiting for the sign-in (the code expires in %ld "
	    "minutes)...\n",
	    (d->expires_in + 59) / 60);
	(void)fflush(out);
}

int
oauthlogin_device(const struct config *cfg, FILE *out, struct perr *err)
{
	struct oauthlogin_devcode d = { 0 };
	struct oauthlogin_tokens t = { 0 };
	struct http_response resp;
	struct buf form;
	struct perr e2 = { 0 };
	double deadline, next;
	long interval;
	int rc = -1, lost = 0;

	http_response_init(&resp);
	buf_init(&form, 0);
	if (check_login_conf(cfg, cfg->oauth.device_url, "device_url", err) ==
	    -1)
		goto out;
	if (http_form_init(&form) == -1 ||
	    http_form_add(&form, "client_id", cfg->oauth.client_id) == -1 ||
	    (cfg->oauth.scope != NULL &&
		http_form_add(&form, "scope", cfg->oauth.scope) == -1)) {
		perr_set(err, EX_SOFTWARE, "device authorization request: %s",
		    strerror(errno));
		goto out;
	}
	if (post(cfg, cfg->oauth.device_url, &form, &resp, err) == -1)
		goto out;
	if (oauthlogin_devcode_reply(resp.status, buf_str(&resp.body),
		resp.body.len, &d, &e2) == -1) {
		/* Google's answer to a device code for the Gmail scope */
		perr_set(err, e2.code, "%s%s", e2.msg,
		    cfg->oauth.provider == OAUTH_GOOGLE &&
			    strstr(e2.msg, "invalid_scope") != NULL ?
			"; Google gives "
			"no device codes for Gmail: use "
			"--oauth-login=loopback:PORT" :
			"");
		goto out;
	}
	deadline = mono_now() + (double)d.expires_in;
	interval = d.interval;
	instructions(out, &d);

	for (;;) {
		next = mono_now() + (double)interval;
		/* a 429 or 503 may say how long to keep away */
		if (resp.retry_after > interval)
			next = mono_now() +
			    (double)(resp.retry_after < MAX_INTERVAL ?
				    resp.retry_after :
				    MAX_INTERVAL);
		if (next >= deadline) {
			perr_set(err, EX_NOPERM,
			    "the code expired before the "
			    "sign-in was completed; run the login again");
			goto out;
		}
		sleep_until(next);
		if (poll_form(cfg, d.device_code, &form, err) == -1)
			goto out;
		perr_clear(&e2);
		if (post(cfg, cfg->oauth.token_url, &form, &resp, &e2) == -1) {
			/* a lost poll is not a lost login: the code is valid */
			if (++lost < MAX_LOST_POLLS)
				continue;
			perr_set(err, e2.code, "%s", e2.msg);
			goto out;
		}
		switch (oauthlogin_token_reply(resp.status, buf_str(&resp.body),
		    resp.body.len, &t, &e2)) {
		case LOGIN_TOKENS:
			rc = store(cfg, &t, out, err);
			goto out;
		case LOGIN_PENDING:
			lost = 0;
			break;
		case LOGIN_SLOW_DOWN:
			lost = 0;
			if (interval < MAX_INTERVAL)
				interval += SLOW_DOWN;
			break;
		case LOGIN_RETRY:
			if (++lost < MAX_LOST_POLLS)
				break;
			perr_set(err, e2.code, "%s", e2.msg);
			goto out;
		case LOGIN_FAIL:
			perr_set(err, e2.code, "%s", e2.msg);
			goto out;
		}
	}
out:
	oauthlogin_tokens_free(&t);
	oauthlogin_devcode_free(&d);
	buf_wipe(&form);
	http_response_free(&resp);
	return rc;
}

/* n random octets, base64url: the PKCE verifier and the state. */
static int
random_b64url(size_t n, char *out, size_t cap, struct perr *err)
{
	unsigned char rnd[48];
	int rc = 0;

	if (ossl_load(err) == -1)
		return -1;
	if (n > sizeof(rnd) || RAND_bytes(rnd, (int)n) != 1 ||
	    jwt_b64url(rnd, n, out, cap) == -1)
		rc = perr_set(err, EX_SOFTWARE, "no random bytes from OpenSSL");
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}

/* Exchange the code of the redirect for tokens (RFC 7636 4.5). */
static int
exchange(const struct config *cfg, const char *code, const char *verifier,
    int port, FILE *out, struct perr *err)
{
	struct oauthlogin_tokens t = { 0 };
	struct http_response resp;
	struct buf form;
	char redirect[64];
	int rc = -1;

	http_response_init(&resp);
	buf_init(&form, 0);
	/* the same redirect_uri as in the authorization request */
	(void)xsnprintf(redirect, sizeof(redirect), "http://127.0.0.1:%d/",
	    port);
	if (http_form_init(&form) == -1 ||
	    http_form_add(&form, "grant_type", "authorization_code") == -1 ||
	    http_form_add(&form, "code", code) == -1 ||
	    http_form_add(&form, "redirect_uri", redirect) == -1 ||
	    http_form_add(&form, "code_verifier", verifier) == -1) {
		perr_set(err, EX_SOFTWARE, "token request: %s",
		    strerror(errno));
		goto out;
	}
	if (add_client(cfg, &form, err) == -1 ||
	    post(cfg, cfg->oauth.token_url, &form, &resp, err) == -1)
		goto out;
	switch (oauthlogin_token_reply(resp.status, buf_str(&resp.body),
	    resp.body.len, &t, err)) {
	case LOGIN_TOKENS:
		rc = store(cfg, &t, out, err);
		break;
	case LOGIN_PENDING:
	case LOGIN_SLOW_DOWN:
		perr_set(err, EX_PROTOCOL,
		    "token endpoint: a device-flow "
		    "answer to an authorization code");
		break;
	case LOGIN_RETRY:
	case LOGIN_FAIL:
		break;
	}
out:
	oauthlogin_tokens_free(&t);
	buf_wipe(&form);
	http_response_free(&resp);
	return rc;
}

int
oauthlogin_loopback(const struct config *cfg, int port, FILE *out,
    struct perr *err)
{
	struct loopback_redirect *r = NULL;
	struct loopback_authreq req = { 0 };
	struct buf url;
	char verifier[64], challenge[64], state[32], host[256];
	int lfd = -1, rc = -1;

	buf_init(&url, LOGIN_MAX_URL);
	memset(verifier, 0, sizeof(verifier));
	if (check_login_conf(cfg, cfg->oauth.auth_url, "auth_url", err) == -1)
		goto out;
	if (port <= 0 || port > 65535) {
		perr_set(err, EX_USAGE,
		    "loopback:%d: the port must be 1 to "
		    "65535",
		    port);
		goto out;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		perr_set(err, EX_OSERR, "out of memory");
		goto out;
	}
	/* RFC 7636 4.1: 32 octets give a 43-character verifier */
	if (random_b64url(32, verifier, sizeof(verifier), err) == -1 ||
	    random_b64url(16, state, sizeof(state), err) == -1)
		goto out;
	if (loopback_pkce_s256(verifier, challenge, sizeof(challenge)) == -1) {
		perr_set(err, EX_SOFTWARE, "PKCE: SHA-256 failed");
		goto out;
	}
	/* listen before printing: a port in use fails before anyone signs in */
	if ((lfd = loopback_listen(port, err)) == -1)
		goto out;
	req.auth_url = cfg->oauth.auth_url;
	req.client_id = cfg->oauth.client_id;
	req.scope = cfg->oauth.scope != NULL ? cfg->oauth.scope : "";
	req.state = state;
	req.challenge = challenge;
	req.port = port;
	req.offline = cfg->oauth.provider == OAUTH_GOOGLE;
	if (loopback_auth_url(&url, &req) == -1) {
		perr_set(err, EX_CONFIG, "authorization URL: %s",
		    strerror(errno));
		goto out;
	}
	host_name(host, sizeof(host));
	fprintf(out,
	    "To let posta send mail, open this URL in a browser:\n\n"
	    "    %s\n\nThe browser is sent back to http://127.0.0.1:%d/, "
	    "where posta listens on\nthis host; from another computer, "
	    "forward the port first:\n\n    ssh -L %d:127.0.0.1:%d %s\n\n"
	    "Waiting for the redirect (at most %d minutes)...\n",
	    buf_str(&url), port, port, port, host, LOOPBACK_WAIT / 60);
	(void)fflush(out);
	if (loopback_wait_redirect(lfd, state, mono_now() + LOOPBACK_WAIT, r,
		err) == -1)
		goto out;
	(void)close(lfd);
	lfd = -1;
	rc = exchange(cfg, r->code, verifier, port, out, err);
out:
	if (lfd != -1)
		(void)close(lfd);
	if (r != NULL) {
		OPENSSL_cleanse(r, sizeof(*r));
		free(r);
	}
	OPENSSL_cleanse(verifier, sizeof(verifier));
	buf_free(&url);
	return rc;
}
