/* SPDX-License-Identifier: ISC */
/*
 * Header fields (RFC 5322 2.2) over a section in memory. Obsolete
 * syntax is tolerated the way MTAs tolerate it: white space before the
 * colon, and any byte in values.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header.h"

int
header_line_is_field(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ':')
			return i > 0;
		if (c == ' ' || c == '\t') {
			/* "Subject : x" (obs-optional): only blanks may follow */
			for (; i < len && (line[i] == ' ' || line[i] == '\t');
			     i++)
				;
			return i > 0 && i < len && line[i] == ':' &&
			    line[0] != ' ' && line[0] != '\t';
		}
		if (c < 33 || c > 126)
			return 0;
	}
	return 0;
}

/* End of the line starting at p: the index after its LF, or len. */
static size_t
line_end(const char *buf, size_t len, size_t p)
{
	const char *nl = memchr(buf + p, '\n', len - p);

	return nl == NULL ? len : (size_t)(nl - buf) + 1;
}

int
header_next(const char *buf, size_t len, size_t *pos, struct header_field *f)
{
	size_t p = *pos, e, n;
	const char *colon;

	if (p >= len)
		return 0;
	e = line_end(buf, len, p);
	n = e - p;
	while (n > 0 && (buf[p + n - 1] == '\n' || buf[p + n - 1] == '\r'))
		n--;
	if (!header_line_is_field(buf + p, n))
		return 0;
	colon = memchr(buf + p, ':', n);
	f->name = buf + p;
	f->namelen = (size_t)(colon - (buf + p));
	while (f->namelen > 0 &&
	    (f->name[f->namelen - 1] == ' ' || f->name[f->namelen - 1] == '\t'))
		f->namelen--;
	/* continuation lines start with white space */
	while (e < len && (buf[e] == ' ' || buf[e] == '\t'))
		e = line_end(buf, len, e);
	f->raw = buf + p;
	f->rawlen = e - p;
	f->value = colon + 1;
	f->valuelen = (size_t)(buf + e - f->value);
	*pos = e;
	return 1;
}

int
header_is(const struct header_field *f, const char *name)
{
	return strlen(name) == f->namelen &&
	    strncasecmp(f->name, name, f->namelen) == 0;
}

char *
header_unfold(const char *value, size_t len)
{
	char *out, *o;
	size_t i;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	o = out;
	/* a NUL ends the string: what follows it could not be seen */
	for (i = 0; i < len && value[i] != '\0'; i++) {
		if (value[i] == '\r' || value[i] == '\n')
			continue;
		*o++ = value[i];
	}
	*o = '\0';
	while (o > out && (o[-1] == ' ' || o[-1] == '\t'))
		*--o = '\0';
	o = out;
	while (*o == ' ' || *o == '\t')
		o++;
	memmove(out, o, strlen(o) + 1);
	return out;
}
