/* SPDX-License-Identifier: ISC */
/*
 * posta -bp --json, mailq --json: the queue listing as one JSON
 * document for monitoring scripts. Its members are listed in posta(8)
 * THE SPOOL; they are only ever added to, never renamed ("version").
 */
#ifndef POSTA_MAILQJSON_H
#define POSTA_MAILQJSON_H

#include <stdio.h>

#include "perr.h"
#include "spool.h"

/* The document's "version": raised only for an incompatible change. */
#define MAILQ_JSON_VERSION 1

/*
 * Write the entries of q/ (failed/ with failed set), oldest first, and
 * the counts of q/, failed/ and corrupt/ to out, streamed entry by
 * entry. sp may be NULL: no spool yet, an empty listing. Returns 0, or
 * -1 with err (EX_IOERR when out could not be written, the document
 * then cut short).
 */
int mailq_json(struct spool *sp, int failed, FILE *out, struct perr *err);

#endif /* POSTA_MAILQJSON_H */
