/* SPDX-License-Identifier: ISC */
/*
 * SMTP DATA transparency (RFC 5321 4.5.2) as a byte stream: a '.' at
 * the start of a line is doubled, and the end-of-data marker is added.
 * The input is already CR LF text; chunk boundaries may fall anywhere.
 */
#ifndef POSTA_DOTSTUFF_H
#define POSTA_DOTSTUFF_H

#include <stddef.h>

struct dotstuff {
	int	bol;		/* the next byte starts a line */
	int	cr;		/* the last byte was CR */
};

#define DOTSTUFF_END_MAX	5	/* "\r\n.\r\n" */

void	dotstuff_init(struct dotstuff *d);

/* Stuff len bytes of in into out (room for 2 * len); returns the bytes written. */
size_t	dotstuff_run(struct dotstuff *d, const char *in, size_t len, char *out);

/*
 * The end-of-data marker into out (room for DOTSTUFF_END_MAX): ".\r\n"
 * when the data ended with CR LF, else "\r\n.\r\n". Returns its length.
 */
size_t	dotstuff_end(struct dotstuff *d, char *out);

#endif /* POSTA_DOTSTUFF_H */
