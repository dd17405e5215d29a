/* SPDX-License-Identifier: ISC */
/*
 * Certificates and keys outside the handshake: whether a certificate
 * is valid for a name or matches a pin (as the handshake decides it),
 * its description for posta --check, and the client's private key
 * read from its file. Used by tls.c alone; no SSL session in here.
 */
#ifndef POSTA_TLSCERT_H
#define POSTA_TLSCERT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "perr.h"
#include "tls.h"

/* 1 when name is an IPv4 or IPv6 literal, checked as an address. */
int tlscert_is_ip(const char *name);

/* 1 when cert is valid for name, checked as a handshake checks it. */
int tlscert_name_ok(X509 *cert, const char *name);

/* 1 when cert's SHA-256 is pin; 0 when not, -1 when it cannot be computed. */
int tlscert_pin_ok(X509 *cert, const unsigned char pin[32]);

/*
 * Fill out from cert: subject, issuer, subjectAltName, expiry, the
 * chain's verdict from verify_err (an X509_V_ERR_* code), whether it
 * is valid for servername (when not NULL or ""), and its pin. Returns
 * -1 when the digest cannot be computed, else 0.
 */
int tlscert_describe(X509 *cert, int verify_err, const char *servername,
    struct tls_peer *out);

/* OpenSSL's reason for its last error, in buf if need be; NULL: none queued. */
const char *tlscert_error(char *buf, size_t cap);

/*
 * The client key, read like a password file: not through a symbolic
 * link, a regular file, not encrypted, and refused when others may
 * read or write it (group access is allowed, for a set-group-id
 * install). NULL with err (EX_CONFIG, EX_OSERR) when it cannot be had.
 */
EVP_PKEY *tlscert_read_key(const char *path, struct perr *err);

#endif /* POSTA_TLSCERT_H */
