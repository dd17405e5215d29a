/* SPDX-License-Identifier: ISC */
/*
 * mailq / -bp: the queue (or failed/) as a human reads it.
 */
#ifndef POSTA_MAILQ_H
#define POSTA_MAILQ_H

#include <stdio.h>

#include "perr.h"
#include "spool.h"

/*
 * Print every entry of q/ (failed/ with failed set): id, size, age,
 * sender, then attempts, next try, last error and each recipient with
 * its state; an entry whose envelope cannot be read as unreadable, and
 * counted. "Mail queue is empty" when there is none. The queue
 * listing ends with what is in corrupt/, counted. Returns 0 or -1
 * with err.
 */
int mailq_print(struct spool *sp, int failed, FILE *out, struct perr *err);

#endif /* POSTA_MAILQ_H */
