/* SPDX-License-Identifier: ISC */
/* The header walker: fields, folding, obsolete syntax, where it stops. */
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "tap.h"

int
main(void)
{
	const char sec[] = "From: a@b\r\nSubject: one\r\n two\r\n\tthree\r\n"
	    "X-Odd : v\r\nTo:x@y\r\n";
	struct header_field f;
	size_t pos = 0;
	char *v;

	ok(header_line_is_field("Subject: x", 10), "simple field");
	ok(header_line_is_field("X-A:", 4), "empty value");
	ok(header_line_is_field("Subject : x", 11), "blank before colon");
	ok(!header_line_is_field(": x", 3), "no name");
	ok(!header_line_is_field(" Subject: x", 11), "continuation is not a field");
	ok(!header_line_is_field("hello world", 11), "text line");
	ok(!header_line_is_field("Sub ject: x", 11), "blank inside the name");
	ok(!header_line_is_field("Subj\xc3\xa9: x", 10), "8-bit name");
	ok(!header_line_is_field("From me@x Mon", 13), "mbox separator");

	ok(header_next(sec, strlen(sec), &pos, &f) == 1, "first field");
	ok(header_is(&f, "from") && header_is(&f, "FROM"), "names ignore case");
	is_mem(f.raw, f.rawlen, "From: a@b\r\n", 11, "raw bytes");
	ok(header_next(sec, strlen(sec), &pos, &f) == 1, "folded field");
	is_mem(f.raw, f.rawlen, "Subject: one\r\n two\r\n\tthree\r\n", 28,
	    "continuation lines belong to it");
	v = header_unfold(f.value, f.valuelen);
	is_str(v, "one two\tthree", "unfolded and trimmed");
	free(v);
	ok(header_next(sec, strlen(sec), &pos, &f) == 1 &&
	    header_is(&f, "X-Odd"), "name before a blank-colon is trimmed");
	ok(header_next(sec, strlen(sec), &pos, &f) == 1 && header_is(&f, "To"),
	    "no space after colon");
	v = header_unfold(f.value, f.valuelen);
	is_str(v, "x@y", "value");
	free(v);
	ok(header_next(sec, strlen(sec), &pos, &f) == 0, "end of section");
	/* found by fuzz_header: the blank before a NUL stayed */
	v = header_unfold(" a \0b", 5);
	is_str(v, "a", "a NUL ends the value, which is trimmed before it");
	free(v);

	pos = 0;
	ok(header_next("body text\r\n", 11, &pos, &f) == 0,
	    "a non-field line stops the walk");
	pos = 0;
	ok(header_next("A: 1\nB: 2\n", 10, &pos, &f) == 1 &&
	    f.rawlen == 5, "bare LF lines work too");
	return done_testing();
}
