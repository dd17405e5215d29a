/* SPDX-License-Identifier: ISC */
/*
 * posta.conf's [aliases]: names checked and lower-cased, targets parsed
 * as address lists when the file is read (so a typo is a FILE:LINE
 * error), the "*" catch-all kept apart, and the lookup alias.c uses.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "addr.h"
#include "buf.h"
#include "cfgpriv.h"
#include "config.h"
#include "posta.h"
#include "util.h"

#define MAX_ALIASES 10000 /* entries in [aliases] */
#define MAX_NAME    64	  /* alias name: an RFC 5321 local part */

static int
valid_alias_name(const char *s)
{
	size_t n;

	if (strcmp(s, "*") == 0)
		return 1;
	for (n = 0; s[n] != '\0'; n++)
		if ((unsigned char)s[n] <= ' ' ||
		    strchr("@,<>\"", s[n]) != NULL)
			return 0;
	return n > 0 && n <= MAX_NAME;
}

static int
alias_dup(struct ctx *ctx, const char *name)
{
	struct config *cfg = ctx->cfg;
	size_t i;

	if (strcmp(name, "*") == 0)
		return cfg->catchall.n > 0;
	for (i = 0; i < cfg->naliases; i++)
		if (strcmp(cfg->aliases[i].name, name) == 0)
			return 1;
	return 0;
}

static int
alias_grow(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	struct alias *a;
	size_t ncap;

	if (cfg->naliases < ctx->acap)
		return 0;
	if (cfg->naliases >= MAX_ALIASES)
		return cfg_err(ctx, "too many aliases (at most %d)",
		    MAX_ALIASES);
	ncap = ctx->acap == 0 ? 16 : ctx->acap * 2;
	if (ncap > MAX_ALIASES)
		ncap = MAX_ALIASES;
	if ((a = reallocarray(cfg->aliases, ncap, sizeof(*a))) == NULL)
		return cfg_nomem(ctx);
	cfg->aliases = a;
	ctx->acap = ncap;
	return 0;
}

static int
push_target(const char *addr, void *arg)
{
	return strvec_push(arg, addr) == -1 ? 1 : 0;
}

int
config_alias_parse(const char *value, struct strvec *targets, struct perr *err)
{
	int r;

	strvec_init(targets, MAX_VALUE);
	r = addr_list_parse(value, strlen(value), push_target, targets);
	if (r == 0 && targets->n > 0)
		return 0;
	strvec_free(targets);
	if (r == 1)
		return perr_set(err, EX_OSERR, "out of memory");
	if (r != 0)
		return perr_set(err, EX_CONFIG,
		    "cannot parse \"%.200s\" as a "
		    "list of addresses",
		    value);
	return perr_set(err, EX_CONFIG, "no addresses in \"%.200s\"", value);
}

/* A setting from outside the file replaces the file's alias. */
static int
alias_replace(struct ctx *ctx, const char *name, struct strvec *targets)
{
	struct config *cfg = ctx->cfg;
	struct strvec *slot = NULL;
	size_t i;

	if (strcmp(name, "*") == 0 && cfg->catchall.n > 0)
		slot = &cfg->catchall;
	for (i = 0; slot == NULL && i < cfg->naliases; i++)
		if (strcmp(cfg->aliases[i].name, name) == 0)
			slot = &cfg->aliases[i].targets;
	if (slot == NULL)
		return 0;
	strvec_free(slot);
	*slot = *targets;
	strvec_init(targets, 0);
	return 1;
}

/* [aliases]: any name; lower-cased; "*" is the catch-all. */
int
cfg_set_alias(struct ctx *ctx, const char *name, const char *value)
{
	struct config *cfg = ctx->cfg;
	struct perr e = { 0, "" };
	struct strvec targets;
	char *lname = NULL;
	int rc = -1;

	strvec_init(&targets, 0);

	if (!valid_alias_name(name)) {
		cfg_err(ctx,
		    "invalid alias name \"%.64s\"; expected a local "
		    "name without '@' or blanks",
		    name);
		goto out;
	}
	if (*value == '\0') {
		cfg_err(ctx, "alias \"%.64s\" has no targets", name);
		goto out;
	}
	if ((lname = strdup(name)) == NULL) {
		cfg_nomem(ctx);
		goto out;
	}
	str_lower(lname);
	/* a setting (line < 0) replaces what the file says, below */
	if (ctx->lineno > 0 && alias_dup(ctx, lname)) {
		if (ctx->indented)
			cfg_err(ctx,
			    "indented line continues alias \"%.64s\"; "
			    "remove the leading blanks",
			    lname);
		else
			cfg_err(ctx, "duplicate alias \"%.64s\"", lname);
		goto out;
	}
	/* a typo in a target shows now, not when mail goes to the alias */
	if (config_alias_parse(value, &targets, &e) == -1) {
		cfg_err_at(ctx, ctx->lineno, e.code, "alias \"%.64s\": %s",
		    lname, e.msg);
		goto out;
	}
	if (ctx->lineno < 0 && alias_replace(ctx, lname, &targets)) {
		rc = 0;
		goto out;
	}
	if (strcmp(lname, "*") == 0) {
		cfg->catchall = targets;
		strvec_init(&targets, 0);
		rc = 0;
		goto out;
	}
	if (alias_grow(ctx) == -1)
		goto out;
	cfg->aliases[cfg->naliases].name = lname;
	cfg->aliases[cfg->naliases].targets = targets;
	cfg->naliases++;
	lname = NULL;
	strvec_init(&targets, 0);
	rc = 0;
out:
	free(lname);
	strvec_free(&targets);
	return rc;
}

/* Exact names only: the "*" catch-all is alias.c's decision. */
const struct strvec *
config_alias(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->naliases; i++)
		if (strcasecmp(cfg->aliases[i].name, name) == 0)
			return &cfg->aliases[i].targets;
	return NULL;
}
