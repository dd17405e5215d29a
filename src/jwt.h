/* SPDX-License-Identifier: ISC */
/*
 * RFC 7523 client assertions: a JWT signed with RS256 (RFC 7515, 7518)
 * from a service account's PEM private key, as Google's token endpoint
 * takes for grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer.
 * Pure apart from OpenSSL: no I/O.
 */
#ifndef POSTA_JWT_H
#define POSTA_JWT_H

#include <stddef.h>
#include <time.h>

#include "perr.h"

#define JWT_LIFETIME 3600 /* seconds; Google's maximum */

struct jwt_claims {
	const char *iss;   /* the service account's client_email */
	const char *sub;   /* the mailbox to act for, or NULL */
	const char *aud;   /* the token endpoint */
	const char *scope; /* or NULL */
	time_t iat;	   /* exp is iat + JWT_LIFETIME */
};

/*
 * header.claims.signature in base64url without padding, into out.
 * The header is {"alg":"RS256","typ":"JWT"} with "kid" when kid is not
 * NULL. pem is an RSA private key (PKCS#8 or PKCS#1). Returns 0, or -1
 * with err (EX_CONFIG: the key is unusable; EX_SOFTWARE: no room).
 */
int jwt_assertion(const struct jwt_claims *c, const char *kid, const char *pem,
    char *out, size_t cap, struct perr *err);

/* base64url (RFC 4648 5) of len bytes, no padding; -1: no room. */
int jwt_b64url(const void *in, size_t len, char *out, size_t cap);

#endif /* POSTA_JWT_H */
