/* SPDX-License-Identifier: ISC */
/*
 * DATA transparency as a byte stream (RFC 5321 4.5.2), both ways: a
 * little state carried across chunks, so the message is never held
 * whole.
 */
#include <stddef.h>
#include <string.h>

#include "dotstuff.h"

/*
 * d->bol is 1 at the start of the data and after CR LF, 2 after a bare
 * LF, 0 inside a line. A '.' is doubled after a bare LF as well: the
 * input should hold none (intake normalises line ends), but a server
 * that takes a bare LF for a line end must never see a lone "." line
 * that we did not mean as the end of data (SMTP smuggling). The end
 * marker needs a real CR LF before the dot, so only bol == 1 counts
 * as "ended with CR LF" there.
 */
#define BOL_NONE 0
#define BOL_CRLF 1
#define BOL_LF	 2

void
dotstuff_init(struct dotstuff *d)
{
	d->bol = BOL_CRLF;
	d->cr = 0;
}

size_t
dotstuff_run(struct dotstuff *d, const char *in, size_t len, char *out)
{
	size_t i, n = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (d->bol != BOL_NONE && c == '.')
			out[n++] = '.';
		out[n++] = c;
		if (c == '\n')
			d->bol = d->cr ? BOL_CRLF : BOL_LF;
		else
			d->bol = BOL_NONE;
		d->cr = c == '\r';
	}
	return n;
}

size_t
dotstuff_end(struct dotstuff *d, char *out)
{
	size_t n = 0;

	/* empty data counts as ended with CR LF: the marker alone, ".\r\n" */
	if (d->bol != BOL_CRLF) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	out[n++] = '.';
	out[n++] = '\r';
	out[n++] = '\n';
	dotstuff_init(d);
	return n;
}

/*
 * Receiving: where the next byte falls. After "." at the start of a
 * line only LF or CR LF can end the data; a CR after the dot is held
 * back until the next byte shows whether it ends the line.
 */
enum { U_BOL, U_MID, U_DOT, U_DOTCR };

void
dotunstuff_init(struct dotunstuff *u)
{
	u->st = U_BOL;
}

size_t
dotunstuff_run(struct dotunstuff *u, const char *in, size_t len, char *out,
    size_t *used, int *done)
{
	const char *nl;
	size_t i = 0, n = 0, run;

	*done = 0;
	while (i < len) {
		switch (u->st) {
		case U_BOL:
			if (in[i] == '.') {
				i++; /* the stuffed dot */
				u->st = U_DOT;
			} else
				u->st = U_MID;
			break;
		case U_DOT:
			if (in[i] == '\n') {
				*done = 1;
				*used = i + 1;
				return n;
			}
			if (in[i] == '\r') {
				i++; /* held back */
				u->st = U_DOTCR;
			} else
				u->st = U_MID;
			break;
		case U_DOTCR:
			if (in[i] == '\n') {
				*done = 1;
				*used = i + 1;
				return n;
			}
			out[n++] = '\r';
			u->st = U_MID;
			break;
		case U_MID:
			/* the rest of the line in one copy */
			nl = memchr(in + i, '\n', len - i);
			run = nl == NULL ? len - i :
					   (size_t)(nl - (in + i)) + 1;
			memcpy(out + n, in + i, run);
			n += run;
			i += run;
			if (nl != NULL)
				u->st = U_BOL;
			break;
		}
	}
	*used = len;
	return n;
}
