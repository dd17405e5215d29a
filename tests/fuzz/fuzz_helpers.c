/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the helpers written once: duration_parse(),
 * b64_decode()/b64_encode(), b64_words() and str_blank_ctl(). Build
 * with "make fuzz", run as tests/fuzz/fuzz_helpers -max_total_time=60.
 * Besides memory errors it checks their promises: a duration is within
 * max, what decodes encodes back to as much base64 that decodes the
 * same, encoded words keep RFC 2047's 75 and 76 character limits and
 * decode to the text.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "util.h"

static void
check_duration(const char *s)
{
	long max[] = { 0, 59, 86400, 365L * 86400, LONG_MAX }, n;
	size_t i;

	for (i = 0; i < sizeof(max) / sizeof(max[0]); i++) {
		n = duration_parse(s, DUR_CONFIG, max[i]);
		if (n < -1 || n > max[i])
			abort();
		n = duration_parse(s, DUR_QUEUE, max[i]);
		if (n < -1 || n > max[i])
			abort();
	}
}

static void
check_b64(const char *s)
{
	unsigned char dec[4096], again[4096];
	char enc[8192];
	ssize_t n;

	if ((n = b64_decode(s, dec, sizeof(dec))) == -1)
		return;
	/* not strcmp(enc, s): unused bits after the last digit are ignored */
	if (b64_encode(dec, (size_t)n, enc, sizeof(enc)) == -1 ||
	    strlen(enc) != strlen(s) ||
	    b64_decode(enc, again, sizeof(again)) != n ||
	    memcmp(again, dec, (size_t)n) != 0)
		abort();
}

static void
check_words(const char *s)
{
	unsigned char dec[128];
	char w[128], *all;
	const char *p, *e, *line;
	struct buf b;
	size_t alllen = 0;
	ssize_t n;

	buf_init(&b, 1 << 20);
	if (b64_words(&b, s, 6) == -1 || b.data == NULL)
		goto out;
	for (line = b.data; line != NULL; line = e != NULL ? e + 2 : NULL) {
		e = strstr(line, "\r\n");
		if ((e != NULL ? (size_t)(e - line) : strlen(line)) +
		    (line == b.data ? 6 : 0) > 76)
			abort();
	}
	if ((all = malloc(strlen(s) + 1)) == NULL)
		goto out;
	for (p = strstr(b.data, "=?"); p != NULL; p = strstr(e, "=?")) {
		if (strncmp(p, "=?UTF-8?B?", 10) != 0 ||
		    (e = strstr(p + 10, "?=")) == NULL)
			abort();
		e += 2;
		if (e - p > 75 || e - p < 12)
			abort();
		memcpy(w, p + 10, (size_t)(e - p - 12));
		w[e - p - 12] = '\0';
		if ((n = b64_decode(w, dec, sizeof(dec))) <= 0 ||
		    alllen + (size_t)n > strlen(s))
			abort();
		memcpy(all + alllen, dec, (size_t)n);
		alllen += (size_t)n;
	}
	if (alllen != strlen(s) || memcmp(all, s, alllen) != 0)
		abort();
	free(all);
out:
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_duration(s);
	check_b64(s);
	check_words(s);
	str_blank_ctl(s);
	if (has_ctl(s))
		abort();
	free(s);
	return 0;
}
