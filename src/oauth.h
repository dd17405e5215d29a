/* SPDX-License-Identifier: ISC */
/*
 * OAuth 2.0 access tokens for SMTP AUTH (XOAUTH2, OAUTHBEARER): the
 * per-configuration token cache (one file, written like the spool,
 * refreshed under a lock on a separate file) and the grants
 * refresh_token, client_credentials and jwt_bearer (RFC 6749, 7523).
 * Tokens never appear in err, the log or any output.
 */
#ifndef POSTA_OAUTH_H
#define POSTA_OAUTH_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "perr.h"

/*
 * Store tokens obtained by a login flow or --oauth-import, under the
 * cache lock, atomically: refresh (required), access (may be NULL),
 * expires_in seconds (0: unknown). Resets any remembered error.
 * 0, or -1 with err.
 */
int oauth_store(const struct config *cfg, const char *refresh,
    const char *access, long expires_in, struct perr *err);

/* Record a failure in the cache (shown by --oauth-status and -bp). */
int oauth_note_error(const struct config *cfg, const char *what,
    struct perr *err);

/*
 * A currently valid access token into buf (cap >= MAX_SECRET);
 * refreshes under the lock when due or when force is set. 0, or -1
 * with err (EX_TEMPFAIL: network or endpoint trouble; EX_CONFIG:
 * configuration; EX_NOPERM: invalid_grant, invalid_client) and a
 * one-line reason saying what to do.
 */
int oauth_token(const struct config *cfg, int force, char *buf, size_t cap,
    struct perr *err);

/*
 * The upstream refused the token refused: a different valid one into
 * buf, from the cache when another process renewed it already, else
 * from the endpoint. 0, or -1 with err as for oauth_token().
 */
int oauth_token_renew(const struct config *cfg, const char *refused, char *buf,
    size_t cap, struct perr *err);

/* --oauth-status: grant, expiry, refresh-token age, last error; no token. */
int oauth_status(const struct config *cfg, FILE *out, struct perr *err);

/* --oauth-refresh: get a new access token now, print one line. */
int oauth_refresh_now(const struct config *cfg, FILE *out, struct perr *err);

/* --oauth-import: a refresh token read from fd (first line) into the cache. */
int oauth_import(const struct config *cfg, int fd, struct perr *err);

#endif /* POSTA_OAUTH_H */
