/* SPDX-License-Identifier: ISC */
/*
 * The TLS session of the last successful connection, kept in one file
 * so that the next invocation can resume it: a header naming what it is
 * valid for (peer, server name, trust settings), then the session as
 * tls.c serialises it, opaque here. No OpenSSL in this file.
 */
#ifndef POSTA_TLSCACHE_H
#define POSTA_TLSCACHE_H

#include <stddef.h>

#define TLSCACHE_MAX 16384 /* octets of a stored session */

struct tlscache_key {
	const char *peer;  /* "host:port mode" */
	const char *name;  /* the name the certificate was checked against */
	const char *trust; /* digest of the trust settings, hex */
};

/*
 * When path holds a session stored under exactly key, copy it into buf
 * (cap octets) and return its length; 0 when there is none, it was
 * stored under another key, or the file is unusable. Never an error:
 * without a session the handshake is a full one.
 */
size_t tlscache_load(const char *path, const struct tlscache_key *key,
    unsigned char *buf, size_t cap);

/*
 * Replace path with blob under key: a new file (0660 less the umask),
 * fsync, rename over the old one, fsync of the directory, which is
 * created when missing. Returns 0, or -1 with errno.
 */
int tlscache_save(const char *path, const struct tlscache_key *key,
    const unsigned char *blob, size_t len);

/* Remove path (a session the server or a check refused); errors ignored. */
void tlscache_drop(const char *path);

#endif /* POSTA_TLSCACHE_H */
