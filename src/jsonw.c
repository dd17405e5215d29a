/* SPDX-License-Identifier: ISC */
/*
 * The JSON writer; see jsonw.h. What a queue listing holds comes from
 * the network and from users (addresses, server replies), so strings
 * are checked byte by byte: the output must parse whatever they hold.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else
		return 0; /* continuation byte, 0xc0, 0xc1, 0xf5-0xff */
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

int
jsonw_str(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i, n;
	int rc = 0;

	if (buf_addc(b, '"') == -1)
		return -1;
	for (i = 0; i < len && rc == 0; i += n) {
		n = 1;
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)p[i];
			rc = buf_add(b, esc, 2);
		} else if (p[i] == '\n')
			rc = buf_add(b, "\\n", 2);
		else if (p[i] == '\r')
			rc = buf_add(b, "\\r", 2);
		else if (p[i] == '\t')
			rc = buf_add(b, "\\t", 2);
		else if (p[i] < 0x20 || p[i] == 0x7f) {
			(void)snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			rc = buf_add(b, esc, 6);
		} else if (p[i] < 0x80)
			rc = buf_addc(b, (char)p[i]);
		else if ((n = utf8_len(p + i, len - i)) > 0)
			rc = buf_add(b, p + i, n);
		else {
			n = 1;
			rc = buf_add(b, "\\ufffd", 6);
		}
	}
	if (rc == 0)
		rc = buf_addc(b, '"');
	return rc;
}

void
jsonw_init(struct jsonw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

/* The comma and the member name before a value. */
static void
pre(struct jsonw *w, const char *key)
{
	if (w->failed)
		return;
	if (w->depth > 0 && w->more[w->depth - 1] && buf_addc(w->b, ',') == -1)
		w->failed = 1;
	if (!w->failed && w->nl && buf_addc(w->b, '\n') == -1)
		w->failed = 1;
	w->nl = 0;
	if (w->depth > 0)
		w->more[w->depth - 1] = 1;
	if (!w->failed && key != NULL &&
	    (jsonw_str(w->b, key, strlen(key)) == -1 ||
		buf_addc(w->b, ':') == -1))
		w->failed = 1;
}

static void
put(struct jsonw *w, const char *s)
{
	if (!w->failed && buf_adds(w->b, s) == -1)
		w->failed = 1;
}

/* Containers: the kind of each open one, to close it with its bracket. */
static void
open_one(struct jsonw *w, const char *key, char c)
{
	char s[2] = { c, '\0' };

	pre(w, key);
	if (w->depth >= JSONW_MAX_DEPTH) {
		w->failed = 1;
		return;
	}
	put(w, s);
	w->kind[w->depth] = c;
	w->more[w->depth] = 0;
	w->depth++;
}

void
jsonw_obj(struct jsonw *w, const char *key)
{
	open_one(w, key, '{');
}

void
jsonw_arr(struct jsonw *w, const char *key)
{
	open_one(w, key, '[');
}

void
jsonw_end(struct jsonw *w)
{
	if (w->depth == 0) {
		w->failed = 1;
		return;
	}
	w->depth--;
	if (w->nl)
		put(w, "\n");
	w->nl = 0;
	put(w, w->kind[w->depth] == '{' ? "}" : "]");
}

void
jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	pre(w, key);
	if (s == NULL)
		put(w, "null");
	else if (!w->failed && jsonw_str(w->b, s, strlen(s)) == -1)
		w->failed = 1;
}

void
jsonw_kint(struct jsonw *w, const char *key, long long v)
{
	char num[32];

	pre(w, key);
	(void)snprintf(num, sizeof(num), "%lld", v);
	put(w, num);
}

void
jsonw_knull(struct jsonw *w, const char *key)
{
	pre(w, key);
	put(w, "null");
}

void
jsonw_ktime(struct jsonw *w, const char *key, long long t)
{
	char stamp[40];
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		jsonw_knull(w, key);
		return;
	}
	jsonw_kstr(w, key, stamp);
}

void
jsonw_nl(struct jsonw *w)
{
	if (w->depth == 0)
		put(w, "\n");
	else
		w->nl = 1;
}

int
jsonw_failed(const struct jsonw *w)
{
	return w->failed;
}
