/* SPDX-License-Identifier: ISC */
/*
 * The delivery log line; see dlog.h. Values come from users (addresses)
 * and from the network (replies): whatever they hold, the line stays
 * one line, and a value can be told from the next one. The line is
 * bounded: addresses and replies are cut (with "...") well before
 * DLOG_MAX_LINE, which log.c can carry whole.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dlog.h"
#include "log.h"

/* A line being written: cut at cap - 1 octets, always NUL-terminated. */
struct line {
	char *p;
	size_t len, cap;
};

static void
add(struct line *l, const char *s, size_t n)
{
	if (l->len + 1 >= l->cap)
		return;
	if (n > l->cap - 1 - l->len)
		n = l->cap - 1 - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

static void
adds(struct line *l, const char *s)
{
	add(l, s, strlen(s));
}

/* n, or less so as not to split a UTF-8 sequence at s[n]. */
static size_t
cut_at(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static int
needs_quotes(const char *v, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f || v[i] == '"' ||
		    v[i] == '\\')
			return 1;
	return 0;
}

/* " key=value", at most max octets of v, quoted where needed. */
static void
kv(struct line *l, const char *key, const char *v, size_t max)
{
	size_t n = strlen(v), i;
	int cut = 0, q;
	char hex[8];

	if (n > max) {
		n = cut_at(v, max);
		cut = 1;
	}
	q = needs_quotes(v, n);
	adds(l, " ");
	adds(l, key);
	adds(l, q ? "=\"" : "=");
	for (i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\') {
			add(l, "\\", 1);
			add(l, v + i, 1);
		} else if ((unsigned char)v[i] < ' ' || v[i] == 0x7f) {
			(void)snprintf(hex, sizeof(hex), "\\x%02x",
			    (unsigned char)v[i]);
			adds(l, hex);
		} else
			add(l, v + i, 1);
	}
	if (cut)
		adds(l, "...");
	if (q)
		adds(l, "\"");
}

/* "<addr>" into buf (DLOG_MAX_ADDR + 8 octets), cut with "..." when long. */
static size_t
angle(char *buf, size_t cap, const char *addr)
{
	size_t n = strlen(addr), k;
	int w;

	k = n > DLOG_MAX_ADDR ? cut_at(addr, DLOG_MAX_ADDR) : n;
	w = snprintf(buf, cap, "<%.*s%s>", (int)k, addr, k < n ? "..." : "");
	return w < 0 ? 0 : (size_t)w < cap ? (size_t)w : cap - 1;
}

static void
kv_int(struct line *l, const char *key, long long v)
{
	char num[32];

	(void)snprintf(num, sizeof(num), "%lld", v);
	kv(l, key, num, sizeof(num));
}

const char *
dlog_status(const struct dlog *d)
{
	if (d->ndeferred > 0)
		return "deferred";
	if (d->nbounced > 0)
		return "bounced";
	return "sent";
}

/* How many digits (at most 3) start q. */
static size_t
digits(const char *q)
{
	size_t n = 0;

	while (n < 3 && isdigit((unsigned char)q[n]))
		n++;
	return n;
}

/*
 * The first reply code in s, at its start or after a blank, and the
 * enhanced status code right after it ("550 5.1.1"), if any, in esc
 * (16 octets). Returns the code's class digit, or 0 when there is none.
 */
static char
find_code(const char *s, char *esc)
{
	const char *p, *q, *end;
	size_t n1, n2, n3;

	esc[0] = '\0';
	for (p = s; *p != '\0'; p++) {
		if ((p != s && p[-1] != ' ') || strchr("245", *p) == NULL ||
		    digits(p) != 3 || (p[3] != ' ' && p[3] != '\0'))
			continue;
		if (p[3] == '\0')
			return *p;
		/* class (the code's), subject and detail: "5.1.1" */
		q = p + 4;
		if (q[0] == p[0] && q[1] == '.' && (n1 = digits(q + 2)) > 0 &&
		    q[2 + n1] == '.' && (n2 = digits(q + 3 + n1)) > 0) {
			end = q + 3 + n1 + n2;
			n3 = (size_t)(end - q);
			if (!isdigit((unsigned char)*end) && n3 < 16) {
				memcpy(esc, q, n3);
				esc[n3] = '\0';
			}
		}
		return *p;
	}
	return 0;
}

void
dlog_dsn(const char *status, const char *reply, char *out, size_t cap)
{
	char esc[16], want, cls;

	want = status[0] == 's' ? '2' : status[0] == 'd' ? '4' : '5';
	cls = find_code(reply != NULL ? reply : "", esc);
	if (want == '5' && cls != '5')
		(void)snprintf(out, cap, "4.4.7"); /* expired */
	else if (esc[0] != '\0')
		(void)snprintf(out, cap, "%c%s", want, esc + 1);
	else
		(void)snprintf(out, cap, "%c.0.0", want);
}

const char *
dlog_format(const struct dlog *d, char *buf, size_t cap)
{
	struct line l = { buf, 0, cap };
	char tmp[DLOG_SHOW * (DLOG_MAX_ADDR + 8) + 8], dsn[16], num[64];
	const char *status = dlog_status(d);
	size_t i, len = 0;
	int mixed;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	adds(&l, d->id);
	adds(&l, ":");
	(void)angle(tmp, sizeof(tmp), d->from);
	kv(&l, "from", tmp, sizeof(tmp));
	tmp[0] = '\0';
	for (i = 0; i < d->nto && i < DLOG_SHOW; i++) {
		if (i > 0)
			tmp[len++] = ',';
		len += angle(tmp + len, sizeof(tmp) - len, d->to[i]);
	}
	kv(&l, "to", tmp, sizeof(tmp));
	if (d->nto > DLOG_SHOW)
		kv_int(&l, "more", (long long)(d->nto - DLOG_SHOW));
	kv_int(&l, "size", d->size);
	/* an IPv6 literal in brackets, so that the port stays apart */
	(void)snprintf(tmp, sizeof(tmp),
	    strchr(d->host, ':') != NULL ? "[%.*s]:%d" : "%.*s:%d",
	    DLOG_MAX_ADDR, d->host, d->port);
	kv(&l, "relay", tmp, sizeof(tmp));
	kv(&l, "tls", d->tls != NULL && d->tls[0] != '\0' ? d->tls : "none",
	    32);
	kv(&l, "auth", d->auth != NULL ? d->auth : "none", 32);
	(void)snprintf(num, sizeof(num), "%.2f", d->delay > 0 ? d->delay : 0.0);
	kv(&l, "delay", num, sizeof(num));
	kv_int(&l, "attempt", d->attempt);
	kv(&l, "status", status, 16);
	dlog_dsn(status, status[0] == 's' ? d->sent : d->reply, dsn,
	    sizeof(dsn));
	kv(&l, "dsn", dsn, sizeof(dsn));
	if (status[0] == 's' && d->sent[0] != '\0')
		kv(&l, "reply", d->sent, DLOG_MAX_REPLY);
	else if (status[0] != 's' && d->reply != NULL && d->reply[0] != '\0')
		kv(&l, "reply", d->reply, DLOG_MAX_REPLY);
	/* recipients that fared differently: how many of each */
	mixed = (d->nsent > 0) + (d->ndeferred > 0) + (d->nbounced > 0) > 1;
	if (mixed) {
		kv_int(&l, "sent", (long long)d->nsent);
		kv_int(&l, "deferred", (long long)d->ndeferred);
		kv_int(&l, "bounced", (long long)d->nbounced);
		if (d->nsent > 0 && d->sent[0] != '\0')
			kv(&l, "sent_reply", d->sent, DLOG_MAX_REPLY);
	}
	return buf;
}

const char *
dlog_intake_format(const struct dlog_intake *d, char *buf, size_t cap)
{
	struct line l = { buf, 0, cap };
	char tmp[DLOG_MAX_ADDR + 8];

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	adds(&l, d->id);
	adds(&l, ": intake");
	kv_int(&l, "uid", d->uid);
	if (d->user != NULL && d->user[0] != '\0')
		kv(&l, "user", d->user, DLOG_MAX_ADDR);
	(void)angle(tmp, sizeof(tmp), d->from);
	kv(&l, "from", tmp, sizeof(tmp));
	kv_int(&l, "nrcpt", (long long)d->nrcpt);
	kv_int(&l, "size", d->size);
	if (d->client != NULL)
		kv(&l, "client", d->client, DLOG_MAX_ADDR);
	return buf;
}

void
dlog_begin(struct dlog *d, const struct spool_entry *ent)
{
	const struct envelope *e = &ent->env;
	struct stat st;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->id = ent->id;
	d->from = e->sender;
	for (i = 0; i < e->nrcpts; i++) {
		if (e->rcpts[i].state != RCPT_PENDING)
			continue;
		if (d->nto < DLOG_SHOW)
			d->to[d->nto] = e->rcpts[i].addr;
		d->nto++;
	}
	d->size = (long long)ent->size;
	d->attempt = e->attempts < INT_MAX ? e->attempts + 1 : INT_MAX;
	d->done0 = env_count(e, RCPT_DONE);
	d->failed0 = env_count(e, RCPT_FAILED);
	/* the message file is never rewritten: its time is the intake's end */
	if (ent->fd != -1 && fstat(ent->fd, &st) == 0)
		d->intake = (double)st.st_mtim.tv_sec +
		    (double)st.st_mtim.tv_nsec / 1e9;
	else
		d->intake = (double)e->created;
}

void
dlog_sent(struct dlog *d, const struct esmtp_reply *r)
{
	(void)esmtp_reply_line(r, d->sent, sizeof(d->sent));
}

void
dlog_end(struct dlog *d, const struct spool_entry *ent, const char *host,
    int port, const struct smtp *s, const char *why)
{
	const struct envelope *e = &ent->env;
	struct timespec now;
	char line[DLOG_MAX_LINE];

	if (clock_gettime(CLOCK_REALTIME, &now) == 0)
		d->delay = (double)now.tv_sec + (double)now.tv_nsec / 1e9 -
		    d->intake;
	d->nsent = env_count(e, RCPT_DONE) - d->done0;
	d->nbounced = env_count(e, RCPT_FAILED) - d->failed0;
	d->ndeferred = env_count(e, RCPT_PENDING);
	d->host = host;
	d->port = port;
	d->tls = s->tls_version;
	d->auth = s->auth_mech;
	d->reply = why;
	(void)dlog_format(d, line, sizeof(line));
	if (strcmp(dlog_status(d), "bounced") == 0)
		log_warnx("%s", line);
	else
		log_info("%s", line);
}
