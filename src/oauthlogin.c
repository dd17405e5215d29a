/* SPDX-License-Identifier: ISC */
/*
 * Placeholder until branch oauth-login lands: both flows report that
 * they are not built, so --oauth-login fails cleanly.
 */
#include <sysexits.h>

#include "oauthlogin.h"

int
oauthlogin_device(const struct config *cfg, FILE *out, struct perr *err)
{
	(void)cfg;
	(void)out;
	return perr_set(err, EX_UNAVAILABLE, "--oauth-login: the device-code "
	    "flow is not built in; use --oauth-import");
}

int
oauthlogin_loopback(const struct config *cfg, int port, FILE *out,
    struct perr *err)
{
	(void)cfg;
	(void)port;
	(void)out;
	return perr_set(err, EX_UNAVAILABLE, "--oauth-login=loopback: the "
	    "authorization-code flow is not built in; use --oauth-import");
}
