/* SPDX-License-Identifier: ISC */
/*
 * /etc/posta.conf -> struct config: a libinih handler table, defaults,
 * validation with "FILE:LINE: message" errors and a nearest-key hint.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <ini.h>

#include "addr.h"
#include "config.h"
#include "posta.h"
#include "util.h"

#define MAX_VALUE	4096		/* octets of one value */
#define MAX_ALIASES	10000		/* entries in [aliases] */
#define MAX_NAME	64		/* alias name: an RFC 5321 local part */
#define MAX_HOST	255		/* host, helo, domain */
#define MAX_TIMEOUT	86400		/* one SMTP step, seconds */
#define MAX_MAX_AGE	(365L * 86400)	/* ctime + max_age cannot overflow */
#define MAX_SUGGEST	3		/* edit distance for "did you mean" */
#define NKEYS		36		/* entries in keys[] */
#define MAX_MARGIN	86400		/* refresh_margin, seconds */
#define DEFAULT_MARGIN	600		/* Microsoft refuses tokens with less */

struct ctx;

struct key {
	const char	*section;
	const char	*name;
	int		(*set)(struct ctx *, const struct key *, const char *);
	size_t		 off;		/* field in struct config */
};

struct word {
	const char	*name;
	int		 val;
};

struct ctx {
	struct config	*cfg;
	const char	*file;
	FILE		*fp;
	struct perr	 err;		/* first error, with its line */
	int		 errline;
	int		 lineno;	/* physical lines read so far */
	int		 sectline;	/* line of the last "[section]" */
	int		 indented;	/* this line starts with a blank */
	int		 keyline[NKEYS]; /* line of each key, 0: unset */
	int		 oauthline;	/* line of the first "[oauth]" */
	size_t		 acap;		/* allocated cfg->aliases */
};

static int	set_str(struct ctx *, const struct key *, const char *);
static int	set_host(struct ctx *, const struct key *, const char *);
static int	set_path(struct ctx *, const struct key *, const char *);
static int	set_port(struct ctx *, const struct key *, const char *);
static int	set_tls(struct ctx *, const struct key *, const char *);
static int	set_auth(struct ctx *, const struct key *, const char *);
static int	set_pin(struct ctx *, const struct key *, const char *);
static int	set_timeout(struct ctx *, const struct key *, const char *);
static int	set_from(struct ctx *, const struct key *, const char *);
static int	set_domain(struct ctx *, const struct key *, const char *);
static int	set_bool(struct ctx *, const struct key *, const char *);
static int	set_delivery(struct ctx *, const struct key *, const char *);
static int	set_max_age(struct ctx *, const struct key *, const char *);
static int	set_provider(struct ctx *, const struct key *, const char *);
static int	set_grant(struct ctx *, const struct key *, const char *);
static int	set_tenant(struct ctx *, const struct key *, const char *);
static int	set_url(struct ctx *, const struct key *, const char *);
static int	set_margin(struct ctx *, const struct key *, const char *);

#define OFF(f)	offsetof(struct config, f)

static const struct key keys[] = {
	{ "upstream", "host", set_host, OFF(host) },
	{ "upstream", "port", set_port, 0 },
	{ "upstream", "tls", set_tls, 0 },
	{ "upstream", "username", set_str, OFF(username) },
	{ "upstream", "password", set_str, OFF(password) },
	{ "upstream", "password_file", set_path, OFF(password_file) },
	{ "upstream", "password_command", set_str, OFF(password_command) },
	{ "upstream", "auth", set_auth, 0 },
	{ "upstream", "ca_file", set_path, OFF(ca_file) },
	{ "upstream", "fingerprint", set_pin, 0 },
	{ "upstream", "timeout", set_timeout, 0 },
	{ "upstream", "helo", set_host, OFF(helo) },
	{ "sender", "from", set_from, OFF(from) },
	{ "sender", "domain", set_domain, OFF(domain) },
	{ "sender", "force_from", set_bool, OFF(force_from) },
	{ "queue", "dir", set_path, OFF(spooldir) },
	{ "queue", "delivery", set_delivery, 0 },
	{ "queue", "max_age", set_max_age, 0 },
	{ "log", "syslog", set_bool, OFF(syslog) },
	{ "log", "file", set_path, OFF(logfile) },
	{ "oauth", "provider", set_provider, 0 },
	{ "oauth", "tenant", set_tenant, OFF(oauth.tenant) },
	{ "oauth", "grant", set_grant, 0 },
	{ "oauth", "client_id", set_str, OFF(oauth.client_id) },
	{ "oauth", "client_secret", set_str, OFF(oauth.client_secret) },
	{ "oauth", "client_secret_file", set_path,
	    OFF(oauth.client_secret_file) },
	{ "oauth", "client_secret_command", set_str,
	    OFF(oauth.client_secret_command) },
	{ "oauth", "scope", set_str, OFF(oauth.scope) },
	{ "oauth", "token_url", set_url, OFF(oauth.token_url) },
	{ "oauth", "device_url", set_url, OFF(oauth.device_url) },
	{ "oauth", "auth_url", set_url, OFF(oauth.auth_url) },
	{ "oauth", "ca_file", set_path, OFF(oauth.ca_file) },
	{ "oauth", "refresh_token_file", set_path,
	    OFF(oauth.refresh_token_file) },
	{ "oauth", "key_file", set_path, OFF(oauth.key_file) },
	{ "oauth", "cache", set_path, OFF(oauth.cache) },
	{ "oauth", "refresh_margin", set_margin, 0 },
};
_Static_assert(nitems(keys) == NKEYS, "NKEYS must match keys[]");

static const char *const sections[] = {
	"upstream", "sender", "aliases", "queue", "log", "oauth"
};

static const struct word tls_words[] = {
	{ "starttls", TLS_STARTTLS },
	{ "implicit", TLS_IMPLICIT },
	{ "none", TLS_NONE },
};

static const struct word auth_words[] = {
	{ "auto", AUTH_AUTO },
	{ "plain", AUTH_PLAIN },
	{ "login", AUTH_LOGIN },
	{ "cram-md5", AUTH_CRAM_MD5 },
	{ "scram-sha-256", AUTH_SCRAM_SHA_256 },
	{ "xoauth2", AUTH_XOAUTH2 },
	{ "oauthbearer", AUTH_OAUTHBEARER },
};

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

static const struct word delivery_words[] = {
	{ "foreground", DELIVERY_FOREGROUND },
	{ "background", DELIVERY_BACKGROUND },
	{ "queue", DELIVERY_QUEUE },
};

static const struct word bool_words[] = {
	{ "yes", 1 }, { "no", 0 },
	{ "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 },
	{ "1", 1 }, { "0", 0 },
};

static int	cerr_at(struct ctx *, int, int, const char *, ...) PRINTF(4, 5);
static int	cerr(struct ctx *, const char *, ...) PRINTF(2, 3);

/*
 * Record the first error at a line (0: the whole file). The message is
 * formatted first because perr_set() takes no va_list.
 */
static int
cerr_at(struct ctx *ctx, int line, int code, const char *fmt, ...)
{
	char msg[sizeof(ctx->err.msg)];
	va_list ap;

	if (ctx->err.code != 0)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->errline = line > 0 ? line : INT_MAX;
	if (line > 0)
		return perr_set(&ctx->err, code, "%s:%d: %s", ctx->file, line,
		    msg);
	return perr_set(&ctx->err, code, "%s: %s", ctx->file, msg);
}

/* An error on the line being parsed. */
static int
cerr(struct ctx *ctx, const char *fmt, ...)
{
	char msg[sizeof(ctx->err.msg)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cerr_at(ctx, ctx->lineno, EX_CONFIG, "%s", msg);
}

static int
nomem(struct ctx *ctx)
{
	return cerr_at(ctx, ctx->lineno, EX_OSERR, "out of memory");
}

/* Case-insensitive edit distance; names longer than 64 get no hint. */
static size_t
distance(const char *a, const char *b)
{
	size_t row[65], la, lb, i, j, diag, up, best;

	la = strlen(a);
	lb = strlen(b);
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag +
			    (strncasecmp(a + i - 1, b + j - 1, 1) != 0);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* "a, b or c", for messages that list the allowed values. */
static void
join_words(const struct word *w, size_t n, char *buf, size_t cap)
{
	size_t i, len;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		(void)snprintf(buf + len, cap - len, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", w[i].name);
	}
}

static const char *
word_name(const struct word *w, size_t n, int val)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i].val == val)
			return w[i].name;
	return "?";
}

static int
lookup_word(struct ctx *ctx, const struct key *k, const struct word *w,
    size_t n, const char *value, int *out)
{
	char list[256];
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(value, w[i].name) == 0) {
			*out = w[i].val;
			return 0;
		}
	}
	join_words(w, n, list, sizeof(list));
	return cerr(ctx, "invalid %s \"%.64s\"; expected %s", k->name, value,
	    list);
}

static char **
str_field(struct ctx *ctx, const struct key *k)
{
	return (char **)(void *)((char *)ctx->cfg + k->off);
}

static int *
int_field(struct ctx *ctx, const struct key *k)
{
	return (int *)(void *)((char *)ctx->cfg + k->off);
}

/* An empty value leaves the key unset (or at its default). */
static int
set_str(struct ctx *ctx, const struct key *k, const char *value)
{
	char **field = str_field(ctx, k);
	char *copy;

	if (*value == '\0')
		return 0;
	if ((copy = strdup(value)) == NULL)
		return nomem(ctx);
	free(*field);
	*field = copy;
	return 0;
}

/* Host names and address literals; a light check that catches URLs. */
static int
valid_host(const char *s, int colons_ok)
{
	size_t n = 0;
	int colons = 0;

	for (; s[n] != '\0'; n++) {
		if (s[n] == ':' && colons_ok)
			colons++;
		else if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]", s[n]) == NULL)
			return 0;
	}
	/* one colon is "name:port", not an IPv6 address */
	return n > 0 && n <= MAX_HOST && colons != 1;
}

static int
set_host(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && !valid_host(value, 1))
		return cerr(ctx, "invalid %s \"%.64s\"; expected a host name "
		    "or address, without scheme or port", k->name, value);
	return set_str(ctx, k, value);
}

static int
set_domain(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && !valid_host(value, 0))
		return cerr(ctx, "invalid domain \"%.64s\"; expected a domain "
		    "name such as example.com", value);
	return set_str(ctx, k, value);
}

/* Relative paths would depend on the directory sendmail is run from. */
static int
set_path(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && *value != '/')
		return cerr(ctx, "%s must be an absolute path", k->name);
	return set_str(ctx, k, value);
}

/* local@domain with no blanks or address syntax around it. */
static int
valid_from(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t i;

	if (at == NULL || at == s || strlen(s) > MAX_ADDR)
		return 0;
	for (i = 0; s + i < at; i++)
		if ((unsigned char)s[i] <= ' ' ||
		    strchr("<>()[],;:\\\"@", s[i]) != NULL)
			return 0;
	return valid_host(at + 1, 1);
}

static int
set_from(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && !valid_from(value))
		return cerr(ctx, "invalid from \"%.64s\"; expected an address "
		    "such as robot@example.com", value);
	return set_str(ctx, k, value);
}

static int
set_port(struct ctx *ctx, const struct key *k, const char *value)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (*value < '0' || *value > '9' || *end != '\0' || errno != 0 ||
	    n < 1 || n > 65535)
		return cerr(ctx, "invalid %s \"%.64s\"; expected a number from "
		    "1 to 65535", k->name, value);
	ctx->cfg->port = (int)n;
	return 0;
}

static int
set_tls(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (lookup_word(ctx, k, tls_words, nitems(tls_words), value, &v) == -1)
		return -1;
	ctx->cfg->tls = (enum tls_mode)v;
	return 0;
}

static int
set_auth(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (lookup_word(ctx, k, auth_words, nitems(auth_words), value,
	    &v) == -1)
		return -1;
	ctx->cfg->auth = (enum auth_mech)v;
	return 0;
}

static int
set_delivery(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (lookup_word(ctx, k, delivery_words, nitems(delivery_words), value,
	    &v) == -1)
		return -1;
	ctx->cfg->delivery = (enum delivery_mode)v;
	return 0;
}

static int
set_bool(struct ctx *ctx, const struct key *k, const char *value)
{
	return lookup_word(ctx, k, bool_words, nitems(bool_words), value,
	    int_field(ctx, k));
}

/* "sha256:AB:CD:..." or 64 hex digits; colons optional, any case. */
static int
set_pin(struct ctx *ctx, const struct key *k, const char *value)
{
	unsigned char pin[sizeof(ctx->cfg->pin)];
	const char *p = value;
	size_t n = 0;
	int h;

	(void)k;
	if (strncasecmp(p, "sha256:", 7) == 0)
		p += 7;
	for (; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if ((h = hexval(*p)) == -1 || n == 2 * sizeof(pin))
			break;
		if (n % 2 == 0)
			pin[n / 2] = (unsigned char)(h << 4);
		else
			pin[n / 2] |= (unsigned char)h;
		n++;
	}
	if (*p != '\0' || n != 2 * sizeof(pin))
		return cerr(ctx, "invalid fingerprint; expected \"sha256:\" "
		    "and 64 hex digits (the SHA-256 of the server "
		    "certificate)");
	memcpy(ctx->cfg->pin, pin, sizeof(pin));
	ctx->cfg->has_pin = 1;
	return 0;
}

static int
set_timeout(struct ctx *ctx, const struct key *k, const char *value)
{
	long n = duration_parse(value, DUR_CONFIG, MAX_TIMEOUT);

	if (n <= 0)
		return cerr(ctx, "invalid %s \"%.64s\"; expected a duration "
		    "from 1s to 1d, such as 60, 90s or 2m", k->name, value);
	ctx->cfg->timeout = (int)n;
	return 0;
}

static int
set_max_age(struct ctx *ctx, const struct key *k, const char *value)
{
	long n = duration_parse(value, DUR_CONFIG, MAX_MAX_AGE);

	if (n <= 0)
		return cerr(ctx, "invalid %s \"%.64s\"; expected a duration "
		    "from 1s to 365d, such as 5d or 12h", k->name, value);
	ctx->cfg->max_age = (time_t)n;
	return 0;
}

static int
set_provider(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (lookup_word(ctx, k, provider_words, nitems(provider_words), value,
	    &v) == -1)
		return -1;
	ctx->cfg->oauth.provider = (enum oauth_provider)v;
	return 0;
}

static int
set_grant(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (lookup_word(ctx, k, grant_words, nitems(grant_words), value,
	    &v) == -1)
		return -1;
	ctx->cfg->oauth.grant = (enum oauth_grant)v;
	return 0;
}

/* A domain, a GUID, or organizations / common / consumers: a URL path part. */
static int
set_tenant(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && !valid_host(value, 0))
		return cerr(ctx, "invalid tenant \"%.64s\"; expected a domain "
		    "such as contoso.onmicrosoft.com, a tenant ID or "
		    "organizations", value);
	return set_str(ctx, k, value);
}

/* Tokens travel only over TLS, to a URL without blanks or a fragment. */
static int
set_url(struct ctx *ctx, const struct key *k, const char *value)
{
	size_t i;

	if (*value == '\0')
		return 0;
	if (strncasecmp(value, "https://", 8) != 0 || value[8] == '\0' ||
	    value[8] == '/')
		return cerr(ctx, "invalid %s \"%.64s\"; expected an https:// "
		    "URL", k->name, value);
	for (i = 0; value[i] != '\0'; i++)
		if ((unsigned char)value[i] <= ' ' || value[i] == '#' ||
		    (unsigned char)value[i] >= 0x7f)
			return cerr(ctx, "invalid %s: blank, '#' or non-ASCII "
			    "character in the URL", k->name);
	return set_str(ctx, k, value);
}

static int
set_margin(struct ctx *ctx, const struct key *k, const char *value)
{
	long n = duration_parse(value, DUR_CONFIG, MAX_MARGIN);

	if (n < 0)
		return cerr(ctx, "invalid %s \"%.64s\"; expected a duration "
		    "from 0 to 1d, such as 10m", k->name, value);
	ctx->cfg->oauth.refresh_margin = n;
	return 0;
}

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
		return cerr(ctx, "too many aliases (at most %d)", MAX_ALIASES);
	ncap = ctx->acap == 0 ? 16 : ctx->acap * 2;
	if (ncap > MAX_ALIASES)
		ncap = MAX_ALIASES;
	if ((a = reallocarray(cfg->aliases, ncap, sizeof(*a))) == NULL)
		return nomem(ctx);
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
config_alias_parse(const char *value, struct strvec *targets,
    struct perr *err)
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
		return perr_set(err, EX_CONFIG, "cannot parse \"%.200s\" as a "
		    "list of addresses", value);
	return perr_set(err, EX_CONFIG, "no addresses in \"%.200s\"", value);
}

/* [aliases]: any name; lower-cased; "*" is the catch-all. */
static int
set_alias(struct ctx *ctx, const char *name, const char *value)
{
	struct config *cfg = ctx->cfg;
	struct perr e = { 0, "" };
	struct strvec targets;
	char *lname = NULL;
	int rc = -1;

	strvec_init(&targets, 0);

	if (!valid_alias_name(name)) {
		cerr(ctx, "invalid alias name \"%.64s\"; expected a local name "
		    "without '@' or blanks", name);
		goto out;
	}
	if (*value == '\0') {
		cerr(ctx, "alias \"%.64s\" has no targets", name);
		goto out;
	}
	if ((lname = strdup(name)) == NULL) {
		nomem(ctx);
		goto out;
	}
	str_lower(lname);
	if (alias_dup(ctx, lname)) {
		if (ctx->indented)
			cerr(ctx, "indented line continues alias \"%.64s\"; "
			    "remove the leading blanks", lname);
		else
			cerr(ctx, "duplicate alias \"%.64s\"", lname);
		goto out;
	}
	/* a typo in a target shows now, not when mail goes to the alias */
	if (config_alias_parse(value, &targets, &e) == -1) {
		cerr_at(ctx, ctx->lineno, e.code, "alias \"%.64s\": %s", lname,
		    e.msg);
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

static int
known_section(const char *section)
{
	size_t i;

	for (i = 0; i < nitems(sections); i++)
		if (strcasecmp(section, sections[i]) == 0)
			return 1;
	return 0;
}

static int
unknown_section(struct ctx *ctx, const char *section)
{
	size_t i, d, best = SIZE_MAX;
	const char *hint = NULL;
	int line = ctx->sectline > 0 ? ctx->sectline : ctx->lineno;

	for (i = 0; i < nitems(sections); i++) {
		d = distance(section, sections[i]);
		if (d <= MAX_SUGGEST && d < best) {
			best = d;
			hint = sections[i];
		}
	}
	if (hint != NULL)
		return cerr_at(ctx, line, EX_CONFIG, "unknown section "
		    "[%.64s]; did you mean [%s]?", section, hint);
	return cerr_at(ctx, line, EX_CONFIG, "unknown section [%.64s]; "
	    "expected [upstream], [sender], [aliases], [queue], [log] or "
	    "[oauth]", section);
}

/* The section a key belongs to, for a key written in the wrong place. */
static const char *
home_of(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if (strcasecmp(name, keys[i].name) == 0)
			return keys[i].section;
	return NULL;
}

static int
unknown_key(struct ctx *ctx, const char *section, const char *name)
{
	size_t i, d, best = SIZE_MAX;
	const char *hint = NULL, *home;

	if ((home = home_of(name)) != NULL)
		return cerr(ctx, "unknown key \"%.64s\" in [%s]; it belongs in "
		    "[%s]", name, section, home);
	for (i = 0; i < nitems(keys); i++) {
		if (strcasecmp(section, keys[i].section) != 0)
			continue;
		d = distance(name, keys[i].name);
		if (d <= MAX_SUGGEST && d < best) {
			best = d;
			hint = keys[i].name;
		}
	}
	if (hint != NULL)
		return cerr(ctx, "unknown key \"%.64s\" in [%s]; did you mean "
		    "\"%s\"?", name, section, hint);
	return cerr(ctx, "unknown key \"%.64s\" in [%s]", name, section);
}

static const struct key *
find_key(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if (strcasecmp(section, keys[i].section) == 0 &&
		    strcasecmp(name, keys[i].name) == 0)
			return &keys[i];
	return NULL;
}

static int
set_key(struct ctx *ctx, const char *section, const char *name,
    const char *value)
{
	const struct key *k;
	int *seen;

	if (*section == '\0') {
		if (home_of(name) != NULL)
			return cerr(ctx, "\"%.64s\" is outside any section; "
			    "put it under [%s]", name, home_of(name));
		return cerr(ctx, "\"%.64s\" is outside any section", name);
	}
	if (!known_section(section))
		return unknown_section(ctx, section);
	if (strcasecmp(section, "aliases") == 0)
		return set_alias(ctx, name, value);
	if ((k = find_key(section, name)) == NULL)
		return unknown_key(ctx, section, name);
	if (strcasecmp(section, "oauth") == 0)
		ctx->cfg->oauth.set = 1;
	seen = &ctx->keyline[k - keys];
	/* inih hands an indented line to the handler as more of the last key */
	if (*seen != 0 && ctx->indented)
		return cerr(ctx, "indented line continues \"%s\" from line %d; "
		    "remove the leading blanks", k->name, *seen);
	if (*seen != 0)
		return cerr(ctx, "duplicate key \"%s\" in [%s] (first set on "
		    "line %d)", k->name, k->section, *seen);
	*seen = ctx->lineno;
	return k->set(ctx, k, value);
}

/* inih wants non-zero for success; the message is kept in ctx. */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *ctx = user;

	if (ctx->err.code != 0)
		return 0;
	if (has_ctl(value)) {
		cerr(ctx, "control character in the value of \"%.64s\"", name);
		return 0;
	}
	if (strlen(value) > MAX_VALUE) {
		cerr(ctx, "value of \"%.64s\" is longer than %d octets", name,
		    MAX_VALUE);
		return 0;
	}
	return set_key(ctx, section, name, value) == 0;
}

/*
 * An [oauth] line without keys still means "use OAuth", and inih
 * calls no handler for an empty section, so the reader notes it.
 */
static void
note_oauth(struct ctx *ctx, const char *p)
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

/*
 * inih's own fgets() reads at most its line buffer and reads the rest
 * of a long line as a new one, so its line numbers drift and a long
 * value is silently cut. This reader hands inih whole physical lines,
 * counts them, refuses long lines and NUL bytes, and wipes the buffer
 * each time so no part of a password line outlives the parse.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct ctx *ctx = stream;
	size_t n = 0, cap = (size_t)num;
	int c = EOF, toolong = 0, nul = 0;

	if (num < 2)
		return NULL;
	explicit_bzero(str, cap);
	if (ctx->err.code != 0)
		return NULL;
	while ((c = getc(ctx->fp)) != EOF) {
		if (c == '\n') {
			if (n < cap - 1)
				str[n++] = '\n';
			break;
		}
		if (c == '\0')
			nul = 1;
		if (n < cap - 1)
			str[n++] = (char)c;
		else
			toolong = 1;
	}
	if (ferror(ctx->fp)) {
		cerr_at(ctx, ctx->lineno + 1, EX_IOERR, "read error: %s",
		    strerror(errno));
		return NULL;
	}
	if (c == EOF && n == 0 && !toolong)
		return NULL;
	ctx->lineno++;
	if (toolong || nul) {
		explicit_bzero(str, cap);
		if (toolong)
			cerr(ctx, "line is longer than %d octets", num - 1);
		else
			cerr(ctx, "NUL byte in line");
		return NULL;
	}
	ctx->indented = str[0] == ' ' || str[0] == '\t';
	if (str[strspn(str, " \t")] == '[') {
		ctx->sectline = ctx->lineno;
		note_oauth(ctx, str + strspn(str, " \t") + 1);
	}
	return str;
}

static int
key_line(const struct ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return ctx->keyline[i];
	return 0;
}

/* The line of an [oauth] key, else of the section itself. */
static int
oauth_line(const struct ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if (strcmp(keys[i].section, "oauth") == 0 &&
		    strcmp(keys[i].name, name) == 0 && ctx->keyline[i] != 0)
			return ctx->keyline[i];
	return ctx->oauthline;
}

/* Port and tls may come in any order, so their defaults wait for the end. */
static void
resolve_defaults(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	int port_set = key_line(ctx, "port") != 0;
	int tls_set = key_line(ctx, "tls") != 0;

	if (!tls_set)
		cfg->tls = port_set && cfg->port == 465 ? TLS_IMPLICIT :
		    TLS_STARTTLS;
	if (!port_set)
		cfg->port = cfg->tls == TLS_IMPLICIT ? 465 : 587;
}

static int
check_credentials(struct ctx *ctx)
{
	static const char *const src[] = {
		"password", "password_file", "password_command"
	};
	struct config *cfg = ctx->cfg;
	int nsrc = 0, line, srcline = 0;
	size_t i;

	for (i = 0; i < nitems(src); i++) {
		if ((line = key_line(ctx, src[i])) == 0)
			continue;
		if (++nsrc > 1)
			return cerr_at(ctx, line, EX_CONFIG, "set only one of "
			    "password, password_file and password_command");
		srcline = line;
	}
	nsrc = cfg->password != NULL || cfg->password_file != NULL ||
	    cfg->password_command != NULL;
	if (cfg->oauth.set)
		return 0;	/* check_oauth() had its say */
	if (cfg->username != NULL && !nsrc)
		return cerr_at(ctx, key_line(ctx, "username"), EX_CONFIG,
		    "username is set but none of password, password_file or "
		    "password_command");
	if (cfg->username == NULL && nsrc)
		return cerr_at(ctx, srcline, EX_CONFIG, "a password is set but "
		    "username is not");
	if (cfg->auth != AUTH_AUTO && cfg->username == NULL)
		return cerr_at(ctx, key_line(ctx, "auth"), EX_CONFIG,
		    "auth = %s needs username and password, password_file or "
		    "password_command", word_name(auth_words,
		    nitems(auth_words), (int)cfg->auth));
	return 0;
}

static int
check_tls(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	int line = key_line(ctx, "tls");

	if (cfg->tls != TLS_NONE)
		return 0;
	if (cfg->username != NULL)
		return cerr_at(ctx, line, EX_CONFIG, "tls = none with a "
		    "username: credentials are never sent without TLS");
	if (cfg->has_pin)
		return cerr_at(ctx, line, EX_CONFIG, "tls = none with a "
		    "fingerprint: the pin would never be checked");
	if (cfg->ca_file != NULL)
		return cerr_at(ctx, line, EX_CONFIG, "tls = none with a "
		    "ca_file: the certificate would never be checked");
	return 0;
}

/* With [oauth] the token replaces the password: what must go with it. */
static int
check_oauth_upstream(struct ctx *ctx)
{
	static const char *const src[] = {
		"password", "password_file", "password_command"
	};
	struct config *cfg = ctx->cfg;
	size_t i;
	int line;

	if (cfg->auth == AUTH_AUTO)
		cfg->auth = AUTH_XOAUTH2;
	if (cfg->auth != AUTH_XOAUTH2 && cfg->auth != AUTH_OAUTHBEARER)
		return cerr_at(ctx, key_line(ctx, "auth"), EX_CONFIG,
		    "auth = %s cannot carry an OAuth token; with [oauth] use "
		    "auth = xoauth2 or oauthbearer", word_name(auth_words,
		    nitems(auth_words), (int)cfg->auth));
	for (i = 0; i < nitems(src); i++)
		if ((line = key_line(ctx, src[i])) != 0)
			return cerr_at(ctx, line, EX_CONFIG, "%s is not used "
			    "with [oauth] (the token comes from the OAuth "
			    "cache); remove it", src[i]);
	if (cfg->username == NULL)
		return cerr_at(ctx, ctx->oauthline, EX_CONFIG, "[oauth] needs "
		    "[upstream] username: the mailbox the token is for");
	return 0;
}

static int
check_oauth(struct ctx *ctx)
{
	static const char *const src[] = {
		"client_secret", "client_secret_file", "client_secret_command"
	};
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
			return cerr_at(ctx, line, EX_CONFIG, "set only one of "
			    "client_secret, client_secret_file and "
			    "client_secret_command");
	}
	if (o->provider == OAUTH_GENERIC && o->token_url == NULL)
		return cerr_at(ctx, oauth_line(ctx, "provider"), EX_CONFIG,
		    "provider = generic needs token_url (or use provider = "
		    "microsoft or google)");
	if (o->tenant != NULL && o->provider != OAUTH_MICROSOFT)
		return cerr_at(ctx, oauth_line(ctx, "tenant"), EX_CONFIG,
		    "tenant is only used with provider = microsoft");
	line = oauth_line(ctx, "grant");
	if (o->grant == GRANT_JWT_BEARER && o->key_file == NULL)
		return cerr_at(ctx, line, EX_CONFIG, "grant = jwt_bearer needs "
		    "key_file (the service account's JSON key)");
	if (o->grant == GRANT_JWT_BEARER && o->provider == OAUTH_MICROSOFT)
		return cerr_at(ctx, line, EX_CONFIG, "grant = jwt_bearer is "
		    "for Google service accounts; Microsoft app-only access "
		    "uses grant = client_credentials");
	if (o->grant != GRANT_JWT_BEARER && o->key_file != NULL)
		return cerr_at(ctx, oauth_line(ctx, "key_file"), EX_CONFIG,
		    "key_file is only used with grant = jwt_bearer");
	if (o->grant != GRANT_REFRESH_TOKEN && o->refresh_token_file != NULL)
		return cerr_at(ctx, oauth_line(ctx, "refresh_token_file"),
		    EX_CONFIG, "refresh_token_file is only used with "
		    "grant = refresh_token");
	if (o->grant == GRANT_CLIENT_CREDENTIALS && nsrc == 0)
		return cerr_at(ctx, line, EX_CONFIG, "grant = "
		    "client_credentials needs client_secret, "
		    "client_secret_file or client_secret_command");
	if (o->grant != GRANT_JWT_BEARER && o->client_id == NULL)
		return cerr_at(ctx, ctx->oauthline, EX_CONFIG, "auth = %s with "
		    "[oauth] needs client_id (the application's client ID)",
		    word_name(auth_words, nitems(auth_words),
		    (int)ctx->cfg->auth));
	return 0;
}

/* A short, stable name for the cache of this configuration file. */
static int
cache_name(const char *path, char *buf, size_t cap)
{
	const char *base = strrchr(path, '/');
	uint32_t h = 2166136261u;	/* FNV-1a: a name, not a secret */
	const char *p;
	size_t n = 0;

	for (p = path; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	base = base != NULL ? base + 1 : path;
	for (p = base; *p != '\0' && n < 32 && n + 1 < cap; p++, n++)
		buf[n] = strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p) != NULL &&
		    !(n == 0 && *p == '.') ? *p : '_';
	return xsnprintf(buf + n, cap - n, "-%08x", (unsigned int)h);
}

/* *field = pre + mid + post, unless the file set it. */
static int
oauth_default(struct ctx *ctx, char **field, const char *pre,
    const char *mid, const char *post)
{
	size_t len;

	if (*field != NULL)
		return 0;
	len = strlen(pre) + strlen(mid) + strlen(post) + 1;
	if ((*field = malloc(len)) == NULL)
		return nomem(ctx);
	(void)snprintf(*field, len, "%s%s%s", pre, mid, post);
	return 0;
}

#define MS_BASE	"https://login.microsoftonline.com/"
#define MS_PATH	"/oauth2/v2.0/"

/* The provider's URLs and scope, and the cache path, unless set. */
static int
oauth_defaults(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	struct oauth_conf *o = &cfg->oauth;
	char name[64];
	const char *scope = NULL;
	size_t len;
	int rc = 0;

	if (!o->set)
		return 0;
	if (key_line(ctx, "refresh_margin") == 0)
		o->refresh_margin = DEFAULT_MARGIN;
	if (o->provider == OAUTH_MICROSOFT) {
		if (oauth_default(ctx, &o->tenant, "organizations", "",
		    "") == -1)
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
		return cerr_at(ctx, 0, EX_CONFIG, "file name too long");
	if (o->cache != NULL)
		return 0;
	len = strlen(cfg->spooldir) + strlen("/oauth/") + strlen(name) + 1;
	if ((o->cache = malloc(len)) == NULL)
		return nomem(ctx);
	(void)snprintf(o->cache, len, "%s/oauth/%s", cfg->spooldir, name);
	return 0;
}

static int
check_config(struct ctx *ctx)
{
	if (ctx->cfg->host == NULL)
		return cerr_at(ctx, 0, EX_CONFIG, "[upstream] host is not set");
	if (check_oauth(ctx) == -1 || check_credentials(ctx) == -1 ||
	    check_tls(ctx) == -1 || oauth_defaults(ctx) == -1)
		return -1;
	return 0;
}

/*
 * Like msmtp's check_secure: a password in a file others can read is
 * refused. Group access is allowed, for a set-group-id install.
 */
static int
check_mode(struct ctx *ctx, const struct stat *st)
{
	const char *what = key_line(ctx, "password") != 0 ? "a password" :
	    ctx->cfg->oauth.client_secret != NULL ? "a client secret" : NULL;

	if (what == NULL || (st->st_mode & 007) == 0)
		return 0;
	return cerr_at(ctx, 0, EX_CONFIG, "holds %s but is %s by others; "
	    "chmod 600 %s", what, (st->st_mode & S_IROTH) ? "readable" :
	    (st->st_mode & S_IWOTH) ? "writable" : "accessible", ctx->file);
}

/*
 * The files [oauth] reads secrets from get the same rule. One that
 * cannot be looked at now (absent, or in a directory this user cannot
 * search) is left to the moment it is read, which says why it fails.
 */
static int
check_secret_files(struct ctx *ctx)
{
	static const char *const names[] = {
		"client_secret_file", "key_file", "refresh_token_file"
	};
	const struct oauth_conf *o = &ctx->cfg->oauth;
	const char *paths[] = {
		o->client_secret_file, o->key_file, o->refresh_token_file
	};
	struct stat st;
	size_t i;

	for (i = 0; i < nitems(names); i++) {
		if (paths[i] == NULL || stat(paths[i], &st) == -1 ||
		    (st.st_mode & 007) == 0)
			continue;
		return cerr_at(ctx, oauth_line(ctx, names[i]), EX_CONFIG,
		    "%s %s is %s by others; chmod 600 %s", names[i], paths[i],
		    (st.st_mode & S_IROTH) ? "readable" : "accessible",
		    paths[i]);
	}
	return 0;
}

/*
 * Every failure to open or read the file is EX_CONFIG: for the caller
 * the configuration is unusable either way, and sendmail-style callers
 * know 78 as "fix the config". sysexits' EX_NOPERM is for higher-level
 * permissions and EX_NOINPUT for input data, so neither fits better.
 * O_NONBLOCK keeps a FIFO from hanging the open; regular files ignore it.
 */
static int
open_config(struct ctx *ctx, struct stat *st)
{
	int fd, saved;

	fd = open(ctx->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		cerr_at(ctx, 0, EX_CONFIG, "cannot open: %s", errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1) {
		saved = errno;
		cerr_at(ctx, 0, EX_CONFIG, "cannot open: %s", strerror(saved));
		(void)close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		cerr_at(ctx, 0, EX_CONFIG, "cannot open: not a regular file");
		(void)close(fd);
		return -1;
	}
	if ((ctx->fp = fdopen(fd, "r")) == NULL) {
		cerr_at(ctx, 0, EX_OSERR, "cannot open: %s", strerror(errno));
		(void)close(fd);
		return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *file, int check_secure,
    struct perr *err)
{
	struct ctx ctx;
	struct stat st;
	char iobuf[BUFSIZ];
	int rc = -1, line;

	memset(cfg, 0, sizeof(*cfg));
	memset(&ctx, 0, sizeof(ctx));
	memset(&st, 0, sizeof(st));
	ctx.cfg = cfg;
	ctx.file = file;
	cfg->timeout = DEFAULT_TIMEOUT;
	cfg->delivery = DELIVERY_FOREGROUND;
	cfg->max_age = DEFAULT_MAX_AGE;
	cfg->syslog = 1;
	cfg->auth = AUTH_AUTO;
	if ((cfg->path = strdup(file)) == NULL ||
	    (cfg->spooldir = strdup(SPOOLDIR)) == NULL) {
		nomem(&ctx);
		goto out;
	}
	if (open_config(&ctx, &st) == -1)
		goto out;
	/* our own stdio buffer, so the password in it can be wiped */
	if (setvbuf(ctx.fp, iobuf, _IOFBF, sizeof(iobuf)) != 0) {
		nomem(&ctx);
		goto out;
	}
	line = ini_parse_stream(reader, &ctx, handler, &ctx);
	if (line == -2)
		nomem(&ctx);
	/* inih found a bad line before any line we refused */
	if (line > 0 && (ctx.err.code == 0 || line < ctx.errline)) {
		perr_clear(&ctx.err);
		cerr_at(&ctx, line, EX_CONFIG, "syntax error; expected "
		    "\"[section]\" or \"key = value\"");
	}
	if (ctx.err.code != 0)
		goto out;
	if (check_secure && check_mode(&ctx, &st) == -1)
		goto out;
	resolve_defaults(&ctx);
	if (check_config(&ctx) == -1)
		goto out;
	if (check_secure && check_secret_files(&ctx) == -1)
		goto out;
	rc = 0;
out:
	if (ctx.fp != NULL)
		(void)fclose(ctx.fp);
	explicit_bzero(iobuf, sizeof(iobuf));
	if (rc == -1) {
		if (ctx.err.code == 0)
			cerr_at(&ctx, 0, EX_SOFTWARE, "cannot load");
		(void)perr_set(err, ctx.err.code, "%s", ctx.err.msg);
		config_free(cfg);
	}
	return rc;
}

static void
free_secret(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free_secret(cfg->password);
	/* the command may spell the secret out, e.g. "echo ..." */
	free_secret(cfg->password_command);
	free(cfg->path);
	free(cfg->host);
	free(cfg->username);
	free(cfg->password_file);
	free(cfg->ca_file);
	free(cfg->helo);
	free(cfg->from);
	free(cfg->domain);
	for (i = 0; i < cfg->naliases; i++) {
		free(cfg->aliases[i].name);
		strvec_free(&cfg->aliases[i].targets);
	}
	free(cfg->aliases);
	strvec_free(&cfg->catchall);
	free(cfg->spooldir);
	free(cfg->logfile);
	free(cfg->oauth.tenant);
	free(cfg->oauth.client_id);
	free_secret(cfg->oauth.client_secret);
	free(cfg->oauth.client_secret_file);
	free_secret(cfg->oauth.client_secret_command);
	free(cfg->oauth.scope);
	free(cfg->oauth.token_url);
	free(cfg->oauth.device_url);
	free(cfg->oauth.auth_url);
	free(cfg->oauth.ca_file);
	free(cfg->oauth.refresh_token_file);
	free(cfg->oauth.key_file);
	free(cfg->oauth.cache);
	explicit_bzero(cfg, sizeof(*cfg));
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
