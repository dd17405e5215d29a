/* SPDX-License-Identifier: ISC */
/*
 * The request to the OAuth token endpoint, for oauth.c (when to ask)
 * and oauthlogin.c (the client's credentials): one grant, its answer
 * taken into the token cache, and the client secret.
 */
#ifndef POSTA_OAUTHREQ_H
#define POSTA_OAUTHREQ_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "perr.h"
#include "tokcache.h"

#define OAUTHREQ_DEFAULT_EXPIRY 3600 /* seconds, without expires_in */

/*
 * The client secret from client_secret, client_secret_file or
 * client_secret_command into buf (wiped by the caller with
 * secret_wipe); "" for a public client. 0, or -1 with err.
 */
int oauthreq_client_secret(const struct config *cfg, char *buf, size_t cap,
    struct perr *err);

/*
 * What the tokens are for, as a hash: a change of client, endpoint,
 * scope, mailbox or grant makes a cached access token unusable and ends
 * an invalid_grant quiet period.
 */
void oauthreq_fingerprint(const struct config *cfg, char hex[TOKCACHE_HEX + 1]);

/*
 * One request to the token endpoint for cfg's grant. c gets the new
 * tokens (a rotated refresh token replaces the old one), or the error,
 * noted and logged, and c->dirty is set either way. 0, or -1 with err
 * (EX_TEMPFAIL: network or endpoint trouble; EX_CONFIG; EX_NOPERM:
 * invalid_grant, invalid_client) saying what to do. No token is ever
 * in err or the log.
 */
int oauthreq_grant(const struct config *cfg, struct tokcache *c,
    struct perr *err);

/* Note an error of kind ("invalid_grant", "network", ...) in c. */
void oauthreq_note(struct tokcache *c, const char *kind, time_t now,
    const char *msg);

/* The exit code an error of kind stands for. */
int oauthreq_kind_code(const struct config *cfg, const char *kind);

#endif /* POSTA_OAUTHREQ_H */
