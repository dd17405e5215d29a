/* SPDX-License-Identifier: ISC */
/*
 * The header section of a message held in memory (CR LF lines, as
 * intake normalised it): walking its fields and unfolding values.
 * Pure: no I/O.
 */
#ifndef POSTA_HEADER_H
#define POSTA_HEADER_H

#include <stddef.h>

struct header_field {
	const char *name; /* points into the section */
	size_t namelen;
	const char *raw; /* the whole field, folding and CR LF included */
	size_t rawlen;
	const char *value; /* after the colon, still folded */
	size_t valuelen;
};

/*
 * The next field of the section buf[0..len) starting at *pos, which
 * is advanced. Returns 1 with f filled in, 0 at the end. A line that is
 * not a field and not a continuation ends the walk.
 */
int header_next(const char *buf, size_t len, size_t *pos,
    struct header_field *f);

/* 1 when f's name is name, ignoring case. */
int header_is(const struct header_field *f, const char *name);

/*
 * 1 when line[0..len) (without its line end) starts a header field:
 * a name of printable ASCII other than ':' followed by ':' (white
 * space before the colon is tolerated, as in obsolete syntax).
 */
int header_line_is_field(const char *line, size_t len);

/*
 * Unfold a value: CR LF removed, leading and trailing white space
 * trimmed; a NUL byte ends it. Returns a malloc'ed string or NULL.
 */
char *header_unfold(const char *value, size_t len);

#endif /* POSTA_HEADER_H */
