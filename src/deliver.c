/* SPDX-License-Identifier: ISC */
/*
 * Delivery policy. How a reply is read:
 *
 *	session could not be opened	every pending recipient: retry
 *	(connect, TLS, AUTH, greeting)	(a wrong password is fixed by
 *					 the admin; mail must wait for it)
 *	MAIL 4xx / 5xx			every pending recipient: retry / failed
 *	RCPT 4xx / 5xx			that recipient: retry / failed
 *	DATA 4xx / 5xx			accepted recipients: retry / failed
 *	DATA 2xx, 3xx other than 354	session broken: retry (nothing sent)
 *	final dot 2xx / 4xx / 5xx	accepted recipients: done / retry / failed
 *	session lost before the dot	retry, over a new connection once
 *	421 or lost at MAIL/RCPT,	the same message again at once over
 *	 after earlier transactions	 a new connection, once (worth_fresh)
 *	session lost after the dot	retry: the upstream may have the
 *					message already (a possible
 *					duplicate, never a loss)
 *	a step timed out		retry, and the run ends: a stuck
 *					server would hold every entry as long
 *	send_timeout spent		the same (conn.c ends the wait at
 *	 (foreground: cfg->deadline)	 the deadline, as a timeout)
 *
 * A recipient marked done is never sent again. 452 (too many
 * recipients) after some were accepted starts another transaction at
 * once for the rest.
 */
#define _GNU_SOURCE /* strcasestr */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "auth.h"
#include "deliver.h"
#include "dlog.h"
#include "dsn.h"
#include "log.h"
#include "oauth.h"
#include "posta.h"
#include "secret.h"
#include "sender.h"
#include "util.h"

void
dsession_init(struct dsession *ds, const struct config *cfg, struct spool *sp,
    int verbose)
{
	memset(ds, 0, sizeof(*ds));
	ds->cfg = cfg;
	ds->sp = sp;
	ds->verbose = verbose;
	/*
	 * Decided here, where every run, flush and -bs delivery starts, so
	 * that none can forget it. After -C the group is gone for good and
	 * the spool is the caller's own: no restriction is needed.
	 */
	ds->own_only = getegid() != getgid() && getuid() != 0;
	ds->uid = getuid();
	smtp_init(&ds->smtp);
}

void
dsession_close(struct dsession *ds)
{
	if (ds->open)
		smtp_close(&ds->smtp);
	ds->open = 0;
}

long
deliver_backoff(int attempts)
{
	long d = BACKOFF_MIN;

	while (--attempts > 0 && d < BACKOFF_MAX)
		d *= 2;
	return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

/*
 * With [oauth] the token comes first: a refresh then never keeps an
 * SMTP connection idle, and a token problem costs no connection. A
 * 535 or 5.7.x to that token gets one new token and one more try.
 * AUTH offers this very token: read from the cache again, it could be
 * another one (renewed by another process meanwhile), and the renewal,
 * told tok was refused, would hand back the refused one.
 */
static int
open_session(struct dsession *ds, struct esmtp_reply *last)
{
	const struct config *cfg = ds->cfg;
	char *tok = NULL, line[MAX_REPLY_TEXT + 16];
	int rc = -1;

	smtp_init(&ds->smtp); /* no auth_refused from an earlier session */
	if (cfg->oauth.set) {
		if ((tok = malloc(MAX_SECRET + 1)) == NULL)
			return perr_set(&ds->down_err, EX_OSERR,
			    "out of memory");
		if (oauth_token(cfg, 0, tok, MAX_SECRET + 1, &ds->down_err) ==
		    -1)
			goto out;
	}
	rc = smtp_open(&ds->smtp, cfg, tok, ds->verbose, last, &ds->down_err);
	if (rc == -1 && tok != NULL && ds->smtp.auth_refused &&
	    auth_token_refused(last->code, last->text)) {
		log_info("upstream refused the OAuth token (%s); getting a "
			 "new one",
		    esmtp_reply_line(last, line, sizeof(line)));
		perr_clear(&ds->down_err);
		if (oauth_token_renew(cfg, tok, tok, MAX_SECRET + 1,
			&ds->down_err) == 0)
			rc = smtp_open(&ds->smtp, cfg, tok, ds->verbose, last,
			    &ds->down_err);
	}
out:
	if (tok != NULL) {
		secret_wipe(tok, MAX_SECRET + 1);
		free(tok);
	}
	return rc;
}

static int
session(struct dsession *ds)
{
	struct esmtp_reply last;
	const char *hint;
	char msg[sizeof(ds->down_err.msg)];

	if (ds->open)
		return 0;
	if (ds->down)
		return -1;
	memset(&last, 0, sizeof(last));
	perr_clear(&ds->down_err);
	if (open_session(ds, &last) == -1) {
		ds->down = 1;
		/* provider refusals users meet: say what to configure */
		hint = ds->smtp.auth_refused ?
		    auth_hint(last.code, last.text, ds->cfg->oauth.set) :
		    NULL;
		if (hint != NULL) {
			/* cut when too long: the start says the most */
			(void)xsnprintf(msg, sizeof(msg), "%s; %s",
			    ds->down_err.msg, hint);
			(void)xstrlcpy(ds->down_err.msg, msg,
			    sizeof(ds->down_err.msg));
		}
		return -1;
	}
	ds->open = 1;
	return 0;
}

static void
set_reason(struct envelope *e, size_t i, const struct esmtp_reply *rep)
{
	char line[MAX_REPLY_TEXT + 16];

	(void)env_set_reason(e, i, esmtp_reply_line(rep, line, sizeof(line)),
	    NULL);
}

/* What a transaction's RCPT replies are about: envelope indexes. */
struct txmap {
	struct envelope *e;
	uint32_t *map;
};

/*
 * A refused RCPT: its reply is the recipient's reason from now on,
 * whatever DATA brings (the text is kept only here, once per
 * distinct reply, so a transaction's memory does not grow with the
 * length of the replies).
 */
static void
rcpt_reply(void *arg, size_t i, const struct esmtp_reply *r)
{
	struct txmap *m = arg;

	if (r->code / 100 != 2)
		set_reason(m->e, m->map[i], r);
}

/*
 * Is a transaction that ended the session before DATA worth one more
 * over a fresh connection, at once? Yes when the server had said
 * nothing about it yet (it had closed an idle session), and when it
 * ended the session at MAIL or RCPT (421, or closed) after earlier
 * transactions of the same session: that is a per-connection message
 * limit (Exim's smtp_accept_max_per_connection), which a new
 * connection resets. On the first transaction it is the server's
 * state, and the usual retry applies.
 */
static int
worth_fresh(const struct smtp *s, const struct smtp_tx *tx, int lost)
{
	size_t i;

	if (tx->data_sent || tx->data.code != 0 || s->timedout || !s->broken)
		return 0;
	if (lost && tx->mail.code == 0)
		return 1;
	if (s->ntx < 2)
		return 0;
	if (lost || tx->mail.code == 421)
		return 1;
	for (i = 0; i < tx->nrcpts; i++)
		if (tx->rcpts[i].code == 421)
			return 1;
	return 0;
}

/*
 * The session broke after the final dot went out: the upstream may
 * have the message. Sending it again risks a duplicate, never a loss;
 * the reason says so.
 */
static void
after_dot(struct perr *err)
{
	char msg[sizeof(err->msg)];
	int code = err->code != 0 ? err->code : EX_TEMPFAIL;

	(void)xsnprintf(msg, sizeof(msg),
	    "%s; the message was sent, the "
	    "upstream may have it already: it will be sent again",
	    err->code != 0 ? err->msg : "connection lost");
	perr_clear(err);
	perr_set(err, code, "%s", msg);
}

/*
 * One transaction for the pending recipients (at most max of them).
 * Returns 0 when replies were classified, -1 when the session broke
 * (err says why), -2 when it ended in a way worth one fresh connection
 * (worth_fresh; nothing is recorded for the recipients); *again is set
 * when a 452 asks for another round.
 */
static int
transaction(struct dsession *ds, struct spool_entry *ent, struct dlog *dl,
    int *again, struct perr *err)
{
	struct envelope *e = &ent->env;
	struct smtp_tx tx;
	struct txmap tm;
	uint32_t *map = NULL;
	size_t i, n = 0, accepted = 0, n452 = 0;
	int rc = -1, code, rcode, utf8;

	*again = 0;
	memset(&tx, 0, sizeof(tx));
	if ((tx.rcpts = calloc(e->nrcpts, sizeof(*tx.rcpts))) == NULL ||
	    (map = calloc(e->nrcpts, sizeof(*map))) == NULL) {
		perr_set(err, EX_OSERR, "out of memory");
		goto out;
	}
	utf8 = e->smtputf8 && (ds->smtp.ext & ESMTP_EXT_SMTPUTF8);
	for (i = 0; i < e->nrcpts; i++) {
		if (e->rcpts[i].state != RCPT_PENDING)
			continue;
		/* without SMTPUTF8 only the addresses that need it fail */
		if (e->smtputf8 && !utf8 && !addr_is_utf8(e->sender) &&
		    addr_is_utf8(e->rcpts[i].addr)) {
			e->rcpts[i].state = RCPT_FAILED;
			(void)env_set_reason(e, i,
			    "553 5.6.7 non-ASCII "
			    "address, and the upstream does not offer "
			    "SMTPUTF8",
			    NULL);
			continue;
		}
		tx.rcpts[n].addr = e->rcpts[i].addr;
		map[n++] = (uint32_t)i;
	}
	if ((tx.nrcpts = n) == 0) {
		rc = 0;
		goto out;
	}
	tm.e = e;
	tm.map = map;
	tx.sender = e->sender;
	tx.size = ent->size;
	tx.body8bit = e->body8bit;
	tx.smtputf8 = e->smtputf8 && (utf8 || addr_is_utf8(e->sender));
	tx.dsn_ret = e->dsn_ret;
	tx.dsn_envid = e->dsn_envid;
	tx.notify = e->dsn_notify;
	tx.rcpt_reply = rcpt_reply;
	tx.arg = &tm;
	tx.fd = ent->fd;
	if (smtp_send(&ds->smtp, &tx, err) == -1) {
		if (!ds->smtp.broken) {
			/* refused before anything was sent (SMTPUTF8 needed) */
			for (i = 0; i < n; i++) {
				e->rcpts[map[i]].state = RCPT_FAILED;
				(void)env_set_reason(e, map[i], err->msg, NULL);
			}
			rc = 0;
			goto out;
		}
		smtp_abandon(&ds->smtp);
		ds->open = 0;
		if (tx.data_sent)
			after_dot(err);
		if (ds->smtp.timedout) {
			ds->down = 1;
			ds->down_err = *err;
		}
		rc = worth_fresh(&ds->smtp, &tx, 1) ? -2 : -1;
		goto out;
	}
	if (worth_fresh(&ds->smtp, &tx, 0)) {
		perr_set(err, EX_TEMPFAIL,
		    "421 at %s: the upstream ended "
		    "the session after %d messages",
		    tx.mail.code == 421 ? "MAIL" : "RCPT", ds->smtp.ntx - 1);
		dsession_close(ds);
		rc = -2;
		goto out;
	}
	code = tx.mail.code;
	for (i = 0; i < n; i++) {
		struct env_rcpt *r = &e->rcpts[map[i]];

		if (code / 100 != 2) {
			rcode = code;
			set_reason(e, map[i], &tx.mail);
		} else if ((rcode = tx.rcpts[i].code) / 100 == 2) {
			accepted++;
			/* only the reply to the final dot can say "delivered" */
			if ((rcode = tx.data.code) / 100 == 2 && tx.data_sent) {
				r->state = RCPT_DONE;
				(void)env_set_reason(e, map[i], NULL, NULL);
				continue;
			}
			set_reason(e, map[i], &tx.data);
		}
		/* a refused RCPT has its reason from rcpt_reply() already */
		if (rcode == 452 && code / 100 == 2)
			n452++;
		if (rcode / 100 == 5)
			r->state = RCPT_FAILED;
	}
	if (tx.data_sent && tx.data.code / 100 == 2)
		dlog_sent(dl, &tx.data);
	*again = n452 > 0 && accepted > 0 && tx.data.code / 100 == 2;
	rc = 0;
out:
	free(tx.rcpts);
	free(map);
	return rc;
}

/* The most telling reason among the pending/failed recipients. */
static void
pick_reason(const struct envelope *e, enum rcpt_state st, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; i < e->nrcpts; i++)
		if (e->rcpts[i].state == st && env_reason(e, i) != NULL) {
			(void)snprintf(buf, cap, "<%s>: %s", e->rcpts[i].addr,
			    env_reason(e, i));
			return;
		}
}

static void
attempt(struct dsession *ds, struct spool_entry *ent, struct dlog *dl,
    char *why, size_t cap)
{
	struct perr err = { 0, "" };
	int again, tries = 0, reconnected = 0, rc;

	why[0] = '\0';
	do {
		if (session(ds) == -1) {
			(void)xstrlcpy(why, ds->down_err.msg, cap);
			return;
		}
		perr_clear(&err);
		rc = transaction(ds, ent, dl, &again, &err);
		if (rc == -2 && !reconnected) {
			/* an idle session closed, a per-session limit: anew */
			reconnected = 1;
			again = 1;
			continue;
		}
		if (rc < 0) {
			(void)xstrlcpy(why, err.msg, cap);
			return;
		}
		/* what this round delivered is on disk before the next */
		if (again && spool_update(ds->sp, ent, &err) == -1)
			log_warnx("%s: %s", ent->id, err.msg);
	} while (again && ++tries < 1000);
}

int
deliver_entry(struct dsession *ds, struct spool_entry *ent, int caller_told,
    struct dreport *rep, struct perr *err)
{
	struct envelope *e = &ent->env;
	size_t failed_before = env_count(e, RCPT_FAILED);
	char why[1024], age[32];
	struct dlog dl;
	time_t now;
	size_t i;
	int rc, expired = 0;

	memset(rep, 0, sizeof(*rep));
	dlog_begin(&dl, ent);
	attempt(ds, ent, &dl, why, sizeof(why));
	now = time(NULL);
	rep->npending = env_count(e, RCPT_PENDING);
	if (rep->npending > 0) {
		env_attempted(e);
		if (why[0] == '\0')
			pick_reason(e, RCPT_PENDING, why, sizeof(why));
		(void)env_set_str(&e->last_error, why, NULL);
		e->next_try = now + deliver_backoff(e->attempts);
		/*
		 * Older than max_age, in whole seconds: ">" so that an
		 * entry made late in one second and tried early in the
		 * next is not taken for one a second old.
		 */
		if (now - e->created > ds->cfg->max_age) {
			expired = 1;
			for (i = 0; i < e->nrcpts; i++) {
				if (e->rcpts[i].state != RCPT_PENDING)
					continue;
				e->rcpts[i].state = RCPT_FAILED;
				if (e->rcpts[i].reason == 0)
					(void)env_set_reason(e, i, why, NULL);
			}
			rep->npending = 0;
		}
	}
	rep->ndone = env_count(e, RCPT_DONE);
	rep->nfailed = env_count(e, RCPT_FAILED);
	if (rep->nfailed > 0 && why[0] == '\0')
		pick_reason(e, RCPT_FAILED, why, sizeof(why));
	(void)xstrlcpy(rep->reason, why, sizeof(rep->reason));

	/*
	 * The outcome goes to disk before anything else may fail or stop
	 * us (a log file at its size limit, a kill): after a 250 to the
	 * dot, the entry must be gone before we write a single line.
	 */
	if (rep->npending > 0) {
		rep->result = DR_DEFERRED;
		rc = spool_update(ds->sp, ent, err);
	} else if (rep->nfailed == 0) {
		rep->result = DR_DELIVERED;
		rc = spool_remove(ds->sp, ent, err);
	} else {
		rep->result = DR_FAILED;
		rep->code = EX_UNAVAILABLE;
		(void)env_set_str(&e->last_error, why, NULL);
		/*
		 * The failure reaches the envelope first. When even that
		 * cannot be written, the entry stays queued as it was, to
		 * be tried again: on disk, that is a deferral.
		 */
		if ((rc = spool_update(ds->sp, ent, err)) == -1)
			rep->result = DR_DEFERRED;
		else
			rc = spool_fail(ds->sp, ent, err);
	}
	if (expired) {
		fmt_duration(now - e->created, age, sizeof(age));
		log_warnx("%s: giving up after %s in the queue: %s", e->id, age,
		    why);
	}
	dlog_end(&dl, ent, ds->cfg->host, ds->cfg->port, &ds->smtp, why);
	if (rc == -1 || rep->result != DR_FAILED)
		return rc;
	if (caller_told && rep->ndone == 0 && failed_before == 0)
		return 0;
	/* NOTIFY=NEVER, or a list without FAILURE, asked for silence */
	if (e->sender[0] != '\0' &&
	    (e->dsn_notify == NULL ||
		strcasestr(e->dsn_notify, "FAILURE") != NULL)) {
		struct perr derr = { 0, "" };
		char newid[32];

		if (!sender_is_ours(ds->cfg, e->sender))
			log_warnx("%s: notification to <%s> suppressed: not a "
				  "sender of ours ([sender] domain, from; "
				  "notify_any)",
			    e->id, e->sender);
		else if (dsn_queue(ds->sp, ds->cfg, ent, newid, sizeof(newid),
			     &derr) == -1)
			log_warnx("%s: cannot queue a notification: %s", e->id,
			    derr.msg);
		else
			log_info("%s: notification %s queued for <%s>", e->id,
			    newid, e->sender);
	}
	return 0;
}

/* Why the recipients of a corrupt entry failed, as the DSN shows it. */
#define CORRUPT_REASON                                     \
	"554 5.3.0 the queue entry became unreadable and " \
	"was set aside (in corrupt/) for the postmaster"

/* NULL when the sender can be told, else why not. */
static const char *
corrupt_untold(const struct config *cfg, const struct envelope *e,
    size_t nfailed)
{
	const char *why;

	if (e->sender[0] == '\0')
		return "null sender"; /* a notification: never answered */
	if (addr_check_envelope(e->sender, 0, &why) == -1)
		return "unusable sender address";
	if (nfailed == 0)
		return "no recipient left to report";
	if (!sender_is_ours(cfg, e->sender))
		return "notification suppressed: not a sender of ours "
		       "([sender] domain, from; notify_any)";
	if (e->dsn_notify != NULL &&
	    strcasestr(e->dsn_notify, "FAILURE") == NULL)
		return "the sender asked for no failure notice";
	return NULL;
}

int
deliver_corrupt(struct dsession *ds, const char *id, struct perr *err)
{
	struct perr derr = { 0, "" };
	struct spool_entry ent;
	struct envelope *e = &ent.env;
	char newid[32], hex[9];
	const char *untold;
	size_t i, nfailed = 0;
	int rc;

	if ((rc = spool_corrupt_claim(ds->sp, id, err)) != 0)
		return rc == 1 ? 0 : -1;
	if (spool_corrupt_peek(ds->sp, id, &ent, &derr) == -1) {
		log_errx("%s: unreadable entry in corrupt/: %s; nobody told",
		    id, derr.msg);
		spool_release(&ent);
		return 0;
	}
	if (e->created == 0) {
		/* the id starts with the time of arrival in hex */
		(void)xstrlcpy(hex, id, sizeof(hex));
		e->created = (time_t)strtoll(hex, NULL, 16);
	}
	for (i = 0; i < e->nrcpts; i++) {
		if (e->rcpts[i].state == RCPT_DONE)
			continue;
		e->rcpts[i].state = RCPT_FAILED;
		(void)env_set_reason(e, i, CORRUPT_REASON, NULL);
		nfailed++;
	}
	rc = 0;
	if ((untold = corrupt_untold(ds->cfg, e, nfailed)) != NULL)
		log_errx("%s: unreadable entry in corrupt/; nobody told (%s)",
		    id, untold);
	else if (dsn_queue(ds->sp, ds->cfg, &ent, newid, sizeof(newid),
		     &derr) == -1) {
		spool_corrupt_unclaim(ds->sp, id);
		rc = perr_set(err, derr.code,
		    "%s: unreadable entry in "
		    "corrupt/: cannot queue a notification: %s",
		    id, derr.msg);
	} else {
		log_errx("%s: unreadable entry in corrupt/: notification %s "
			 "queued for <%s> (%zu recipient%s)",
		    id, newid, e->sender, nfailed, nfailed == 1 ? "" : "s");
		rc = 1;
	}
	spool_release(&ent);
	return rc;
}
