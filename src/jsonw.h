/* SPDX-License-Identifier: ISC */
/*
 * A JSON writer (RFC 8259) for what posta prints for scripts (posta
 * -bp --json): any bytes in, valid JSON out. Pure: it appends to a
 * capped struct buf, which the caller empties where it likes (between
 * two entries of a listing, say); the nesting state stays here.
 */
#ifndef POSTA_JSONW_H
#define POSTA_JSONW_H

#include <stddef.h>

#include "buf.h"

#define JSONW_MAX_DEPTH 16

struct jsonw {
	struct buf *b;
	int depth;
	char kind[JSONW_MAX_DEPTH];	     /* '{' or '[' at each depth */
	unsigned char more[JSONW_MAX_DEPTH]; /* a value came at this depth */
	int nl;	    /* a line break before the next value */
	int failed; /* sticky: no room, or bad nesting */
};

/*
 * Append s (len bytes) as a JSON string with its quotes. '"', '\' and
 * the control characters U+0000-U+001F and U+007F are escaped (\n, \t,
 * ... or \u00XX); valid UTF-8 is kept as it is; each byte of an invalid
 * sequence (a stray continuation byte, a sequence cut short, an overlong
 * form, a surrogate, a code point past U+10FFFF) becomes \ufffd, so
 * the result is always valid UTF-8. Returns 0, or -1 with errno (E2BIG
 * past the buffer's cap), b then holding part of it.
 */
int jsonw_str(struct buf *b, const char *s, size_t len);

/* Start writing into b. */
void jsonw_init(struct jsonw *w, struct buf *b);

/*
 * Values. key names the member inside an object and is NULL inside an
 * array or at the top. A NULL string is written as null. Errors are
 * sticky: check jsonw_failed() once at the end.
 */
void jsonw_obj(struct jsonw *w, const char *key); /* opens { */
void jsonw_arr(struct jsonw *w, const char *key); /* opens [ */
void jsonw_end(struct jsonw *w);		  /* closes } or ] */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, long long v);
void jsonw_knull(struct jsonw *w, const char *key);

/* An ISO 8601 date-time in UTC, "2026-11-23T09:30:00Z". */
void jsonw_ktime(struct jsonw *w, const char *key, long long t);

/*
 * A line break before the next value or closing bracket (after the
 * comma), or at once at the top level: for the human who looks.
 */
void jsonw_nl(struct jsonw *w);

/* 1 when something could not be written or the nesting was wrong. */
int jsonw_failed(const struct jsonw *w);

#endif /* POSTA_JSONW_H */
