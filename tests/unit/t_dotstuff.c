/* SPDX-License-Identifier: ISC */
/*
 * Dot-stuffing both ways: known inputs against their exact wire form
 * (and back), every way of cutting the input into chunks against the
 * whole at once, models written plainly, and the round trip.
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

/*
 * Unstuff in, cut at the offsets chosen by cut (NULL: whole); *done
 * and *used as dotunstuff_run() says overall. Input after the end is
 * never offered again, as the server does.
 */
static size_t
unstuff(const char *in, size_t len, char *out, size_t (*cut)(size_t),
    size_t *usedp, int *done)
{
	struct dotunstuff u;
	size_t n = 0, off = 0, k, used;

	dotunstuff_init(&u);
	*done = 0;
	while (off < len && !*done) {
		k = cut != NULL ? cut(len - off) : len - off;
		if (k > len - off)
			k = len - off;
		n += dotunstuff_run(&u, in + off, k, out + n, &used, done);
		if (used > k)
			return (size_t)-1;
		off += used;
	}
	*usedp = off;
	return n;
}

/* Known answer: in unstuffs to want, ending (or not) after end octets. */
static void
uncheck(const char *in, const char *want, int wdone, size_t wused,
    const char *name)
{
	char out[256];
	size_t n, used = 0;
	int done;

	n = unstuff(in, strlen(in), out, NULL, &used, &done);
	is_mem(out, n, want, strlen(want), "unstuff: %s", name);
	ok(done == wdone && used == wused, "unstuff: %s: done %d used %zu",
	    name, done, used);
}

/* Unstuffing, plainly: whole lines, each looked at on its own. */
static size_t
unmodel(const char *in, size_t len, char *out, size_t *used, int *done)
{
	size_t i = 0, n = 0, e;
	int dot;

	*done = 0;
	while (i < len) {
		for (e = i; e < len && in[e] != '\n'; e++)
			continue;
		/* in[i..e] is a line, with its LF when e < len */
		if (e < len && in[i] == '.' && (e == i + 1 ||
		    (e == i + 2 && in[i + 1] == '\r'))) {
			*done = 1;
			*used = e + 1;
			return n;
		}
		dot = in[i] == '.';
		if (dot)
			i++;
		if (e == len) {
			/* unfinished: after its dot, a lone CR is held back */
			if (!(dot && len - i == 1 && in[i] == '\r')) {
				memcpy(out + n, in + i, len - i);
				n += len - i;
			}
			break;
		}
		memcpy(out + n, in + i, e + 1 - i);
		n += e + 1 - i;
		i = e + 1;
	}
	*used = len;
	return n;
}

static void
test_unstuff(void)
{
	static char in[BIG], wire[2 * BIG + 8], whole[2 * BIG + 8],
	    part[2 * BIG + 8], ref[2 * BIG + 8];
	size_t len, n, m, k, i, round, used = 0, mused = 0, wlen;
	int done, mdone, same;
	struct dotunstuff u;
	char buf[16];

	uncheck(".\r\n", "", 1, 3, "the marker alone");
	uncheck("a\r\n.\r\n", "a\r\n", 1, 6, "one line");
	uncheck("a\n.\n", "a\n", 1, 4, "bare LF ends lines and the data");
	uncheck("..\r\n.\r\n", ".\r\n", 1, 7, "stuffed dot line");
	uncheck("...x\r\n.\r\n", "..x\r\n", 1, 9, "only one dot dropped");
	uncheck(".a\r\n.\r\n", "a\r\n", 1, 7,
	    "a dot before text is dropped (RFC 5321 4.5.2)");
	uncheck("a.\r\n.b\r\n.\r\nrest", "a.\r\nb\r\n", 1, 11,
	    "input after the end is left");
	uncheck(".\rx\r\n.\r\n", "\rx\r\n", 1, 8,
	    "a held-back CR that does not end the line comes out");
	uncheck("a\r.\r\n.\r\n", "a\r.\r\n", 1, 8,
	    "a bare CR does not start a line");
	uncheck("a\r\n.", "a\r\n", 0, 4, "no end yet: the dot is pending");
	uncheck("a\r\n.\r", "a\r\n", 0, 5, "no end yet: dot and CR pending");
	uncheck("", "", 0, 0, "nothing");

	/* a held-back CR comes out at the start of the next chunk */
	dotunstuff_init(&u);
	n = dotunstuff_run(&u, ".\r", 2, buf, &used, &done);
	is_int(n, 0, "dot and CR held");
	n = dotunstuff_run(&u, "x", 1, buf, &used, &done);
	is_mem(buf, n, "\rx", 2, "the CR first, within len + 1");

	/* random wire data: whole, model, chunks agree */
	same = 1;
	for (round = 0; round < 300 && same; round++) {
		len = next_rand() % 200;
		fill_random(in, len);
		n = unstuff(in, len, whole, NULL, &used, &done);
		m = unmodel(in, len, ref, &mused, &mdone);
		if (m != n || memcmp(ref, whole, n) != 0 || used != mused ||
		    done != mdone) {
			same = 0;
			fprintf(stderr, "# model differs in round %zu\n", round);
			break;
		}
		m = unstuff(in, len, part, cut_one, &mused, &mdone);
		if (m != n || memcmp(part, whole, n) != 0 || used != mused)
			same = 0;
		for (i = 0; i < 4 && same; i++) {
			m = unstuff(in, len, part, cut_random, &mused, &mdone);
			if (m != n || memcmp(part, whole, n) != 0 ||
			    used != mused)
				same = 0;
		}
		for (k = 0; k <= len && same; k++) {
			cut_at = k;
			m = unstuff(in, len, part, cut_fixed, &mused, &mdone);
			if (m != n || memcmp(part, whole, n) != 0 ||
			    used != mused)
				same = 0;
		}
	}
	ok(same, "unstuff random data: whole, model, byte by byte, random "
	    "and every single cut agree");

	/* round trip: what is stuffed comes back, ended with CR LF */
	same = 1;
	for (round = 0; round < 300 && same; round++) {
		len = next_rand() % 200;
		fill_random(in, len);
		wlen = stuff_chunks(in, len, wire, cut_random);
		n = unstuff(wire, wlen, part, cut_random, &used, &done);
		m = len;
		memcpy(ref, in, len);
		if (len > 0 && !(len >= 2 && in[len - 2] == '\r' &&
		    in[len - 1] == '\n')) {
			memcpy(ref + m, "\r\n", 2);
			m += 2;
		}
		if (!done || used != wlen || n != m ||
		    memcmp(part, ref, m) != 0) {
			same = 0;
			fprintf(stderr, "# round trip differs in round %zu\n",
			    round);
		}
	}
	ok(same, "unstuff(stuff(x)) is x, with the CR LF the marker added, "
	    "and ends exactly at the marker");
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

	test_unstuff();
	return done_testing();
}
