/* SPDX-License-Identifier: ISC */
/*
 * The AUTH secret, fetched at the moment it is needed from password,
 * password_file or password_command, and wiped right after use.
 */
#ifndef POSTA_SECRET_H
#define POSTA_SECRET_H

#include <stddef.h>

#include "config.h"
#include "perr.h"

/*
 * Fill buf (NUL-terminated, at most MAX_SECRET octets) with the secret:
 * the password key, else the first line of password_file (opened
 * O_NOFOLLOW), else the first line printed by password_command (run by
 * /bin/sh -c in / with no user data in its environment, with the
 * set-group-id group as real and saved group too, bounded by the
 * upstream timeout). A trailing CR LF is removed. Returns 0, or -1 with
 * err (EX_CONFIG) saying which key failed and why, never the secret; a
 * failed command's message ends with the first line of its stderr.
 */
int secret_get(const struct config *cfg, char *buf, size_t cap,
    struct perr *err);

/* Where one secret comes from: the first of value, file and command set. */
struct secret_src {
	const char *name; /* "password": messages name its keys */
	const char *value;
	const char *file;
	const char *command;
	int timeout; /* seconds for the command */
};

/* secret_get() for any such triple (client_secret, refresh_token_file). */
int secret_fetch(const struct secret_src *src, char *buf, size_t cap,
    struct perr *err);

/* Overwrite buf in a way the compiler cannot optimise away. */
void secret_wipe(void *buf, size_t len);

#endif /* POSTA_SECRET_H */
