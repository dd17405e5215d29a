/* SPDX-License-Identifier: ISC */
/*
 * The queue listing, in the spirit of Postfix's mailq: one block per
 * entry, a summary line at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailq.h"
#include "util.h"

static const char *const state_word[] = { "pending", "delivered", "failed" };

/* S as a terminal may show it, in BUF: controls, C1 included, blanked. */
static const char *
shown(const char *s, char buf[MAX_ADDR + MAX_REASON + 2])
{
	(void)xstrlcpy(buf, s, MAX_ADDR + MAX_REASON + 2);
	str_blank_term(buf);
	return buf;
}

static void
print_entry(const struct spool_entry *ent, int failed, time_t now, FILE *out)
{
	const struct envelope *e = &ent->env;
	char age[32], next[32], buf[MAX_ADDR + MAX_REASON + 2];
	size_t i;

	fmt_duration(now - e->created, age, sizeof(age));
	fprintf(out, "%-16s %10lld %6s  <%s>\n", ent->id, (long long)ent->size,
	    age, shown(e->sender, buf));
	if (failed)
		fprintf(out, "    failed after %d attempt%s\n", e->attempts,
		    e->attempts == 1 ? "" : "s");
	else if (e->next_try <= now)
		fprintf(out, "    attempts %d, next try: now\n", e->attempts);
	else {
		fmt_duration(e->next_try - now, next, sizeof(next));
		fprintf(out, "    attempts %d, next try in %s\n", e->attempts,
		    next);
	}
	if (e->last_error != NULL)
		fprintf(out, "    last error: %s\n", shown(e->last_error, buf));
	for (i = 0; i < e->nrcpts; i++) {
		fprintf(out, "    %-9s <%s>\n", state_word[e->rcpts[i].state],
		    shown(e->rcpts[i].addr, buf));
		if (env_reason(e, i) != NULL && e->rcpts[i].state != RCPT_DONE)
			fprintf(out, "              %s\n",
			    shown(env_reason(e, i), buf));
	}
}

/* What was set aside in corrupt/ is counted and shown, never silent. */
static void
print_corrupt(struct spool *sp, FILE *out)
{
	struct perr err = { 0, "" };
	struct spool_entry ent;
	char **names, id[32], *dot;
	size_t n, i;

	if (spool_list_corrupt(sp, &names, &n, &err) == -1) {
		fprintf(out, "(corrupt/ unreadable: %s)\n", err.msg);
		return;
	}
	if (n > 0)
		fprintf(out,
		    "\nSet aside in %s/corrupt/ (unreadable, see the "
		    "log):\n",
		    sp->path);
	for (i = 0; i < n; i++) {
		dot = strrchr(names[i], '.');
		if (dot == NULL || strcmp(dot, ".env") != 0 ||
		    (size_t)(dot - names[i]) >= sizeof(id)) {
			fprintf(out, "    %s\n", names[i]);
			continue;
		}
		memcpy(id, names[i], (size_t)(dot - names[i]));
		id[dot - names[i]] = '\0';
		perr_clear(&err);
		if (spool_corrupt_peek(sp, id, &ent, &err) == 0)
			fprintf(out, "    %-24s from <%s>%s\n", names[i],
			    ent.env.sender,
			    spool_corrupt_told(sp, id) ? ", sender notified" :
							 "");
		else
			fprintf(out, "    %-24s (no sender found)\n", names[i]);
		spool_release(&ent);
	}
	if (n > 0)
		fprintf(out, "-- %zu file%s in corrupt/\n", n,
		    n == 1 ? "" : "s");
	spool_list_free(names, n);
}

int
mailq_print(struct spool *sp, int failed, FILE *out, struct perr *err)
{
	struct spool_entry ent;
	struct perr eerr;
	char **ids;
	size_t nids, i, shown = 0, bad = 0;
	long long total = 0;
	time_t now = time(NULL);

	if (spool_list(sp, failed, &ids, &nids, err) == -1)
		return -1;
	for (i = 0; i < nids; i++) {
		perr_clear(&eerr);
		if (spool_peek(sp, ids[i], failed, &ent, &eerr) != 0) {
			if (eerr.code != 0) {
				fprintf(out, "%-16s (unreadable: %s)\n", ids[i],
				    eerr.msg);
				bad++;
			}
			continue;
		}
		if (shown == 0)
			fprintf(out, "%-16s %10s %6s  %s\n", "Queue ID", "Size",
			    "Age", "Sender/Recipients");
		print_entry(&ent, failed, now, out);
		fputc('\n', out);
		total += (long long)ent.size;
		shown++;
		spool_release(&ent);
	}
	spool_list_free(ids, nids);
	/* an entry we cannot read is still there: never say "empty" */
	if (shown == 0 && bad == 0)
		fprintf(out,
		    failed ? "No failed messages\n" : "Mail queue is empty\n");
	else {
		fprintf(out, "-- %zu message%s, %lld octets%s", shown + bad,
		    shown + bad == 1 ? "" : "s", total,
		    failed ? " in failed/" : "");
		if (bad > 0)
			fprintf(out, ", %zu unreadable", bad);
		fputc('\n', out);
	}
	if (!failed)
		print_corrupt(sp, out);
	return 0;
}
