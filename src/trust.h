/* SPDX-License-Identifier: ISC */
/*
 * The certificates a server's chain is verified against, read only as
 * far as a verification needs them. ca_file, or the system store as
 * OpenSSL's defaults name it (SSL_CERT_DIR, SSL_CERT_FILE outside
 * set-id mode): the hashed directory, looked up by subject, and the
 * bundle file only where no directory exists or when SSL_CERT_FILE is
 * set. A bundle is scanned for subject names; only the certificates a
 * chain needs are decoded. Used by tls.c alone.
 */
#ifndef POSTA_TRUST_H
#define POSTA_TRUST_H

#include <stddef.h>

#include <openssl/x509_vfy.h>

#include "perr.h"

struct trust;

/*
 * Attach lookups to store: ca_file (PEM bundle) when not NULL, else the
 * system store. Nothing is read yet. Returns NULL with err (EX_OSERR,
 * EX_TEMPFAIL) only when memory or OpenSSL fails. Free with trust_free()
 * after the store.
 */
struct trust *trust_attach(X509_STORE *store, const char *ca_file,
    struct perr *err);

/* Why a file of the store could not be used ("ca_file X: ..."), or NULL. */
const char *trust_error(const struct trust *t);

/*
 * What the store is, with each file's identity (device, inode, size,
 * mtime), into buf: a session verified under another store is not
 * resumed. Returns -1 when it does not fit.
 */
int trust_ident(const struct trust *t, char *buf, size_t cap);

void trust_free(struct trust *t);

/*
 * Append "LABEL PATH dev:ino size mtime" (or "LABEL PATH -") and a
 * newline at buf + *off, moving *off; -1 when it does not fit.
 */
int trust_path_ident(const char *label, const char *path, char *buf, size_t cap,
    size_t *off);

/*
 * Pure, for the unit tests: the subject Name (its whole DER TLV) of the
 * DER certificate der; -1 when der is not shaped like a certificate.
 */
int trust_der_subject(const unsigned char *der, size_t len,
    const unsigned char **subj, size_t *slen);

#endif /* POSTA_TRUST_H */
