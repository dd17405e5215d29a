/* SPDX-License-Identifier: ISC */
/*
 * OAuth 2.0 token cache and grants. Interface first; the body follows.
 */
#include <stdio.h>
#include <sysexits.h>

#include "oauth.h"

int
oauth_client_secret(const struct config *cfg, char *buf, size_t cap,
    struct perr *err)
{
	(void)cfg;
	if (cap > 0)
		buf[0] = '\0';
	return perr_set(err, EX_UNAVAILABLE, "OAuth is not implemented yet");
}

int
oauth_store(const struct config *cfg, const char *refresh,
    const char *access, long expires_in, struct perr *err)
{
	(void)cfg;
	(void)refresh;
	(void)access;
	(void)expires_in;
	return perr_set(err, EX_UNAVAILABLE, "OAuth is not implemented yet");
}

int
oauth_note_error(const struct config *cfg, const char *what,
    struct perr *err)
{
	(void)cfg;
	(void)what;
	return perr_set(err, EX_UNAVAILABLE, "OAuth is not implemented yet");
}

int
oauth_token(const struct config *cfg, int force, char *buf, size_t cap,
    struct perr *err)
{
	(void)cfg;
	(void)force;
	if (cap > 0)
		buf[0] = '\0';
	return perr_set(err, EX_UNAVAILABLE, "OAuth is not implemented yet");
}

int
oauth_status(const struct config *cfg, FILE *out, struct perr *err)
{
	(void)cfg;
	(void)out;
	return perr_set(err, EX_UNAVAILABLE, "OAuth is not implemented yet");
}

int
oauth_refresh_now(const struct config *cfg, FILE *out, struct perr *err)
{
	(void)cfg;
	(void)out;
	return perr_set(err, EX_UNAVAILABLE, "OAuth is not implemented yet");
}

int
oauth_import(const struct config *cfg, int fd, struct perr *err)
{
	(void)cfg;
	(void)fd;
	return perr_set(err, EX_UNAVAILABLE, "OAuth is not implemented yet");
}
