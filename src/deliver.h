/* SPDX-License-Identifier: ISC */
/*
 * Delivery policy: run spool entries through one upstream session and
 * decide, from the replies, what was delivered, what is retried and
 * when, and what failed for good. The mechanism is smtp.c's; the
 * durable state changes are spool.c's.
 */
#ifndef POSTA_DELIVER_H
#define POSTA_DELIVER_H

#include "config.h"
#include "perr.h"
#include "smtp.h"
#include "spool.h"

struct dsession {
	const struct config *cfg;
	struct spool *sp;
	int verbose;
	int open; /* smtp is usable */
	int down; /* opening failed or a step timed
						   out in this run */
	struct perr down_err;
	int own_only; /* touch only uid's entries */
	uid_t uid;
	struct smtp smtp;
};

enum dresult {
	DR_DELIVERED, /* every recipient accepted; entry removed */
	DR_DEFERRED,  /* some recipients wait for a retry */
	DR_FAILED     /* no recipient left to try; entry in failed/ */
};

struct dreport {
	enum dresult result;
	size_t ndone, npending, nfailed; /* recipients, all attempts */
	int code;			 /* sysexits code for a failure */
	char reason[1024];		 /* one line: the reply or error */
};

/*
 * A session not opened yet. A set-group-id posta run by another user
 * than root gets own_only: its queue runs, flushes and -bs deliveries
 * take only the entries that user submitted (spool_owner).
 */
void dsession_init(struct dsession *ds, const struct config *cfg,
    struct spool *sp, int verbose);

/*
 * Try the pending recipients of a taken entry, then record the outcome
 * durably: remove it, update it with the retry time (back-off
 * BACKOFF_MIN doubling to BACKOFF_MAX), or move it to failed/ when
 * nothing is left to try or it is older than max_age. A delivery
 * status notification goes to the sender for recipients that failed,
 * unless the sender is null, or caller_told is set and every recipient
 * failed in this very attempt (the caller gets the error instead).
 * Returns 0 with rep filled in, or -1 with err and rep filled in when
 * the spool could not record the outcome. rep->result then says where
 * the entry stands all the same: DR_DELIVERED, the upstream has it (the
 * entry may still be in q/ and be sent again); DR_DEFERRED, it is
 * queued, without what this attempt did (a recipient accepted now may
 * get it again); DR_FAILED, the failure is in its envelope, and a
 * later queue run finishes the move to failed/ if it was cut short.
 */
int deliver_entry(struct dsession *ds, struct spool_entry *ent, int caller_told,
    struct dreport *rep, struct perr *err);

/*
 * An entry set aside in corrupt/ (its envelope unreadable) is a
 * failure for its sender: once per entry (spool_corrupt_claim), every
 * recipient that can be read and is not done is reported failed in a
 * notification, unless the sender is null, unreadable or asked for
 * none. Returns 1 when one was queued, 0 when there was nothing to
 * do, -1 with err when it could not be queued (tried again later).
 */
int deliver_corrupt(struct dsession *ds, const char *id, struct perr *err);

/* QUIT and close the session, if open. */
void dsession_close(struct dsession *ds);

/* Back-off after n failed attempts, in seconds. */
long deliver_backoff(int attempts);

#endif /* POSTA_DELIVER_H */
