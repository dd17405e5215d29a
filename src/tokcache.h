/* SPDX-License-Identifier: ISC */
/*
 * The OAuth token cache: one file per configuration, "key value" lines
 *
 *	posta-oauth-cache 1	the format version, always the first line
 *	conf HEX		SHA-256 of the settings the tokens are for
 *	access TOKEN		with access-obtained T and access-expires T
 *	refresh TOKEN		with refresh-obtained T
 *	seed HEX		SHA-256 of the refresh_token_file last taken
 *	error-kind WORD		the last failure: invalid_grant, http_503...
 *	error-time T		(epoch seconds)
 *	error TEXT		one line, what to do; never a token
 *
 * and what kill -9 leaves at each point on disk:
 *
 *	CACHE.lock	flock(LOCK_EX) while a refresh runs; holds no data
 *	CACHE.tmp	the next state being written under the lock: a crash
 *			leaves it behind, the next writer unlinks it, CACHE
 *			is still the old state
 *	CACHE.tmp.PID.TIME.RANDOM
 *			the same, written without the lock by a process
 *			that waited the whole lock wait in vain (the
 *			holder is stopped); a writer under the lock
 *			removes those older than an hour
 *	rename		CACHE.tmp -> CACHE after fsync, then fsync of the
 *			directory: CACHE is old or new, never partial
 *
 * Every file is opened without following symbolic links and refused
 * when others may access it. Token buffers are wiped before release.
 */
#ifndef POSTA_TOKCACHE_H
#define POSTA_TOKCACHE_H

#include <stddef.h>
#include <time.h>

#include "perr.h"

#define TOKCACHE_HEX 64 /* SHA-256 in hex */

struct buf;

struct tokcache {
	char *access; /* NULL: none */
	time_t access_obtained;
	time_t access_expires;
	char *refresh; /* NULL: none */
	time_t refresh_obtained;
	char conf[TOKCACHE_HEX + 1];
	char seed[TOKCACHE_HEX + 1];
	char error_kind[32];
	time_t error_time;
	char error[1024];
	int dirty; /* to be written back (not stored) */
};

/* Wipe and free the tokens, zero the rest. */
void tokcache_free(struct tokcache *c);

/* Replace *field by a copy of s (NULL clears it); -1 out of memory. */
int tokcache_set(char **field, const char *s);

/* 1 when s (len octets) can be a token: 1 to MAX_SECRET printable, no blank. */
int tokcache_token_ok(const char *s, size_t len);

/* SHA-256 of len bytes in lower-case hex. */
void tokcache_sha256(const void *data, size_t len, char hex[TOKCACHE_HEX + 1]);

/*
 * Pure: parse text (NUL-terminated; changed in place, wiped by the
 * caller) into c, zeroed first. Returns 0, with *version set (a
 * version other than 1 stops the parse there), or the number of the
 * first bad line.
 */
int tokcache_parse(char *text, struct tokcache *c, int *version);

/*
 * Pure: c in the file format, appended to b; -1 when b is full. It
 * holds the tokens: buf_prealloc() b first, buf_wipe() it after.
 */
int tokcache_format(const struct tokcache *c, struct buf *b);

/*
 * Read the cache at path into c; a missing file is an empty cache.
 * Refused (-1 with err, EX_CONFIG): a symbolic link, not a regular
 * file, access for others, damaged, another format version.
 */
int tokcache_read(const char *path, struct tokcache *c, struct perr *err);

/*
 * Write c to path: temporary file, fsync, rename, fsync of the
 * directory. The caller holds the lock.
 */
int tokcache_write(const char *path, const struct tokcache *c,
    struct perr *err);

/* The same, without the lock: through a temporary file of its own. */
int tokcache_write_unlocked(const char *path, const struct tokcache *c,
    struct perr *err);

/*
 * Take the exclusive lock on path.lock (made with its directories when
 * missing), waiting at most wait seconds; *waited says whether another
 * process held it. Returns the descriptor, -2 with err when the wait ran
 * out, or -1 with err.
 */
int tokcache_lock(const char *path, double wait, int *waited, struct perr *err);

/* Release the lock (close the descriptor; -1 is a no-op). */
void tokcache_unlock(int fd);

#endif /* POSTA_TOKCACHE_H */
