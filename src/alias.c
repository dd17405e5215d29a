/* SPDX-License-Identifier: ISC */
/*
 * [aliases] expansion: a bare local name becomes the addresses its
 * alias lists, resolved again until only full addresses are left.
 */
#include <stddef.h>
#include <string.h>
#include <sysexits.h>

#include "posta.h"
#include "addr.h"
#include "alias.h"
#include "util.h"

struct actx {
	const struct config *cfg;
	int (*cb)(const char *, void *);
	void *arg;
	struct perr *err;
	const char *rcpt;		    /* what the caller asked for */
	const char *chain[MAX_ALIAS_DEPTH]; /* keys being expanded */
	size_t depth;
	size_t nout; /* addresses handed to cb */
	int stopped; /* a callback said stop */
};

static int resolve_name(struct actx *, const char *);

static const char *
domain_of(const struct config *cfg)
{
	if (cfg == NULL || cfg->domain == NULL || cfg->domain[0] == '\0')
		return NULL;
	return cfg->domain;
}

static int
emit(struct actx *ctx, const char *addr)
{
	int r;

	/* fan-out is exponential in depth: keep a config typo bounded */
	if (++ctx->nout > MAX_RCPTS) {
		ctx->stopped = 1;
		return perr_set(ctx->err, EX_CONFIG,
		    "%s: [aliases] expand to "
		    "more than %d addresses",
		    ctx->rcpt, MAX_RCPTS);
	}
	if ((r = ctx->cb(addr, ctx->arg)) != 0)
		ctx->stopped = 1;
	return r;
}

enum why_plain {
	PLAIN_NO_ALIAS,	  /* no entry and no catch-all */
	PLAIN_LOOP,	  /* met again while being expanded */
	PLAIN_IN_CATCHALL /* no entry, met inside the catch-all */
};

/* A name that is not expanded gets the [sender] domain. */
static int
emit_qualified(struct actx *ctx, const char *name, enum why_plain why)
{
	char buf[MAX_ADDR + 1];
	const char *domain = domain_of(ctx->cfg);

	if (domain == NULL && why == PLAIN_LOOP)
		return perr_set(ctx->err, EX_CONFIG,
		    "%s: [aliases] loop back "
		    "to \"%s\" and no [sender] domain to qualify it; set one",
		    ctx->rcpt, name);
	if (domain == NULL && why == PLAIN_IN_CATCHALL)
		return perr_set(ctx->err, EX_CONFIG,
		    "%s: the \"*\" catch-all "
		    "leads to \"%s\", which has no [aliases] entry, and there "
		    "is no [sender] domain to qualify it; set one",
		    ctx->rcpt, name);
	if (domain == NULL)
		return perr_set(ctx->err, EX_NOUSER,
		    "%s: local name with no "
		    "[aliases] entry and no [sender] domain; set one of them",
		    name);
	if (xsnprintf(buf, sizeof(buf), "%s@%s", name, domain) == -1)
		return perr_set(ctx->err, EX_DATAERR,
		    "%s@%s: address longer "
		    "than %d octets",
		    name, domain, MAX_ADDR);
	return emit(ctx, buf);
}

static int
resolve_target(struct actx *ctx, const char *addr)
{
	int r;

	if (!addr_is_local(addr))
		r = emit(ctx, addr);
	else
		r = resolve_name(ctx, addr);
	if (r != 0)
		ctx->stopped = 1;
	return r;
}

static int
in_chain(const struct actx *ctx, const char *lname)
{
	size_t i;

	for (i = 0; i < ctx->depth; i++)
		if (strcmp(ctx->chain[i], lname) == 0)
			return 1;
	return 0;
}

/*
 * Expand one bare name. Recursion is bounded by MAX_ALIAS_DEPTH, and
 * the chain of keys being expanded ("*" for the catch-all) is what
 * detects a loop: sendmail delivers a name met again locally, posta
 * qualifies it. So the catch-all never expands inside itself.
 */
static int
resolve_name(struct actx *ctx, const char *name)
{
	const struct strvec *targets;
	char lname[MAX_ADDR + 1];
	const char *key;
	size_t i;
	int r = 0;

	if (xstrlcpy(lname, name, sizeof(lname)) == -1)
		return perr_set(ctx->err, EX_DATAERR,
		    "local name longer "
		    "than %d octets",
		    MAX_ADDR);
	str_lower(lname);
	if (in_chain(ctx, lname))
		return emit_qualified(ctx, name, PLAIN_LOOP);
	key = lname;
	if ((targets = config_alias(ctx->cfg, lname)) == NULL) {
		if (ctx->cfg->catchall.n == 0)
			return emit_qualified(ctx, name, PLAIN_NO_ALIAS);
		if (in_chain(ctx, "*"))
			return emit_qualified(ctx, name, PLAIN_IN_CATCHALL);
		key = "*";
		targets = &ctx->cfg->catchall;
	}
	if (ctx->depth >= MAX_ALIAS_DEPTH)
		return perr_set(ctx->err, EX_CONFIG,
		    "%s: [aliases] entry \"%s\" "
		    "is more than %d aliases deep from %s; is there a loop?",
		    name, key, MAX_ALIAS_DEPTH, ctx->rcpt);

	/* the targets were parsed, and found to be some, at load */
	ctx->chain[ctx->depth++] = key;
	for (i = 0; i < targets->n && r == 0; i++)
		r = resolve_target(ctx, targets->v[i]);
	ctx->depth--;
	return r;
}

int
alias_resolve(const struct config *cfg, const char *rcpt,
    int (*cb)(const char *addr, void *arg), void *arg, struct perr *err)
{
	struct actx ctx;

	if (rcpt == NULL || rcpt[0] == '\0')
		return perr_set(err, EX_NOUSER, "empty recipient address");
	if (!addr_is_local(rcpt))
		return cb(rcpt, arg);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.cb = cb;
	ctx.arg = arg;
	ctx.err = err;
	ctx.rcpt = rcpt;
	return resolve_name(&ctx, rcpt);
}

int
alias_qualify(const struct config *cfg, const char *name, char *out, size_t cap)
{
	char host[256];
	const char *domain;

	/* the null sender stays null; full addresses are left alone */
	if (name[0] == '\0' || !addr_is_local(name))
		return xstrlcpy(out, name, cap);
	if ((domain = domain_of(cfg)) == NULL) {
		host_name(host, sizeof(host));
		domain = host;
	}
	return xsnprintf(out, cap, "%s@%s", name, domain);
}
