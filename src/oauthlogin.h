/* SPDX-License-Identifier: ISC */
/*
 * First authorization on a headless host: the device-code flow
 * (RFC 8628) and the authorization-code flow with PKCE (RFC 7636) on a
 * loopback listener. Both end in oauth_store().
 */
#ifndef POSTA_OAUTHLOGIN_H
#define POSTA_OAUTHLOGIN_H

#include <stdio.h>

#include "config.h"
#include "perr.h"

/*
 * RFC 8628 device flow: request a code at cfg->oauth.device_url, print
 * the verification URL and user code to out, poll token_url at the
 * given interval (slow_down adds 5 s; stop at expires_in), then
 * oauth_store(). 0 or -1 with err.
 */
int	oauthlogin_device(const struct config *cfg, FILE *out,
	    struct perr *err);

/*
 * Authorization code + PKCE (S256) with a listener on 127.0.0.1:port:
 * print the authorization URL (state, code_challenge, redirect_uri
 * http://127.0.0.1:PORT/), accept ONE redirect with the code (check
 * state), answer a small HTML page, exchange the code, oauth_store().
 * Bounded wait. 0 or -1 with err.
 */
int	oauthlogin_loopback(const struct config *cfg, int port, FILE *out,
	    struct perr *err);

#endif /* POSTA_OAUTHLOGIN_H */
