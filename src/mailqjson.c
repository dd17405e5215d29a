/* SPDX-License-Identifier: ISC */
/*
 * The queue as JSON. One document rather than JSON lines: the counts
 * and the entries arrive together and every JSON tool reads it whole
 * (jq, python3 -m json.tool). It is still written entry by entry, so a
 * queue of any length costs the memory of one entry. Everything an
 * entry holds goes through jsonw_str(): addresses and server replies
 * can hold any byte, the document stays valid.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "jsonw.h"
#include "mailqjson.h"

/*
 * What is written between two drains: the head of an entry, or one
 * recipient (MAX_ADDR and MAX_REASON octets, at most 6 octets each
 * once escaped), with room to spare.
 */
#define PIECE_MAX ((size_t)1024 * 1024)

static const char *const state_word[] = { "pending", "delivered", "failed" };

/*
 * Send what the writer holds and forget it; -1 with err once out
 * fails, or when a piece did not fit (nothing of it is sent).
 */
static int
drain(struct jsonw *w, FILE *out, struct perr *err)
{
	struct buf *b = w->b;

	if (jsonw_failed(w))
		return perr_set(err, EX_SOFTWARE,
		    "the JSON listing could "
		    "not be written: a piece larger than %zu octets",
		    PIECE_MAX);
	if (b->len > 0 && fwrite(b->data, 1, b->len, out) != b->len)
		return perr_set(err, EX_IOERR, "writing the listing: %s",
		    strerror(errno));
	buf_reset(b);
	return 0;
}

static int
entry(struct jsonw *w, const struct spool_entry *ent, int failed, FILE *out,
    struct perr *err)
{
	const struct envelope *e = &ent->env;
	size_t i;

	jsonw_obj(w, NULL);
	jsonw_kstr(w, "id", ent->id);
	jsonw_kint(w, "created", (long long)e->created);
	jsonw_ktime(w, "created_iso", (long long)e->created);
	jsonw_kint(w, "size", (long long)ent->size);
	jsonw_kstr(w, "sender", e->sender);
	jsonw_kint(w, "attempts", e->attempts);
	if (failed) {
		jsonw_knull(w, "next_try");
		jsonw_knull(w, "next_try_iso");
	} else {
		jsonw_kint(w, "next_try", (long long)e->next_try);
		jsonw_ktime(w, "next_try_iso", (long long)e->next_try);
	}
	jsonw_kstr(w, "last_error", e->last_error);
	jsonw_arr(w, "recipients");
	for (i = 0; i < e->nrcpts; i++) {
		jsonw_obj(w, NULL);
		jsonw_kstr(w, "address", e->rcpts[i].addr);
		jsonw_kstr(w, "state", state_word[e->rcpts[i].state]);
		jsonw_kstr(w, "reason", env_reason(e, i));
		jsonw_end(w);
		if (drain(w, out, err) == -1)
			return -1;
	}
	jsonw_end(w);
	jsonw_end(w);
	return drain(w, out, err);
}

/* Entries in failed/ (or q/), corrupt/ files: -1 when unreadable. */
static long long
count(struct spool *sp, int which)
{
	struct perr err = { 0, "" };
	char **names;
	size_t n;
	int rc;

	if (sp == NULL)
		return 0;
	rc = which == 2 ? spool_list_corrupt(sp, &names, &n, &err) :
			  spool_list(sp, which, &names, &n, &err);
	if (rc == -1)
		return -1;
	spool_list_free(names, n);
	return (long long)n;
}

/* The entries, and those whose envelope could not be read, after them. */
static int
entries(struct jsonw *w, struct spool *sp, int failed, FILE *out,
    long long *listed, struct perr *err)
{
	struct strvec bad, why;
	struct spool_entry ent;
	struct perr eerr;
	char **ids = NULL;
	size_t nids = 0, i, shown = 0;
	int r, rc = -1;

	strvec_init(&bad, SIZE_MAX);
	strvec_init(&why, SIZE_MAX);
	jsonw_arr(w, "entries");
	if (sp != NULL && spool_list(sp, failed, &ids, &nids, err) == -1)
		goto out;
	for (i = 0; i < nids; i++) {
		perr_clear(&eerr);
		if (spool_peek(sp, ids[i], failed, &ent, &eerr) != 0) {
			if (eerr.code != 0 &&
			    (strvec_push(&bad, ids[i]) == -1 ||
				strvec_push(&why, eerr.msg) == -1)) {
				perr_set(err, EX_OSERR, "out of memory");
				goto out;
			}
			spool_release(&ent);
			continue;
		}
		jsonw_nl(w);
		r = entry(w, &ent, failed, out, err);
		spool_release(&ent);
		if (r == -1)
			goto out;
		shown++;
	}
	jsonw_end(w);
	jsonw_nl(w);
	jsonw_arr(w, "unreadable");
	for (i = 0; i < bad.n; i++) {
		jsonw_obj(w, NULL);
		jsonw_kstr(w, "id", bad.v[i]);
		jsonw_kstr(w, "error", why.v[i]);
		jsonw_end(w);
		if (drain(w, out, err) == -1)
			goto out;
	}
	jsonw_end(w);
	*listed = (long long)(shown + bad.n);
	rc = 0;
out:
	spool_list_free(ids, nids);
	strvec_free(&bad);
	strvec_free(&why);
	return rc;
}

int
mailq_json(struct spool *sp, int failed, FILE *out, struct perr *err)
{
	struct jsonw w;
	struct buf b;
	long long listed = 0, n;
	time_t now = time(NULL);
	int rc = -1;

	buf_init(&b, PIECE_MAX);
	jsonw_init(&w, &b);
	jsonw_obj(&w, NULL);
	jsonw_kint(&w, "version", MAILQ_JSON_VERSION);
	jsonw_kstr(&w, "queue", failed ? "failed" : "q");
	jsonw_kint(&w, "now", (long long)now);
	jsonw_ktime(&w, "now_iso", (long long)now);
	if (entries(&w, sp, failed, out, &listed, err) == -1)
		goto out;
	jsonw_nl(&w);
	jsonw_obj(&w, "counts");
	jsonw_kint(&w, failed ? "failed" : "queued", listed);
	/* -1: that directory could not be read */
	if ((n = count(sp, failed ? 0 : 1)) < 0)
		jsonw_knull(&w, failed ? "queued" : "failed");
	else
		jsonw_kint(&w, failed ? "queued" : "failed", n);
	if ((n = count(sp, 2)) < 0)
		jsonw_knull(&w, "corrupt");
	else
		jsonw_kint(&w, "corrupt", n);
	jsonw_end(&w);
	jsonw_end(&w);
	jsonw_nl(&w);
	if (drain(&w, out, err) == -1)
		goto out;
	if (fflush(out) == EOF || ferror(out)) {
		perr_set(err, EX_IOERR, "writing the listing: %s",
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}
