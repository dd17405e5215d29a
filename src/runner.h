/* SPDX-License-Identifier: ISC */
/*
 * Queue runs: which entries to try, over one session, for how long;
 * the -qINTERVAL loop and its stop signals. The one loop over entries:
 * -bs and the flush after a submission use it too. (The detached child
 * of -odb is forked in submit.c.)
 */
#ifndef POSTA_RUNNER_H
#define POSTA_RUNNER_H

#include "deliver.h"

struct qsel {
	char kind;	     /* 'I' id, 'R' recipient, 'S' sender, 0 all */
	const char *arg;     /* substring, compared ignoring case */
	int due_only;	     /* skip entries whose next try is ahead */
	double budget;	     /* seconds, 0 = no limit */
	const char *skip_id; /* do not touch this one */
};

struct runstats {
	size_t tried, delivered, deferred, failed, busy;
	size_t corrupt; /* unreadable, set aside in corrupt/ */
	size_t errors;	/* entries the spool would not let us update */
};

/*
 * Deliver the selected entries over ds's session, oldest first. A
 * session that cannot be opened ends the run (every entry would fail
 * the same way). Stops early when the budget is spent or a stop signal
 * arrived. A run of all entries also tells the senders of entries set
 * aside in corrupt/ (deliver_corrupt). Returns 0, or -1 with err
 * (logged) when the spool cannot be read or written; an entry that
 * cannot be updated is logged, counted in st->errors, and the first
 * such error is left in err.
 */
int runner_once(struct dsession *ds, const struct qsel *sel,
    struct runstats *st, struct perr *err);

/*
 * Deliver the entries named in ids (what -bs accepted), in that order,
 * over ds's session, each as a queue run would. Unlike a queue run,
 * each is tried even once the session is down, so that each records
 * its attempt and its reason, as a delivery at submission does.
 */
void runner_ids(struct dsession *ds, char *const *ids, size_t n,
    struct runstats *st);

/* Run the due entries every interval seconds until SIGTERM or SIGINT. */
int runner_loop(struct dsession *ds, const struct qsel *sel, long interval,
    struct perr *err);

/* Install the stop handlers (the in-flight entry is finished first). */
void runner_catch_signals(void);

#endif /* POSTA_RUNNER_H */
