/* SPDX-License-Identifier: ISC */
/*
 * Base64 (RFC 4648): the one copy in the tree, for SASL exchanges, the
 * JWT of a service account and RFC 2047 encoded words in header fields.
 */
#ifndef POSTA_B64_H
#define POSTA_B64_H

#include <sys/types.h>
#include <stddef.h>

struct buf;

/* Base64 of len bytes (at most 1 MiB) into out with a NUL; -1: no room. */
int b64_encode(const void *in, size_t len, char *out, size_t cap);

/*
 * Strict decoding: padding required, no blanks or line breaks. Writes
 * the bytes and a NUL (not counted) into out. Returns the length, or
 * -1 for anything that is not base64 or does not fit.
 */
ssize_t b64_decode(const char *in, unsigned char *out, size_t cap);

/*
 * Append the UTF-8 text as RFC 2047 "B" encoded words, =?UTF-8?B?...?=,
 * to b. Following RFC 2047 section 2, no word is longer than 75
 * characters, no line that holds one longer than 76, and a word ends
 * on a character boundary; the words are separated by CR LF SPACE.
 * col is the column where the first word starts (6 after "From: ").
 * Returns the column after the last word, or -1 with errno (E2BIG past
 * the cap of b, ENOMEM); b may then hold part of the words.
 */
long b64_words(struct buf *b, const char *text, size_t col);

#endif /* POSTA_B64_H */
