/* SPDX-License-Identifier: ISC */
/*
 * JWT assertions for the jwt_bearer grant: JSON for the two small
 * objects is written here (the values are escaped, nothing else is
 * needed), the signature is OpenSSL's EVP_DigestSign with SHA-256.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "b64.h"
#include "buf.h"
#include "jwt.h"
#include "ossl.h"
#include "util.h"

#define JWT_MAX_PART 8192 /* header or claims, as JSON */
#define JWT_MAX_SIG  1024 /* RSA-8192 signature */

/* base64url without padding (RFC 7515 2): base64, translated in place. */
int
jwt_b64url(const void *in, size_t len, char *out, size_t cap)
{
	size_t n, i;

	if (b64_encode(in, len, out, cap) == -1)
		return -1;
	n = strlen(out);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return 0;
}

/* "name":"value" with RFC 8259 escapes, comma first unless first. */
static int
json_member(struct buf *b, const char *name, const char *value, int first)
{
	const unsigned char *p;

	if (buf_printf(b, "%s\"%s\":\"", first ? "" : ",", name) == -1)
		return -1;
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			if (buf_addc(b, '\\') == -1 ||
			    buf_addc(b, (char)*p) == -1)
				return -1;
		} else if (*p < 0x20 || *p == 0x7f) {
			if (buf_printf(b, "\\u%04x", *p) == -1)
				return -1;
		} else if (buf_addc(b, (char)*p) == -1)
			return -1;
	}
	return buf_addc(b, '"');
}

static int
make_header(struct buf *b, const char *kid)
{
	if (buf_adds(b, "{\"alg\":\"RS256\",\"typ\":\"JWT\"") == -1 ||
	    (kid != NULL && json_member(b, "kid", kid, 0) == -1))
		return -1;
	return buf_addc(b, '}');
}

static int
make_claims(struct buf *b, const struct jwt_claims *c)
{
	if (buf_addc(b, '{') == -1 || json_member(b, "iss", c->iss, 1) == -1 ||
	    (c->sub != NULL && json_member(b, "sub", c->sub, 0) == -1) ||
	    (c->scope != NULL && json_member(b, "scope", c->scope, 0) == -1) ||
	    json_member(b, "aud", c->aud, 0) == -1 ||
	    buf_printf(b, ",\"iat\":%lld,\"exp\":%lld}", (long long)c->iat,
		(long long)c->iat + JWT_LIFETIME) == -1)
		return -1;
	return 0;
}

/* The PEM key as an EVP_PKEY, RSA only: RS256 is what Google checks. */
static EVP_PKEY *
load_key(const char *pem, struct perr *err)
{
	EVP_PKEY *pk = NULL;
	BIO *bio;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		perr_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pk == NULL) {
		perr_set(err, EX_CONFIG,
		    "the private key is not a PEM "
		    "private key");
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pk);
		perr_set(err, EX_CONFIG,
		    "the private key is not an RSA key "
		    "(RS256 needs one)");
		return NULL;
	}
	return pk;
}

int
jwt_assertion(const struct jwt_claims *c, const char *kid, const char *pem,
    char *out, size_t cap, struct perr *err)
{
	struct buf hdr, cl;
	unsigned char sig[JWT_MAX_SIG];
	size_t siglen = sizeof(sig), n;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	int rc = -1;

	if (ossl_load(err) == -1)
		return -1;
	buf_init(&hdr, JWT_MAX_PART);
	buf_init(&cl, JWT_MAX_PART);
	if (c->iss == NULL || c->aud == NULL) {
		perr_set(err, EX_CONFIG, "JWT: no issuer or audience");
		goto out;
	}
	if (make_header(&hdr, kid) == -1 || make_claims(&cl, c) == -1) {
		perr_set(err, EX_SOFTWARE, "JWT: claims too long");
		goto out;
	}
	if ((pk = load_key(pem, err)) == NULL)
		goto out;
	/* header.claims, then the signature over exactly those bytes */
	if (jwt_b64url(hdr.data, hdr.len, out, cap) == -1 ||
	    (n = strlen(out)) + 1 >= cap ||
	    jwt_b64url(cl.data, cl.len, out + n + 1, cap - n - 1) == -1) {
		perr_set(err, EX_SOFTWARE, "JWT: assertion too long");
		goto out;
	}
	out[n] = '.';
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)out,
		strlen(out)) != 1) {
		perr_set(err, EX_CONFIG,
		    "JWT: signing with the private key "
		    "failed");
		goto out;
	}
	n = strlen(out);
	if (n + 1 >= cap ||
	    jwt_b64url(sig, siglen, out + n + 1, cap - n - 1) == -1) {
		perr_set(err, EX_SOFTWARE, "JWT: assertion too long");
		goto out;
	}
	out[n] = '.';
	rc = 0;
out:
	if (rc == -1 && cap > 0)
		out[0] = '\0';
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	buf_free(&hdr);
	buf_free(&cl);
	return rc;
}
