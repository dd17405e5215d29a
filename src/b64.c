/* SPDX-License-Identifier: ISC */
/*
 * Base64 (RFC 4648 section 4) and RFC 2047 encoded words on top. Not
 * OpenSSL's EVP_EncodeBlock: intake encodes display names with it, and
 * no path without TLS loads OpenSSL (ossl.h).
 */
#include <sys/types.h>

#include <errno.h>
#include <string.h>

#include "b64.h"
#include "buf.h"

#define WORD_MAX      75 /* RFC 2047 2: one encoded word */
#define LINE_MAX_2047 76 /* RFC 2047 2: a line holding one */
#define WORD_OPEN     "=?UTF-8?B?"
#define WORD_CLOSE    "?="

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
b64_encode(const void *in, size_t len, char *out, size_t cap)
{
	const unsigned char *s = in;
	unsigned long v;
	size_t i, o = 0;

	if (len > (size_t)1 << 20 || cap < 4 * ((len + 2) / 3) + 1)
		return -1;
	for (i = 0; i < len; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return 0;
}

/* The value of one base64 character, -1 for anything else ('=' too). */
static int
b64_value(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64_alphabet, c)) == NULL)
		return -1;
	return (int)(p - b64_alphabet);
}

/* Padding only at the end; leftover bits of a padded quantum are ignored. */
ssize_t
b64_decode(const char *in, unsigned char *out, size_t cap)
{
	size_t len, i, o = 0, pad = 0;
	unsigned long v;
	int d, k;

	len = strlen(in);
	if (len % 4 != 0 || len / 4 * 3 + 1 > cap || len > (size_t)1 << 21)
		return -1;
	if (len > 0 && in[len - 1] == '=')
		pad = len > 1 && in[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			if (i + (size_t)k >= len - pad)
				d = 0;
			else if ((d = b64_value((unsigned char)in[i + k])) ==
			    -1)
				return -1;
			v = v << 6 | (unsigned long)d;
		}
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	o -= pad;
	out[o] = '\0';
	return (ssize_t)o;
}

/*
 * How many of the len bytes at s go into one word of at most room
 * encoded characters: whole base64 quanta, cut before a UTF-8
 * continuation byte so that no character is split between two words
 * (each word must decode to whole characters, RFC 2047 5). 0 when not
 * even the first character fits.
 */
static size_t
word_bytes(const unsigned char *s, size_t len, size_t room)
{
	size_t max = room / 4 * 3, n;

	if (max >= len)
		return len;
	for (n = max; n > 0 && (s[n] & 0xc0) == 0x80; n--)
		;
	/* four continuation bytes in a row are not UTF-8: cut anywhere */
	return n == 0 && max > 3 ? max : n;
}

long
b64_words(struct buf *b, const char *text, size_t col)
{
	const unsigned char *s = (const unsigned char *)text;
	const size_t frame = strlen(WORD_OPEN WORD_CLOSE);
	size_t len = strlen(text), n, room;
	char enc[WORD_MAX + 1];

	while (len > 0) {
		room = col < LINE_MAX_2047 ? LINE_MAX_2047 - col : 0;
		if (room > WORD_MAX)
			room = WORD_MAX;
		n = word_bytes(s, len, room > frame ? room - frame : 0);
		if (n == 0 && col <= 1) {
			errno = EINVAL; /* 45 bytes fit at column 1 */
			return -1;
		}
		if (n > 0) {
			(void)b64_encode(s, n, enc, sizeof(enc));
			if (buf_adds(b, WORD_OPEN) == -1 ||
			    buf_adds(b, enc) == -1 ||
			    buf_adds(b, WORD_CLOSE) == -1)
				return -1;
			col += frame + strlen(enc);
			s += n;
			len -= n;
		}
		/* the next word, or the first when none fitted here */
		if (len > 0) {
			if (buf_adds(b, "\r\n ") == -1)
				return -1;
			col = 1;
		}
	}
	return (long)col;
}
