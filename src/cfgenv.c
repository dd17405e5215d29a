/* SPDX-License-Identifier: ISC */
/*
 * The environment as configuration. Choices:
 * - The variable name is "POSTA_" + the section + "_" + the key, in
 *   upper case. Sections have no '_', so the split is unambiguous and
 *   keys with '_' (PASSWORD_FILE) need no escaping.
 * - A variable overrides the file's key; POSTA_URL is applied first,
 *   so POSTA_UPSTREAM_PORT wins over the URL's port.
 * - An empty variable is treated as unset: "docker run -e X=" or a
 *   templated compose file often leaves empty values behind.
 * - POSTA_ALIASES_<NAME> sets alias <name> (lower-cased, '_' kept);
 *   POSTA_ALIASES_CATCHALL is the "*" catch-all, since '*' cannot be
 *   part of a variable name.
 * - Unknown names in our sections are errors, as unknown keys in the
 *   file are. A POSTA_ name that is not close to any of ours belongs
 *   to someone else (a wrapper script's POSTA_VALGRIND) and is left
 *   alone; a near miss (POSTA_UPSTRAEM_HOST) is an error.
 * - A password in POSTA_URL is refused: URLs end up in logs, process
 *   listings and "docker inspect" output.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cfgenv.h"
#include "util.h"

#define PREFIX	     "POSTA_"
#define URL_VAR	     "POSTA_URL"
#define NEAR_SECTION 2 /* edit distance of a near miss, whole name */
#define NEAR_KEY     3 /* edit distance within a known section */

/* Section i in upper case into buf; 0, or -1 past the end. */
static int
section_upper(size_t i, char *buf, size_t cap)
{
	const char *s = config_section_name(i);
	size_t n;

	if (s == NULL || xstrlcpy(buf, s, cap) == -1)
		return -1;
	for (n = 0; buf[n] != '\0'; n++)
		buf[n] = (char)toupper((unsigned char)buf[n]);
	return 0;
}

/* "POSTA_UPSTREAM_HOST" for key i into buf; 0, or -1 past the end. */
static int
key_var(size_t i, char *buf, size_t cap)
{
	const char *section, *name;
	size_t n;

	if ((name = config_key_name(i, &section)) == NULL)
		return -1;
	if (xsnprintf(buf, cap, PREFIX "%s_%s", section, name) == -1)
		buf[0] = '\0';
	for (n = 0; buf[n] != '\0'; n++)
		buf[n] = (char)toupper((unsigned char)buf[n]);
	return 0;
}

/* The variable of a key nearest to var, within limit, or NULL. */
static const char *
nearest(const char *var, const char *section, size_t limit, char *buf,
    size_t cap)
{
	char cand[CFGENV_MAX_NAME];
	const char *sec;
	size_t i, d, best = limit + 1;

	buf[0] = '\0';
	for (i = 0; key_var(i, cand, sizeof(cand)) == 0; i++) {
		(void)config_key_name(i, &sec);
		if (section != NULL && strcasecmp(sec, section) != 0)
			continue;
		if ((d = config_distance(var, cand)) < best) {
			best = d;
			(void)xstrlcpy(buf, cand, cap);
		}
	}
	if (section == NULL && (d = config_distance(var, URL_VAR)) < best)
		(void)xstrlcpy(buf, URL_VAR, cap);
	return buf[0] != '\0' ? buf : NULL;
}

static int
has_key(const char *section, const char *name)
{
	const char *sec, *key;
	size_t i;

	for (i = 0; (key = config_key_name(i, &sec)) != NULL; i++)
		if (strcasecmp(sec, section) == 0 && strcasecmp(key, name) == 0)
			return 1;
	return 0;
}

/* The variable of the first key called name, in any section. */
static int
home_var(const char *name, char *buf, size_t cap)
{
	const char *sec, *key;
	size_t i;

	for (i = 0; (key = config_key_name(i, &sec)) != NULL; i++)
		if (strcasecmp(key, name) == 0)
			return key_var(i, buf, cap);
	return -1;
}

static int
unknown(const char *var, const char *hint, struct perr *err)
{
	if (hint != NULL)
		return perr_set(err, EX_CONFIG,
		    "%s: unknown variable; did you "
		    "mean %s?",
		    var, hint);
	return perr_set(err, EX_CONFIG,
	    "%s: unknown variable; see "
	    "ENVIRONMENT in posta(8)",
	    var);
}

int
cfgenv_name(const char *var, char *section, size_t scap, char *name,
    size_t ncap, struct perr *err)
{
	char up[32], hint[CFGENV_MAX_NAME];
	const char *rest;
	size_t i, n;

	if (strncmp(var, PREFIX, strlen(PREFIX)) != 0)
		return 0;
	for (i = 0; section_upper(i, up, sizeof(up)) == 0; i++) {
		n = strlen(up);
		rest = var + strlen(PREFIX);
		if (strncmp(rest, up, n) != 0 || rest[n] != '_' ||
		    rest[n + 1] == '\0')
			continue;
		rest += n + 1;
		if (xstrlcpy(section, config_section_name(i), scap) == -1 ||
		    xstrlcpy(name, rest, ncap) == -1)
			return perr_set(err, EX_CONFIG,
			    "%.64s...: name too "
			    "long",
			    var);
		str_lower(name);
		if (strcmp(section, "aliases") == 0) {
			if (strcmp(name, "catchall") == 0)
				(void)xstrlcpy(name, "*", ncap);
			return 1;
		}
		if (has_key(section, name))
			return 1;
		/* POSTA_UPSTREAM_FROM: the key of another section */
		if (home_var(name, hint, sizeof(hint)) == 0)
			return unknown(var, hint, err);
		return unknown(var,
		    nearest(var, section, NEAR_KEY, hint, sizeof(hint)), err);
	}
	if (nearest(var, NULL, NEAR_SECTION, hint, sizeof(hint)) != NULL)
		return unknown(var, hint, err);
	return 0;
}

/* The user part, percent-decoded; control characters refused. */
static int
url_user(const char *s, size_t len, char *out, size_t cap, struct perr *err)
{
	size_t i, n = 0;
	int hi, lo, c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				goto bad;
			if ((hi = hexval((unsigned char)s[i + 1])) == -1 ||
			    (lo = hexval((unsigned char)s[i + 2])) == -1)
				goto bad;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || n + 1 >= cap)
			goto bad;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	if (n == 0)
		goto bad;
	return 0;
bad:
	return perr_set(err, EX_CONFIG,
	    URL_VAR ": invalid user name; write "
		    "it percent-encoded (me%%40example.com) or as it is");
}

/* "host", "host:port", "[v6]", "[v6]:port". */
static int
url_hostport(const char *s, size_t len, struct cfgenv_url *u, struct perr *err)
{
	const char *end = s + len, *colon = NULL, *h = s;
	size_t hlen, plen, i;
	long port = 0;

	if (len > 0 && *s == '[') {
		h = s + 1;
		if ((colon = memchr(s, ']', len)) == NULL)
			return perr_set(err, EX_CONFIG,
			    URL_VAR ": unbalanced "
				    "[ in the host");
		hlen = (size_t)(colon - h);
		colon++;
		if (colon < end && *colon != ':')
			return perr_set(err, EX_CONFIG,
			    URL_VAR ": junk after "
				    "the ] of the host");
		if (colon == end)
			colon = NULL;
	} else {
		colon = memchr(s, ':', len);
		hlen = colon != NULL ? (size_t)(colon - s) : len;
	}
	if (hlen == 0)
		return perr_set(err, EX_CONFIG, URL_VAR ": no host");
	if (hlen >= sizeof(u->host))
		return perr_set(err, EX_CONFIG, URL_VAR ": host too long");
	memcpy(u->host, h, hlen);
	u->host[hlen] = '\0';
	if (colon == NULL)
		return 0;
	plen = (size_t)(end - colon - 1);
	for (i = 0; i < plen && i < 6; i++) {
		if (!isdigit((unsigned char)colon[1 + i]))
			break;
		port = port * 10 + (colon[1 + i] - '0');
	}
	if (plen == 0 || i != plen || port < 1 || port > 65535)
		return perr_set(err, EX_CONFIG,
		    URL_VAR ": invalid port "
			    "\"%.*s\"; expected a number from 1 to 65535",
		    (int)(plen > 16 ? 16 : plen), colon + 1);
	(void)snprintf(u->port, sizeof(u->port), "%ld", port);
	return 0;
}

int
cfgenv_url(const char *url, struct cfgenv_url *u, struct perr *err)
{
	const char *p, *auth, *at, *end;
	size_t alen;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(url, "smtps://", 8) == 0) {
		u->tls = "implicit";
		(void)xstrlcpy(u->port, "465", sizeof(u->port));
		auth = url + 8;
	} else if (strncasecmp(url, "smtp://", 7) == 0) {
		u->tls = "starttls";
		(void)xstrlcpy(u->port, "587", sizeof(u->port));
		auth = url + 7;
	} else
		return perr_set(err, EX_CONFIG,
		    URL_VAR ": expected "
			    "smtps://[user@]host[:port] (implicit TLS) or "
			    "smtp://[user@]host[:port] (STARTTLS)");
	alen = strcspn(auth, "/?#");
	end = auth + alen;
	if (*end != '\0' && strcmp(end, "/") != 0)
		return perr_set(err, EX_CONFIG,
		    URL_VAR ": a path, query or "
			    "fragment (\"%.32s\") is not allowed",
		    end);
	/* the last '@' ends the user: "me@example.com@host" works too */
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		if (memchr(auth, ':', (size_t)(at - auth)) != NULL)
			return perr_set(err, EX_CONFIG,
			    URL_VAR
			    ": a password "
			    "in the URL is refused; put it in a file and set "
			    "POSTA_UPSTREAM_PASSWORD_FILE");
		if (url_user(auth, (size_t)(at - auth), u->username,
			sizeof(u->username), err) == -1)
			return -1;
		auth = at + 1;
	}
	return url_hostport(auth, (size_t)(end - auth), u, err);
}

/* Append one setting; origin is the variable's name. */
static int
add(struct cfgenv *ce, const char *section, const char *name, const char *value,
    const char *origin, size_t olen, struct perr *err)
{
	struct cfgenv_item *it;
	struct config_setting *s;

	if (ce->nset == CFGENV_MAX_SETTINGS)
		return perr_set(err, EX_CONFIG, "more than %d POSTA_ variables",
		    CFGENV_MAX_SETTINGS);
	it = &ce->items[ce->nset];
	s = &ce->set[ce->nset];
	if (xstrlcpy(it->name, name, sizeof(it->name)) == -1 ||
	    olen >= sizeof(it->origin))
		return perr_set(err, EX_CONFIG, "%.64s...: name too long",
		    origin);
	memcpy(it->origin, origin, olen);
	it->origin[olen] = '\0';
	s->section = section;
	s->name = it->name;
	s->value = value;
	s->origin = it->origin;
	ce->nset++;
	return 0;
}

static int
add_url(struct cfgenv *ce, const char *value, struct perr *err)
{
	size_t n = strlen(URL_VAR);

	if (cfgenv_url(value, &ce->url, err) == -1)
		return -1;
	ce->has_host = 1;
	if (add(ce, "upstream", "host", ce->url.host, URL_VAR, n, err) == -1 ||
	    add(ce, "upstream", "port", ce->url.port, URL_VAR, n, err) == -1 ||
	    add(ce, "upstream", "tls", ce->url.tls, URL_VAR, n, err) == -1)
		return -1;
	if (ce->url.username[0] != '\0' &&
	    add(ce, "upstream", "username", ce->url.username, URL_VAR, n,
		err) == -1)
		return -1;
	return 0;
}

/* The section as config.c spells it (a static string), for s->section. */
static const char *
section_of(const char *lower)
{
	const char *s;
	size_t i;

	for (i = 0; (s = config_section_name(i)) != NULL; i++)
		if (strcmp(s, lower) == 0)
			return s;
	return NULL;
}

static int
add_var(struct cfgenv *ce, const char *entry, struct perr *err)
{
	char var[CFGENV_MAX_NAME], section[32], name[CFGENV_MAX_NAME];
	const char *eq = strchr(entry, '='), *value;
	size_t vlen;
	int rc;

	if (eq == NULL || strncmp(entry, PREFIX, strlen(PREFIX)) != 0)
		return 0;
	vlen = (size_t)(eq - entry);
	value = eq + 1;
	if (*value == '\0')
		return 0;
	if (vlen >= sizeof(var))
		return perr_set(err, EX_CONFIG, "%.64s...: name too long",
		    entry);
	memcpy(var, entry, vlen);
	var[vlen] = '\0';
	if (strcmp(var, URL_VAR) == 0)
		return 0; /* taken first, by the caller */
	rc = cfgenv_name(var, section, sizeof(section), name, sizeof(name),
	    err);
	if (rc != 1)
		return rc;
	if (strcmp(section, "upstream") == 0 && strcmp(name, "host") == 0)
		ce->has_host = 1;
	return add(ce, section_of(section), name, value, var, vlen, err);
}

int
cfgenv_collect(char *const envp[], struct cfgenv *ce, struct perr *err)
{
	size_t i, n = strlen(URL_VAR);

	memset(ce, 0, sizeof(*ce));
	ce->set = calloc(CFGENV_MAX_SETTINGS, sizeof(*ce->set));
	ce->items = calloc(CFGENV_MAX_SETTINGS, sizeof(*ce->items));
	if (ce->set == NULL || ce->items == NULL) {
		perr_set(err, EX_OSERR, "out of memory");
		goto fail;
	}
	for (i = 0; envp[i] != NULL; i++)
		if (strncmp(envp[i], URL_VAR "=", n + 1) == 0 &&
		    envp[i][n + 1] != '\0' &&
		    add_url(ce, envp[i] + n + 1, err) == -1)
			goto fail;
	for (i = 0; envp[i] != NULL; i++)
		if (add_var(ce, envp[i], err) == -1)
			goto fail;
	return 0;
fail:
	cfgenv_free(ce);
	return -1;
}

void
cfgenv_free(struct cfgenv *ce)
{
	free(ce->set);
	free(ce->items);
	memset(ce, 0, sizeof(*ce));
}

int
cfgenv_load(struct config *cfg, const char *file, int explicit,
    char *const envp[], struct perr *err)
{
	struct cfgenv ce;
	int rc;

	memset(&ce, 0, sizeof(ce));
	if (envp != NULL && cfgenv_collect(envp, &ce, err) == -1) {
		memset(cfg, 0, sizeof(*cfg));
		return -1;
	}
	rc = config_load_with(cfg, file, !explicit && ce.has_host, ce.set,
	    ce.nset, 1, err);
	cfgenv_free(&ce);
	return rc;
}
