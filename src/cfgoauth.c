/* SPDX-License-Identifier: ISC */
/*
 * posta.conf's [oauth]: its values, what it needs of itself and of
 * [upstream], the defaults each provider brings (URLs, scope) and the
 * cache path, and the rule that its secret files are private.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cfgpriv.h"
#include "config.h"
#include "posta.h"
#include "util.h"

#define MAX_MARGIN     86400 /* refresh_margin, seconds */
#define DEFAULT_MARGIN 600   /* Microsoft refuses tokens with less */

static const struct word provider_words[] = {
	{ "microsoft", OAUTH_MICROSOFT },
	{ "google", OAUTH_GOOGLE },
	{ "generic", OAUTH_GENERIC },
};

static const struct word grant_words[] = {
	{ "refresh_token", GRANT_REFRESH_TOKEN },
	{ "client_credentials", GRANT_CLIENT_CREDENTIALS },
	{ "jwt_bearer", GRANT_JWT_BEARER },
};

int
cfg_set_provider(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (cfg_lookup_word(ctx, k, provider_words, nitems(provider_words),
		value, &v) == -1)
		return -1;
	ctx->cfg->oauth.provider = (enum oauth_provider)v;
	return 0;
}

int
cfg_set_grant(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (cfg_lookup_word(ctx, k, grant_words, nitems(grant_words), value,
		&v) == -1)
		return -1;
	ctx->cfg->oauth.grant = (enum oauth_grant)v;
	return 0;
}

/* A domain, a GUID, or organizations / common / consumers: a URL path part. */
int
cfg_set_tenant(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && !cfg_valid_host(value, 0))
		return cfg_err(ctx,
		    "invalid tenant \"%.64s\"; expected a "
		    "domain such as contoso.onmicrosoft.com, a tenant ID or "
		    "organizations",
		    value);
	return cfg_set_str(ctx, k, value);
}

/* Tokens travel only over TLS, to a URL without blanks or a fragment. */
int
cfg_set_url(struct ctx *ctx, const struct key *k, const char *value)
{
	size_t i;

	if (*value == '\0')
		return 0;
	if (strncasecmp(value, "https://", 8) != 0 || value[8] == '\0' ||
	    value[8] == '/')
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected an "
		    "https:// URL",
		    k->name, value);
	for (i = 0; value[i] != '\0'; i++)
		if ((unsigned char)value[i] <= ' ' || value[i] == '#' ||
		    (unsigned char)value[i] >= 0x7f)
			return cfg_err(ctx,
			    "invalid %s: blank, '#' or "
			    "non-ASCII character in the URL",
			    k->name);
	return cfg_set_str(ctx, k, value);
}

int
cfg_set_margin(struct ctx *ctx, const struct key *k, const char *value)
{
	long n = duration_parse(value, DUR_CONFIG, MAX_MARGIN);

	if (n < 0)
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected a duration "
		    "from 0 to 1d, such as 10m",
		    k->name, value);
	ctx->cfg->oauth.refresh_margin = n;
	return 0;
}

/*
 * An [oauth] line without keys still means "use OAuth", and inih
 * calls no handler for an empty section, so the reader notes it.
 */
void
cfg_oauth_note(struct ctx *ctx, const char *p)
{
	p += strspn(p, " \t");
	if (strncasecmp(p, "oauth", 5) != 0)
		return;
	p += 5;
	p += strspn(p, " \t");
	if (*p != ']')
		return;
	ctx->cfg->oauth.set = 1;
	if (ctx->oauthline == 0)
		ctx->oauthline = ctx->lineno;
}

/* The line of an [oauth] key, else of the section itself. */
static int
oauth_line(const struct ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(cfg_keys); i++)
		if (strcmp(cfg_keys[i].section, "oauth") == 0 &&
		    strcmp(cfg_keys[i].name, name) == 0 && ctx->keyline[i] != 0)
			return ctx->keyline[i];
	return ctx->oauthline;
}

/* With [oauth] the token replaces the password: what must go with it. */
static int
check_oauth_upstream(struct ctx *ctx)
{
	static const char *const src[] = { "password", "password_file",
		"password_command" };
	struct config *cfg = ctx->cfg;
	size_t i;
	int line;

	if (cfg->auth == AUTH_AUTO)
		cfg->auth = AUTH_XOAUTH2;
	if (cfg->auth != AUTH_XOAUTH2 && cfg->auth != AUTH_OAUTHBEARER)
		return cfg_err_at(ctx, cfg_key_line(ctx, "auth"), EX_CONFIG,
		    "auth = %s cannot carry an OAuth token; with [oauth] use "
		    "auth = xoauth2 or oauthbearer",
		    cfg_auth_name(cfg->auth));
	for (i = 0; i < nitems(src); i++)
		if ((line = cfg_key_line(ctx, src[i])) != 0)
			return cfg_err_at(ctx, line, EX_CONFIG,
			    "%s is not "
			    "used with [oauth] (the token comes from the OAuth "
			    "cache); remove it",
			    src[i]);
	if (cfg->username == NULL)
		return cfg_err_at(ctx, ctx->oauthline, EX_CONFIG,
		    "[oauth] "
		    "needs [upstream] username: the mailbox the token is for");
	return 0;
}

int
cfg_oauth_check(struct ctx *ctx)
{
	static const char *const src[] = { "client_secret",
		"client_secret_file", "client_secret_command" };
	struct oauth_conf *o = &ctx->cfg->oauth;
	int nsrc = 0, line;
	size_t i;

	if (!o->set)
		return 0;
	if (check_oauth_upstream(ctx) == -1)
		return -1;
	for (i = 0; i < nitems(src); i++) {
		if ((line = oauth_line(ctx, src[i])) == ctx->oauthline)
			continue;
		if (++nsrc > 1)
			return cfg_err_at(ctx, line, EX_CONFIG,
			    "set only one "
			    "of client_secret, client_secret_file and "
			    "client_secret_command");
	}
	if (o->provider == OAUTH_GENERIC && o->token_url == NULL)
		return cfg_err_at(ctx, oauth_line(ctx, "provider"), EX_CONFIG,
		    "provider = generic needs token_url (or use provider = "
		    "microsoft or google)");
	if (o->tenant != NULL && o->provider != OAUTH_MICROSOFT)
		return cfg_err_at(ctx, oauth_line(ctx, "tenant"), EX_CONFIG,
		    "tenant is only used with provider = microsoft");
	line = oauth_line(ctx, "grant");
	if (o->grant == GRANT_JWT_BEARER && o->key_file == NULL)
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "grant = jwt_bearer "
		    "needs key_file (the service account's JSON key)");
	if (o->grant == GRANT_JWT_BEARER && o->provider == OAUTH_MICROSOFT)
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "grant = jwt_bearer is "
		    "for Google service accounts; Microsoft app-only access "
		    "uses grant = client_credentials");
	if (o->grant != GRANT_JWT_BEARER && o->key_file != NULL)
		return cfg_err_at(ctx, oauth_line(ctx, "key_file"), EX_CONFIG,
		    "key_file is only used with grant = jwt_bearer");
	if (o->grant != GRANT_REFRESH_TOKEN && o->refresh_token_file != NULL)
		return cfg_err_at(ctx, oauth_line(ctx, "refresh_token_file"),
		    EX_CONFIG,
		    "refresh_token_file is only used with "
		    "grant = refresh_token");
	if (o->grant == GRANT_CLIENT_CREDENTIALS && nsrc == 0)
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "grant = "
		    "client_credentials needs client_secret, "
		    "client_secret_file or client_secret_command");
	if (o->grant != GRANT_JWT_BEARER && o->client_id == NULL)
		return cfg_err_at(ctx, ctx->oauthline, EX_CONFIG,
		    "auth = %s "
		    "with [oauth] needs client_id (the application's client "
		    "ID)",
		    cfg_auth_name(ctx->cfg->auth));
	return 0;
}

/* A short, stable name for the cache of this configuration file. */
static int
cache_name(const char *path, char *buf, size_t cap)
{
	const char *base = strrchr(path, '/');
	uint32_t h = 2166136261u; /* FNV-1a: a name, not a secret */
	const char *p;
	size_t n = 0;

	for (p = path; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	base = base != NULL ? base + 1 : path;
	for (p = base; *p != '\0' && n < 32 && n + 1 < cap; p++, n++)
		buf[n] = strchr("abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			     *p) != NULL &&
			!(n == 0 && *p == '.') ?
		    *p :
		    '_';
	return xsnprintf(buf + n, cap - n, "-%08x", (unsigned int)h);
}

/* *field = pre + mid + post, unless the file set it. */
static int
oauth_default(struct ctx *ctx, char **field, const char *pre, const char *mid,
    const char *post)
{
	size_t len;

	if (*field != NULL)
		return 0;
	len = strlen(pre) + strlen(mid) + strlen(post) + 1;
	if ((*field = malloc(len)) == NULL)
		return cfg_nomem(ctx);
	(void)snprintf(*field, len, "%s%s%s", pre, mid, post);
	return 0;
}

#define MS_BASE "https://login.microsoftonline.com/"
#define MS_PATH "/oauth2/v2.0/"

/* The provider's URLs and scope, and the cache path, unless set. */
int
cfg_oauth_defaults(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	struct oauth_conf *o = &cfg->oauth;
	char name[64];
	const char *scope = NULL;
	size_t len;
	int rc = 0;

	if (!o->set)
		return 0;
	if (cfg_key_line(ctx, "refresh_margin") == 0)
		o->refresh_margin = DEFAULT_MARGIN;
	if (o->provider == OAUTH_MICROSOFT) {
		if (oauth_default(ctx, &o->tenant, "organizations", "", "") ==
		    -1)
			return -1;
		rc |= oauth_default(ctx, &o->token_url, MS_BASE, o->tenant,
		    MS_PATH "token");
		rc |= oauth_default(ctx, &o->device_url, MS_BASE, o->tenant,
		    MS_PATH "devicecode");
		rc |= oauth_default(ctx, &o->auth_url, MS_BASE, o->tenant,
		    MS_PATH "authorize");
		scope = o->grant == GRANT_CLIENT_CREDENTIALS ?
		    "https://outlook.office365.com/.default" :
		    "https://outlook.office.com/SMTP.Send offline_access";
	} else if (o->provider == OAUTH_GOOGLE) {
		rc |= oauth_default(ctx, &o->token_url,
		    "https://oauth2.googleapis.com/token", "", "");
		rc |= oauth_default(ctx, &o->device_url,
		    "https://oauth2.googleapis.com/device/code", "", "");
		rc |= oauth_default(ctx, &o->auth_url,
		    "https://accounts.google.com/o/oauth2/v2/auth", "", "");
		scope = "https://mail.google.com/";
	}
	if (scope != NULL)
		rc |= oauth_default(ctx, &o->scope, scope, "", "");
	if (rc != 0)
		return -1;
	if (cache_name(cfg->path, name, sizeof(name)) == -1)
		return cfg_err_at(ctx, 0, EX_CONFIG, "file name too long");
	if (o->cache != NULL)
		return 0;
	len = strlen(cfg->spooldir) + strlen("/oauth/") + strlen(name) + 1;
	if ((o->cache = malloc(len)) == NULL)
		return cfg_nomem(ctx);
	(void)snprintf(o->cache, len, "%s/oauth/%s", cfg->spooldir, name);
	return 0;
}

/*
 * The files [oauth] reads secrets from get the same rule. One that
 * cannot be looked at now (absent, or in a directory this user cannot
 * search) is left to the moment it is read, which says why it fails.
 */
int
cfg_oauth_files(struct ctx *ctx)
{
	static const char *const names[] = { "client_secret_file", "key_file",
		"refresh_token_file" };
	const struct oauth_conf *o = &ctx->cfg->oauth;
	const char *paths[] = { o->client_secret_file, o->key_file,
		o->refresh_token_file };
	struct stat st;
	size_t i;

	for (i = 0; i < nitems(names); i++) {
		if (paths[i] == NULL || stat(paths[i], &st) == -1)
			continue;
		if (cfg_check_writable(ctx, paths[i], &st) == -1)
			return -1;
		if ((st.st_mode & 007) == 0)
			continue;
		return cfg_err_at(ctx, oauth_line(ctx, names[i]), EX_CONFIG,
		    "%s %s is %s by others; chmod 600 %s", names[i], paths[i],
		    (st.st_mode & S_IROTH) ? "readable" : "accessible",
		    paths[i]);
	}
	return 0;
}
