/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for header fields: header.c (walking a header
 * section, unfolding) and qualify.c (bare names in address fields get
 * "@domain"). Build with "make fuzz" (clang), run as
 *   tests/fuzz/fuzz_header -max_total_time=60 -max_len=8192
 * The input is a header section as intake holds it. Besides memory
 * errors it checks: the fields header_next() returns tile the section
 * from its start, each one's name (printable, no colon) and value lie
 * inside its raw bytes; an unfolded value has no CR or LF and no white
 * space at either end; a qualified value is the input with "@domain"
 * inserted and no other byte changed (folding, comments and display
 * names stay as they were), and qualifying it again changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"
#include "posta.h"
#include "qualify.h"

#define DOMAIN	"example.org"

/* out is value with "@" DOMAIN inserted at some places, nothing else. */
static void
check_inserted(const char *value, size_t len, const struct buf *out)
{
	const char *ins = "@" DOMAIN;
	size_t il = strlen(ins), i = 0, o = 0, n = 0;

	while (o < out->len) {
		if (i < len && out->data[o] == value[i]) {
			i++;
			o++;
			continue;
		}
		if (out->len - o < il || memcmp(out->data + o, ins, il) != 0)
			abort();
		o += il;
		n++;
	}
	if (i != len || n == 0)
		abort();
}

static void
check_qualify(const char *value, size_t len)
{
	struct buf out, again;
	int rc;

	buf_init(&out, 4 * len + 1024);
	buf_init(&again, 8 * len + 2048);
	rc = qualify_value(value, len, DOMAIN, &out);
	if (rc < -1 || rc > 1 || (rc == 0 && out.len != 0))
		abort();
	if (rc == 1) {
		/*
		 * The greedy compare above may pair a literal "@example.org"
		 * of the input with an insertion; it still proves that only
		 * insertions were made.
		 */
		check_inserted(value, len, &out);
		if (qualify_value(out.data, out.len, DOMAIN, &again) != 0)
			abort();	/* idempotent */
	}
	buf_free(&out);
	buf_free(&again);
}

static void
check_unfold(const char *value, size_t len)
{
	char *u;
	size_t n;

	if ((u = header_unfold(value, len)) == NULL)
		return;
	n = strlen(u);
	if (n > len || strchr(u, '\r') != NULL || strchr(u, '\n') != NULL)
		abort();
	if (n > 0 && (u[0] == ' ' || u[0] == '\t' || u[n - 1] == ' ' ||
	    u[n - 1] == '\t'))
		abort();
	free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header_field f;
	const char *buf = (const char *)data;
	size_t pos = 0, prev = 0, nfields = 0, i;

	while (header_next(buf, size, &pos, &f)) {
		if (f.raw != buf + prev || pos != prev + f.rawlen ||
		    pos > size || f.rawlen == 0)
			abort();	/* fields tile the section */
		if (f.name != f.raw || f.namelen == 0 ||
		    f.value < f.name + f.namelen + 1 || f.value[-1] != ':' ||
		    f.value + f.valuelen != f.raw + f.rawlen)
			abort();
		if (!header_line_is_field(f.raw, f.rawlen - (f.raw[f.rawlen -
		    1] == '\n')))
			abort();
		for (i = 0; i < f.namelen; i++)
			if (f.name[i] == ':' || f.name[i] < 33 || f.name[i] > 126)
				abort();	/* a field name (RFC 5322 2.2) */
		check_unfold(f.value, f.valuelen);
		if (qualify_field_is(f.name, f.namelen) ||
		    (data[0] & 1) != 0)
			check_qualify(f.value, f.valuelen);
		prev = pos;
		if (++nfields > size)
			abort();	/* progress */
	}
	if (nfields == 0 && size > 0)
		check_qualify(buf, size);
	return 0;
}
