/* SPDX-License-Identifier: ISC */
/*
 * Dot-stuffing: known inputs against their exact wire form, and every
 * way of cutting the input into chunks against the whole at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dotstuff.h"
#include "tap.h"

#define BIG	4096

static uint32_t seed = 0x2545f491;

/* xorshift32: reproducible, and the libc generator is banned here */
static uint32_t
next_rand(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

/* Whole input in one call, plus the end marker. */
static size_t
stuff_whole(const char *in, size_t len, char *out)
{
	struct dotstuff d;
	size_t n;

	dotstuff_init(&d);
	n = dotstuff_run(&d, in, len, out);
	n += dotstuff_end(&d, out + n);
	return n;
}

/* The same, cut at the offsets chosen by cut(): 0 ends the input. */
static size_t
stuff_chunks(const char *in, size_t len, char *out, size_t (*cut)(size_t))
{
	struct dotstuff d;
	size_t n = 0, off = 0, k;

	dotstuff_init(&d);
	while (off < len) {
		k = cut(len - off);
		if (k > len - off)
			k = len - off;
		n += dotstuff_run(&d, in + off, k, out + n);
		off += k;
	}
	n += dotstuff_run(&d, in + off, 0, out + n);
	n += dotstuff_end(&d, out + n);
	return n;
}

static size_t
cut_one(size_t left)
{
	(void)left;
	return 1;
}

static size_t
cut_random(size_t left)
{
	return 1 + next_rand() % (left < 17 ? left : 17);
}

static size_t cut_at;

static size_t
cut_fixed(size_t left)
{
	/* first chunk cut_at bytes (maybe 0), the rest in one piece */
	if (cut_at != (size_t)-1) {
		size_t k = cut_at;

		cut_at = (size_t)-1;
		return k;
	}
	return left;
}

static void
check(const char *in, const char *want, const char *name)
{
	char out[256];
	size_t n;

	n = stuff_whole(in, strlen(in), out);
	is_mem(out, n, want, strlen(want), "%s", name);
}

/* A straightforward model: split into lines, stuff each, then the marker. */
static size_t
model(const char *in, size_t len, char *out)
{
	size_t i, n = 0;
	int bol = 1, crlf = 1;

	for (i = 0; i < len; i++) {
		if (bol && in[i] == '.')
			out[n++] = '.';
		out[n++] = in[i];
		bol = in[i] == '\n';
		crlf = in[i] == '\n' && i > 0 && in[i - 1] == '\r';
	}
	if (!crlf || (len > 0 && in[len - 1] != '\n')) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	memcpy(out + n, ".\r\n", 3);
	return n + 3;
}

static void
fill_random(char *buf, size_t len)
{
	/* mostly the bytes that matter, so every pattern comes up */
	static const char alphabet[] = "..\r\n\r\n\nab";
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
}

int
main(void)
{
	static char in[BIG], whole[2 * BIG + 8], part[2 * BIG + 8],
	    ref[2 * BIG + 8];
	const char *msg = "Subject: x\r\n\r\n.\r\n..\r\n.a\r\nb.\r\n"
	    "\r\n.\r\n...\r\nend";
	size_t len, n, m, k, i, round;
	int same;
	struct dotstuff d;
	char buf[16];

	/* known answers */
	check("", ".\r\n", "empty data: the marker alone");
	check("a\r\n", "a\r\n.\r\n", "one line");
	check("a", "a\r\n.\r\n", "no final CR LF: one is added");
	check("a\r", "a\r\r\n.\r\n", "final bare CR: a CR LF is added");
	check("a\n", "a\n\r\n.\r\n", "final bare LF: a CR LF is added");
	check(".\r\n", "..\r\n.\r\n", "a lone dot line is doubled");
	check("..\r\n", "...\r\n.\r\n", "two dots become three");
	check(".", "..\r\n.\r\n", "a lone dot without line end");
	check("a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n",
	    "a dot line in the middle");
	check(".a\r\n", "..a\r\n.\r\n", "dot at the very start");
	check("a.b\r\nc.\r\n", "a.b\r\nc.\r\n.\r\n",
	    "dots inside or at the end of a line stay");
	check("a\r.b\r\n", "a\r.b\r\n.\r\n",
	    "a bare CR does not start a line");
	check("a\n.b\r\n", "a\n..b\r\n.\r\n",
	    "a bare LF does start a line (smuggling guard)");
	check("\r\n\r\n", "\r\n\r\n.\r\n", "empty lines only");
	check("a\r\n\r\n.\r\n", "a\r\n\r\n..\r\n.\r\n",
	    "dot after an empty line");

	/* the end marker resets the state for the next message */
	dotstuff_init(&d);
	n = dotstuff_run(&d, "x", 1, buf);
	n = dotstuff_end(&d, buf);
	is_mem(buf, n, "\r\n.\r\n", 5, "marker after a partial line");
	n = dotstuff_run(&d, ".", 1, buf);
	is_mem(buf, n, "..", 2, "state reset after the marker");
	ok(DOTSTUFF_END_MAX >= 5, "DOTSTUFF_END_MAX holds the long marker");

	/* a chunk of zero bytes changes nothing */
	dotstuff_init(&d);
	n = dotstuff_run(&d, "", 0, buf);
	is_int(n, 0, "empty chunk writes nothing");
	n = dotstuff_run(&d, ".", 1, buf);
	is_mem(buf, n, "..", 2, "empty chunk kept beginning of line");

	/* the sample message cut at every position */
	len = strlen(msg);
	n = stuff_whole(msg, len, whole);
	m = model(msg, len, ref);
	is_mem(whole, n, ref, m, "sample message matches the model");
	same = 1;
	for (k = 0; k <= len; k++) {
		cut_at = k;
		m = stuff_chunks(msg, len, part, cut_fixed);
		if (m != n || memcmp(part, whole, n) != 0) {
			same = 0;
			fprintf(stderr, "# differs when cut at %zu\n", k);
			break;
		}
	}
	ok(same, "sample cut at every position equals the whole");
	m = stuff_chunks(msg, len, part, cut_one);
	is_mem(part, m, whole, n, "sample fed byte by byte");

	/* random data, random chunks; every pair of positions gets a cut */
	same = 1;
	for (round = 0; round < 300 && same; round++) {
		len = next_rand() % 200;
		fill_random(in, len);
		n = stuff_whole(in, len, whole);
		m = model(in, len, ref);
		if (m != n || memcmp(ref, whole, n) != 0) {
			same = 0;
			break;
		}
		m = stuff_chunks(in, len, part, cut_one);
		if (m != n || memcmp(part, whole, n) != 0)
			same = 0;
		for (i = 0; i < 4 && same; i++) {
			m = stuff_chunks(in, len, part, cut_random);
			if (m != n || memcmp(part, whole, n) != 0)
				same = 0;
		}
		for (k = 0; k <= len && same; k++) {
			cut_at = k;
			m = stuff_chunks(in, len, part, cut_fixed);
			if (m != n || memcmp(part, whole, n) != 0)
				same = 0;
		}
	}
	ok(same, "random data: whole, model, byte by byte, random and "
	    "every single cut agree");

	/* worst case output stays within 2 * len */
	memset(in, '.', 1);
	for (i = 1; i + 3 <= BIG; i += 3)
		memcpy(in + i, "\r\n.", 3);
	dotstuff_init(&d);
	n = dotstuff_run(&d, in, i, whole);
	ok(n <= 2 * i, "dot-heavy input stays within 2 * len (%zu <= %zu)",
	    n, 2 * i);

	return done_testing();
}
