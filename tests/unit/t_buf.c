/* SPDX-License-Identifier: ISC */
/* Unit tests for buf.c: the capped buffer and the string vector. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf	 b;
	struct strvec	 sv;
	char		*p;
	int		 i;

	buf_init(&b, 10);
	is_str(buf_str(&b), "", "empty buffer reads as \"\"");
	ok(buf_adds(&b, "hello") == 0, "add within the cap");
	ok(buf_printf(&b, "%d", 1234) == 0, "printf within the cap");
	is_str(buf_str(&b), "hello1234", "contents");
	ok(buf_adds(&b, "xy") == -1 && errno == E2BIG, "past the cap: E2BIG");
	is_str(buf_str(&b), "hello1234", "unchanged after a refused add");
	ok(buf_addc(&b, '!') == 0 && b.len == 10, "exactly the cap");
	ok(buf_printf(&b, "%s", "z") == -1, "printf past the cap refused");
	buf_truncate(&b, 5);
	is_str(buf_str(&b), "hello", "truncate keeps the first bytes");
	buf_truncate(&b, 50);
	is_str(buf_str(&b), "hello", "truncate past the end: no change");
	buf_reset(&b);
	is_int(b.len, 0, "reset");
	ok(buf_add(&b, "a\0b", 3) == 0 && b.len == 3 && b.data[3] == '\0',
	    "binary bytes, NUL after");
	p = buf_take(&b);
	ok(p != NULL && memcmp(p, "a\0b", 3) == 0 && b.data == NULL,
	    "take hands over");
	free(p);
	buf_wipe(&b);

	buf_init(&b, 1 << 20);
	for (i = 0; i < 100000; i++)
		if (buf_addc(&b, 'x') == -1)
			break;
	is_int(b.len, 100000, "grows by doubling");
	buf_free(&b);

	/* a buffer for secrets: allocated once, never moved by a realloc */
	buf_init(&b, 5000);
	ok(buf_adds(&b, "ab") == 0 && buf_prealloc(&b) == 0, "prealloc");
	ok(b.cap == 5001 && strcmp(buf_str(&b), "ab") == 0,
	    "the whole cap and its NUL, contents kept");
	p = b.data;
	for (i = 0; i < 4998; i++)
		if (buf_addc(&b, 'x') == -1)
			break;
	ok(b.len == 5000 && b.data == p, "filled to the cap in place");
	ok(buf_addc(&b, 'x') == -1 && errno == E2BIG, "the cap still holds");
	buf_wipe(&b);

	strvec_init(&sv, 3);
	ok(strvec_push(&sv, "a") == 0 && strvec_push_n(&sv, "bcd", 2) == 0,
	    "push");
	ok(strvec_push(&sv, "c") == 0, "push to the cap");
	ok(strvec_push(&sv, "d") == -1 && errno == E2BIG, "past the cap");
	is_str(sv.v[1], "bc", "push_n copies n bytes");
	ok(sv.v[sv.n] == NULL, "NULL-terminated");
	strvec_free(&sv);
	return done_testing();
}
