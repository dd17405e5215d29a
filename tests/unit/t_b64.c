/* SPDX-License-Identifier: ISC */
/*
 * b64.c: RFC 4648 vectors both ways, strict decoding, the same text as
 * OpenSSL's EVP_EncodeBlock for every length up to 300, and RFC 2047
 * encoded words: at most 75 characters each, lines of at most 76, split
 * between characters and never inside one.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "buf.h"
#include "posta.h"
#include "tap.h"

static void
test_vectors(void)
{
	static const char *const v[][2] = {	/* RFC 4648 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	unsigned char dec[16];
	char enc[16];
	size_t i;

	for (i = 0; i < nitems(v); i++) {
		ok(b64_encode(v[i][0], strlen(v[i][0]), enc, sizeof(enc)) == 0,
		    "encode \"%s\"", v[i][0]);
		is_str(enc, v[i][1], "base64(\"%s\")", v[i][0]);
		is_int(b64_decode(v[i][1], dec, sizeof(dec)),
		    (long)strlen(v[i][0]), "decode \"%s\": length", v[i][1]);
		is_str((char *)dec, v[i][0], "decode \"%s\"", v[i][1]);
	}
	is_int(b64_encode("foobar", 6, enc, 8), -1, "no room for the NUL");
	is_int(b64_encode("foobar", 6, enc, 9), 0, "exactly enough room");
	is_int(b64_decode("Zm9vYmFy", dec, 6), -1, "decoded does not fit");
	is_int(b64_decode("Zm9", dec, sizeof(dec)), -1, "not a multiple of 4");
	is_int(b64_decode("Zm 9v", dec, sizeof(dec)), -1, "blank inside");
	is_int(b64_decode("Z=9v", dec, sizeof(dec)), -1, "padding inside");
	is_int(b64_decode("Zm9v=", dec, sizeof(dec)), -1, "padding after");
	is_int(b64_decode("Zg=a", dec, sizeof(dec)), -1, "= then data");
	is_int(b64_decode("Zm-v", dec, sizeof(dec)), -1, "URL alphabet");
	is_int(b64_decode("AAE=", dec, sizeof(dec)), 2, "binary: length");
	ok(dec[0] == 0 && dec[1] == 1, "binary: bytes");
}

/* Pseudo-random bytes of every length: encoded as EVP does, and back. */
static void
test_same_as_evp(void)
{
	unsigned char in[300], dec[301];
	char enc[401], ref[401];
	size_t len, i, bad = 0;

	srand(4648);
	for (len = 0; len <= sizeof(in); len++) {
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)rand();
		(void)EVP_EncodeBlock((unsigned char *)ref, in, (int)len);
		if (b64_encode(in, len, enc, sizeof(enc)) != 0 ||
		    strcmp(enc, ref) != 0 ||
		    b64_decode(enc, dec, sizeof(dec)) != (ssize_t)len ||
		    memcmp(dec, in, len) != 0)
			bad++;
	}
	is_int((long)bad, 0, "0 to 300 bytes: as EVP_EncodeBlock, and back");
}

/* 1 when the n bytes at s are whole UTF-8 characters. */
static int
utf8_whole(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = s[i] < 0x80 ? 1 : s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 :
		    s[i] >= 0xc0 ? 2 : 0;
		if (k == 0 || i + k > n)
			return 0;
		while (--k > 0)
			if ((s[++i] & 0xc0) != 0x80)
				return 0;
		i++;
	}
	return 1;
}

/*
 * Encode text at column col (after a prefix of that many 'x'), then
 * check every rule and that the words decode back to text. Returns the
 * number of words, or -1 with a diagnostic.
 */
static int
words(const char *text, size_t col, int want_utf8, char *out, size_t cap)
{
	struct buf b;
	unsigned char dec[1024], all[4096];
	char w[128];
	const char *p, *e, *line;
	size_t alllen = 0, i;
	ssize_t n;
	long end;
	int nw = 0, rc = -1;

	buf_init(&b, 1 << 16);
	for (i = 0; i < col; i++)
		(void)buf_addc(&b, 'x');
	if ((end = b64_words(&b, text, col)) == -1)
		goto out;
	(void)snprintf(out, cap, "%s", buf_str(&b) + col);
	for (line = b.data; line != NULL; line = e != NULL ? e + 2 : NULL) {
		e = strstr(line, "\r\n");
		n = e != NULL ? e - line : (ssize_t)strlen(line);
		if (n > 76) {
			fprintf(stderr, "# line of %zd characters\n", n);
			goto out;
		}
		if (e == NULL && (long)n != end) {
			fprintf(stderr, "# column %ld returned, %zd real\n",
			    end, n);
			goto out;
		}
		if (line != b.data && line[0] != ' ') {
			fprintf(stderr, "# a line without the folding space\n");
			goto out;
		}
	}
	for (p = strstr(b.data, "=?"); p != NULL; p = strstr(e, "=?")) {
		if (strncmp(p, "=?UTF-8?B?", 10) != 0 ||
		    (e = strstr(p + 10, "?=")) == NULL)
			goto out;
		e += 2;
		if (e - p > 75) {
			fprintf(stderr, "# word of %zd characters\n", e - p);
			goto out;
		}
		(void)snprintf(w, sizeof(w), "%.*s", (int)(e - p - 12), p + 10);
		if ((n = b64_decode(w, dec, sizeof(dec))) <= 0)
			goto out;
		if (want_utf8 && !utf8_whole(dec, (size_t)n)) {
			fprintf(stderr, "# word %d splits a character\n", nw);
			goto out;
		}
		memcpy(all + alllen, dec, (size_t)n);
		alllen += (size_t)n;
		nw++;
	}
	if (alllen != strlen(text) || memcmp(all, text, alllen) != 0) {
		fprintf(stderr, "# the words do not decode to the text\n");
		goto out;
	}
	rc = nw;
out:
	buf_free(&b);
	return rc;
}

static void
test_words(void)
{
	char out[4096], text[1024];
	size_t i;

	is_int(words("J\xc3\xbcrgen M\xc3\xbcller", 6, 1, out, sizeof(out)),
	    1, "a short name is one word");
	is_str(out, "=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?=", "... exactly");
	is_int(words("", 6, 1, out, sizeof(out)), 0, "empty: nothing");

	/* 42 bytes fit after "From: " (70 - 12 = 58, 14 quanta) */
	for (i = 0; i < 21; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);	/* é */
	text[42] = '\0';
	is_int(words(text, 6, 1, out, sizeof(out)), 1, "42 bytes: one word");
	memcpy(text + 42, "\xc3\xa9", 3);
	is_int(words(text, 6, 1, out, sizeof(out)), 2,
	    "44 bytes: two words (the old encoder made one of 72 + 6)");

	/* 2-, 3- and 4-byte characters at every offset */
	for (i = 0; i < 40; i++)
		memcpy(text + 4 * i, "\xf0\x9f\x98\x80", 4);	/* U+1F600 */
	text[160] = '\0';
	ok(words(text, 6, 1, out, sizeof(out)) >= 4,
	    "4-byte characters: whole in every word");
	for (i = 0; i < 60; i++)
		memcpy(text + 3 * i, "\xe2\x82\xac", 3);	/* € */
	text[180] = '\0';
	ok(words(text, 6, 1, out, sizeof(out)) >= 4,
	    "3-byte characters: whole in every word");
	for (i = 1; i < 4; i++) {
		(void)snprintf(text, sizeof(text), "%.*s%s", (int)i, "abc",
		    "\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9\xf0\x9f\x98\x80"
		    "\xe2\x82\xac\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9"
		    "\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9\xf0\x9f\x98\x80"
		    "\xe2\x82\xac\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9");
		ok(words(text, 6, 1, out, sizeof(out)) == 2,
		    "mixed widths after %zu ASCII bytes", i);
	}

	/* a column with no room for a word: the words start on the next line */
	is_int(words("\xc3\xa9t\xc3\xa9", 70, 1, out, sizeof(out)), 1,
	    "late column: one word");
	ok(strncmp(out, "\r\n =?UTF-8?B?", 13) == 0,
	    "... folded before the first word");

	/* bytes that are not UTF-8 still round-trip */
	memset(text, 0x80, 100);
	text[100] = '\0';
	ok(words(text, 6, 0, out, sizeof(out)) >= 3,
	    "continuation bytes only: cut anywhere, nothing lost");
}

int
main(void)
{
	test_vectors();
	test_same_as_evp();
	test_words();
	return done_testing();
}
