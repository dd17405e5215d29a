/* SPDX-License-Identifier: ISC */
/*
 * The keys of posta.conf (but [aliases]) and their values: the key
 * table the loader dispatches on, and a handler for each kind of value
 * (string, path, host, address, port, word, duration, fingerprint) that
 * checks it and stores it in struct config.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cfgpriv.h"
#include "cidr.h"
#include "config.h"
#include "posta.h"
#include "util.h"

#define MAX_HOST     255	    /* host, helo, domain */
#define MAX_TIMEOUT  86400	    /* one SMTP step, seconds */
#define MAX_MAX_AGE  (365L * 86400) /* ctime + max_age cannot overflow */
#define MAX_COUNT    1000000	    /* max_clients, max_commands */
#define MAX_MSG_SIZE (1LL << 40)    /* max_message_size: 1 TiB */

#define OFF(f) offsetof(struct config, f)

const struct key cfg_keys[] = {
	{ "upstream", "host", cfg_set_host, OFF(host) },
	{ "upstream", "port", cfg_set_port, OFF(port) },
	{ "upstream", "tls", cfg_set_tls, 0 },
	{ "upstream", "username", cfg_set_str, OFF(username) },
	{ "upstream", "password", cfg_set_str, OFF(password) },
	{ "upstream", "password_file", cfg_set_path, OFF(password_file) },
	{ "upstream", "password_command", cfg_set_str, OFF(password_command) },
	{ "upstream", "auth", cfg_set_auth, 0 },
	{ "upstream", "ca_file", cfg_set_path, OFF(ca_file) },
	{ "upstream", "fingerprint", cfg_set_pin, 0 },
	{ "upstream", "cert_file", cfg_set_path, OFF(cert_file) },
	{ "upstream", "key_file", cfg_set_path, OFF(key_file) },
	{ "upstream", "tls_min_version", cfg_set_tls_min, 0 },
	{ "upstream", "timeout", cfg_set_timeout, OFF(timeout) },
	{ "upstream", "send_timeout", cfg_set_timeout, OFF(send_timeout) },
	{ "upstream", "helo", cfg_set_host, OFF(helo) },
	{ "sender", "from", cfg_set_from, OFF(from) },
	{ "sender", "domain", cfg_set_domain, OFF(domain) },
	{ "sender", "force_from", cfg_set_bool, OFF(force_from) },
	{ "sender", "notify_any", cfg_set_bool, OFF(notify_any) },
	{ "queue", "dir", cfg_set_path, OFF(spooldir) },
	{ "queue", "delivery", cfg_set_delivery, 0 },
	{ "queue", "max_age", cfg_set_max_age, 0 },
	{ "log", "syslog", cfg_set_bool, OFF(syslog) },
	{ "log", "file", cfg_set_path, OFF(logfile) },
	{ "oauth", "provider", cfg_set_provider, 0 },
	{ "oauth", "tenant", cfg_set_tenant, OFF(oauth.tenant) },
	{ "oauth", "grant", cfg_set_grant, 0 },
	{ "oauth", "client_id", cfg_set_str, OFF(oauth.client_id) },
	{ "oauth", "client_secret", cfg_set_str, OFF(oauth.client_secret) },
	{ "oauth", "client_secret_file", cfg_set_path,
	    OFF(oauth.client_secret_file) },
	{ "oauth", "client_secret_command", cfg_set_str,
	    OFF(oauth.client_secret_command) },
	{ "oauth", "scope", cfg_set_str, OFF(oauth.scope) },
	{ "oauth", "token_url", cfg_set_url, OFF(oauth.token_url) },
	{ "oauth", "device_url", cfg_set_url, OFF(oauth.device_url) },
	{ "oauth", "auth_url", cfg_set_url, OFF(oauth.auth_url) },
	{ "oauth", "ca_file", cfg_set_path, OFF(oauth.ca_file) },
	{ "oauth", "refresh_token_file", cfg_set_path,
	    OFF(oauth.refresh_token_file) },
	{ "oauth", "key_file", cfg_set_path, OFF(oauth.key_file) },
	{ "oauth", "cache", cfg_set_path, OFF(oauth.cache) },
	{ "oauth", "refresh_margin", cfg_set_margin, 0 },
	{ "listen", "address", cfg_set_address, OFF(listen.address) },
	{ "listen", "port", cfg_set_port, OFF(listen.port) },
	{ "listen", "allow", cfg_set_allow, OFF(listen.allow) },
	{ "listen", "max_clients", cfg_set_count, OFF(listen.max_clients) },
	{ "listen", "max_commands", cfg_set_count, OFF(listen.max_commands) },
	{ "listen", "timeout", cfg_set_timeout, OFF(listen.timeout) },
	{ "listen", "max_message_size", cfg_set_size, OFF(listen.max_size) },
};
_Static_assert(nitems(cfg_keys) == NKEYS, "NKEYS must match cfg_keys[]");

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

static const struct word delivery_words[] = {
	{ "foreground", DELIVERY_FOREGROUND },
	{ "background", DELIVERY_BACKGROUND },
	{ "queue", DELIVERY_QUEUE },
};

/* clang-format off */
static const struct word bool_words[] = {
	{ "yes", 1 }, { "no", 0 },
	{ "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 },
	{ "1", 1 }, { "0", 0 },
};
/* clang-format on */

/* "a, b or c", for messages that list the allowed values. */
static void
join_words(const struct word *w, size_t n, char *buf, size_t cap)
{
	size_t i, len;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		(void)snprintf(buf + len, cap - len, "%s%s",
		    i == 0	   ? "" :
			i + 1 == n ? " or " :
				     ", ",
		    w[i].name);
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

int
cfg_lookup_word(struct ctx *ctx, const struct key *k, const struct word *w,
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
	return cfg_err(ctx, "invalid %s \"%.64s\"; expected %s", k->name, value,
	    list);
}

char **
cfg_str_field(struct ctx *ctx, const struct key *k)
{
	return (char **)(void *)((char *)ctx->cfg + k->off);
}

static int *
int_field(struct ctx *ctx, const struct key *k)
{
	return (int *)(void *)((char *)ctx->cfg + k->off);
}

/* An empty value leaves the key unset (or at its default). */
int
cfg_set_str(struct ctx *ctx, const struct key *k, const char *value)
{
	char **field = cfg_str_field(ctx, k);
	char *copy;

	if (*value == '\0')
		return 0;
	if ((copy = strdup(value)) == NULL)
		return cfg_nomem(ctx);
	free(*field);
	*field = copy;
	return 0;
}

/* Host names and address literals; a light check that catches URLs. */
int
cfg_valid_host(const char *s, int colons_ok)
{
	size_t n = 0;
	int colons = 0;

	for (; s[n] != '\0'; n++) {
		if (s[n] == ':' && colons_ok)
			colons++;
		else if (strchr("abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]",
			     s[n]) == NULL)
			return 0;
	}
	/* one colon is "name:port", not an IPv6 address */
	return n > 0 && n <= MAX_HOST && colons != 1;
}

int
cfg_set_host(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && !cfg_valid_host(value, 1))
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected a host "
		    "name or address, without scheme or port",
		    k->name, value);
	return cfg_set_str(ctx, k, value);
}

int
cfg_set_domain(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && !cfg_valid_host(value, 0))
		return cfg_err(ctx,
		    "invalid domain \"%.64s\"; expected a "
		    "domain name such as example.com",
		    value);
	return cfg_set_str(ctx, k, value);
}

/* Relative paths would depend on the directory sendmail is run from. */
int
cfg_set_path(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && *value != '/')
		return cfg_err(ctx, "%s must be an absolute path", k->name);
	return cfg_set_str(ctx, k, value);
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
	return cfg_valid_host(at + 1, 1);
}

int
cfg_set_from(struct ctx *ctx, const struct key *k, const char *value)
{
	if (*value != '\0' && !valid_from(value))
		return cfg_err(ctx,
		    "invalid from \"%.64s\"; expected an "
		    "address such as robot@example.com",
		    value);
	return cfg_set_str(ctx, k, value);
}

int
cfg_set_port(struct ctx *ctx, const struct key *k, const char *value)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (*value < '0' || *value > '9' || *end != '\0' || errno != 0 ||
	    n < 1 || n > 65535)
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected a number "
		    "from 1 to 65535",
		    k->name, value);
	*int_field(ctx, k) = (int)n;
	return 0;
}

int
cfg_set_tls(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (cfg_lookup_word(ctx, k, tls_words, nitems(tls_words), value, &v) ==
	    -1)
		return -1;
	ctx->cfg->tls = (enum tls_mode)v;
	return 0;
}

int
cfg_set_auth(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (cfg_lookup_word(ctx, k, auth_words, nitems(auth_words), value,
		&v) == -1)
		return -1;
	ctx->cfg->auth = (enum auth_mech)v;
	return 0;
}

int
cfg_set_delivery(struct ctx *ctx, const struct key *k, const char *value)
{
	int v;

	if (cfg_lookup_word(ctx, k, delivery_words, nitems(delivery_words),
		value, &v) == -1)
		return -1;
	ctx->cfg->delivery = (enum delivery_mode)v;
	return 0;
}

int
cfg_set_bool(struct ctx *ctx, const struct key *k, const char *value)
{
	return cfg_lookup_word(ctx, k, bool_words, nitems(bool_words), value,
	    int_field(ctx, k));
}

/* "sha256:AB:CD:..." or 64 hex digits; colons optional, any case. */
int
cfg_set_pin(struct ctx *ctx, const struct key *k, const char *value)
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
		return cfg_err(ctx,
		    "invalid fingerprint; expected \"sha256:\" "
		    "and 64 hex digits (the SHA-256 of the server "
		    "certificate)");
	memcpy(ctx->cfg->pin, pin, sizeof(pin));
	ctx->cfg->has_pin = 1;
	return 0;
}

int
cfg_set_tls_min(struct ctx *ctx, const struct key *k, const char *value)
{
	if (strcmp(value, "1.2") == 0)
		ctx->cfg->tls_min_version = 12;
	else if (strcmp(value, "1.3") == 0)
		ctx->cfg->tls_min_version = 13;
	else
		return cfg_err(ctx, "invalid %s \"%.64s\"; expected 1.2 or 1.3",
		    k->name, value);
	return 0;
}

int
cfg_set_timeout(struct ctx *ctx, const struct key *k, const char *value)
{
	long n = duration_parse(value, DUR_CONFIG, MAX_TIMEOUT);

	if (n <= 0)
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected a duration "
		    "from 1s to 1d, such as 60, 90s or 2m",
		    k->name, value);
	*int_field(ctx, k) = (int)n;
	return 0;
}

int
cfg_set_max_age(struct ctx *ctx, const struct key *k, const char *value)
{
	long n = duration_parse(value, DUR_CONFIG, MAX_MAX_AGE);

	if (n <= 0)
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected a duration "
		    "from 1s to 365d, such as 5d or 12h",
		    k->name, value);
	ctx->cfg->max_age = (time_t)n;
	return 0;
}

const char *
cfg_auth_name(enum auth_mech m)
{
	return word_name(auth_words, nitems(auth_words), (int)m);
}

/* An address literal: the listener binds it, no name is looked up. */
int
cfg_set_address(struct ctx *ctx, const struct key *k, const char *value)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (*value != '\0' && cidr_sockaddr(value, 0, &ss, &len) == -1)
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected an IP "
		    "address such as 127.0.0.1, ::1 or 0.0.0.0 (not a host "
		    "name)",
		    k->name, value);
	return cfg_set_str(ctx, k, value);
}

int
cfg_set_allow(struct ctx *ctx, const struct key *k, const char *value)
{
	struct cidr_list l;
	const char *why;
	char bad[80];

	if (cidr_list_parse(value, &l, bad, sizeof(bad), &why) == -1)
		return cfg_err(ctx,
		    "invalid %s network \"%s\": %s; expected "
		    "networks such as 192.168.1.0/24, fd00::/8",
		    k->name, bad, why);
	return cfg_set_str(ctx, k, value);
}

int
cfg_set_count(struct ctx *ctx, const struct key *k, const char *value)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (*value < '0' || *value > '9' || *end != '\0' || errno != 0 ||
	    n < 1 || n > MAX_COUNT)
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected a number "
		    "from 1 to %d",
		    k->name, value, MAX_COUNT);
	*int_field(ctx, k) = (int)n;
	return 0;
}

/* Octets, with an optional k, M or G (powers of 1024); 0: no limit. */
int
cfg_set_size(struct ctx *ctx, const struct key *k, const char *value)
{
	long long *field = (long long *)(void *)((char *)ctx->cfg + k->off);
	long long n, mul = 1;
	char *end;

	errno = 0;
	n = strtoll(value, &end, 10);
	if (*end == 'k' || *end == 'K')
		mul = 1024;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024;
	else if (*end == 'g' || *end == 'G')
		mul = 1024 * 1024 * 1024;
	if (mul > 1)
		end++;
	if (*value < '0' || *value > '9' || *end != '\0' || errno != 0 ||
	    n > MAX_MSG_SIZE / mul)
		return cfg_err(ctx,
		    "invalid %s \"%.64s\"; expected a size "
		    "such as 10M, 512k or 0 (no limit), at most 1024G",
		    k->name, value);
	*field = n * mul;
	return 0;
}
