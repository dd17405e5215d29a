/* SPDX-License-Identifier: ISC */
/*
 * Envelope records: building them, and the text file format described
 * in envelope.h. Values are single lines: control characters are
 * replaced when a value is set, so a hostile server reply cannot add
 * lines to the file.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "envelope.h"
#include "posta.h"
#include "util.h"

#define ENV_MAGIC	"posta-envelope 1"

static const char *const state_names[] = { "pending", "done", "failed" };

int
env_set_str(char **field, const char *value, struct perr *err)
{
	char *p;

	if (value == NULL) {
		free(*field);
		*field = NULL;
		return 0;
	}
	if ((p = strdup(value)) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	free(*field);
	*field = p;
	for (; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return 0;
}

int
env_set_sender(struct envelope *e, const char *sender, struct perr *err)
{
	return env_set_str(&e->sender, sender, err);
}

/*
 * Only the domain is folded: the local part is case-sensitive (RFC 5321
 * 2.4), and merging Bob@ with bob@ could lose a mailbox.
 */
static size_t
addr_hash(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t h = 5381;

	for (; *s != '\0'; s++)
		h = h * 33 + (size_t)(at != NULL && s > at ?
		    tolower((unsigned char)*s) : (unsigned char)*s);
	return h;
}

static int
addr_same(const char *a, const char *b)
{
	const char *ata = strrchr(a, '@'), *atb = strrchr(b, '@');

	if (ata == NULL || atb == NULL)
		return strcmp(a, b) == 0;
	return ata - a == atb - b && memcmp(a, b, (size_t)(ata - a)) == 0 &&
	    strcasecmp(ata, atb) == 0;
}

/* The table holds index + 1 of each recipient; 0 is an empty slot. */
static int
hash_grow(struct envelope *e)
{
	size_t ncap, i, j, *nh;

	ncap = e->hashcap == 0 ? 64 : e->hashcap * 2;
	if ((nh = calloc(ncap, sizeof(*nh))) == NULL)
		return -1;
	for (i = 0; i < e->nrcpts; i++) {
		j = addr_hash(e->rcpts[i].addr) & (ncap - 1);
		while (nh[j] != 0)
			j = (j + 1) & (ncap - 1);
		nh[j] = i + 1;
	}
	free(e->hash);
	e->hash = nh;
	e->hashcap = ncap;
	return 0;
}

int
env_add_rcpt(struct envelope *e, const char *addr, struct perr *err)
{
	struct env_rcpt *nr;
	size_t j, ncap;

	if (e->nrcpts * 2 >= e->hashcap && hash_grow(e) == -1)
		return perr_set(err, EX_OSERR, "out of memory");
	j = addr_hash(addr) & (e->hashcap - 1);
	for (; e->hash[j] != 0; j = (j + 1) & (e->hashcap - 1))
		if (addr_same(e->rcpts[e->hash[j] - 1].addr, addr))
			return 0;
	if (e->nrcpts >= MAX_RCPTS)
		return perr_set(err, EX_DATAERR,
		    "more than %d recipients", MAX_RCPTS);
	if (e->nrcpts == e->cap) {
		ncap = e->cap == 0 ? 8 : e->cap * 2;
		if ((nr = reallocarray(e->rcpts, ncap, sizeof(*nr))) == NULL)
			return perr_set(err, EX_OSERR, "out of memory");
		e->rcpts = nr;
		e->cap = ncap;
	}
	nr = &e->rcpts[e->nrcpts];
	memset(nr, 0, sizeof(*nr));
	if (env_set_str(&nr->addr, addr, err) == -1)
		return -1;
	nr->state = RCPT_PENDING;
	e->hash[j] = ++e->nrcpts;
	return 0;
}

size_t
env_count(const struct envelope *e, enum rcpt_state st)
{
	size_t i, n = 0;

	for (i = 0; i < e->nrcpts; i++)
		if (e->rcpts[i].state == st)
			n++;
	return n;
}

/* A small write buffer so that a large envelope costs few syscalls. */
struct wbuf {
	int	fd;
	size_t	len;
	int	failed;
	char	buf[8192];	/* envelopes are small; fewer pages to touch */
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

int
env_write(const struct envelope *e, int fd, struct perr *err)
{
	struct wbuf *w;
	size_t i;
	int rc = -1;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	w->fd = fd;
	wb_put(w, ENV_MAGIC "\n");
	wb_kv(w, "id", e->id);
	wb_num(w, "created", (long long)e->created);
	wb_put(w, "sender <");
	wb_put(w, e->sender != NULL ? e->sender : "");
	wb_put(w, ">\n");
	wb_num(w, "attempts", e->attempts);
	wb_num(w, "next-try", (long long)e->next_try);
	wb_kv(w, "last-error", e->last_error);
	wb_kv(w, "body", e->body8bit ? "8bitmime" : "7bit");
	if (e->smtputf8)
		wb_kv(w, "smtputf8", "1");
	wb_kv(w, "dsn-ret", e->dsn_ret);
	wb_kv(w, "dsn-envid", e->dsn_envid);
	wb_kv(w, "dsn-notify", e->dsn_notify);
	for (i = 0; i < e->nrcpts; i++) {
		wb_put(w, "rcpt ");
		wb_put(w, state_names[e->rcpts[i].state]);
		wb_put(w, " <");
		wb_put(w, e->rcpts[i].addr);
		wb_put(w, ">\n");
		wb_kv(w, "reason", e->rcpts[i].reason);
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
	free(w);
	return rc;
}

static int
parse_num(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *out < 0)
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

static int
parse_line(struct envelope *e, char *key, char *val, struct perr *err)
{
	long long n;
	char *a;
	int st;

	if (strcmp(key, "id") == 0) {
		if (xstrlcpy(e->id, val, sizeof(e->id)) == -1)
			return -1;
	} else if (strcmp(key, "created") == 0 || strcmp(key, "next-try") == 0 ||
	    strcmp(key, "attempts") == 0) {
		if (parse_num(val, &n) == -1 || n > INT64_MAX / 2)
			return -1;
		if (key[0] == 'c')
			e->created = (time_t)n;
		else if (key[0] == 'n')
			e->next_try = (time_t)n;
		else if (n <= INT_MAX)
			e->attempts = (int)n;
		else
			return -1;
	} else if (strcmp(key, "sender") == 0) {
		if ((a = unangle(val)) == NULL)
			return -1;
		return env_set_str(&e->sender, a, err);
	} else if (strcmp(key, "last-error") == 0) {
		return env_set_str(&e->last_error, val, err);
	} else if (strcmp(key, "body") == 0) {
		if (strcmp(val, "8bitmime") != 0 && strcmp(val, "7bit") != 0)
			return -1;
		e->body8bit = val[0] == '8';
	} else if (strcmp(key, "smtputf8") == 0) {
		e->smtputf8 = strcmp(val, "1") == 0;
	} else if (strcmp(key, "dsn-ret") == 0) {
		return env_set_str(&e->dsn_ret, val, err);
	} else if (strcmp(key, "dsn-envid") == 0) {
		return env_set_str(&e->dsn_envid, val, err);
	} else if (strcmp(key, "dsn-notify") == 0) {
		return env_set_str(&e->dsn_notify, val, err);
	} else if (strcmp(key, "rcpt") == 0) {
		if ((a = strchr(val, ' ')) == NULL)
			return -1;
		*a++ = '\0';
		for (st = 0; st < (int)nitems(state_names); st++)
			if (strcmp(val, state_names[st]) == 0)
				break;
		if (st == (int)nitems(state_names) || (a = unangle(a)) == NULL)
			return -1;
		if (env_add_rcpt(e, a, err) == -1)
			return -1;
		e->rcpts[e->nrcpts - 1].state = (enum rcpt_state)st;
	} else if (strcmp(key, "reason") == 0) {
		if (e->nrcpts == 0)
			return -1;
		return env_set_str(&e->rcpts[e->nrcpts - 1].reason, val, err);
	} else
		return -1;
	return 0;
}

int
env_parse(struct envelope *e, const char *buf, size_t len, struct perr *err)
{
	char line[4096 + MAX_ADDR], *val;
	const char *p = buf, *end = buf + len, *nl;
	size_t n, lineno = 0;
	int ended = 0;

	memset(e, 0, sizeof(*e));
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (n = (size_t)(nl - p)) >= sizeof(line) || ended)
			goto bad;
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl + 1;
		if (memchr(line, '\0', n) != NULL)
			goto bad;
		if (lineno == 1) {
			if (strcmp(line, ENV_MAGIC) != 0)
				goto bad;
			continue;
		}
		if (strcmp(line, "end") == 0) {
			ended = 1;
			continue;
		}
		if ((val = strchr(line, ' ')) == NULL)
			goto bad;
		*val++ = '\0';
		if (parse_line(e, line, val, err) == -1)
			goto bad;
	}
	if (!ended || e->id[0] == '\0' || e->sender == NULL) {
		lineno = 0;
		goto bad;
	}
	return 0;
bad:
	env_free(e);
	if (lineno == 0)
		return perr_set(err, EX_DATAERR, "envelope incomplete");
	return perr_set(err, EX_DATAERR, "envelope line %zu invalid", lineno);
}

int
env_read(struct envelope *e, int fd, struct perr *err)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_ENVELOPE) {
				perr_set(err, EX_DATAERR, "envelope too large");
				goto out;
			}
			cap = cap == 0 ? 4096 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				perr_set(err, EX_OSERR, "out of memory");
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			perr_set(err, EX_IOERR, "read envelope: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = env_parse(e, buf, len, err);
out:
	free(buf);
	return rc;
}

void
env_free(struct envelope *e)
{
	size_t i;

	for (i = 0; i < e->nrcpts; i++) {
		free(e->rcpts[i].addr);
		free(e->rcpts[i].reason);
	}
	free(e->rcpts);
	free(e->hash);
	free(e->sender);
	free(e->last_error);
	free(e->dsn_ret);
	free(e->dsn_envid);
	free(e->dsn_notify);
	memset(e, 0, sizeof(*e));
}
