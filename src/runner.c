/* SPDX-License-Identifier: ISC */
/*
 * Queue runs. The stop flag is the only file-static state: a signal
 * ends the run between two entries, never inside one, so the entry in
 * flight is recorded as delivered, deferred or failed before we go.
 */
#define _GNU_SOURCE /* strcasestr */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "runner.h"
#include "util.h"

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void
runner_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a sleep between runs must end at once */
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

static int
matches(const struct qsel *sel, const struct envelope *e)
{
	size_t i;

	switch (sel->kind) {
	case 'I':
		return strcasestr(e->id, sel->arg) != NULL;
	case 'S':
		return strcasestr(e->sender, sel->arg) != NULL;
	case 'R':
		for (i = 0; i < e->nrcpts; i++)
			if (e->rcpts[i].state == RCPT_PENDING &&
			    strcasestr(e->rcpts[i].addr, sel->arg) != NULL)
				return 1;
		return 0;
	default:
		return 1;
	}
}

/*
 * Set-group-id, not root: the caller's own entries only, before they
 * are even read, so that -v shows nothing of another user's mail. An
 * entry whose owner cannot be told is not the caller's.
 */
static int
mine(const struct dsession *ds, const char *id, int corrupt)
{
	uid_t uid;

	if (!ds->own_only)
		return 1;
	return spool_owner(ds->sp, id, corrupt, &uid) == 0 && uid == ds->uid;
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One entry of a run; updates st, and err with the first spool error. */
static void
run_entry(struct dsession *ds, const struct qsel *sel, const char *id,
    struct runstats *st, struct perr *err)
{
	struct spool_entry ent;
	struct dreport rep;
	struct perr eerr = { 0, "" };
	int rc;

	if (!mine(ds, id, 0))
		return;
	if ((rc = spool_take(ds->sp, id, &ent, &eerr)) == 1) {
		st->busy++;
		return;
	}
	if (rc == -1) {
		if (eerr.code == EX_DATAERR) {
			st->corrupt++; /* set aside, and logged */
			return;
		}
		log_errx("%s", eerr.msg);
		if (eerr.code == EX_CANTCREAT) { /* a spool we cannot write */
			st->errors++;
			perr_set(err, eerr.code, "%s", eerr.msg);
		}
		return;
	}
	/* the file we hold is the one we looked at */
	if ((ds->own_only && ent.owner != ds->uid) ||
	    (sel->due_only && ent.env.next_try > time(NULL)) ||
	    !matches(sel, &ent.env)) {
		spool_release(&ent);
		return;
	}
	st->tried++;
	if (deliver_entry(ds, &ent, 0, &rep, &eerr) == -1) {
		log_warnx("%s: %s", ent.id, eerr.msg);
		st->errors++;
		perr_set(err, eerr.code, "%s: %s", ent.id, eerr.msg);
	} else if (rep.result == DR_DELIVERED)
		st->delivered++;
	else if (rep.result == DR_FAILED)
		st->failed++;
	else
		st->deferred++;
	spool_release(&ent);
}

/* Senders of entries in corrupt/ (set aside now or earlier): told once. */
static size_t
tell_corrupt(struct dsession *ds)
{
	struct perr err = { 0, "" };
	char **names = NULL, id[32], *dot;
	size_t n = 0, i, told = 0;

	if (spool_list_corrupt(ds->sp, &names, &n, &err) == -1) {
		log_errx("%s", err.msg);
		return 0;
	}
	for (i = 0; i < n && !stop_flag; i++) {
		if ((dot = strrchr(names[i], '.')) == NULL ||
		    strcmp(dot, ".env") != 0 ||
		    (size_t)(dot - names[i]) >= sizeof(id))
			continue;
		memcpy(id, names[i], (size_t)(dot - names[i]));
		id[dot - names[i]] = '\0';
		if (!mine(ds, id, 1))
			continue;
		perr_clear(&err);
		switch (deliver_corrupt(ds, id, &err)) {
		case -1:
			log_errx("%s", err.msg);
			break;
		case 1:
			told++;
			break;
		default:
			break;
		}
	}
	spool_list_free(names, n);
	return told;
}

int
runner_once(struct dsession *ds, const struct qsel *sel, struct runstats *st,
    struct perr *err)
{
	double start = mono_now();
	char **ids = NULL, **more = NULL;
	size_t nids = 0, nmore = 0, i, told = 0;
	const char *key;

	memset(st, 0, sizeof(*st));
	/* a read-only spool is an error, not an empty or busy queue */
	if (spool_writable(ds->sp, err) == -1 ||
	    spool_list(ds->sp, 0, &ids, &nids, err) == -1) {
		log_warnx("%s", err->msg);
		return -1;
	}
	for (i = 0; i < nids && !stop_flag && !ds->down; i++) {
		if (sel->budget > 0 && mono_now() - start > sel->budget)
			break;
		/* the caller of a foreground delivery waits for this flush */
		if (ds->cfg->deadline > 0 && mono_now() >= ds->cfg->deadline)
			break;
		if (sel->skip_id == NULL || strcmp(ids[i], sel->skip_id) != 0)
			run_entry(ds, sel, ids[i], st, err);
	}
	if (sel->kind == 0 && !stop_flag)
		told = tell_corrupt(ds);
	/* notifications this run queued go out over the same session */
	if ((st->failed > 0 || told > 0) && !stop_flag && !ds->down &&
	    spool_list(ds->sp, 0, &more, &nmore, err) == 0) {
		for (i = 0; i < nmore && !stop_flag && !ds->down; i++) {
			key = more[i];
			if (bsearch(&key, ids, nids, sizeof(*ids), cmp_id) ==
			    NULL)
				run_entry(ds, sel, more[i], st, err);
		}
		spool_list_free(more, nmore);
	}
	spool_list_free(ids, nids);
	return 0;
}

void
runner_ids(struct dsession *ds, char *const *ids, size_t n, struct runstats *st)
{
	static const struct qsel all = { 0, NULL, 0, 0, NULL };
	struct perr e = { 0, "" };
	size_t i;

	memset(st, 0, sizeof(*st));
	/* an entry the spool will not let us update is logged and counted */
	for (i = 0; i < n && !stop_flag; i++)
		run_entry(ds, &all, ids[i], st, &e);
}

int
runner_loop(struct dsession *ds, const struct qsel *sel, long interval,
    struct perr *err)
{
	struct runstats st;
	struct qsel s = *sel;
	time_t next;

	s.due_only = 1;
	log_info("queue runner started, every %lds", interval);
	while (!stop_flag) {
		next = time(NULL) + interval;
		ds->down = 0;
		if (runner_once(ds, &s, &st, err) == -1)
			return -1;
		perr_clear(err); /* entry errors are logged; go on */
		dsession_close(ds);
		if (st.tried > 0 || st.corrupt > 0)
			log_info("queue run: %zu tried, %zu delivered, %zu "
				 "deferred, %zu failed, %zu unreadable",
			    st.tried, st.delivered, st.deferred, st.failed,
			    st.corrupt);
		while (!stop_flag && time(NULL) < next)
			(void)sleep((unsigned int)(next - time(NULL)));
	}
	log_info("queue runner stopped");
	return 0;
}
