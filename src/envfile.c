/* SPDX-License-Identifier: ISC */
/*
 * The envelope's text file format (described in envelope.h): writing
 * it through a small buffer, reading it line by line from a buffer or
 * an fd, strictly or, for what was set aside, leniently. Whatever
 * env_write() makes, env_read() takes.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "envelope.h"
#include "envpriv.h"
#include "posta.h"
#include "util.h"

#define ENV_MAGIC    "posta-envelope 2"
#define ENV_MAGIC_V1 "posta-envelope 1"
#define READ_LINE    (4096 + MAX_ADDR) /* version 1 reasons were longer */
#define READ_CHUNK   65536

_Static_assert(ENV_MAX_SIZE <= MAX_ENVELOPE,
    "MAX_ENVELOPE is smaller than the largest envelope env_write makes");
_Static_assert(READ_LINE >= ENV_MAX_LINE && READ_CHUNK > READ_LINE,
    "the reader must take the longest line the writer makes");

static const char *const state_names[] = { "pending", "done", "failed" };

/* A small write buffer so that a large envelope costs few syscalls. */
struct wbuf {
	int fd;
	size_t len;
	int failed;
	char buf[8192]; /* envelopes are small; fewer pages to touch */
};

static void
wb_flush(struct wbuf *w)
{
	if (!w->failed && w->len > 0 && write_all(w->fd, w->buf, w->len) == -1)
		w->failed = 1;
	w->len = 0;
}

static void
wb_put(struct wbuf *w, const char *s)
{
	size_t n;

	while (*s != '\0') {
		if (w->len == sizeof(w->buf))
			wb_flush(w);
		n = strlen(s);
		if (n > sizeof(w->buf) - w->len)
			n = sizeof(w->buf) - w->len;
		memcpy(w->buf + w->len, s, n);
		w->len += n;
		s += n;
	}
}

static void
wb_kv(struct wbuf *w, const char *key, const char *value)
{
	if (value == NULL)
		return;
	wb_put(w, key);
	wb_put(w, " ");
	wb_put(w, value);
	wb_put(w, "\n");
}

static void
wb_num(struct wbuf *w, const char *key, long long v)
{
	char num[32];

	(void)snprintf(num, sizeof(num), "%lld", v);
	wb_kv(w, key, num);
}

/* The fields that are not cut: a value beyond its bound is refused. */
static int
check_bounds(const struct envelope *e, struct perr *err)
{
	const char *dsn[] = { e->dsn_ret, e->dsn_envid, e->dsn_notify };
	size_t i;

	if (e->sender != NULL && strlen(e->sender) > MAX_ADDR)
		return perr_set(err, EX_DATAERR,
		    "envelope: sender longer "
		    "than %d octets",
		    MAX_ADDR);
	for (i = 0; i < nitems(dsn); i++)
		if (dsn[i] != NULL && strlen(dsn[i]) > ENV_MAX_DSN)
			return perr_set(err, EX_DATAERR,
			    "envelope: DSN "
			    "parameter longer than %d octets",
			    ENV_MAX_DSN);
	return 0;
}

int
env_write(const struct envelope *e, int fd, struct perr *err)
{
	char line[MAX_REASON + 1], num[16];
	struct wbuf *w = NULL;
	uint32_t *renum = NULL, used = 0, k;
	size_t i;
	int rc = -1;

	if (check_bounds(e, err) == -1)
		return -1;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (e->nreasons > 0 &&
		(renum = calloc(e->nreasons, sizeof(*renum))) == NULL)) {
		perr_set(err, EX_OSERR, "out of memory");
		goto out;
	}
	/* only the reasons some recipient has, numbered in table order */
	for (i = 0; i < e->nrcpts; i++)
		if (e->rcpts[i].reason != 0)
			renum[e->rcpts[i].reason - 1] = 1;
	for (k = 0; k < e->nreasons; k++)
		if (renum[k] != 0)
			renum[k] = ++used;

	w->fd = fd;
	wb_put(w, ENV_MAGIC "\n");
	wb_kv(w, "id", e->id);
	wb_num(w, "created", (long long)e->created);
	wb_put(w, "sender <");
	wb_put(w, e->sender != NULL ? e->sender : "");
	wb_put(w, ">\n");
	wb_num(w, "attempts", e->attempts);
	wb_num(w, "next-try", (long long)e->next_try);
	if (e->last_error != NULL) {
		env_cut_text(line, e->last_error);
		wb_kv(w, "last-error", line);
	}
	wb_kv(w, "body", e->body8bit ? "8bitmime" : "7bit");
	if (e->smtputf8)
		wb_kv(w, "smtputf8", "1");
	wb_kv(w, "dsn-ret", e->dsn_ret);
	wb_kv(w, "dsn-envid", e->dsn_envid);
	wb_kv(w, "dsn-notify", e->dsn_notify);
	for (k = 0; k < e->nreasons; k++) {
		if (renum[k] == 0)
			continue;
		(void)snprintf(num, sizeof(num), "%" PRIu32 " ", renum[k]);
		wb_put(w, "reason ");
		wb_put(w, num);
		wb_put(w, e->reasons[k]);
		wb_put(w, "\n");
	}
	for (i = 0; i < e->nrcpts; i++) {
		k = e->rcpts[i].reason;
		(void)snprintf(num, sizeof(num), " %" PRIu32 " <",
		    k == 0 ? 0 : renum[k - 1]);
		wb_put(w, "rcpt ");
		wb_put(w, state_names[e->rcpts[i].state]);
		wb_put(w, num);
		wb_put(w, e->rcpts[i].addr);
		wb_put(w, ">\n");
	}
	wb_put(w, "end\n");
	wb_flush(w);
	if (w->failed) {
		/* as with the message: the spool could not take it */
		perr_set(err, EX_CANTCREAT, "cannot write the envelope: %s",
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(renum);
	free(w);
	return rc;
}

/* The reading side: one line at a time, from a buffer or a file. */
struct parser {
	struct envelope *e;
	size_t lineno;
	int version; /* 1 or 2, from the first line */
	int ended;
	int lenient;	/* env_salvage: skip what is wrong */
	uint32_t *rmap; /* version 2: reason N -> index + 1 */
	size_t nrmap;
};

static int
parse_num(const char *s, long long max, long long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out < 0 || *out > max)
		return -1;
	return 0;
}

/* "<addr>" -> addr, in place. */
static char *
unangle(char *v)
{
	size_t n = strlen(v);

	if (n < 2 || v[0] != '<' || v[n - 1] != '>')
		return NULL;
	v[n - 1] = '\0';
	return v + 1;
}

/* The value of a string field that is not cut; NULL when too long. */
static const char *
bounded(const char *v, size_t max)
{
	return strlen(v) <= max ? v : NULL;
}

/* "N TEXT": a numbered reason of version 2. */
static int
parse_reason(struct parser *p, char *val, struct perr *err)
{
	long long n;
	char *text;

	if (p->version == 1)
		return p->e->nrcpts == 0 ?
		    -1 :
		    env_set_reason(p->e, p->e->nrcpts - 1, val, err);
	if ((text = strchr(val, ' ')) == NULL)
		return -1;
	*text++ = '\0';
	if (parse_num(val, ENV_MAX_REASONS, &n) == -1 ||
	    (size_t)n != p->nrmap + 1)
		return -1;
	if ((p->rmap == NULL &&
		(p->rmap = calloc(ENV_MAX_REASONS + 1, sizeof(*p->rmap))) ==
		    NULL) ||
	    (p->rmap[n] = env_intern(p->e, text)) == 0)
		return perr_set(err, EX_OSERR, "out of memory");
	p->nrmap = (size_t)n;
	return 0;
}

/* "STATE <addr>" (version 1) or "STATE N <addr>" (version 2). */
static int
parse_rcpt(struct parser *p, char *val, struct perr *err)
{
	struct envelope *e = p->e;
	long long n = 0;
	char *a, *num = NULL;
	int st;

	if ((a = strchr(val, ' ')) == NULL)
		return -1;
	*a++ = '\0';
	for (st = 0; st < (int)nitems(state_names); st++)
		if (strcmp(val, state_names[st]) == 0)
			break;
	if (st == (int)nitems(state_names))
		return -1;
	if (*a != '<') {
		num = a;
		if ((a = strchr(num, ' ')) == NULL)
			return -1;
		*a++ = '\0';
	}
	/* the form must be the version's; salvage takes either */
	if ((num != NULL) != (p->version == 2) && !p->lenient)
		return -1;
	if (num != NULL &&
	    (parse_num(num, ENV_MAX_REASONS, &n) == -1 ||
		(size_t)n > p->nrmap)) {
		if (!p->lenient)
			return -1;
		n = 0;
	}
	if ((a = unangle(a)) == NULL)
		return -1;
	/* a second line for one address: which one is right? */
	if (env_add_rcpt_new(e, a, err) != 0)
		return -1;
	e->rcpts[e->nrcpts - 1].state = (enum rcpt_state)st;
	e->rcpts[e->nrcpts - 1].reason = n == 0 ? 0 : p->rmap[n];
	return 0;
}

static int
parse_kv(struct parser *p, char *key, char *val, struct perr *err)
{
	struct envelope *e = p->e;
	char cut[MAX_REASON + 1];
	const char *v;
	long long n;

	if (strcmp(key, "id") == 0) {
		if (val[0] == '\0' || xstrlcpy(e->id, val, sizeof(e->id)) == -1)
			return -1;
	} else if (strcmp(key, "created") == 0 ||
	    strcmp(key, "next-try") == 0) {
		if (parse_num(val, INT64_MAX / 2, &n) == -1)
			return -1;
		if (key[0] == 'c')
			e->created = (time_t)n;
		else
			e->next_try = (time_t)n;
	} else if (strcmp(key, "attempts") == 0) {
		if (parse_num(val, INT_MAX, &n) == -1)
			return -1;
		e->attempts = (int)n;
	} else if (strcmp(key, "sender") == 0) {
		if ((v = unangle(val)) == NULL || bounded(v, MAX_ADDR) == NULL)
			return -1;
		return env_set_str(&e->sender, v, err);
	} else if (strcmp(key, "last-error") == 0) {
		env_cut_text(cut, val);
		return env_set_str(&e->last_error, cut, err);
	} else if (strcmp(key, "body") == 0) {
		if (strcmp(val, "8bitmime") != 0 && strcmp(val, "7bit") != 0)
			return -1;
		e->body8bit = val[0] == '8';
	} else if (strcmp(key, "smtputf8") == 0) {
		e->smtputf8 = strcmp(val, "1") == 0;
	} else if (strcmp(key, "dsn-ret") == 0 ||
	    strcmp(key, "dsn-envid") == 0 || strcmp(key, "dsn-notify") == 0) {
		if (bounded(val, ENV_MAX_DSN) == NULL)
			return -1;
		return env_set_str(key[4] == 'r' ? &e->dsn_ret :
			key[4] == 'e'		 ? &e->dsn_envid :
						   &e->dsn_notify,
		    val, err);
	} else if (strcmp(key, "rcpt") == 0) {
		return parse_rcpt(p, val, err);
	} else if (strcmp(key, "reason") == 0) {
		return p->lenient ? 0 : parse_reason(p, val, err);
	} else
		return -1;
	return 0;
}

/* One line, without its newline, NUL-terminated at line[n]. */
static int
parse_line(struct parser *p, char *line, size_t n, struct perr *err)
{
	char *val;

	p->lineno++;
	if (memchr(line, '\0', n) != NULL || p->ended)
		return -1;
	if (p->lineno == 1) {
		if (strcmp(line, ENV_MAGIC) == 0)
			p->version = 2;
		else if (strcmp(line, ENV_MAGIC_V1) == 0)
			p->version = 1;
		else
			return -1;
		return 0;
	}
	if (strcmp(line, "end") == 0) {
		p->ended = 1;
		return 0;
	}
	if ((val = strchr(line, ' ')) == NULL)
		return -1;
	*val++ = '\0';
	return parse_kv(p, line, val, err);
}

/*
 * A line that does not parse: the end for a strict parser (with err
 * naming it, unless a resource error was set), skipped by salvage.
 */
static int
line_failed(struct parser *p, struct perr *err, const struct perr *lerr)
{
	if (p->lenient)
		return 0;
	if (lerr->code != 0)
		return perr_set(err, lerr->code, "%s", lerr->msg);
	return perr_set(err, EX_DATAERR, "envelope line %zu invalid",
	    p->lineno);
}

static void
parser_init(struct parser *p, struct envelope *e, int lenient)
{
	memset(p, 0, sizeof(*p));
	memset(e, 0, sizeof(*e));
	p->e = e;
	p->lenient = lenient;
	if (lenient)
		p->version = 2;
}

/* Whole-file checks; the lookup table and spare capacity go. */
static int
parser_end(struct parser *p, struct perr *err)
{
	struct envelope *e = p->e;
	int rc = 0;

	free(p->rmap);
	p->rmap = NULL;
	env_compact(e);
	if (p->lenient)
		rc = e->sender == NULL ?
		    perr_set(err, EX_DATAERR, "no sender in the envelope") :
		    0;
	else if (!p->ended || e->id[0] == '\0' || e->sender == NULL)
		rc = perr_set(err, EX_DATAERR, "envelope incomplete");
	if (rc == -1 && !p->lenient)
		env_free(e);
	return rc;
}

int
env_parse(struct envelope *e, const char *buf, size_t len, struct perr *err)
{
	char line[READ_LINE + 1];
	struct perr lerr = { 0, "" };
	struct parser p;
	const char *s = buf, *end = buf + len, *nl;
	size_t n;

	parser_init(&p, e, 0);
	while (s < end) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL ||
		    (n = (size_t)(nl - s)) > READ_LINE) {
			p.lineno++;
			line_failed(&p, err, &lerr);
			goto bad;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		s = nl + 1;
		if (parse_line(&p, line, n, &lerr) == -1) {
			line_failed(&p, err, &lerr);
			goto bad;
		}
	}
	return parser_end(&p, err);
bad:
	free(p.rmap);
	env_free(e);
	return -1;
}

/* Stream fd through the parser; at most MAX_ENVELOPE octets. */
static int
read_lines(struct parser *p, int fd, struct perr *err)
{
	struct perr lerr = { 0, "" };
	size_t len = 0, start, total = 0;
	char *buf, *nl;
	ssize_t r;
	int rc = -1;

	if ((buf = malloc(READ_CHUNK)) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	for (;;) {
		r = read(fd, buf + len, READ_CHUNK - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			perr_set(err, EX_IOERR, "read envelope: %s",
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if ((total += (size_t)r) > MAX_ENVELOPE) {
			if (p->lenient)
				break;
			perr_set(err, EX_DATAERR, "envelope too large");
			goto out;
		}
		len += (size_t)r;
		start = 0;
		while ((nl = memchr(buf + start, '\n', len - start)) != NULL) {
			*nl = '\0';
			perr_clear(&lerr);
			if (parse_line(p, buf + start,
				(size_t)(nl - (buf + start)), &lerr) == -1 &&
			    line_failed(p, err, &lerr) == -1)
				goto out;
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (len > READ_LINE) {
			/* no line of ours is that long; salvage skips it */
			p->lineno++;
			if (line_failed(p, err, &lerr) == -1)
				goto out;
			len = 0;
		}
	}
	if (len > 0) {
		/* a last line without its newline: the file was cut */
		p->lineno++;
		perr_clear(&lerr);
		if (line_failed(p, err, &lerr) == -1)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

int
env_read(struct envelope *e, int fd, struct perr *err)
{
	struct parser p;

	parser_init(&p, e, 0);
	if (read_lines(&p, fd, err) == -1) {
		free(p.rmap);
		env_free(e);
		return -1;
	}
	return parser_end(&p, err);
}

int
env_salvage(struct envelope *e, int fd, struct perr *err)
{
	struct parser p;
	int rc;

	parser_init(&p, e, 1);
	rc = read_lines(&p, fd, err);
	if (parser_end(&p, err) == -1)
		rc = -1;
	return rc;
}
