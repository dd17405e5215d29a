/* SPDX-License-Identifier: ISC */
/*
 * jwt.c: base64url (RFC 4648 5), the header and claims as JSON, and an
 * RS256 signature that OpenSSL verifies with the public half of the key.
 */
#include <string.h>
#include <sysexits.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "jwt.h"
#include "tap.h"

static char out[8192];

/* base64url back to bytes (padding restored); the length or -1. */
static int
unb64url(const char *in, size_t len, unsigned char *buf, size_t cap)
{
	char tmp[4096];
	size_t i, n = len;
	int r;

	if (len + 4 >= sizeof(tmp) || len / 4 * 3 + 3 > cap)
		return -1;
	for (i = 0; i < len; i++)
		tmp[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	while (n % 4 != 0)
		tmp[n++] = '=';
	tmp[n] = '\0';
	r = EVP_DecodeBlock(buf, (unsigned char *)tmp, (int)n);
	if (r < 0)
		return -1;
	return r - (int)(n - len);
}

static char *
pem_of(EVP_PKEY *pk, char *pem, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	(void)PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
	n = BIO_read(b, pem, (int)cap - 1);
	pem[n > 0 ? n : 0] = '\0';
	BIO_free(b);
	return pem;
}

static void
test_b64url(void)
{
	static const unsigned char bin[] = { 0xfb, 0xff, 0xbf };

	ok(jwt_b64url("f", 1, out, sizeof(out)) == 0 && !strcmp(out, "Zg"),
	    "\"f\" -> Zg, no padding");
	ok(jwt_b64url("foo", 3, out, sizeof(out)) == 0 && !strcmp(out, "Zm9v"),
	    "\"foo\" -> Zm9v");
	ok(jwt_b64url("", 0, out, sizeof(out)) == 0 && !strcmp(out, ""),
	    "empty");
	ok(jwt_b64url(bin, 3, out, sizeof(out)) == 0 && !strcmp(out, "-_-_"),
	    "+ and / become - and _");
	ok(jwt_b64url("foo", 3, out, 4) == -1, "no room");
}

static void
test_assertion(void)
{
	struct perr err = { 0, "" };
	struct jwt_claims c = { "sa@p.iam.gserviceaccount.com",
	    "box@example.com", "https://oauth2.example/token",
	    "https://mail.google.com/", 1700000000 };
	static char pem[8192];
	unsigned char part[4096];
	EVP_PKEY *pk, *ec;
	EVP_MD_CTX *md;
	char *dot1, *dot2;
	int n;

	pk = EVP_RSA_gen(2048);
	ok(pk != NULL, "RSA key made");
	ok(jwt_assertion(&c, "kid\"1", pem_of(pk, pem, sizeof(pem)), out,
	    sizeof(out), &err) == 0, "assertion made: %s", err.msg);
	dot1 = strchr(out, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	ok(dot1 != NULL && dot2 != NULL && strchr(dot2 + 1, '.') == NULL &&
	    strpbrk(out, "+/=") == NULL, "three base64url parts");
	if (dot1 == NULL || dot2 == NULL)
		return;
	n = unb64url(out, (size_t)(dot1 - out), part, sizeof(part));
#define HDR	"{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"kid\\\"1\"}"
	is_mem(part, (size_t)n, HDR, strlen(HDR), "header, kid escaped");
	n = unb64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), part, sizeof(part));
#define CLAIMS	"{\"iss\":\"sa@p.iam.gserviceaccount.com\",\"sub\":" \
		"\"box@example.com\",\"scope\":\"https://mail.google.com/\"," \
		"\"aud\":\"https://oauth2.example/token\",\"iat\":1700000000," \
		"\"exp\":1700003600}"
	is_mem(part, (size_t)n, CLAIMS, strlen(CLAIMS), "claims");
	n = unb64url(dot2 + 1, strlen(dot2 + 1), part, sizeof(part));
	is_int(n, 256, "RSA-2048 signature length");
	md = EVP_MD_CTX_new();
	ok(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(md, part, (size_t)n, (unsigned char *)out,
	    (size_t)(dot2 - out)) == 1, "RS256 signature verifies");
	EVP_MD_CTX_free(md);
	/* one claim changed: the signature no longer matches */
	out[dot1 - out + 3] ^= 1;
	md = EVP_MD_CTX_new();
	ok(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(md, part, (size_t)n, (unsigned char *)out,
	    (size_t)(dot2 - out)) != 1, "tampered claims fail");
	EVP_MD_CTX_free(md);

	c.sub = NULL;
	c.scope = "a\nb";
	ok(jwt_assertion(&c, NULL, pem, out, sizeof(out), &err) == 0,
	    "without sub and kid");
	dot1 = strchr(out, '.');
	n = unb64url(out, (size_t)(dot1 - out), part, sizeof(part));
	is_mem(part, (size_t)n, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", 27,
	    "header without kid");
	dot2 = strchr(dot1 + 1, '.');
	n = unb64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), part, sizeof(part));
	part[n] = '\0';
	ok(strstr((char *)part, "\"scope\":\"a\\u000ab\"") != NULL &&
	    strstr((char *)part, "sub") == NULL, "control escaped, no sub");

	ok(jwt_assertion(&c, NULL, pem, out, 300, &err) == -1 &&
	    err.code == EX_SOFTWARE && out[0] == '\0', "no room: refused");
	perr_clear(&err);
	ok(jwt_assertion(&c, NULL, "-----BEGIN PRIVATE KEY-----\nxx\n", out,
	    sizeof(out), &err) == -1 && err.code == EX_CONFIG,
	    "garbage PEM refused: %s", err.msg);
	perr_clear(&err);
	ec = EVP_EC_gen("P-256");
	ok(jwt_assertion(&c, NULL, pem_of(ec, pem, sizeof(pem)), out,
	    sizeof(out), &err) == -1 && strstr(err.msg, "not an RSA key"),
	    "EC key refused: %s", err.msg);
	perr_clear(&err);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(pk);
}

int
main(void)
{
	test_b64url();
	test_assertion();
	return done_testing();
}
