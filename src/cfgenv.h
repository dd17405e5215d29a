/* SPDX-License-Identifier: ISC */
/*
 * Configuration from the environment, for containers: every key of the
 * file as POSTA_<SECTION>_<KEY>, aliases as POSTA_ALIASES_<NAME>, and
 * POSTA_URL=smtps://user@host:465 as a shorthand for host, port, tls
 * and username. The names come from config.c's key table, so a key
 * added there needs nothing here. Pure but for cfgenv_load().
 */
#ifndef POSTA_CFGENV_H
#define POSTA_CFGENV_H

#include <stddef.h>

#include "config.h"
#include "perr.h"
#include "posta.h"

#define CFGENV_MAX_NAME	    96	/* octets of a variable name */
#define CFGENV_MAX_SETTINGS 512 /* POSTA_* variables taken */

/* What POSTA_URL stands for. */
struct cfgenv_url {
	char host[256];
	char port[8];		     /* always set: 465 or 587 by default */
	const char *tls;	     /* "implicit" or "starttls" */
	char username[MAX_ADDR + 1]; /* "" when absent */
};

/*
 * Parse "smtps://user@host:port" (implicit TLS, port 465 by default)
 * or "smtp://user@host:port" (STARTTLS, 587); the user is optional,
 * may be percent-encoded or hold a raw '@' (the last '@' ends it), an
 * IPv6 host is written in brackets, a final "/" is allowed. A password
 * ("user:pass@") is refused. Returns 0, or -1 with err (EX_CONFIG)
 * starting with "POSTA_URL: ".
 */
int cfgenv_url(const char *url, struct cfgenv_url *u, struct perr *err);

/*
 * Map a variable name (without "=value") to a section and key (or
 * alias name, lower case; POSTA_ALIASES_CATCHALL is "*"). Returns 1
 * for one of ours, 0 for a name posta leaves alone (not POSTA_..., or
 * not close to any of ours), -1 with err (EX_CONFIG) for an unknown
 * name in one of our sections or a near miss ("did you mean ...?").
 * POSTA_URL is not a key: the caller handles it first.
 */
int cfgenv_name(const char *var, char *section, size_t scap, char *name,
    size_t ncap, struct perr *err);

struct cfgenv_item {
	char name[CFGENV_MAX_NAME];
	char origin[CFGENV_MAX_NAME];
};

/* The settings found in an environment; values are borrowed from it. */
struct cfgenv {
	struct config_setting *set;
	struct cfgenv_item *items;
	size_t nset;
	int has_host; /* the host is named */
	struct cfgenv_url url;
};

/*
 * Collect the settings of envp ("NAME=value" strings, NULL-terminated):
 * POSTA_URL's first, then each POSTA_<SECTION>_<KEY>, which wins over
 * it. Empty values are skipped. Returns 0, or -1 with err naming the
 * variable; ce is then freed.
 */
int cfgenv_collect(char *const envp[], struct cfgenv *ce, struct perr *err);

void cfgenv_free(struct cfgenv *ce);

/*
 * Load the configuration: file, which must exist when explicit (-C)
 * and otherwise may be absent when envp names the upstream host; then
 * envp over it. envp NULL ignores the environment (set-group-id).
 */
int cfgenv_load(struct config *cfg, const char *file, int explicit,
    char *const envp[], struct perr *err);

#endif /* POSTA_CFGENV_H */
