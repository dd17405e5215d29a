/* SPDX-License-Identifier: ISC */
/*
 * Capped growable buffer and string vector; see buf.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* Room for n more bytes plus the NUL; doubles, but never past max + 1. */
static int
buf_reserve(struct buf *b, size_t n)
{
	size_t want, ncap;
	char *nd;

	if (n > b->max - b->len) {
		errno = E2BIG;
		return -1;
	}
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > (b->max + 1) / 2 ? b->max + 1 : ncap * 2;
	if ((nd = realloc(b->data, ncap)) == NULL)
		return -1;
	b->data = nd;
	b->cap = ncap;
	return 0;
}

int
buf_prealloc(struct buf *b)
{
	return buf_reserve(b, b->max - b->len);
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	b->len += (size_t)n;
	return 0;
}

const char *
buf_str(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

char *
buf_take(struct buf *b)
{
	char *p = b->data;

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

void
strvec_init(struct strvec *sv, size_t max)
{
	memset(sv, 0, sizeof(*sv));
	sv->max = max;
}

int
strvec_push_n(struct strvec *sv, const char *s, size_t n)
{
	char **nv, *c;
	size_t ncap;

	if (sv->n >= sv->max) {
		errno = E2BIG;
		return -1;
	}
	if (sv->n + 2 > sv->cap) {
		ncap = sv->cap ? sv->cap * 2 : 8;
		if ((nv = reallocarray(sv->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		sv->v = nv;
		sv->cap = ncap;
	}
	if ((c = malloc(n + 1)) == NULL)
		return -1;
	memcpy(c, s, n);
	c[n] = '\0';
	sv->v[sv->n++] = c;
	sv->v[sv->n] = NULL;
	return 0;
}

int
strvec_push(struct strvec *sv, const char *s)
{
	return strvec_push_n(sv, s, strlen(s));
}

void
strvec_free(struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
