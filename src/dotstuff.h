/* SPDX-License-Identifier: ISC */
/*
 * SMTP DATA transparency (RFC 5321 4.5.2) as a byte stream, both ways.
 * Sending (smtp.c): a '.' at the start of a line is doubled, and the
 * end-of-data marker is added; the input is already CR LF text.
 * Receiving (the -bs server): the doubled dot is dropped again, up to
 * the end-of-data line. Chunk boundaries may fall anywhere.
 */
#ifndef POSTA_DOTSTUFF_H
#define POSTA_DOTSTUFF_H

#include <stddef.h>

struct dotstuff {
	int bol; /* the next byte starts a line */
	int cr;	 /* the last byte was CR */
};

#define DOTSTUFF_END_MAX 5 /* "\r\n.\r\n" */

void dotstuff_init(struct dotstuff *d);

/* Stuff len bytes of in into out (room for 2 * len); returns the bytes written. */
size_t dotstuff_run(struct dotstuff *d, const char *in, size_t len, char *out);

/*
 * The end-of-data marker into out (room for DOTSTUFF_END_MAX): ".\r\n"
 * when the data ended with CR LF, else "\r\n.\r\n". Returns its length.
 */
size_t dotstuff_end(struct dotstuff *d, char *out);

struct dotunstuff {
	int st; /* where in a line the next byte falls */
};

void dotunstuff_init(struct dotunstuff *u);

/*
 * Unstuff in[0..len) into out (room for len + 1: a CR held back from
 * the chunk before may come out first). A line ends at LF, with or
 * without CR before it (shell scripts send bare LF); a line that
 * begins with '.' loses that dot, and the line "." alone ends the
 * data: then *done is set and the rest of in is left, else all of in
 * is taken. Everything else comes out as it came. Returns the bytes
 * written; *used says how many of in were taken.
 */
size_t dotunstuff_run(struct dotunstuff *u, const char *in, size_t len,
    char *out, size_t *used, int *done);

#endif /* POSTA_DOTSTUFF_H */
