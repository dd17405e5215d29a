/* SPDX-License-Identifier: ISC */
/*
 * Delivery status notifications (RFC 3464): a multipart/report to the
 * envelope sender for the recipients of an entry that failed.
 */
#ifndef POSTA_DSN_H
#define POSTA_DSN_H

#include "config.h"
#include "perr.h"
#include "spool.h"

/*
 * Queue a notification for the failed recipients of ent (its message
 * file is read for the original headers): null sender, to ent's
 * sender, in q/, due now. Does nothing and returns 0 for a null
 * sender (never a notification about a notification). Returns 0, or
 * -1 with err; the id of the new entry is written to newid when set.
 */
int dsn_queue(struct spool *sp, const struct config *cfg,
    const struct spool_entry *ent, char *newid, size_t cap, struct perr *err);

#endif /* POSTA_DSN_H */
