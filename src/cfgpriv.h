/* SPDX-License-Identifier: ISC */
/*
 * Inside the configuration loader, shared by its files and by nothing
 * else: config.c (the file, its lines, the checks of the whole),
 * cfgkeys.c (the keys and their values), cfgoauth.c ([oauth]) and
 * cfgalias.c ([aliases]).
 */
#ifndef POSTA_CFGPRIV_H
#define POSTA_CFGPRIV_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "perr.h"
#include "posta.h"

#define MAX_VALUE 4096 /* octets of one value */
#define NKEYS	  48   /* entries in cfg_keys[] */

struct ctx;

/* One key of a section, and what takes its value. */
struct key {
	const char *section;
	const char *name;
	int (*set)(struct ctx *, const struct key *, const char *);
	size_t off; /* field in struct config */
};

/* One word a key may take, and what it stands for. */
struct word {
	const char *name;
	int val;
};

/* One load in progress. */
struct ctx {
	struct config *cfg;
	const char *file;
	FILE *fp;
	struct perr err; /* first error, with its line */
	int errline;
	int lineno;			  /* physical lines read so far */
	int sectline;			  /* line of the last "[section]" */
	int indented;			  /* this line starts with a blank */
	int keyline[NKEYS];		  /* line of each key, 0: unset */
	int oauthline;			  /* line of the first "[oauth]" */
	size_t acap;			  /* allocated cfg->aliases */
	const struct config_setting *set; /* line -N: set[N - 1] */
};

/* config.c */

/*
 * Record the first error, at a line (0: the whole file), or at the line
 * being parsed (EX_CONFIG); -1 always, for "return cfg_err(...)".
 */
int cfg_err_at(struct ctx *ctx, int line, int code, const char *fmt, ...)
    PRINTF(4, 5);
int cfg_err(struct ctx *ctx, const char *fmt, ...) PRINTF(2, 3);
int cfg_nomem(struct ctx *ctx);

/*
 * Refuse (EX_CONFIG, -1) a file others may change: mode o+w, or g+w
 * for a group other than root's or the one posta runs as. st is path's.
 */
int cfg_check_writable(struct ctx *ctx, const char *path,
    const struct stat *st);

/* The line the key name was set on; 0 while unset. */
int cfg_key_line(const struct ctx *ctx, const char *name);

/* cfgkeys.c: every key, and a handler for each kind of value */

extern const struct key cfg_keys[NKEYS];

/* The value of one of n words (any case) into *out, or an error naming them. */
int cfg_lookup_word(struct ctx *ctx, const struct key *k, const struct word *w,
    size_t n, const char *value, int *out);

/* The string field of cfg that k sets. */
char **cfg_str_field(struct ctx *ctx, const struct key *k);

/* A host name or address literal (colons_ok: IPv6); a light check. */
int cfg_valid_host(const char *s, int colons_ok);

/* The name of an auth mechanism, as posta.conf spells it. */
const char *cfg_auth_name(enum auth_mech m);

int cfg_set_str(struct ctx *, const struct key *, const char *);
int cfg_set_host(struct ctx *, const struct key *, const char *);
int cfg_set_path(struct ctx *, const struct key *, const char *);
int cfg_set_port(struct ctx *, const struct key *, const char *);
int cfg_set_tls(struct ctx *, const struct key *, const char *);
int cfg_set_auth(struct ctx *, const struct key *, const char *);
int cfg_set_pin(struct ctx *, const struct key *, const char *);
int cfg_set_tls_min(struct ctx *, const struct key *, const char *);
int cfg_set_timeout(struct ctx *, const struct key *, const char *);
int cfg_set_from(struct ctx *, const struct key *, const char *);
int cfg_set_domain(struct ctx *, const struct key *, const char *);
int cfg_set_bool(struct ctx *, const struct key *, const char *);
int cfg_set_delivery(struct ctx *, const struct key *, const char *);
int cfg_set_max_age(struct ctx *, const struct key *, const char *);
int cfg_set_address(struct ctx *, const struct key *, const char *);
int cfg_set_allow(struct ctx *, const struct key *, const char *);
int cfg_set_count(struct ctx *, const struct key *, const char *);
int cfg_set_size(struct ctx *, const struct key *, const char *);

/* cfgoauth.c: [oauth] */

int cfg_set_provider(struct ctx *, const struct key *, const char *);
int cfg_set_grant(struct ctx *, const struct key *, const char *);
int cfg_set_tenant(struct ctx *, const struct key *, const char *);
int cfg_set_url(struct ctx *, const struct key *, const char *);
int cfg_set_margin(struct ctx *, const struct key *, const char *);

/* A "[section]" line, p after its '[': notes an [oauth] without keys. */
void cfg_oauth_note(struct ctx *ctx, const char *p);

/* What [oauth] needs of itself and of [upstream]; 0 or -1. */
int cfg_oauth_check(struct ctx *ctx);

/* The provider's URLs and scope, and the cache path, unless set. */
int cfg_oauth_defaults(struct ctx *ctx);

/* The files [oauth] reads secrets from may not be open to others. */
int cfg_oauth_files(struct ctx *ctx);

/* cfgalias.c: [aliases] */

/* One "name = targets" line: checked, parsed, stored. */
int cfg_set_alias(struct ctx *ctx, const char *name, const char *value);

#endif /* POSTA_CFGPRIV_H */
