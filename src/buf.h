/* SPDX-License-Identifier: ISC */
/*
 * The one growable buffer and the one string vector of the tree. Both
 * carry a hard cap set at init, so no input can make them grow without
 * bound (curl's dynbuf "toobig" idea).
 */
#ifndef POSTA_BUF_H
#define POSTA_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "posta.h"

/* Bytes, always NUL-terminated after the last one (data may be NULL while empty). */
struct buf {
	char *data;
	size_t len;
	size_t cap; /* allocated */
	size_t max; /* len never exceeds this */
};

/* Start empty with a cap of max bytes. */
void buf_init(struct buf *b, size_t max);

/*
 * Allocate the whole cap now, for a buffer that is to hold secrets:
 * growing by realloc would leave copies of them in freed memory, out of
 * reach of buf_wipe(). -1 with errno ENOMEM, b unchanged.
 */
int buf_prealloc(struct buf *b);

/* Append; -1 with errno E2BIG past the cap or ENOMEM, b unchanged. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) PRINTF(2, 3);

/* The contents as a C string; "" while empty. */
const char *buf_str(const struct buf *b);

/* Forget the contents, keep the memory. */
void buf_reset(struct buf *b);

/* Keep only the first len bytes; len past the end changes nothing. */
void buf_truncate(struct buf *b, size_t len);

/* Hand the contents over (caller frees; NULL when empty) and reset b. */
char *buf_take(struct buf *b);

/* Release; buf_wipe first overwrites what was allocated (secrets). */
void buf_free(struct buf *b);
void buf_wipe(struct buf *b);

/* Owned, NUL-terminated copies of strings; v[n] is NULL. */
struct strvec {
	char **v;
	size_t n;
	size_t cap;
	size_t max; /* n never exceeds this */
};

void strvec_init(struct strvec *sv, size_t max);

/* Append a copy of s (of n bytes for _n); -1 with errno E2BIG or ENOMEM. */
int strvec_push(struct strvec *sv, const char *s);
int strvec_push_n(struct strvec *sv, const char *s, size_t n);

void strvec_free(struct strvec *sv);

#endif /* POSTA_BUF_H */
