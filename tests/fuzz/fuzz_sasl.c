/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the SASL challenges of auth.c: the SCRAM-SHA-256
 * server-first and server-final messages above all (with the client
 * nonce fixed by auth_test_nonce(), RFC 7677's, so that the example
 * exchange is a seed and the fuzzer can reach every check), and the
 * LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER and PLAIN answers. Build with
 * "make fuzz" (clang), run as
 *   tests/fuzz/fuzz_sasl -max_total_time=60 -max_len=4096
 * The first input byte picks the mechanism (low 3 bits) and whether the
 * challenges are given as the server's base64 text (bit 3) or raw, to
 * be encoded here; the rest is the challenges, one per line, the last
 * line also being the 235 text for auth_finish(). Server-first
 * messages with more than 16384 iterations are skipped: PBKDF2 would
 * only make the run slow. Besides
 * memory errors it checks: an answer is NUL-terminated base64 within
 * its buffer, wiped on failure, and what the mechanism must send (the
 * user or the secret for LOGIN, "user <32 hex>" for CRAM-MD5, a
 * client-final with the server's nonce, which extends ours, and a
 * proof for SCRAM); a SCRAM exchange is accepted only when the
 * server's signature is the one the key schedule computed (in a 334
 * or in the 235 text), and never without a server-first.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "b64.h"
#include "posta.h"

#define NONCE	"rOprNGfwEbeRWgbNEkqO"	/* RFC 7677 3 */
#define USER	"user"
#define SECRET	"pencil"

static const enum auth_mech mechs[8] = {
	AUTH_SCRAM_SHA_256, AUTH_LOGIN, AUTH_CRAM_MD5, AUTH_XOAUTH2,
	AUTH_OAUTHBEARER, AUTH_PLAIN, AUTH_SCRAM_SHA_256, AUTH_SCRAM_SHA_256
};

static unsigned char dec[8192];
static char out[8192], chal[8192];

/* 1 when the SCRAM server-final msg carries a->server_signature. */
static int
good_final(const struct auth *a, const char *msg)
{
	unsigned char sig[64];
	char val[128];
	size_t n;

	if (strncmp(msg, "v=", 2) != 0)
		return 0;
	n = strcspn(msg + 2, ",");
	if (n >= sizeof(val))
		return 0;
	memcpy(val, msg + 2, n);
	val[n] = '\0';
	return b64_decode(val, sig, sizeof(sig)) == 32 &&
	    memcmp(sig, a->server_signature, 32) == 0;
}

/* 1 when some word of a 235 text is a good server-final in base64. */
static int
good_235(const struct auth *a, const char *text)
{
	char word[sizeof(chal)];
	size_t n;

	while (*text != '\0') {
		n = strcspn(text, " \r\n");
		if (n > 0 && n < sizeof(word)) {
			memcpy(word, text, n);
			word[n] = '\0';
			if (b64_decode(word, dec, sizeof(dec)) > 0 &&
			    good_final(a, (char *)dec))
				return 1;
		}
		text += n;
		text += strspn(text, " \r\n");
	}
	return 0;
}

/* Too many iterations for a fuzzer: skip. */
static int
slow(const char *sfirst)
{
	const char *p = strstr(sfirst, ",i=");

	return p != NULL && (strlen(p + 3) > 5 || strtol(p + 3, NULL, 10) >
	    16384);
}

static void
check_answer(struct auth *a, int step, const char *sent)
{
	ssize_t n;
	size_t i;
	char *s;

	if (strlen(out) >= sizeof(out) || (n = b64_decode(out, dec,
	    sizeof(dec))) < 0)
		abort();
	s = (char *)dec;
	switch (a->mech) {
	case AUTH_LOGIN:
		if (strcmp(s, step == 0 ? USER : SECRET) != 0)
			abort();
		break;
	case AUTH_CRAM_MD5:
		if (n != (ssize_t)strlen(USER) + 33 ||
		    strncmp(s, USER " ", strlen(USER) + 1) != 0)
			abort();
		for (i = strlen(USER) + 1; i < (size_t)n; i++)
			if (!isxdigit((unsigned char)s[i]) ||
			    isupper((unsigned char)s[i]))
				abort();
		break;
	case AUTH_SCRAM_SHA_256:
		if (step == 0) {
			/* "c=biws,r=<nonce from r=>,p=<44>" */
			if (strncmp(s, "c=biws,r=" NONCE, 9 + strlen(NONCE)) ||
			    strncmp(sent, "r=" NONCE, 2 + strlen(NONCE)) ||
			    strncmp(s + 7, sent, strcspn(sent, ",")) != 0 ||
			    strlen(s) != 7 + strcspn(sent, ",") + 3 + 44 ||
			    strstr(s, ",p=") == NULL)
				abort();
		} else if (out[0] != '\0' || !good_final(a, sent))
			abort();	/* verified: the right signature */
		break;
	case AUTH_XOAUTH2:
		if (out[0] != '\0')
			abort();
		break;
	case AUTH_OAUTHBEARER:
		if (strcmp(out, "AQ==") != 0)
			abort();
		break;
	default:
		abort();	/* PLAIN takes no challenge */
	}
}

#define MAX_LINES	8

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char lines[MAX_LINES][4096], sent[4096];
	struct auth a;
	struct perr err = { 0, "" };
	const char *p = (const char *)data + 1, *nl, *end = p + size - 1;
	size_t n, k = 0, i;
	ssize_t dn;
	int rc = 0, first_ok = 0, final_ok = 0, encode;

	if (size == 0 || size > 4096)
		return 0;
	/* lines: the challenges, then the 235 text */
	while (p <= end && k < MAX_LINES) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		memcpy(lines[k], p, n);
		lines[k++][n] = '\0';
		p += n + 1;
	}
	encode = !(data[0] & 8);
	memset(&a, 0, sizeof(a));
	auth_test_nonce(NONCE);
	if (auth_start(&a, mechs[data[0] & 7], USER, SECRET, out,
	    sizeof(out), &err) != 0)
		abort();
	for (i = 0; i + 1 < k && rc == 0; i++) {
		if (encode) {
			if (b64_encode(lines[i], strlen(lines[i]), chal,
			    sizeof(chal)) == -1)
				abort();
			memcpy(sent, lines[i], strlen(lines[i]) + 1);
		} else {
			memcpy(chal, lines[i], strlen(lines[i]) + 1);
			dn = b64_decode(chal, dec, sizeof(dec));
			if (dn < 0 || (size_t)dn >= sizeof(sent))
				sent[0] = '\0';
			else
				memcpy(sent, dec, (size_t)dn + 1);
		}
		if (a.mech == AUTH_SCRAM_SHA_256 && i == 0 && slow(sent))
			goto out;
		err.code = 0;
		rc = auth_step(&a, chal, out, sizeof(out), &err);
		if (rc == -1 && (err.code == 0 || out[0] != '\0'))
			abort();	/* a failure says why, sends nothing */
		if (rc == 0) {
			check_answer(&a, (int)i, sent);
			first_ok |= i == 0;
			final_ok |= i == 1;
		}
	}
	if (rc == 0 && a.mech == AUTH_SCRAM_SHA_256) {
		err.code = 0;
		if (auth_finish(&a, k > 0 ? lines[k - 1] : "", &err) == 0 &&
		    (!first_ok || (!final_ok && !good_235(&a, lines[k - 1]))))
			abort();	/* accepted without the signature */
	}
out:
	auth_clear(&a);
	auth_test_nonce(NULL);
	return 0;
}
