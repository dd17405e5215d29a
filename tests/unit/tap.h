/* SPDX-License-Identifier: ISC */
/*
 * A tiny TAP producer for the unit tests: ok(), is_int(), is_str(),
 * is_mem(), done_testing(). Each test binary prints "1..N" at the end.
 */
#ifndef POSTA_TAP_H
#define POSTA_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, __VA_ARGS__))					\
		fprintf(stderr, "#   got %lld, want %lld\n", g_, w_);	\
} while (0)
#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int same_ = (g_ == NULL && w_ == NULL) ||			\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	if (!ok(same_, __VA_ARGS__))					\
		fprintf(stderr, "#   got \"%s\", want \"%s\"\n",	\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)
#define is_mem(got, glen, want, wlen, ...) do {				\
	size_t gl_ = (glen), wl_ = (wlen);				\
	if (!ok(gl_ == wl_ && memcmp((got), (want), gl_) == 0,		\
	    __VA_ARGS__))						\
		fprintf(stderr, "#   got %zu bytes \"%.*s\", want %zu "	\
		    "bytes \"%.*s\"\n", gl_, (int)gl_, (const char *)(got), \
		    wl_, (int)wl_, (const char *)(want));		\
} while (0)

static int __attribute__((__format__(__printf__, 4, 5)))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_fail++;
		fprintf(stderr, "#   failed at %s:%d\n", file, line);
	}
	return pass;
}

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail == 0 ? 0 : 1;
}

#endif /* POSTA_TAP_H */
