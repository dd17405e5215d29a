/* SPDX-License-Identifier: ISC */
/*
 * Between envelope.c (the record) and envfile.c (its file format): the
 * few insides of the record the reader and writer need. Nothing else
 * includes this file.
 */
#ifndef POSTA_ENVPRIV_H
#define POSTA_ENVPRIV_H

#include <stdint.h>

#include "envelope.h"
#include "perr.h"
#include "posta.h"

/* src cut to MAX_REASON octets (not inside a UTF-8 sequence), blanked. */
void env_cut_text(char dst[MAX_REASON + 1], const char *src);

/* env_add_rcpt(), but returns 1 when the address was there already. */
int env_add_rcpt_new(struct envelope *e, const char *addr, struct perr *err);

/*
 * Index + 1 of text (cut and blanked) among e's reasons, added when
 * new (past MAX_REASONS reduced to its reply code); 0 out of memory.
 */
uint32_t env_intern(struct envelope *e, const char *text);

/* Once a file is read: drop the duplicate table and spare capacity. */
void env_compact(struct envelope *e);

#endif /* POSTA_ENVPRIV_H */
