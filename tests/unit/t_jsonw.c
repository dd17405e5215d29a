/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for jsonw.c: string escaping (quotes, backslash, control
 * characters, valid and invalid UTF-8), nesting, commas, and a round
 * trip through json.c's strict reader.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "jsonw.h"
#include "tap.h"

/* jsonw_str of len bytes of s, as a C string (static). */
static const char *
esc(const char *s, size_t len)
{
	static char out[1024];
	struct buf b;

	buf_init(&b, 1000);
	if (jsonw_str(&b, s, len) == -1)
		(void)strcpy(out, "(error)");
	else
		(void)snprintf(out, sizeof(out), "%s", buf_str(&b));
	buf_free(&b);
	return out;
}
#define ESC(lit)	esc((lit), sizeof(lit) - 1)

/* {"s": jsonw_str(s)} read back by json_get: 0 and the same bytes. */
static int
round_trip(const char *s)
{
	struct json_field f = { "s", JSON_STR, 0, 0, NULL, 0, 0 };
	struct perr err = { 0, "" };
	struct buf b;
	int same;

	buf_init(&b, 4096);
	if (buf_adds(&b, "{\"s\":") == -1 || jsonw_str(&b, s, strlen(s)) ==
	    -1 || buf_adds(&b, "}") == -1 ||
	    json_get(b.data, b.len, &f, 1, &err) == -1) {
		buf_free(&b);
		return 0;
	}
	same = f.found && strcmp(f.str, s) == 0;
	json_fields_free(&f, 1);
	buf_free(&b);
	return same;
}

int
main(void)
{
	struct jsonw w;
	struct buf b;
	char all[128];
	int i;

	is_str(ESC(""), "\"\"", "empty string");
	is_str(ESC("a@example.com"), "\"a@example.com\"", "plain ASCII as is");
	is_str(ESC("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"",
	    "quote and backslash escaped");
	is_str(ESC("a\nb\rc\td"), "\"a\\nb\\rc\\td\"", "\\n \\r \\t");
	is_str(ESC("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"",
	    "other control characters and DEL as \\u00XX");
	is_str(ESC("a\0b"), "\"a\\u0000b\"", "NUL inside: \\u0000");
	is_str(ESC("/<>'"), "\"/<>'\"", "nothing else escaped");
	is_str(ESC("j\xc3\xb6rg@\xe4\xbe\x8b.\xf0\x9f\x93\xa7"),
	    "\"j\xc3\xb6rg@\xe4\xbe\x8b.\xf0\x9f\x93\xa7\"",
	    "valid UTF-8 (2, 3, 4 bytes) kept");
	is_str(ESC("a\xff" "b"), "\"a\\ufffdb\"", "0xff: \\ufffd");
	is_str(ESC("\x80"), "\"\\ufffd\"", "stray continuation byte");
	is_str(ESC("\xc3"), "\"\\ufffd\"", "sequence cut short at the end");
	is_str(ESC("\xc3(x"), "\"\\ufffd(x\"", "sequence cut short inside");
	is_str(ESC("\xc0\xaf"), "\"\\ufffd\\ufffd\"", "overlong 2-byte '/'");
	is_str(ESC("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"",
	    "overlong 3-byte");
	is_str(ESC("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"",
	    "UTF-16 surrogate D800");
	is_str(ESC("\xf4\x90\x80\x80"),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "past U+10FFFF");
	is_str(ESC("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"",
	    "U+10FFFF itself kept");
	is_str(ESC("\xe2\x80\xa8"), "\"\xe2\x80\xa8\"",
	    "U+2028 kept (valid JSON)");

	/* every control character and ASCII, read back by the strict reader */
	for (i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	ok(round_trip(all), "U+0001-U+007F round trip through json_get");
	ok(round_trip("550 5.1.1 <\"odd \\ one\"@x>: no\tsuch"),
	    "a reply with quotes, backslash, tab round trips");
	ok(round_trip("\xe5\x90\x8d\xe5\x89\x8d@\xe4\xbe\x8b.jp"),
	    "UTF-8 round trips");

	buf_init(&b, 8);
	ok(jsonw_str(&b, "abcdefghij", 10) == -1 && errno == E2BIG,
	    "past the cap: -1, E2BIG");
	buf_free(&b);

	buf_init(&b, 4096);
	jsonw_init(&w, &b);
	jsonw_obj(&w, NULL);
	jsonw_kint(&w, "n", -3);
	jsonw_kstr(&w, "s", "x");
	jsonw_kstr(&w, "z", NULL);
	jsonw_arr(&w, "a");
	jsonw_obj(&w, NULL);
	jsonw_knull(&w, "k");
	jsonw_end(&w);
	jsonw_nl(&w);
	jsonw_kint(&w, NULL, 7);
	jsonw_arr(&w, NULL);
	jsonw_end(&w);
	jsonw_end(&w);
	jsonw_ktime(&w, "t", 1700000000);
	jsonw_end(&w);
	jsonw_nl(&w);
	ok(!jsonw_failed(&w), "document written");
	is_str(buf_str(&b), "{\"n\":-3,\"s\":\"x\",\"z\":null,\"a\":[{\"k\":"
	    "null},\n7,[]],\"t\":\"2023-11-14T22:13:20Z\"}\n",
	    "commas, names, nesting, null, ISO 8601 time");
	jsonw_end(&w);
	ok(jsonw_failed(&w), "closing more than was opened fails");
	buf_reset(&b);
	jsonw_init(&w, &b);
	for (i = 0; i < JSONW_MAX_DEPTH + 1; i++)
		jsonw_arr(&w, NULL);
	ok(jsonw_failed(&w), "nesting past JSONW_MAX_DEPTH fails");
	buf_free(&b);

	buf_init(&b, 10);
	jsonw_init(&w, &b);
	jsonw_obj(&w, NULL);
	jsonw_kstr(&w, "long", "0123456789");
	ok(jsonw_failed(&w), "past the buffer's cap: failed, sticky");
	buf_free(&b);
	return done_testing();
}
