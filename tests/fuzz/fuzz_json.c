/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for json.c. Build and run (clang only):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_DEFAULT_SOURCE \
 *       -Isrc -o fuzz_json tests/fuzz/fuzz_json.c src/json.c src/perr.c
 *   ./fuzz_json -max_total_time=60 -max_len=70000
 * Besides memory errors it checks the promises json.h makes: taken
 * strings are NUL-free, within their cap and valid UTF-8; a failure
 * leaves every field reset; the result does not depend on the caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "posta.h"
#include "json.h"

#define NF	5

static void
fields_init(struct json_field *f, size_t strmax)
{
	memset(f, 0, NF * sizeof(*f));
	f[0].name = "access_token";
	f[0].kind = JSON_STR;
	f[0].max = strmax;
	f[1].name = "expires_in";
	f[1].kind = JSON_INT;
	f[2].name = "error";
	f[2].kind = JSON_STR;
	f[2].max = strmax;
	f[3].name = "a";		/* short names are what mutations hit */
	f[3].kind = JSON_STR;
	f[3].max = strmax;
	f[4].name = "b";
	f[4].kind = JSON_INT;
}

/* Well-formed UTF-8 without surrogates or overlong forms (RFC 3629). */
static int
utf8_ok(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (len - i < n)
			return 0;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

static void
check(const struct json_field *f, int rc, size_t strmax)
{
	size_t i;

	for (i = 0; i < NF; i++) {
		if (rc == -1 && (f[i].found || f[i].str != NULL))
			abort();
		if (f[i].kind == JSON_INT || !f[i].found) {
			if (f[i].str != NULL)
				abort();
			continue;
		}
		if (f[i].str == NULL || strlen(f[i].str) != f[i].len ||
		    f[i].len > (strmax != 0 ? strmax : JSON_MAX_STRING) ||
		    !utf8_ok((const unsigned char *)f[i].str, f[i].len))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_field f[NF], g[NF];
	struct perr err = { 0, "" }, err2 = { 0, "" };
	int rc, rc2;
	size_t i;

	fields_init(f, 0);
	rc = json_get(data, size, f, NF, &err);
	if ((rc == 0) != (err.code == 0) || (rc != 0 && rc != -1))
		abort();
	check(f, rc, 0);

	/* a large cap must not change the verdict on the grammar */
	fields_init(g, JSON_MAX_DOC);
	rc2 = json_get(data, size, g, NF, &err2);
	check(g, rc2, JSON_MAX_DOC);
	if (rc == 0 && rc2 != 0)
		abort();
	for (i = 0; rc == 0 && i < NF; i++)
		if (f[i].found != g[i].found || f[i].num != g[i].num ||
		    f[i].len != g[i].len ||
		    (f[i].str != NULL && memcmp(f[i].str, g[i].str, f[i].len)))
			abort();
	json_fields_free(f, NF);
	json_fields_free(g, NF);
	return 0;
}
