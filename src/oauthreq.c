/* SPDX-License-Identifier: ISC */
/*
 * One request to the OAuth token endpoint (RFC 6749 4.4, 6, RFC 7523):
 * the form each grant sends (client secret, refresh token, or a fresh
 * service-account assertion), and what the answer means: new tokens
 * into the cache, or an OAuth error turned into what to do. When to
 * ask, and the lock around it, are oauth.c's.
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
#include "oauthreq.h"
#include "posta.h"
#include "secret.h"
#include "tokcache.h"
#include "util.h"

#define KEY_FILE_MAX (64 * 1024) /* service-account JSON key */
#define DESC_MAX     160	 /* endpoint's description, shown */
#define GRANT_JWT    "urn:ietf:params:oauth:grant-type:jwt-bearer"

/*
 * What the tokens are for. A change here (another client, endpoint,
 * scope, mailbox or grant) makes the access token unusable and ends an
 * invalid_grant quiet period.
 */
void
oauthreq_fingerprint(const struct config *cfg, char hex[TOKCACHE_HEX + 1])
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

int
oauthreq_client_secret(const struct config *cfg, char *buf, size_t cap,
    struct perr *err)
{
	const struct oauth_conf *o = &cfg->oauth;
	struct secret_src src = { "client_secret", o->client_secret,
		o->client_secret_file, o->client_secret_command,
		config_timeout(cfg) };

	if (cap == 0)
		return perr_set(err, EX_SOFTWARE, "no buffer");
	buf[0] = '\0';
	if (src.value == NULL && src.file == NULL && src.command == NULL)
		return 0; /* a public client */
	return secret_fetch(&src, buf, cap, err);
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
		    path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		perr_set(err, EX_CONFIG, "key_file %s: not a regular file",
		    path);
		goto out;
	}
	if ((st.st_mode & 007) != 0) {
		perr_set(err, EX_CONFIG,
		    "key_file %s is readable by others; "
		    "chmod 600 %s",
		    path, path);
		goto out;
	}
	/* the key goes in: no realloc may leave a copy of it behind */
	if (buf_prealloc(b) == -1) {
		perr_set(err, EX_OSERR, "key_file %s: out of memory", path);
		goto out;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_add(b, chunk, (size_t)r) == -1) {
			perr_set(err, EX_CONFIG,
			    "key_file %s: larger than "
			    "%d octets",
			    path, KEY_FILE_MAX);
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
	if (json_get(b.data != NULL ? b.data : "", b.len, f, nitems(f), &e) ==
	    -1) {
		perr_set(err, EX_CONFIG, "key_file %s: %s", cfg->oauth.key_file,
		    e.msg);
		goto out;
	}
	if (!f[0].found || !f[1].found) {
		perr_set(err, EX_CONFIG,
		    "key_file %s: no client_email or "
		    "private_key; is it a service account's JSON key?",
		    cfg->oauth.key_file);
		goto out;
	}
	cl.iss = f[0].str;
	cl.sub = cfg->username;
	cl.aud = cfg->oauth.token_url;
	cl.scope = cfg->oauth.scope;
	cl.iat = now;
	if (jwt_assertion(&cl, f[2].found ? f[2].str : NULL, f[1].str, out, cap,
		&e) == -1) {
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
			perr_set(err, EX_CONFIG,
			    "no OAuth refresh token yet: "
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
		if (oauthreq_client_secret(cfg, sec, MAX_SECRET + 1, err) == -1)
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
int
oauthreq_kind_code(const struct config *cfg, const char *kind)
{
	int code;

	(void)advice(cfg, kind, &code);
	return code;
}

void
oauthreq_note(struct tokcache *c, const char *kind, time_t now, const char *msg)
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
		     nitems(f), &e) == 0 &&
	    f[0].found;
	if (status == 429 || status >= 500 || !parsed) {
		(void)snprintf(kind, sizeof(kind), "http_%d", status);
		(void)snprintf(msg, sizeof(msg),
		    "token endpoint %s answered "
		    "HTTP %d%s; the mail stays queued and is tried again "
		    "later",
		    cfg->oauth.token_url, status,
		    status == 429 ? " (too many requests)" : "");
		code = EX_TEMPFAIL;
	} else {
		(void)xstrlcpy(kind, f[0].str, sizeof(kind));
		str_blank_ctl(kind);
		short_desc(f[1].found ? f[1].str : "", desc, sizeof(desc));
		what = advice(cfg, kind, &code);
		(void)snprintf(msg, sizeof(msg),
		    "token endpoint refused: "
		    "%s%s%s%s: %s",
		    kind, desc[0] != '\0' ? " (" : "", desc,
		    desc[0] != '\0' ? ")" : "", what);
	}
	json_fields_free(f, nitems(f));
	oauthreq_note(c, kind, now, msg);
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
		oauthreq_note(c, "bad_reply", now,
		    "token endpoint sent an "
		    "unreadable reply");
		perr_set(err, EX_TEMPFAIL, "token endpoint %s: %s",
		    cfg->oauth.token_url, e.msg);
		goto out;
	}
	if (!f[0].found || !tokcache_token_ok(f[0].str, f[0].len) ||
	    (f[1].found && !tokcache_token_ok(f[1].str, f[1].len)) ||
	    (f[3].found && strcasecmp(f[3].str, "bearer") != 0)) {
		oauthreq_note(c, "bad_reply", now,
		    "token endpoint sent no "
		    "usable bearer token");
		perr_set(err, EX_TEMPFAIL,
		    "token endpoint %s sent no usable "
		    "bearer token",
		    cfg->oauth.token_url);
		goto out;
	}
	life = f[2].found ? f[2].num : OAUTHREQ_DEFAULT_EXPIRY;
	if (life < 0 || life > 366LL * 86400)
		life = OAUTHREQ_DEFAULT_EXPIRY;
	if (tokcache_set(&c->access, f[0].str) == -1 ||
	    (f[1].found &&
		(rotated = c->refresh == NULL ||
			strcmp(c->refresh, f[1].str)) &&
		tokcache_set(&c->refresh, f[1].str) == -1)) {
		perr_set(err, EX_OSERR, "out of memory");
		goto out;
	}
	if (rotated)
		c->refresh_obtained = now;
	c->access_obtained = now;
	c->access_expires = now + (time_t)life;
	oauthreq_fingerprint(cfg, c->conf);
	c->error[0] = c->error_kind[0] = '\0';
	c->error_time = 0;
	c->dirty = 1;
	log_info("oauth: new access token for %s, valid for %llds%s",
	    cfg->username, life,
	    rotated && cfg->oauth.grant == GRANT_REFRESH_TOKEN ?
		", refresh token rotated" :
		"");
	rc = 0;
out:
	json_fields_free(f, nitems(f));
	return rc;
}

/* One request to the token endpoint; c is updated either way. */
int
oauthreq_grant(const struct config *cfg, struct tokcache *c, struct perr *err)
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
	req.deadline = cfg->deadline;
	if (http_post_form(&req, &resp, &e) == -1) {
		oauthreq_note(c, "network", now, e.msg);
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
