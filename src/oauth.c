/* SPDX-License-Identifier: ISC */
/*
 * OAuth 2.0 access tokens: the policy around the cache (tokcache.h) and
 * the requests to the token endpoint (oauthreq.c), and the operator's
 * commands (--oauth-status, --oauth-refresh, --oauth-import).
 *
 * A token is used without the lock while it is valid for longer than
 * refresh_margin. When it is due, the lock is taken, the cache read
 * again (another process may have refreshed while this one waited),
 * and only then is the endpoint asked: N processes make one request.
 * The stored refresh token is never dropped on an error; a rotated one
 * is stored before the new access token is used.
 *
 * A process that waited the whole lock wait in vain refreshes without
 * the lock: the holder may be stopped for good (in a set-group-id
 * install any user can SIGSTOP their own posta), and its mail must not
 * hold up everyone's. A failed refresh never writes over a cache that
 * changed since it was read (the change may be a rotated refresh token)
 * and, without the lock, writes nothing.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "oauth.h"
#include "oauthreq.h"
#include "ossl.h"
#include "posta.h"
#include "secret.h"
#include "tokcache.h"
#include "util.h"

#define QUIET_PERIOD 3600 /* after invalid_grant, seconds */

enum obtain {
	OBTAIN_DUE,   /* refresh when due */
	OBTAIN_RENEW, /* the upstream refused a token: a new one */
	OBTAIN_FORCE  /* --oauth-refresh: now, whatever the state */
};

/*
 * Long enough for another process to finish one token request: its
 * HTTP exchange is bounded by the timeout.
 */
static double
full_wait(const struct config *cfg)
{
	return 2.0 * (cfg->timeout > 0 ? cfg->timeout : DEFAULT_TIMEOUT) + 5;
}

/* The same, but not past the deadline of a foreground delivery. */
static double
lock_wait(const struct config *cfg)
{
	double w = full_wait(cfg), left;

	if (cfg->deadline > 0 && (left = cfg->deadline - mono_now()) < w)
		w = left > 0 ? left : 0;
	return w;
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

	oauthreq_fingerprint(cfg, conf);
	return c->access != NULL && strcmp(conf, c->conf) == 0 &&
	    now + margin(cfg, c) < c->access_expires;
}

/* ---- the seed ---- */

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
		cfg->oauth.refresh_token_file, NULL, config_timeout(cfg) };
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
			perr_set(&e, EX_CONFIG,
			    "refresh_token_file %s: not a "
			    "token",
			    src.file);
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

	oauthreq_fingerprint(cfg, conf);
	if (strcmp(c->error_kind, "invalid_grant") != 0 ||
	    strcmp(conf, c->conf) != 0 || now < c->error_time ||
	    now - c->error_time >= QUIET_PERIOD)
		return 0;
	fmt_time(c->error_time + QUIET_PERIOD, until, sizeof(until));
	return perr_set(err, EX_NOPERM,
	    "%s (not asking the token endpoint "
	    "again before %s)",
	    c->error, until);
}

/*
 * The lock for a refresh. When it is held for the whole wait, and the
 * wait was not cut short by a delivery's deadline, go on without it
 * (*fd -1): the holder is stuck, not busy.
 */
static int
lock_or_go(const struct config *cfg, int *fd, int *waited, struct perr *err)
{
	double wait = lock_wait(cfg);

	*fd = tokcache_lock(cfg->oauth.cache, wait, waited, err);
	if (*fd >= 0)
		return 0;
	if (*fd == -1 || wait < full_wait(cfg))
		return -1;
	*fd = -1;
	log_warnx("oauth: %s; refreshing the token without the lock", err->msg);
	perr_clear(err);
	return 0;
}

/* What a refresh found in the cache: its tokens' SHA-256, "" for none. */
struct seen {
	char access[TOKCACHE_HEX + 1];
	char refresh[TOKCACHE_HEX + 1];
};

static void
hash_or_empty(const char *tok, char hex[TOKCACHE_HEX + 1])
{
	if (tok == NULL)
		hex[0] = '\0';
	else
		tokcache_sha256(tok, strlen(tok), hex);
}

static void
see(const struct tokcache *c, struct seen *s)
{
	hash_or_empty(c->access, s->access);
	hash_or_empty(c->refresh, s->refresh);
}

/*
 * After a failed refresh, before its outcome is written. A cache that
 * changed since it was read (written by a process that went on without
 * the lock, or by anyone when this one did) is newer than this state
 * and is never written over: it may hold a refresh token that has
 * rotated since, and this one's would then be refused for good. When
 * it holds a usable token other than the one refused, that token is
 * the outcome (1).
 */
static int
after_failure(const struct config *cfg, const struct seen *s,
    const char *refused, struct tokcache *c, struct perr *err)
{
	struct perr e = { 0, "" };
	struct tokcache disk;
	struct seen d;

	if (tokcache_read(cfg->oauth.cache, &disk, &e) == -1) {
		c->dirty = 0; /* unknown is not unchanged */
		return 0;
	}
	see(&disk, &d);
	if (strcmp(d.access, s->access) == 0 &&
	    strcmp(d.refresh, s->refresh) == 0)
		goto keep;
	c->dirty = 0;
	if (!usable(cfg, &disk, time(NULL)) ||
	    (refused != NULL && strcmp(d.access, refused) == 0))
		goto keep;
	log_info("oauth: %s; another process stored a new token meanwhile",
	    err->msg);
	perr_clear(err);
	tokcache_free(c);
	*c = disk;
	return 1;
keep:
	tokcache_free(&disk);
	return 0;
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
	char conf[TOKCACHE_HEX + 1];
	struct seen seen;
	time_t now = time(NULL), started = now;
	int fd = -1, rc = -1, waited;

	if (how == OBTAIN_DUE && tokcache_read(cfg->oauth.cache, c, err) == 0 &&
	    usable(cfg, c, now))
		return 0;
	tokcache_free(c);
	perr_clear(err);
	if (lock_or_go(cfg, &fd, &waited, err) == -1)
		return -1;
	if (tokcache_read(cfg->oauth.cache, c, err) == -1)
		goto out;
	see(c, &seen);
	now = time(NULL);
	oauthreq_fingerprint(cfg, conf);
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
		/* c->access is still the token read: seen holds its hash */
		if (strcmp(seen.access, refused) != 0 && usable(cfg, c, now)) {
			rc = 0; /* another process has renewed it */
			goto out;
		}
		if (strcmp(seen.access, refused) == 0) {
			/* known bad: never offered again, even if this fails */
			(void)tokcache_set(&c->access, NULL);
			c->dirty = 1;
		}
	}
	/* a request ended while this process waited: take its outcome */
	if (how != OBTAIN_FORCE && waited && c->error[0] != '\0' &&
	    c->error_time >= started && strcmp(conf, c->conf) == 0) {
		perr_set(err, oauthreq_kind_code(cfg, c->error_kind), "%s",
		    c->error);
		goto out;
	}
	if (seed_check(cfg, c, now, err) == -1)
		goto out;
	if (how != OBTAIN_FORCE && quiet(cfg, c, now, err) == -1)
		goto out;
	rc = oauthreq_grant(cfg, c, err);
	if (rc == -1 && after_failure(cfg, &seen, refused, c, err))
		rc = 0; /* c is what is on disk: nothing to write */
out:
	/* without the lock only a new token is stored, never a failure */
	if (c->dirty && (fd >= 0 || rc == 0)) {
		if ((fd >= 0 ? tokcache_write(cfg->oauth.cache, c, err) :
			       tokcache_write_unlocked(cfg->oauth.cache, c,
				   err)) == -1)
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
		return perr_set(err, EX_SOFTWARE,
		    "no room for the access "
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
	if (ossl_load(err) == -1)
		return -1;
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

	/* refused may be buf: hashed before buf is cleared */
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
oauth_store(const struct config *cfg, const char *refresh, const char *access,
    long expires_in, struct perr *err)
{
	struct tokcache c;
	time_t now = time(NULL);
	int fd, rc = -1, waited;

	if (refresh == NULL || !tokcache_token_ok(refresh, strlen(refresh)) ||
	    (access != NULL && !tokcache_token_ok(access, strlen(access))))
		return perr_set(err, EX_DATAERR,
		    "not a usable token (empty, "
		    "longer than %d octets, or with blanks or control "
		    "characters)",
		    MAX_SECRET);
	memset(&c, 0, sizeof(c));
	if ((fd = tokcache_lock(cfg->oauth.cache, lock_wait(cfg), &waited,
		 err)) < 0)
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
	c.access_expires = now +
	    (expires_in > 0 ? expires_in : OAUTHREQ_DEFAULT_EXPIRY);
	c.error[0] = c.error_kind[0] = '\0';
	c.error_time = 0;
	oauthreq_fingerprint(cfg, c.conf);
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
oauth_note_error(const struct config *cfg, const char *what, struct perr *err)
{
	struct tokcache c;
	int fd, rc = -1, waited;

	memset(&c, 0, sizeof(c));
	if ((fd = tokcache_lock(cfg->oauth.cache, lock_wait(cfg), &waited,
		 err)) < 0)
		return -1;
	if (tokcache_read(cfg->oauth.cache, &c, err) == -1)
		goto out;
	oauthreq_note(&c, "login", time(NULL), what);
	if (c.conf[0] == '\0')
		oauthreq_fingerprint(cfg, c.conf);
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
		return perr_set(err, EX_USAGE,
		    "--oauth-import is for grant = "
		    "refresh_token; this configuration's grant needs no "
		    "refresh token");
	if ((tok = malloc(MAX_SECRET + 3)) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	while (n < MAX_SECRET + 2 && memchr(tok, '\n', n) == NULL) {
		r = read(fd, tok + n, MAX_SECRET + 2 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			perr_set(err, EX_IOERR,
			    "--oauth-import: reading "
			    "standard input: %s",
			    strerror(errno));
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
		perr_set(err, EX_DATAERR,
		    "--oauth-import: the token is longer "
		    "than %d octets",
		    MAX_SECRET);
		goto out;
	}
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	if (*p == '\0') {
		perr_set(err, EX_DATAERR,
		    "--oauth-import: no refresh token on "
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
	    g == GRANT_JWT_BEARER	     ? "jwt_bearer" :
					       "refresh_token";
}

static const char *
provider_name(enum oauth_provider p)
{
	return p == OAUTH_MICROSOFT ? "microsoft" :
	    p == OAUTH_GOOGLE	    ? "google" :
				      "generic";
}

/* "2025-06-01 10:00:00 +0200 (in 52m)" or "(3d ago)". */
static void
when(time_t t, time_t now, char *buf, size_t cap)
{
	char at[64], d[32];

	fmt_time(t, at, sizeof(at));
	fmt_duration(t > now ? (long)(t - now) : (long)(now - t), d, sizeof(d));
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
	oauthreq_fingerprint(cfg, conf);
	fprintf(out, "cache:          %s%s\n", o->cache,
	    c.conf[0] == '\0'		  ? " (empty)" :
		strcmp(conf, c.conf) != 0 ? " (for other settings)" :
					    "");
	fprintf(out, "provider:       %s%s%s\n", provider_name(o->provider),
	    o->tenant != NULL ? ", tenant " : "",
	    o->tenant != NULL ? o->tenant : "");
	fprintf(out, "grant:          %s\n", grant_name(o->grant));
	fprintf(out, "user:           %s\n", cfg->username);
	fprintf(out, "token endpoint: %s\n", o->token_url);
	if (c.access == NULL)
		fprintf(out, "access token:   none\n");
	else {
		when(c.access_expires, now, w, sizeof(w));
		fprintf(out, "access token:   %s %s%s\n",
		    c.access_expires > now ? "valid until" : "expired", w,
		    usable(cfg, &c, now)       ? "" :
			c.access_expires > now ? ", due for refresh" :
						 "");
	}
	if (o->grant == GRANT_REFRESH_TOKEN) {
		if (c.refresh == NULL) {
			fprintf(out,
			    "refresh token:  none; run posta "
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
		perr_set(err,
		    c.error[0] != '\0' ? oauthreq_kind_code(cfg, c.error_kind) :
					 EX_CONFIG,
		    "no usable OAuth token%s%s", c.error[0] != '\0' ? ": " : "",
		    c.error);
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
		fprintf(out,
		    "posta: new access token for %s, valid until "
		    "%s\n",
		    cfg->username, w);
	}
	tokcache_free(&c);
	return rc;
}
