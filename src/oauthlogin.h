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
int	oauthlogin_device(const struct config *cfg, FILE *out,
	    struct perr *err);

/*
 * Authorization code + PKCE S256: listen on 127.0.0.1:port, print the
 * authorization URL, wait (at most 10 minutes) for the browser's
 * redirect carrying code and state, answer it with a small page,
 * exchange the code at token_url, oauth_store(). Returns 0, or -1 with
 * err (a wrong state or an error= in the redirect: EX_NOPERM).
 */
int	oauthlogin_loopback(const struct config *cfg, int port, FILE *out,
	    struct perr *err);

/* The pure parts and the listener, exposed for tests/unit/t_oauthlogin.c. */

/* What a token endpoint's answer means to a login flow. */
enum oauthlogin_verdict {
	LOGIN_TOKENS,		/* 200 with tokens: t is filled in */
	LOGIN_PENDING,		/* authorization_pending: poll again */
	LOGIN_SLOW_DOWN,	/* slow_down: poll again, less often */
	LOGIN_RETRY,		/* 429, 5xx: the endpoint's trouble (err set) */
	LOGIN_FAIL		/* anything else: err says what to do */
};

struct oauthlogin_tokens {
	char	*access;	/* owned; oauthlogin_tokens_free wipes */
	char	*refresh;	/* owned */
	long	 expires_in;	/* seconds; 0 when not given */
};

/*
 * Judge the token endpoint's reply (HTTP status and body). Tokens need
 * an access_token, a refresh_token (the login exists to get one) and a
 * Bearer token_type if any. err carries the endpoint's error code and
 * the first line of its description, never a token.
 */
enum oauthlogin_verdict oauthlogin_token_reply(int status, const char *body,
	    size_t len, struct oauthlogin_tokens *t, struct perr *err);
void	oauthlogin_tokens_free(struct oauthlogin_tokens *t);

/* The device authorization endpoint's answer (RFC 8628 3.2). */
struct oauthlogin_devcode {
	char	*device_code;	/* owned, like the strings below */
	char	*user_code;
	char	*uri;		/* verification_uri (Google: verification_url) */
	char	*uri_complete;	/* NULL when not given */
	long	 expires_in;	/* seconds, 900 when not given, at most 3600 */
	long	 interval;	/* seconds, 5 when not given, 1 to 300 */
};

/*
 * Parse the device authorization reply: 200 with device_code,
 * user_code and a verification URI without control characters. 0, or
 * -1 with err (the endpoint's error, or EX_PROTOCOL).
 */
int	oauthlogin_devcode_reply(int status, const char *body, size_t len,
	    struct oauthlogin_devcode *d, struct perr *err);
void	oauthlogin_devcode_free(struct oauthlogin_devcode *d);

/* PKCE S256: BASE64URL(SHA256(verifier)) into out (cap >= 44); 0 or -1. */
int	oauthlogin_pkce_s256(const char *verifier, char *out, size_t cap);

/* What the authorization URL carries. */
struct oauthlogin_authreq {
	const char	*auth_url;	/* may already hold a query */
	const char	*client_id;
	const char	*scope;
	const char	*state;
	const char	*challenge;	/* S256 */
	int		 port;		/* redirect_uri: http://127.0.0.1:PORT/ */
	int		 offline;	/* Google: access_type, prompt=consent */
};

/* The authorization URL into b; -1 with errno E2BIG or ENOMEM. */
int	oauthlogin_auth_url(struct buf *b, const struct oauthlogin_authreq *r);

/* What a browser's redirect brought, percent-decoded. */
struct oauthlogin_redirect {
	char	code[4096];
	char	state[256];
	char	error[128];
	char	error_description[512];
};

/*
 * Parse an HTTP request head (request line and headers). Returns 1 for
 * "GET /?..." carrying a code or an error, 0 for any other request (a
 * favicon, a probe) which gets a 404, -1 for a malformed or oversized
 * one (a value longer than its field counts as malformed).
 */
int	oauthlogin_redirect_parse(const char *head, size_t len,
	    struct oauthlogin_redirect *r);

/* Listen on 127.0.0.1:port (0: any free port); the fd, or -1 with err. */
int	oauthlogin_listen(int port, struct perr *err);

/* The port a listening socket got. */
int	oauthlogin_port(int lfd);

/*
 * Accept connections on lfd until the monotonic deadline, answering
 * each; returns 0 with r filled when a redirect carries a code and the
 * expected state, -1 with err when one carries another state or an
 * error, or when the deadline passes (EX_TEMPFAIL).
 */
int	oauthlogin_wait_redirect(int lfd, const char *state, double deadline,
	    struct oauthlogin_redirect *r, struct perr *err);

/*
 * Test hook: the seconds one connection to the listener may take to
 * send its request (0: the default, 10).
 */
void	oauthlogin_test_conn_wait(int secs);

#endif /* POSTA_OAUTHLOGIN_H */
