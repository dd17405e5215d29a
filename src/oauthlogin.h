/* SPDX-License-Identifier: ISC */
/*
 * The first authorization of `posta --oauth-login`: the device-code flow
 * (RFC 8628) and the authorization-code flow with PKCE (RFC 7636) on a
 * listener at 127.0.0.1:PORT, for use through `ssh -L`. Both end in
 * oauth_store(); neither prints or logs a token.
 */
#ifndef POSTA_OAUTHLOGIN_H
#define POSTA_OAUTHLOGIN_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "perr.h"

/*
 * RFC 8628: request a code at cfg->oauth.device_url, print the
 * verification URL and the user code to out, poll token_url at the
 * interval the endpoint gave (default 5 s; slow_down adds 5 s) until it
 * answers with tokens or the code expires, then oauth_store(). Returns
 * 0, or -1 with err (EX_NOPERM for access_denied/expired_token,
 * EX_TEMPFAIL for network trouble, EX_CONFIG for a missing key).
 */
int oauthlogin_device(const struct config *cfg, FILE *out, struct perr *err);

/*
 * Authorization code + PKCE S256: listen on 127.0.0.1:port, print the
 * authorization URL, wait (at most 10 minutes) for the browser's
 * redirect carrying code and state, answer it with a small page,
 * exchange the code at token_url, oauth_store(). Returns 0, or -1 with
 * err (a wrong state or an error= in the redirect: EX_NOPERM).
 */
int oauthlogin_loopback(const struct config *cfg, int port, FILE *out,
    struct perr *err);

/* The pure parts, exposed for tests/unit/t_oauthlogin.c. */

/* What a token endpoint's answer means to a login flow. */
enum oauthlogin_verdict {
	LOGIN_TOKENS,	 /* 200 with tokens: t is filled in */
	LOGIN_PENDING,	 /* authorization_pending: poll again */
	LOGIN_SLOW_DOWN, /* slow_down: poll again, less often */
	LOGIN_RETRY,	 /* 429, 5xx: the endpoint's trouble (err set) */
	LOGIN_FAIL	 /* anything else: err says what to do */
};

struct oauthlogin_tokens {
	char *access;	 /* owned; oauthlogin_tokens_free wipes */
	char *refresh;	 /* owned */
	long expires_in; /* seconds; 0 when not given */
};

/*
 * Judge the token endpoint's reply (HTTP status and body). Tokens need
 * an access_token, a refresh_token (the login exists to get one) and a
 * Bearer token_type if any. err carries the endpoint's error code and
 * the first line of its description, never a token.
 */
enum oauthlogin_verdict oauthlogin_token_reply(int status, const char *body,
    size_t len, struct oauthlogin_tokens *t, struct perr *err);
void oauthlogin_tokens_free(struct oauthlogin_tokens *t);

/* The device authorization endpoint's answer (RFC 8628 3.2). */
struct oauthlogin_devcode {
	char *device_code; /* owned, like the strings below */
	char *user_code;
	char *uri;	    /* verification_uri (Google: verification_url) */
	char *uri_complete; /* NULL when not given */
	long expires_in;    /* seconds, 900 when not given, at most 3600 */
	long interval;	    /* seconds, 5 when not given, 1 to 300 */
};

/*
 * Parse the device authorization reply: 200 with device_code,
 * user_code and a verification URI without control characters. 0, or
 * -1 with err (the endpoint's error, or EX_PROTOCOL).
 */
int oauthlogin_devcode_reply(int status, const char *body, size_t len,
    struct oauthlogin_devcode *d, struct perr *err);
void oauthlogin_devcode_free(struct oauthlogin_devcode *d);

#endif /* POSTA_OAUTHLOGIN_H */
