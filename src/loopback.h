/* SPDX-License-Identifier: ISC */
/*
 * The loopback redirect of `posta --oauth-login=loopback:PORT`: the
 * authorization URL with its PKCE challenge, and a listener on
 * 127.0.0.1:PORT (reached through `ssh -L`) that waits for the
 * browser's redirect. The pure parts are exposed for unit tests.
 */
#ifndef POSTA_LOOPBACK_H
#define POSTA_LOOPBACK_H

#include <stddef.h>

#include "buf.h"
#include "perr.h"

/* PKCE S256: BASE64URL(SHA256(verifier)) into out (cap >= 44); 0 or -1. */
int loopback_pkce_s256(const char *verifier, char *out, size_t cap);

/* What the authorization URL carries. */
struct loopback_authreq {
	const char *auth_url; /* may already hold a query */
	const char *client_id;
	const char *scope;
	const char *state;
	const char *challenge; /* S256 */
	int port;	       /* redirect_uri: http://127.0.0.1:PORT/ */
	int offline;	       /* Google: access_type, prompt=consent */
};

/* The authorization URL into b; -1 with errno E2BIG or ENOMEM. */
int loopback_auth_url(struct buf *b, const struct loopback_authreq *r);

/* What a browser's redirect brought, percent-decoded. */
struct loopback_redirect {
	char code[4096];
	char state[256];
	char error[128];
	char error_description[512];
};

/*
 * Parse an HTTP request head (request line and headers). Returns 1 for
 * "GET /?..." carrying a code or an error, 0 for any other request (a
 * favicon, a probe) which gets a 404, -1 for a malformed or oversized
 * one (a value longer than its field counts as malformed).
 */
int loopback_redirect_parse(const char *head, size_t len,
    struct loopback_redirect *r);

/* Listen on 127.0.0.1:port (0: any free port); the fd, or -1 with err. */
int loopback_listen(int port, struct perr *err);

/* The port a listening socket got. */
int loopback_port(int lfd);

/*
 * Accept connections on lfd until the monotonic deadline, answering
 * each; returns 0 with r filled when a redirect carries a code and the
 * expected state, -1 with err when one carries another state or an
 * error, or when the deadline passes (EX_TEMPFAIL).
 */
int loopback_wait_redirect(int lfd, const char *state, double deadline,
    struct loopback_redirect *r, struct perr *err);

/*
 * Test hook: the seconds one connection to the listener may take to
 * send its request (0: the default, 10).
 */
void loopback_test_conn_wait(int secs);

#endif /* POSTA_LOOPBACK_H */
