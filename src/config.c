/* SPDX-License-Identifier: ISC */
/*
 * /etc/posta.conf -> struct config: the file and its lines (libinih
 * with our own reader), the dispatch to the keys (cfgkeys.c, cfgoauth.c,
 * cfgalias.c), "FILE:LINE: message" errors with a nearest-key hint,
 * defaults, the checks of the whole, and config_free().
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

#include "cfgpriv.h"
#include "config.h"
#include "paths.h"
#include "posta.h"
#include "util.h"

#define MAX_SUGGEST 3 /* edit distance for "did you mean" */

static const char *const sections[] = { "upstream", "sender", "aliases",
	"queue", "log", "oauth", "listen" };

/*
 * Record the first error at a line (0: the whole file). The message is
 * formatted first because perr_set() takes no va_list.
 */
int
cfg_err_at(struct ctx *ctx, int line, int code, const char *fmt, ...)
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
	if (line < 0 && ctx->set != NULL)
		return perr_set(&ctx->err, code, "%s: %s",
		    ctx->set[-line - 1].origin, msg);
	return perr_set(&ctx->err, code, "%s: %s", ctx->file, msg);
}

/* An error on the line being parsed. */
int
cfg_err(struct ctx *ctx, const char *fmt, ...)
{
	char msg[sizeof(ctx->err.msg)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cfg_err_at(ctx, ctx->lineno, EX_CONFIG, "%s", msg);
}

int
cfg_nomem(struct ctx *ctx)
{
	return cfg_err_at(ctx, ctx->lineno, EX_OSERR, "out of memory");
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
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "unknown section "
		    "[%.64s]; did you mean [%s]?",
		    section, hint);
	return cfg_err_at(ctx, line, EX_CONFIG,
	    "unknown section [%.64s]; "
	    "expected [upstream], [sender], [aliases], [queue], [log], "
	    "[oauth] or [listen]",
	    section);
}

/* The section a key belongs to, for a key written in the wrong place. */
static const char *
home_of(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(cfg_keys); i++)
		if (strcasecmp(name, cfg_keys[i].name) == 0)
			return cfg_keys[i].section;
	return NULL;
}

static int
unknown_key(struct ctx *ctx, const char *section, const char *name)
{
	size_t i, d, best = SIZE_MAX;
	const char *hint = NULL, *home;

	if ((home = home_of(name)) != NULL)
		return cfg_err(ctx,
		    "unknown key \"%.64s\" in [%s]; it belongs "
		    "in [%s]",
		    name, section, home);
	for (i = 0; i < nitems(cfg_keys); i++) {
		if (strcasecmp(section, cfg_keys[i].section) != 0)
			continue;
		d = distance(name, cfg_keys[i].name);
		if (d <= MAX_SUGGEST && d < best) {
			best = d;
			hint = cfg_keys[i].name;
		}
	}
	if (hint != NULL)
		return cfg_err(ctx,
		    "unknown key \"%.64s\" in [%s]; did you "
		    "mean \"%s\"?",
		    name, section, hint);
	return cfg_err(ctx, "unknown key \"%.64s\" in [%s]", name, section);
}

static const struct key *
find_key(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(cfg_keys); i++)
		if (strcasecmp(section, cfg_keys[i].section) == 0 &&
		    strcasecmp(name, cfg_keys[i].name) == 0)
			return &cfg_keys[i];
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
			return cfg_err(ctx,
			    "\"%.64s\" is outside any section; "
			    "put it under [%s]",
			    name, home_of(name));
		return cfg_err(ctx, "\"%.64s\" is outside any section", name);
	}
	if (!known_section(section))
		return unknown_section(ctx, section);
	if (strcasecmp(section, "aliases") == 0)
		return cfg_set_alias(ctx, name, value);
	if ((k = find_key(section, name)) == NULL)
		return unknown_key(ctx, section, name);
	if (strcasecmp(section, "oauth") == 0)
		ctx->cfg->oauth.set = 1;
	seen = &ctx->keyline[k - cfg_keys];
	/* inih hands an indented line to the handler as more of the last key */
	if (*seen != 0 && ctx->indented)
		return cfg_err(ctx,
		    "indented line continues \"%s\" from line "
		    "%d; remove the leading blanks",
		    k->name, *seen);
	if (*seen != 0)
		return cfg_err(ctx,
		    "duplicate key \"%s\" in [%s] (first set "
		    "on line %d)",
		    k->name, k->section, *seen);
	*seen = ctx->lineno;
	return k->set(ctx, k, value);
}

/*
 * Settings from outside the file (the environment, see cfgenv.c) go
 * over the file's. Errors name the setting's origin: the line number
 * of a setting is -(its index + 1). A secret given one way drops the
 * file's other ways (KEY, KEY_file, KEY_command), so a container can
 * replace a password with a password_file; two of them set from
 * outside are still an error, reported by check_credentials().
 */
static void
drop_alternatives(struct ctx *ctx, const struct key *k)
{
	char base[64];
	size_t i, n = strlen(k->name);

	if (n > 5 && strcmp(k->name + n - 5, "_file") == 0)
		n -= 5;
	else if (n > 8 && strcmp(k->name + n - 8, "_command") == 0)
		n -= 8;
	if (n >= sizeof(base))
		return;
	memcpy(base, k->name, n);
	base[n] = '\0';
	for (i = 0; i < nitems(cfg_keys); i++) {
		if (&cfg_keys[i] == k || ctx->keyline[i] <= 0 ||
		    strcmp(cfg_keys[i].section, k->section) != 0 ||
		    strncmp(cfg_keys[i].name, base, n) != 0 ||
		    (cfg_keys[i].name[n] != '\0' &&
			strcmp(cfg_keys[i].name + n, "_file") != 0 &&
			strcmp(cfg_keys[i].name + n, "_command") != 0))
			continue;
		/* only string keys come in such families */
		if (cfg_keys[i].set != cfg_set_str &&
		    cfg_keys[i].set != cfg_set_path)
			continue;
		free(*cfg_str_field(ctx, &cfg_keys[i]));
		*cfg_str_field(ctx, &cfg_keys[i]) = NULL;
		ctx->keyline[i] = 0;
	}
}

static int
apply_settings(struct ctx *ctx, const struct config_setting *set, size_t nset)
{
	const struct key *k;
	size_t i;

	ctx->set = set;
	ctx->indented = 0;
	for (i = 0; i < nset; i++) {
		ctx->lineno = -(int)(i + 1);
		if (has_ctl(set[i].value))
			return cfg_err(ctx, "control character in the value");
		if (strlen(set[i].value) > MAX_VALUE)
			return cfg_err(ctx, "value is longer than %d octets",
			    MAX_VALUE);
		if (!known_section(set[i].section))
			return cfg_err(ctx, "unknown section [%.64s]",
			    set[i].section);
		if (strcasecmp(set[i].section, "aliases") == 0) {
			if (cfg_set_alias(ctx, set[i].name, set[i].value) == -1)
				return -1;
			continue;
		}
		if ((k = find_key(set[i].section, set[i].name)) == NULL)
			return unknown_key(ctx, set[i].section, set[i].name);
		drop_alternatives(ctx, k);
		ctx->keyline[k - cfg_keys] = ctx->lineno;
		if (k->set(ctx, k, set[i].value) == -1)
			return -1;
	}
	return 0;
}

/* inih wants non-zero for success; the message is kept in ctx. */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *ctx = user;

	if (ctx->err.code != 0)
		return 0;
	if (has_ctl(value)) {
		cfg_err(ctx, "control character in the value of \"%.64s\"",
		    name);
		return 0;
	}
	if (strlen(value) > MAX_VALUE) {
		cfg_err(ctx, "value of \"%.64s\" is longer than %d octets",
		    name, MAX_VALUE);
		return 0;
	}
	return set_key(ctx, section, name, value) == 0;
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
		cfg_err_at(ctx, ctx->lineno + 1, EX_IOERR, "read error: %s",
		    strerror(errno));
		return NULL;
	}
	if (c == EOF && n == 0 && !toolong)
		return NULL;
	ctx->lineno++;
	if (toolong || nul) {
		explicit_bzero(str, cap);
		if (toolong)
			cfg_err(ctx, "line is longer than %d octets", num - 1);
		else
			cfg_err(ctx, "NUL byte in line");
		return NULL;
	}
	ctx->indented = str[0] == ' ' || str[0] == '\t';
	if (str[strspn(str, " \t")] == '[') {
		ctx->sectline = ctx->lineno;
		cfg_oauth_note(ctx, str + strspn(str, " \t") + 1);
	}
	return str;
}

int
cfg_key_line(const struct ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(cfg_keys); i++)
		if (strcmp(cfg_keys[i].name, name) == 0)
			return ctx->keyline[i];
	return 0;
}

/* Port and tls may come in any order, so their defaults wait for the end. */
static void
resolve_defaults(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	int port_set = cfg_key_line(ctx, "port") != 0;
	int tls_set = cfg_key_line(ctx, "tls") != 0;

	if (!tls_set)
		cfg->tls = port_set && cfg->port == 465 ? TLS_IMPLICIT :
							  TLS_STARTTLS;
	if (!port_set)
		cfg->port = cfg->tls == TLS_IMPLICIT ? 465 : 587;
}

static int
check_credentials(struct ctx *ctx)
{
	static const char *const src[] = { "password", "password_file",
		"password_command" };
	struct config *cfg = ctx->cfg;
	int nsrc = 0, line, srcline = 0;
	size_t i;

	for (i = 0; i < nitems(src); i++) {
		if ((line = cfg_key_line(ctx, src[i])) == 0)
			continue;
		if (++nsrc > 1)
			return cfg_err_at(ctx, line, EX_CONFIG,
			    "set only one "
			    "of password, password_file and password_command");
		srcline = line;
	}
	nsrc = cfg->password != NULL || cfg->password_file != NULL ||
	    cfg->password_command != NULL;
	if (cfg->oauth.set)
		return 0; /* cfg_oauth_check() had its say */
	if (cfg->username != NULL && !nsrc)
		return cfg_err_at(ctx, cfg_key_line(ctx, "username"), EX_CONFIG,
		    "username is set but none of password, password_file or "
		    "password_command");
	if (cfg->username == NULL && nsrc)
		return cfg_err_at(ctx, srcline, EX_CONFIG,
		    "a password is set "
		    "but username is not");
	if (cfg->auth != AUTH_AUTO && cfg->username == NULL)
		return cfg_err_at(ctx, cfg_key_line(ctx, "auth"), EX_CONFIG,
		    "auth = %s needs username and password, password_file or "
		    "password_command",
		    cfg_auth_name(cfg->auth));
	return 0;
}

static int
check_tls(struct ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	int line = cfg_key_line(ctx, "tls");

	if ((cfg->cert_file == NULL) != (cfg->key_file == NULL))
		return cfg_err_at(ctx,
		    cfg_key_line(ctx,
			cfg->cert_file != NULL ? "cert_file" : "key_file"),
		    EX_CONFIG,
		    "set both "
		    "cert_file and key_file, or neither");
	if (cfg->tls != TLS_NONE)
		return 0;
	if (cfg->cert_file != NULL)
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "tls = none with a "
		    "cert_file: the certificate would never be sent");
	if (cfg_key_line(ctx, "tls_min_version") != 0)
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "tls = none with "
		    "tls_min_version: TLS is never used");
	if (cfg->username != NULL)
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "tls = none with a "
		    "username: credentials are never sent without TLS");
	if (cfg->has_pin)
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "tls = none with a "
		    "fingerprint: the pin would never be checked");
	if (cfg->ca_file != NULL)
		return cfg_err_at(ctx, line, EX_CONFIG,
		    "tls = none with a "
		    "ca_file: the certificate would never be checked");
	return 0;
}

static int
check_config(struct ctx *ctx)
{
	if (ctx->cfg->host == NULL)
		return cfg_err_at(ctx, 0, EX_CONFIG,
		    "[upstream] host is not "
		    "set");
	if (cfg_oauth_check(ctx) == -1 || check_credentials(ctx) == -1 ||
	    check_tls(ctx) == -1 || cfg_oauth_defaults(ctx) == -1)
		return -1;
	return 0;
}

/*
 * Whoever may change the configuration runs commands as its reader
 * (password_command; the queue runner is often root) and picks where
 * mail and secrets go; whoever may change a secret file picks the
 * credentials. So neither may be writable by others, whatever it holds,
 * nor by a group other than root's or the one posta runs as (set-group-id:
 * the group of the spool, which only posta itself holds).
 */
int
cfg_check_writable(struct ctx *ctx, const char *path, const struct stat *st)
{
	mode_t m = st->st_mode;

	if ((m & S_IWOTH) == 0 &&
	    ((m & S_IWGRP) == 0 || st->st_gid == 0 || st->st_gid == getegid()))
		return 0;
	if (ctx->err.code != 0)
		return -1;
	ctx->errline = INT_MAX;
	return perr_set(&ctx->err, EX_CONFIG,
	    "%s: mode %04o lets other users "
	    "change it; chmod go-w %s",
	    path, (unsigned int)(m & 07777), path);
}

/* [upstream]'s secret files; [oauth]'s are cfg_oauth_files()'s. */
static int
check_secret_files(struct ctx *ctx)
{
	const char *paths[] = { ctx->cfg->password_file, ctx->cfg->key_file };
	struct stat st;
	size_t i;

	for (i = 0; i < nitems(paths); i++) {
		/* one not there now is left to the moment it is read */
		if (paths[i] == NULL || stat(paths[i], &st) == -1)
			continue;
		if (cfg_check_writable(ctx, paths[i], &st) == -1)
			return -1;
	}
	return 0;
}

/*
 * Like msmtp's check_secure: a password in a file others can read is
 * refused. Group access is allowed, for a set-group-id install.
 */
static int
check_mode(struct ctx *ctx, const struct stat *st)
{
	const char *what = cfg_key_line(ctx, "password") != 0 ? "a password" :
	    ctx->cfg->oauth.client_secret != NULL ? "a client secret" :
						    NULL;

	if (what == NULL || (st->st_mode & 007) == 0)
		return 0;
	return cfg_err_at(ctx, 0, EX_CONFIG,
	    "holds %s but is %s by others; "
	    "chmod 600 %s",
	    what,
	    (st->st_mode & S_IROTH)	? "readable" :
		(st->st_mode & S_IWOTH) ? "writable" :
					  "accessible",
	    ctx->file);
}

/*
 * Every failure to open or read the file is EX_CONFIG: for the caller
 * the configuration is unusable either way, and sendmail-style callers
 * know 78 as "fix the config". sysexits' EX_NOPERM is for higher-level
 * permissions and EX_NOINPUT for input data, so neither fits better.
 * O_NONBLOCK keeps a FIFO from hanging the open; regular files ignore it.
 */
static int
open_config(struct ctx *ctx, struct stat *st, int optional)
{
	int fd, saved;

	fd = open(ctx->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 && errno == ENOENT && optional)
		return 1;
	if (fd == -1) {
		cfg_err_at(ctx, 0, EX_CONFIG, "cannot open: %s",
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1) {
		saved = errno;
		cfg_err_at(ctx, 0, EX_CONFIG, "cannot open: %s",
		    strerror(saved));
		(void)close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		cfg_err_at(ctx, 0, EX_CONFIG,
		    "cannot open: not a regular "
		    "file");
		(void)close(fd);
		return -1;
	}
	if ((ctx->fp = fdopen(fd, "r")) == NULL) {
		cfg_err_at(ctx, 0, EX_OSERR, "cannot open: %s",
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *file, int check_secure,
    struct perr *err)
{
	return config_load_with(cfg, file, 0, NULL, 0, check_secure, err);
}

/*
 * The file (if any: a path, or in a stream already open), then the
 * settings over it, then the checks.
 */
static int
load(struct config *cfg, const char *file, FILE *given, int optional,
    const struct config_setting *set, size_t nset, int check_secure,
    struct perr *err)
{
	struct ctx ctx;
	struct stat st;
	char iobuf[BUFSIZ];
	int rc = -1, line, opened = 0;

	memset(cfg, 0, sizeof(*cfg));
	memset(&ctx, 0, sizeof(ctx));
	memset(&st, 0, sizeof(st));
	ctx.cfg = cfg;
	ctx.file = file != NULL ? file : "environment";
	cfg->timeout = DEFAULT_TIMEOUT;
	cfg->send_timeout = DEFAULT_SEND_TIMEOUT;
	cfg->delivery = DELIVERY_FOREGROUND;
	cfg->max_age = DEFAULT_MAX_AGE;
	cfg->syslog = 1;
	cfg->auth = AUTH_AUTO;
	cfg->tls_min_version = 12;
	cfg->listen.port = 25;
	cfg->listen.max_clients = 50;
	cfg->listen.max_commands = 10000;
	cfg->listen.timeout = 300;
	cfg->listen.max_size = 50LL * 1024 * 1024;
	if ((cfg->spooldir = strdup(SPOOLDIR)) == NULL) {
		cfg_nomem(&ctx);
		goto out;
	}
	if (given != NULL)
		ctx.fp = given;
	else if (file != NULL &&
	    (opened = open_config(&ctx, &st, optional)) == -1)
		goto out;
	if (ctx.fp != NULL && check_secure &&
	    cfg_check_writable(&ctx, file, &st) == -1)
		goto out;
	if (file != NULL && opened == 0 && (cfg->path = strdup(file)) == NULL) {
		cfg_nomem(&ctx);
		goto out;
	}
	/* our own stdio buffer, so the password in it can be wiped */
	if (ctx.fp != NULL && given == NULL &&
	    setvbuf(ctx.fp, iobuf, _IOFBF, sizeof(iobuf)) != 0) {
		cfg_nomem(&ctx);
		goto out;
	}
	line = 0;
	if (ctx.fp != NULL)
		line = ini_parse_stream(reader, &ctx, handler, &ctx);
	if (line == -2)
		cfg_nomem(&ctx);
	/* inih found a bad line before any line we refused */
	if (line > 0 && (ctx.err.code == 0 || line < ctx.errline)) {
		perr_clear(&ctx.err);
		cfg_err_at(&ctx, line, EX_CONFIG,
		    "syntax error; expected "
		    "\"[section]\" or \"key = value\"");
	}
	if (ctx.err.code != 0)
		goto out;
	if (ctx.fp != NULL && check_secure && check_mode(&ctx, &st) == -1)
		goto out;
	if (apply_settings(&ctx, set, nset) == -1)
		goto out;
	/* errors without a line blame the file, or else the environment */
	if (cfg->path == NULL)
		ctx.file = "environment";
	resolve_defaults(&ctx);
	if (check_config(&ctx) == -1)
		goto out;
	if (check_secure &&
	    (check_secret_files(&ctx) == -1 || cfg_oauth_files(&ctx) == -1))
		goto out;
	rc = 0;
out:
	if (ctx.fp != NULL && given == NULL)
		(void)fclose(ctx.fp);
	explicit_bzero(iobuf, sizeof(iobuf));
	if (rc == -1) {
		if (ctx.err.code == 0)
			cfg_err_at(&ctx, 0, EX_SOFTWARE, "cannot load");
		(void)perr_set(err, ctx.err.code, "%s", ctx.err.msg);
		config_free(cfg);
	}
	return rc;
}

int
config_load_with(struct config *cfg, const char *file, int optional,
    const struct config_setting *set, size_t nset, int check_secure,
    struct perr *err)
{
	return load(cfg, file, NULL, optional, set, nset, check_secure, err);
}

int
config_load_stream(struct config *cfg, FILE *fp, const char *name,
    struct perr *err)
{
	return load(cfg, name, fp, 0, NULL, 0, 0, err);
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
	free(cfg->cert_file);
	free(cfg->key_file);
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
	free(cfg->listen.address);
	free(cfg->listen.allow);
	explicit_bzero(cfg, sizeof(*cfg));
}

int
config_timeout(const struct config *cfg)
{
	int t = cfg->timeout > 0 ? cfg->timeout : DEFAULT_TIMEOUT;
	double left;

	if (cfg->deadline <= 0)
		return t;
	left = cfg->deadline - mono_now();
	if (left < 1)
		return 1; /* the wait fails soon; 0 would mean the default */
	/* rounded up: the step ends at most a second after the deadline */
	return left < t ? (int)left + 1 : t;
}

const char *
config_section_name(size_t i)
{
	return i < nitems(sections) ? sections[i] : NULL;
}

const char *
config_key_name(size_t i, const char **section)
{
	if (i >= nitems(cfg_keys))
		return NULL;
	*section = cfg_keys[i].section;
	return cfg_keys[i].name;
}

size_t
config_distance(const char *a, const char *b)
{
	return distance(a, b);
}
