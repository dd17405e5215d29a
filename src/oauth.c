/* SPDX-License-Identifier: ISC */
/*
 * OAuth 2.0 access tokens: the grants refresh_token, client_credentials
 * and jwt_bearer (RFC 6749, 7523) and the policy around the cache
 * (tokcache.h).
 *
 * A token is used without the lock while it is valid for longer than
 * refresh_margin. When it is due, the lock is taken, the cache read
 * again (another process may have refreshed while this one waited),
 * and only then is the endpoint asked: N processes make one request.
 * The stored refresh token is never dropped on an error; a rotated one
 * is stored before the new access token is used.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>


#include "buf.h"
#include "http.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "oauth.h"
#include "posta.h"
#include "secret.h"
#include "tokcache.h"
#include "util.h"

#define QUIET_PERIOD	3600		/* after invalid_grant, seconds */
#define DEFAULT_EXPIRY	3600		/* when expires_in is missing */
#define KEY_FILE_MAX	(64 * 1024)	/* service-account JSON key */
#define DESC_MAX	160		/* endpoint's description, shown */
#define GRANT_JWT	"urn:ietf:params:oauth:grant-type:jwt-bearer"

enum obtain {
	OBTAIN_DUE,		/* refresh when due */
	OBTAIN_RENEW,		/* the upstream refused a token: a new one */
	OBTAIN_FORCE		/* --oauth-refresh: now, whatever the state */
};

/*
 * What the tokens are for. A change here (another client, endpoint,
 * scope, mailbox or grant) makes the access token unusable and ends an
 * invalid_grant quiet period.
 */
static void
fingerprint(const struct config *cfg, char hex[TOKCACHE_HEX + 1])
{
	const struct oauth_conf *o = &cfg->oauth;
	const char *parts[] = { o->token_url, o->client_id, o->scope,
	    cfg->username, o->key_file };
	struct buf b;
	size_t i;

	buf_init(&b, 4 * 4096 + 64);
	(void)buf_printf(&b, "%d", (int)o->grant);
	for (i = 0; i < nitems(parts); i++) {
		(void)buf_addc(&b, '\n');
		(void)buf_adds(&b, parts[i] != NULL ? parts[i] : "");
	}
	tokcache_sha256(buf_str(&b), b.len, hex);
	buf_free(&b);
}

/*
 * Long enough for another process to finish one token request: its
 * HTTP exchange is bounded by the timeout.
 */
static double
lock_wait(const struct config *cfg)
{
	return 2.0 * (cfg->timeout > 0 ? cfg->timeout : DEFAULT_TIMEOUT) + 5;
}

/* Seconds before expiry at which a token is renewed. */
static long
margin(const struct config *cfg, const struct tokcache *c)
{
	long life = (long)(c->access_expires - c->access_obtained);
	long m = cfg->oauth.refresh_margin;

	/* a lifetime shorter than the margin: renew at half-life */
	if (life > 0 && m > life / 2)
		m = life / 2;
	return m;
}

static int
usable(const struct config *cfg, const struct tokcache *c, time_t now)
{
	char conf[TOKCACHE_HEX + 1];

	fingerprint(cfg, conf);
	return c->access != NULL && strcmp(conf, c->conf) == 0 &&
	    now + margin(cfg, c) < c->access_expires;
}

/* ---- client secret, seed, key file ---- */

int
oauth_client_secret(const struct config *cfg, char *buf, size_t cap,
    struct perr *err)
{
	const struct oauth_conf *o = &cfg->oauth;
	struct secret_src src = { "client_secret", o->client_secret,
	    o->client_secret_file, o->client_secret_command, cfg->timeout };

	if (cap == 0)
		return perr_set(err, EX_SOFTWARE, "no buffer");
	buf[0] = '\0';
	if (src.value == NULL && src.file == NULL && src.command == NULL)
		return 0;	/* a public client */
	return secret_fetch(&src, buf, cap, err);
}

/*
 * refresh_token_file: a seed that wins when it differs from the one
 * imported last (an operator or a container platform put a new one
 * there). An unreadable seed only matters when there is nothing else.
 */
static int
seed_check(const struct config *cfg, struct tokcache *c, time_t now,
    struct perr *err)
{
	struct secret_src src = { "refresh_token", NULL,
	    cfg->oauth.refresh_token_file, NULL, cfg->timeout };
	struct perr e = { 0, "" };
	char *tok, hex[TOKCACHE_HEX + 1];
	int rc = -1;

	if (src.file == NULL || cfg->oauth.grant != GRANT_REFRESH_TOKEN)
		return 0;
	if ((tok = malloc(MAX_SECRET + 1)) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	if (secret_fetch(&src, tok, MAX_SECRET + 1, &e) == -1 ||
	    !tokcache_token_ok(tok, strlen(tok))) {
		if (e.code == 0)
			perr_set(&e, EX_CONFIG, "refresh_token_file %s: not a "
			    "token", src.file);
		if (c->refresh == NULL) {
			perr_set(err, e.code, "%s", e.msg);
			goto out;
		}
		log_warnx("oauth: %s; using the cached refresh token", e.msg);
		rc = 0;
		goto out;
	}
	tokcache_sha256(tok, strlen(tok), hex);
	if (strcmp(hex, c->seed) != 0) {
		if (tokcache_set(&c->refresh, tok) == -1 ||
		    tokcache_set(&c->access, NULL) == -1) {
			perr_set(err, EX_OSERR, "out of memory");
			goto out;
		}
		memcpy(c->seed, hex, sizeof(c->seed));
		c->refresh_obtained = now;
		c->error[0] = c->error_kind[0] = '\0';
		c->error_time = 0;
		c->dirty = 1;
		log_info("oauth: new refresh token taken from %s", src.file);
	}
	rc = 0;
out:
	secret_wipe(tok, MAX_SECRET + 1);
	free(tok);
	return rc;
}

/* The service account's key file: at most KEY_FILE_MAX, private. */
static int
read_key_file(const char *path, struct buf *b, struct perr *err)
{
	char chunk[4096];
	struct stat st;
	ssize_t r;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return perr_set(err, EX_CONFIG, "key_file %s: cannot open: %s",
		    path, errno == ELOOP ? "is a symbolic link" :
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		perr_set(err, EX_CONFIG, "key_file %s: not a regular file",
		    path);
		goto out;
	}
	if ((st.st_mode & 007) != 0) {
		perr_set(err, EX_CONFIG, "key_file %s is readable by others; "
		    "chmod 600 %s", path, path);
		goto out;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_add(b, chunk, (size_t)r) == -1) {
			perr_set(err, EX_CONFIG, "key_file %s: larger than "
			    "%d octets", path, KEY_FILE_MAX);
			goto out;
		}
	}
	if (r == -1) {
		perr_set(err, EX_CONFIG, "key_file %s: read: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	secret_wipe(chunk, sizeof(chunk));
	(void)close(fd);
	return rc;
}

/* RFC 7523 2.1: a fresh assertion for each request. */
static int
jwt_for(const struct config *cfg, time_t now, char *out, size_t cap,
    struct perr *err)
{
	struct json_field f[] = {
		{ "client_email", JSON_STR, 320, 0, NULL, 0, 0 },
		{ "private_key", JSON_STR, 16384, 0, NULL, 0, 0 },
		{ "private_key_id", JSON_STR, 128, 0, NULL, 0, 0 },
	};
	struct jwt_claims cl;
	struct perr e = { 0, "" };
	struct buf b;
	int rc = -1;

	buf_init(&b, KEY_FILE_MAX);
	if (read_key_file(cfg->oauth.key_file, &b, err) == -1)
		goto out;
	if (json_get(b.data != NULL ? b.data : "", b.len, f, nitems(f),
	    &e) == -1) {
		perr_set(err, EX_CONFIG, "key_file %s: %s", cfg->oauth.key_file,
		    e.msg);
		goto out;
	}
	if (!f[0].found || !f[1].found) {
		perr_set(err, EX_CONFIG, "key_file %s: no client_email or "
		    "private_key; is it a service account's JSON key?",
		    cfg->oauth.key_file);
		goto out;
	}
	cl.iss = f[0].str;
	cl.sub = cfg->username;
	cl.aud = cfg->oauth.token_url;
	cl.scope = cfg->oauth.scope;
	cl.iat = now;
	if (jwt_assertion(&cl, f[2].found ? f[2].str : NULL, f[1].str, out,
	    cap, &e) == -1) {
		perr_set(err, e.code, "key_file %s: %s", cfg->oauth.key_file,
		    e.msg);
		goto out;
	}
	rc = 0;
out:
	json_fields_free(f, nitems(f));
	buf_wipe(&b);
	return rc;
}

/* ---- the token request ---- */

/* The form for this grant; the secrets in it are wiped by buf_wipe. */
static int
make_form(const struct config *cfg, const struct tokcache *c, time_t now,
    struct buf *form, struct perr *err)
{
	const struct oauth_conf *o = &cfg->oauth;
	char *sec = NULL, *jwt = NULL;
	int rc = -1, r = 0;

	if (http_form_init(form) == -1)
		return perr_set(err, EX_OSERR, "out of memory");
	if ((sec = malloc(MAX_SECRET + 1)) == NULL) {
		perr_set(err, EX_OSERR, "out of memory");
		goto out;
	}
	switch (o->grant) {
	case GRANT_REFRESH_TOKEN:
		if (c->refresh == NULL) {
			perr_set(err, EX_CONFIG, "no OAuth refresh token yet: "
			    "run posta --oauth-login (or --oauth-import)");
			goto out;
		}
		r |= http_form_add(form, "grant_type", "refresh_token");
		r |= http_form_add(form, "refresh_token", c->refresh);
		break;
	case GRANT_CLIENT_CREDENTIALS:
		r |= http_form_add(form, "grant_type", "client_credentials");
		break;
	case GRANT_JWT_BEARER:
		if ((jwt = malloc(2 * KEY_FILE_MAX)) == NULL) {
			perr_set(err, EX_OSERR, "out of memory");
			goto out;
		}
		if (jwt_for(cfg, now, jwt, 2 * KEY_FILE_MAX, err) == -1)
			goto out;
		r |= http_form_add(form, "grant_type", GRANT_JWT);
		r |= http_form_add(form, "assertion", jwt);
		break;
	}
	if (o->grant != GRANT_JWT_BEARER) {
		if (oauth_client_secret(cfg, sec, MAX_SECRET + 1, err) == -1)
			goto out;
		r |= http_form_add(form, "client_id", o->client_id);
		if (sec[0] != '\0')
			r |= http_form_add(form, "client_secret", sec);
	}
	/* Google keeps the scope of the grant; Microsoft wants it again */
	if (o->scope != NULL && o->grant != GRANT_JWT_BEARER &&
	    !(o->provider == OAUTH_GOOGLE && o->grant == GRANT_REFRESH_TOKEN))
		r |= http_form_add(form, "scope", o->scope);
	if (r != 0) {
		perr_set(err, EX_SOFTWARE, "token request too large");
		goto out;
	}
	rc = 0;
out:
	if (sec != NULL) {
		secret_wipe(sec, MAX_SECRET + 1);
		free(sec);
	}
	if (jwt != NULL) {
		secret_wipe(jwt, 2 * KEY_FILE_MAX);
		free(jwt);
	}
	if (rc == -1)
		buf_wipe(form);
	return rc;
}

/*
 * The endpoint's description, one line, short: Microsoft's carries
 * "AADSTS70000: ..." first and trace and correlation IDs after CR LF.
 */
static void
short_desc(const char *desc, char *out, size_t cap)
{
	char line[DESC_MAX + 4];
	size_t n = strcspn(desc, "\r\n");

	if (n > DESC_MAX)
		n = DESC_MAX;
	memcpy(line, desc, n);
	line[n] = '\0';
	if (strlen(desc) > n && desc[n] != '\r' && desc[n] != '\n')
		(void)xstrlcpy(line + n, "...", sizeof(line) - n);
	(void)xstrlcpy(out, line, cap);
	str_blank_ctl(out);
}

/* What to do about an OAuth error code, for the one-line message. */
static const char *
advice(const struct config *cfg, const char *error, int *code)
{
	enum oauth_grant g = cfg->oauth.grant;

	*code = EX_TEMPFAIL;
	if (strcmp(error, "invalid_grant") == 0) {
		*code = EX_NOPERM;
		if (g == GRANT_JWT_BEARER)
			return "check the service account's domain-wide "
			    "delegation for this scope and that username is a "
			    "mailbox of the domain";
		if (g == GRANT_REFRESH_TOKEN)
			return "the refresh token is no longer valid: run "
			    "posta --oauth-login (or --oauth-import); posta "
			    "does not ask again for an hour unless the cache "
			    "or the configuration changes";
		return "check the [oauth] settings";
	}
	if (strcmp(error, "invalid_client") == 0) {
		*code = EX_NOPERM;
		return "check client_id and the client secret (an expired "
		    "secret must be renewed in the app registration)";
	}
	if (strcmp(error, "unauthorized_client") == 0) {
		*code = EX_NOPERM;
		return "the application is not allowed this grant: check its "
		    "registration";
	}
	if (strcmp(error, "invalid_scope") == 0 ||
	    strcmp(error, "invalid_request") == 0 ||
	    strcmp(error, "unsupported_grant_type") == 0) {
		*code = EX_CONFIG;
		return "check scope, grant and token_url in [oauth]";
	}
	return "the mail stays queued and is tried again later";
}

/* The exit code a remembered error stands for. */
static int
kind_code(const struct config *cfg, const char *kind)
{
	int code;

	(void)advice(cfg, kind, &code);
	return code;
}

static void
note(struct tokcache *c, const char *kind, time_t now, const char *msg)
{
	(void)xstrlcpy(c->error_kind, kind, sizeof(c->error_kind));
	(void)xstrlcpy(c->error, msg, sizeof(c->error));
	str_blank_ctl(c->error);
	c->error_time = now;
	c->dirty = 1;
}

/* A refusal: into err and the cache, and the log, with its AADSTS code. */
static int
refusal(const struct config *cfg, struct tokcache *c, time_t now, int status,
    const struct buf *body, struct perr *err)
{
	struct json_field f[] = {
		{ "error", JSON_STR, 64, 0, NULL, 0, 0 },
		{ "error_description", JSON_STR, 4096, 0, NULL, 0, 0 },
	};
	struct perr e = { 0, "" };
	char kind[32], desc[DESC_MAX + 8], msg[sizeof(c->error)];
	const char *what;
	int code, parsed;

	/* Google's 5xx and 429 carry an object in "error": no code then */
	parsed = json_get(body->data != NULL ? body->data : "", body->len, f,
	    nitems(f), &e) == 0 && f[0].found;
	if (status == 429 || status >= 500 || !parsed) {
		(void)snprintf(kind, sizeof(kind), "http_%d", status);
		(void)snprintf(msg, sizeof(msg), "token endpoint %s answered "
		    "HTTP %d%s; the mail stays queued and is tried again "
		    "later", cfg->oauth.token_url, status,
		    status == 429 ? " (too many requests)" : "");
		code = EX_TEMPFAIL;
	} else {
		(void)xstrlcpy(kind, f[0].str, sizeof(kind));
		str_blank_ctl(kind);
		short_desc(f[1].found ? f[1].str : "", desc, sizeof(desc));
		what = advice(cfg, kind, &code);
		(void)snprintf(msg, sizeof(msg), "token endpoint refused: "
		    "%s%s%s%s: %s", kind, desc[0] != '\0' ? " (" : "", desc,
		    desc[0] != '\0' ? ")" : "", what);
	}
	json_fields_free(f, nitems(f));
	note(c, kind, now, msg);
	log_warnx("oauth: %s", msg);
	return perr_set(err, code, "%s", msg);
}

/* A 200: take the tokens; a rotated refresh token replaces the old one. */
static int
take_tokens(const struct config *cfg, struct tokcache *c, time_t now,
    const struct buf *body, struct perr *err)
{
	struct json_field f[] = {
		{ "access_token", JSON_STR, MAX_SECRET, 0, NULL, 0, 0 },
		{ "refresh_token", JSON_STR, MAX_SECRET, 0, NULL, 0, 0 },
		{ "expires_in", JSON_INT, 0, 0, NULL, 0, 0 },
		{ "token_type", JSON_STR, 64, 0, NULL, 0, 0 },
	};
	struct perr e = { 0, "" };
	long long life;
	int rc = -1, rotated = 0;

	if (json_get(body->data != NULL ? body->data : "", body->len, f,
	    nitems(f), &e) == -1) {
		note(c, "bad_reply", now, "token endpoint sent an unreadable "
		    "reply");
		perr_set(err, EX_TEMPFAIL, "token endpoint %s: %s",
		    cfg->oauth.token_url, e.msg);
		goto out;
	}
	if (!f[0].found || !tokcache_token_ok(f[0].str, f[0].len) ||
	    (f[1].found && !tokcache_token_ok(f[1].str, f[1].len)) ||
	    (f[3].found && strcasecmp(f[3].str, "bearer") != 0)) {
		note(c, "bad_reply", now, "token endpoint sent no usable "
		    "bearer token");
		perr_set(err, EX_TEMPFAIL, "token endpoint %s sent no usable "
		    "bearer token", cfg->oauth.token_url);
		goto out;
	}
	life = f[2].found ? f[2].num : DEFAULT_EXPIRY;
	if (life < 0 || life > 366LL * 86400)
		life = DEFAULT_EXPIRY;
	if (tokcache_set(&c->access, f[0].str) == -1 || (f[1].found &&
	    (rotated = c->refresh == NULL || strcmp(c->refresh, f[1].str)) &&
	    tokcache_set(&c->refresh, f[1].str) == -1)) {
		perr_set(err, EX_OSERR, "out of memory");
		goto out;
	}
	if (rotated)
		c->refresh_obtained = now;
	c->access_obtained = now;
	c->access_expires = now + (time_t)life;
	fingerprint(cfg, c->conf);
	c->error[0] = c->error_kind[0] = '\0';
	c->error_time = 0;
	c->dirty = 1;
	log_info("oauth: new access token for %s, valid for %llds%s",
	    cfg->username, life, rotated && cfg->oauth.grant ==
	    GRANT_REFRESH_TOKEN ? ", refresh token rotated" : "");
	rc = 0;
out:
	json_fields_free(f, nitems(f));
	return rc;
}

/* One request to the token endpoint; c is updated either way. */
static int
grant(const struct config *cfg, struct tokcache *c, struct perr *err)
{
	struct http_request req;
	struct http_response resp;
	struct perr e = { 0, "" };
	struct buf form;
	time_t now = time(NULL);
	int rc = -1;

	http_response_init(&resp);
	buf_init(&form, 0);
	if (make_form(cfg, c, now, &form, err) == -1)
		goto out;
	memset(&req, 0, sizeof(req));
	req.url = cfg->oauth.token_url;
	req.ca_file = cfg->oauth.ca_file;
	req.form = &form;
	req.timeout = cfg->timeout > 0 ? cfg->timeout : DEFAULT_TIMEOUT;
	if (http_post_form(&req, &resp, &e) == -1) {
		note(c, "network", now, e.msg);
		log_warnx("oauth: %s", e.msg);
		perr_set(err, e.code == EX_CONFIG ? EX_CONFIG : EX_TEMPFAIL,
		    "%s; the mail stays queued", e.msg);
		goto out;
	}
	if (resp.status != 200)
		refusal(cfg, c, now, resp.status, &resp.body, err);
	else
		rc = take_tokens(cfg, c, now, &resp.body, err);
out:
	buf_wipe(&form);
	http_response_free(&resp);
	return rc;
}

/* ---- putting it together ---- */

static void
fmt_time(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (t <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		(void)xstrlcpy(buf, "?", cap);
}

/* After invalid_grant: the recorded error again, without a request. */
static int
quiet(const struct config *cfg, const struct tokcache *c, time_t now,
    struct perr *err)
{
	char conf[TOKCACHE_HEX + 1], until[64];

	fingerprint(cfg, conf);
	if (strcmp(c->error_kind, "invalid_grant") != 0 ||
	    strcmp(conf, c->conf) != 0 || now < c->error_time ||
	    now - c->error_time >= QUIET_PERIOD)
		return 0;
	fmt_time(c->error_time + QUIET_PERIOD, until, sizeof(until));
	return perr_set(err, EX_NOPERM, "%s (not asking the token endpoint "
	    "again before %s)", c->error, until);
}

/*
 * The token, refreshed under the lock when due (how says what "due"
 * means). refused, with OBTAIN_RENEW, is the SHA-256 of the token the
 * upstream turned down. The cache is left in c.
 */
static int
obtain(const struct config *cfg, enum obtain how, const char *refused,
    struct tokcache *c, struct perr *err)
{
	char hex[TOKCACHE_HEX + 1], conf[TOKCACHE_HEX + 1];
	time_t now = time(NULL), started = now;
	int fd = -1, rc = -1, waited;

	if (how == OBTAIN_DUE && tokcache_read(cfg->oauth.cache, c, err) == 0 &&
	    usable(cfg, c, now))
		return 0;
	tokcache_free(c);
	perr_clear(err);
	if ((fd = tokcache_lock(cfg->oauth.cache, lock_wait(cfg), &waited,
	    err)) == -1)
		return -1;
	if (tokcache_read(cfg->oauth.cache, c, err) == -1)
		goto out;
	now = time(NULL);
	fingerprint(cfg, conf);
	if (strcmp(conf, c->conf) != 0) {
		/* new settings: the old token may belong to another client */
		(void)tokcache_set(&c->access, NULL);
		memcpy(c->conf, conf, sizeof(c->conf));
		c->dirty = 1;
		/* and an invalid_grant of the old ones may not hold */
		c->error_kind[0] = '\0';
	}
	if (how == OBTAIN_DUE && usable(cfg, c, now)) {
		rc = 0;
		goto out;
	}
	if (how == OBTAIN_RENEW && c->access != NULL) {
		tokcache_sha256(c->access, strlen(c->access), hex);
		if (strcmp(hex, refused) != 0 && usable(cfg, c, now)) {
			rc = 0;		/* another process has renewed it */
			goto out;
		}
		if (strcmp(hex, refused) == 0) {
			/* known bad: never offered again, even if this fails */
			(void)tokcache_set(&c->access, NULL);
			c->dirty = 1;
		}
	}
	/* a request ended while this process waited: take its outcome */
	if (how != OBTAIN_FORCE && waited && c->error[0] != '\0' &&
	    c->error_time >= started && strcmp(conf, c->conf) == 0) {
		perr_set(err, kind_code(cfg, c->error_kind), "%s", c->error);
		goto out;
	}
	if (seed_check(cfg, c, now, err) == -1)
		goto out;
	if (how != OBTAIN_FORCE && quiet(cfg, c, now, err) == -1)
		goto out;
	rc = grant(cfg, c, err);
out:
	if (c->dirty) {
		if (tokcache_write(cfg->oauth.cache, c, err) == -1)
			rc = -1;
		c->dirty = 0;
	}
	tokcache_unlock(fd);
	return rc;
}

static int
copy_token(const struct tokcache *c, char *buf, size_t cap, struct perr *err)
{
	if (c->access == NULL || xstrlcpy(buf, c->access, cap) == -1) {
		secret_wipe(buf, cap);
		return perr_set(err, EX_SOFTWARE, "no room for the access "
		    "token");
	}
	return 0;
}

int
oauth_token(const struct config *cfg, int force, char *buf, size_t cap,
    struct perr *err)
{
	struct tokcache c;
	int rc;

	if (cap > 0)
		buf[0] = '\0';
	memset(&c, 0, sizeof(c));
	rc = obtain(cfg, force ? OBTAIN_FORCE : OBTAIN_DUE, NULL, &c, err);
	if (rc == 0)
		rc = copy_token(&c, buf, cap, err);
	tokcache_free(&c);
	return rc;
}

int
oauth_token_renew(const struct config *cfg, const char *refused, char *buf,
    size_t cap, struct perr *err)
{
	char hex[TOKCACHE_HEX + 1];
	struct tokcache c;
	int rc;

	tokcache_sha256(refused, strlen(refused), hex);
	if (cap > 0)
		buf[0] = '\0';
	memset(&c, 0, sizeof(c));
	rc = obtain(cfg, OBTAIN_RENEW, hex, &c, err);
	if (rc == 0)
		rc = copy_token(&c, buf, cap, err);
	tokcache_free(&c);
	return rc;
}

int
oauth_store(const struct config *cfg, const char *refresh,
    const char *access, long expires_in, struct perr *err)
{
	struct tokcache c;
	time_t now = time(NULL);
	int fd, rc = -1, waited;

	if (refresh == NULL || !tokcache_token_ok(refresh, strlen(refresh)) ||
	    (access != NULL && !tokcache_token_ok(access, strlen(access))))
		return perr_set(err, EX_DATAERR, "not a usable token (empty, "
		    "longer than %d octets, or with blanks or control "
		    "characters)", MAX_SECRET);
	memset(&c, 0, sizeof(c));
	if ((fd = tokcache_lock(cfg->oauth.cache, lock_wait(cfg), &waited,
	    err)) == -1)
		return -1;
	/* a damaged or foreign cache is replaced: this is a new start */
	if (tokcache_read(cfg->oauth.cache, &c, err) == -1) {
		log_warnx("oauth: %s; replacing it", err->msg);
		perr_clear(err);
		tokcache_free(&c);
	}
	if (tokcache_set(&c.refresh, refresh) == -1 ||
	    tokcache_set(&c.access, access) == -1) {
		perr_set(err, EX_OSERR, "out of memory");
		goto out;
	}
	c.refresh_obtained = now;
	c.access_obtained = now;
	c.access_expires = now + (expires_in > 0 ? expires_in :
	    DEFAULT_EXPIRY);
	c.error[0] = c.error_kind[0] = '\0';
	c.error_time = 0;
	fingerprint(cfg, c.conf);
	if (tokcache_write(cfg->oauth.cache, &c, err) == -1)
		goto out;
	log_info("oauth: refresh token stored for %s", cfg->username);
	rc = 0;
out:
	tokcache_free(&c);
	tokcache_unlock(fd);
	return rc;
}

int
oauth_note_error(const struct config *cfg, const char *what,
    struct perr *err)
{
	struct tokcache c;
	int fd, rc = -1, waited;

	memset(&c, 0, sizeof(c));
	if ((fd = tokcache_lock(cfg->oauth.cache, lock_wait(cfg), &waited,
	    err)) == -1)
		return -1;
	if (tokcache_read(cfg->oauth.cache, &c, err) == -1)
		goto out;
	note(&c, "login", time(NULL), what);
	if (c.conf[0] == '\0')
		fingerprint(cfg, c.conf);
	rc = tokcache_write(cfg->oauth.cache, &c, err);
out:
	tokcache_free(&c);
	tokcache_unlock(fd);
	return rc;
}

int
oauth_import(const struct config *cfg, int fd, struct perr *err)
{
	char *tok, *p, *end;
	size_t n = 0;
	ssize_t r;
	int rc = -1;

	if (cfg->oauth.grant != GRANT_REFRESH_TOKEN)
		return perr_set(err, EX_USAGE, "--oauth-import is for grant = "
		    "refresh_token; this configuration's grant needs no "
		    "refresh token");
	if ((tok = malloc(MAX_SECRET + 3)) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	while (n < MAX_SECRET + 2 && memchr(tok, '\n', n) == NULL) {
		r = read(fd, tok + n, MAX_SECRET + 2 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			perr_set(err, EX_IOERR, "--oauth-import: reading "
			    "standard input: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	tok[n] = '\0';
	/* the first line, blanks around it dropped (a pasted token) */
	p = tok + strspn(tok, " \t");
	end = p + strcspn(p, "\r\n");
	if (*end == '\0' && n == MAX_SECRET + 2) {
		perr_set(err, EX_DATAERR, "--oauth-import: the token is longer "
		    "than %d octets", MAX_SECRET);
		goto out;
	}
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	if (*p == '\0') {
		perr_set(err, EX_DATAERR, "--oauth-import: no refresh token on "
		    "standard input");
		goto out;
	}
	rc = oauth_store(cfg, p, NULL, 0, err);
out:
	secret_wipe(tok, MAX_SECRET + 3);
	free(tok);
	return rc;
}

static const char *
grant_name(enum oauth_grant g)
{
	return g == GRANT_CLIENT_CREDENTIALS ? "client_credentials" :
	    g == GRANT_JWT_BEARER ? "jwt_bearer" : "refresh_token";
}

static const char *
provider_name(enum oauth_provider p)
{
	return p == OAUTH_MICROSOFT ? "microsoft" : p == OAUTH_GOOGLE ?
	    "google" : "generic";
}

/* "2025-06-01 10:00:00 +0200 (in 52m)" or "(3d ago)". */
static void
when(time_t t, time_t now, char *buf, size_t cap)
{
	char at[64], d[32];

	fmt_time(t, at, sizeof(at));
	fmt_duration(t > now ? (long)(t - now) : (long)(now - t), d,
	    sizeof(d));
	(void)snprintf(buf, cap, "%s (%s%s%s)", at, t > now ? "in " : "", d,
	    t > now ? "" : " ago");
}

int
oauth_status(const struct config *cfg, FILE *out, struct perr *err)
{
	const struct oauth_conf *o = &cfg->oauth;
	char conf[TOKCACHE_HEX + 1], w[160];
	struct tokcache c;
	time_t now = time(NULL);
	int rc = -1, ok = 1;

	if (tokcache_read(cfg->oauth.cache, &c, err) == -1)
		return -1;
	fingerprint(cfg, conf);
	fprintf(out, "cache:          %s%s\n", o->cache, c.conf[0] == '\0' ?
	    " (empty)" : strcmp(conf, c.conf) != 0 ? " (for other settings)" :
	    "");
	fprintf(out, "provider:       %s%s%s\n", provider_name(o->provider),
	    o->tenant != NULL ? ", tenant " : "", o->tenant != NULL ?
	    o->tenant : "");
	fprintf(out, "grant:          %s\n", grant_name(o->grant));
	fprintf(out, "user:           %s\n", cfg->username);
	fprintf(out, "token endpoint: %s\n", o->token_url);
	if (c.access == NULL)
		fprintf(out, "access token:   none\n");
	else {
		when(c.access_expires, now, w, sizeof(w));
		fprintf(out, "access token:   %s %s%s\n", c.access_expires >
		    now ? "valid until" : "expired", w, usable(cfg, &c, now) ?
		    "" : c.access_expires > now ? ", due for refresh" : "");
	}
	if (o->grant == GRANT_REFRESH_TOKEN) {
		if (c.refresh == NULL) {
			fprintf(out, "refresh token:  none; run posta "
			    "--oauth-login or --oauth-import\n");
			ok = 0;
		} else {
			when(c.refresh_obtained, now, w, sizeof(w));
			fprintf(out, "refresh token:  obtained %s\n", w);
		}
	}
	if (c.error[0] == '\0')
		fprintf(out, "last error:     none\n");
	else {
		when(c.error_time, now, w, sizeof(w));
		fprintf(out, "last error:     %s: %s\n", w, c.error);
		ok = ok && usable(cfg, &c, now);
	}
	if (quiet(cfg, &c, now, &(struct perr){ 0, "" }) == -1) {
		when(c.error_time + QUIET_PERIOD, now, w, sizeof(w));
		fprintf(out, "next request:   not before %s\n", w);
	}
	if (fflush(out) == EOF)
		perr_set(err, EX_IOERR, "writing the status: %s",
		    strerror(errno));
	else if (!ok)
		perr_set(err, c.error[0] != '\0' ? kind_code(cfg,
		    c.error_kind) : EX_CONFIG, "no usable OAuth token%s%s",
		    c.error[0] != '\0' ? ": " : "", c.error);
	else
		rc = 0;
	tokcache_free(&c);
	return rc;
}

int
oauth_refresh_now(const struct config *cfg, FILE *out, struct perr *err)
{
	char w[160];
	struct tokcache c;
	time_t now = time(NULL);
	int rc;

	memset(&c, 0, sizeof(c));
	rc = obtain(cfg, OBTAIN_FORCE, NULL, &c, err);
	if (rc == 0) {
		when(c.access_expires, now, w, sizeof(w));
		fprintf(out, "posta: new access token for %s, valid until "
		    "%s\n", cfg->username, w);
	}
	tokcache_free(&c);
	return rc;
}
