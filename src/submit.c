/* SPDX-License-Identifier: ISC */
/*
 * Submission: a message from standard input (or each message of a -bs
 * dialogue) goes into the spool, then is delivered as the delivery mode
 * says: now while the caller waits, in a detached child, or later.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "cidr.h"
#include "deliver.h"
#include "log.h"
#include "message.h"
#include "posta.h"
#include "runner.h"
#include "sender.h"
#include "smtpd.h"
#include "submit.h"
#include "util.h"

/* The address the envelope and a generated From: use (sender.h). */
static int
resolve_sender(struct submit *a)
{
	char raw[MAX_ADDR + 1];
	const char *why, *given = NULL;

	if (a->o->sender != NULL) {
		if (addr_strip_angle(a->o->sender, raw, sizeof(raw)) == -1)
			return perr_set(a->err, EX_USAGE,
			    "-f %s: unbalanced <>", a->o->sender);
		if (addr_check_envelope(raw, 1, &why) == -1)
			return perr_set(a->err, EX_USAGE, "-f %s: %s",
			    a->o->sender, why);
		given = raw;
	}
	if (sender_envelope(a->cfg, given, a->sender, sizeof(a->sender),
		&why) == -1) {
		if (given != NULL)
			return perr_set(a->err, EX_USAGE, "-f: %s", why);
		return perr_set(a->err, EX_CONFIG,
		    "sender <%s>: %s; set "
		    "[sender] from",
		    a->sender, why);
	}
	sender_from_addr(a->cfg, a->sender, a->from_addr, sizeof(a->from_addr));
	return 0;
}

struct rcpt_ctx {
	struct msg *m;
	struct submit *a;
};

static int
add_resolved(const char *addr, void *arg)
{
	struct rcpt_ctx *c = arg;

	return msg_add_rcpt(c->m, addr, c->a->err);
}

static int
add_arg(const char *addr, void *arg)
{
	struct rcpt_ctx *c = arg;

	return alias_resolve(c->a->cfg, addr, add_resolved, c, c->a->err);
}

/*
 * The configuration for a delivery the caller waits for: a copy whose
 * deadline, send_timeout from now, ends every wait of it.
 */
static const struct config *
bounded(const struct submit *a, struct config *copy)
{
	*copy = *a->cfg;
	copy->deadline = mono_now() + copy->send_timeout;
	return copy;
}

/*
 * The attempt is over, but the spool could not record its outcome (a
 * disk that filled up or failed after the commit): serr says why. The
 * message is delivered or queued all the same, and that is exit 0 with
 * a warning: a caller that retries on an error would send it twice.
 * Only a refusal whose failure reached the envelope is an error, as it
 * is without the spool error (deliver.h says where each result stands).
 */
static int
unrecorded(struct submit *a, const struct spool_entry *ent,
    const struct dreport *rep, const struct perr *serr)
{
	log_warnx("%s: the outcome of the delivery was not recorded: %s",
	    ent->id, serr->msg);
	if (rep->result == DR_DELIVERED)
		fprintf(stderr,
		    "posta: message %s delivered, but it may be sent again: "
		    "%s\n",
		    ent->id, serr->msg);
	else if (rep->result == DR_DEFERRED)
		fprintf(stderr,
		    "posta: message %s queued for retry: %s; this attempt "
		    "was not recorded: %s\n",
		    ent->id, rep->reason, serr->msg);
	else if (rep->ndone > 0)
		fprintf(stderr,
		    "posta: message %s: some recipients failed: %s; the "
		    "spool could not record it all: %s\n",
		    ent->id, rep->reason, serr->msg);
	else {
		perr_set(a->err, rep->code,
		    "%s (message goes to %s/failed/; the spool said: %s)",
		    rep->reason, a->sp->path, serr->msg);
		return rep->code;
	}
	return 0;
}

/* Deliver one committed, locked entry as the delivery mode says. */
static int
deliver_one(struct submit *a, struct spool_entry *ent, int mode)
{
	struct dsession ds;
	struct dreport rep;
	struct runstats st;
	struct config copy;
	struct perr serr = { 0, "" };
	struct qsel flush = { 0, NULL, 1, FLUSH_BUDGET, ent->id };
	int code = 0;

	dsession_init(&ds,
	    mode == DELIVERY_FOREGROUND ? bounded(a, &copy) : a->cfg, a->sp,
	    a->o->verbose);
	if (deliver_entry(&ds, ent, 1, &rep, &serr) == -1) {
		str_blank_term(rep.reason);
		code = unrecorded(a, ent, &rep, &serr);
		/* a spool that cannot be written: the rest waits for a run */
		spool_release(ent);
		dsession_close(&ds);
		return code;
	}
	spool_release(ent);
	str_blank_term(rep.reason); /* the server's words, for a terminal */
	if (rep.result == DR_DEFERRED && mode == DELIVERY_FOREGROUND)
		fprintf(stderr, "posta: message %s queued for retry: %s\n",
		    ent->id, rep.reason);
	else if (rep.result == DR_FAILED && rep.ndone > 0)
		fprintf(stderr,
		    "posta: message %s: some recipients failed, "
		    "a notification was sent: %s\n",
		    ent->id, rep.reason);
	else if (rep.result == DR_FAILED) {
		perr_set(a->err, rep.code, "%s (message kept in %s/failed/)",
		    rep.reason, a->sp->path);
		code = rep.code;
	}
	/* the upstream is reachable: also send what else is due */
	if (!ds.down && rep.result != DR_DEFERRED)
		(void)runner_once(&ds, &flush, &st, &(struct perr){ 0, "" });
	dsession_close(&ds);
	return code;
}

/*
 * Fork a child that outlives us, detached from the caller's session and
 * from its pipes (a caller may wait for them to close). Returns 0 in the
 * child, 1 in the parent, -1 when fork failed.
 */
static int
detach(struct submit *a)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) != 0)
		return pid == -1 ? -1 : 1;
	(void)setsid();
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
	}
	a->o->verbose = 0;
	return 0;
}

/* -odb: hand the entry to a detached child and return at once. */
static int
background(struct submit *a, struct spool_entry *ent)
{
	switch (detach(a)) {
	case -1:
		spool_release(ent); /* it stays queued */
		return 0;
	case 0:
		_exit(deliver_one(a, ent, DELIVERY_BACKGROUND) == 0 ? 0 : 1);
	default:
		/* the child holds the lock through its copy of the fd */
		spool_release(ent);
		return 0;
	}
}

static int
after_intake(struct submit *a, struct spool_entry *ent)
{
	int mode = a->o->delivery >= 0 ? a->o->delivery : (int)a->cfg->delivery;

	if (mode == DELIVERY_QUEUE) {
		spool_release(ent);
		return 0;
	}
	if (mode == DELIVERY_BACKGROUND)
		return background(a, ent);
	return deliver_one(a, ent, mode);
}

int
submit_stdin(struct submit *a)
{
	struct msg_params mp;
	struct spool_entry ent;
	struct rcpt_ctx c = { NULL, a };
	int i;

	if (resolve_sender(a) == -1)
		return a->err->code;
	memset(&mp, 0, sizeof(mp));
	mp.cfg = a->cfg;
	mp.sender = a->sender;
	mp.from_addr = a->from_addr;
	mp.fullname = a->o->fullname;
	mp.from_headers = a->o->from_headers;
	mp.dot_ends = a->o->dot_ends;
	mp.body8bit = a->o->body == BODY_8BITMIME;
	mp.dsn_ret = a->o->dsn_ret;
	mp.dsn_envid = a->o->dsn_envid;
	mp.dsn_notify = a->o->dsn_notify;
	if (spool_open(a->sp, a->cfg->spooldir, 1, a->err) == -1 ||
	    (c.m = msg_begin(a->sp, &mp, a->err)) == NULL)
		return a->err->code;
	/* argument recipients are checked before a byte of input is read */
	for (i = 0; i < a->o->nrcpts; i++) {
		if (addr_list_parse(a->o->rcpts[i], strlen(a->o->rcpts[i]),
			add_arg, &c) != 0) {
			perr_set(a->err, EX_NOUSER, "%s: invalid address",
			    a->o->rcpts[i]);
			msg_abort(c.m);
			return a->err->code;
		}
	}
	if (msg_read_fd(c.m, STDIN_FILENO, a->err) == -1) {
		msg_abort(c.m);
		return a->err->code;
	}
	if (msg_end(c.m, &ent, a->err) == -1)
		return a->err->code;
	return after_intake(a, &ent);
}

static void
accepted(void *arg, const char *id)
{
	struct submit *a = arg;

	/* out of memory: it stays queued for the next run */
	(void)strvec_push(&a->ids, id);
}

/* The dialogue first; the accepted messages over one session after it. */
static int
dialogue(struct submit *a, int infd, int outfd, const struct smtpd_limits *lim)
{
	struct smtpd_params p = { a->cfg, a->sp, NULL, NULL, accepted, a, lim,
		NULL };
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char addr[CIDR_STRLEN], client[CIDR_STRLEN + 8];
	struct dsession ds;
	struct runstats st;
	struct config copy;
	size_t n;
	int rc, mode;

	strvec_init(&a->ids, SIZE_MAX); /* as many as the dialogue accepted */
	mode = a->o->delivery >= 0 ? a->o->delivery : (int)a->cfg->delivery;
	if (resolve_sender(a) == -1)
		return a->err->code;
	p.sender = a->o->sender != NULL ? a->sender : NULL;
	p.default_from = a->from_addr;
	/* a client on the network (-bd, or -bs from inetd) is named */
	if (getpeername(infd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		cidr_format((struct sockaddr *)&ss, 0, addr, sizeof(addr));
		(void)snprintf(client, sizeof(client),
		    strchr(addr, ':') != NULL ? "[IPv6:%s]" : "[%s]", addr);
		p.client = client;
	}
	if (spool_open(a->sp, a->cfg->spooldir, 1, a->err) == -1)
		return a->err->code;
	rc = smtpd_run(infd, outfd, &p, a->err);
	/* the client sees the end of the session before delivery starts */
	if (outfd == STDOUT_FILENO)
		(void)fclose(stdout);
	else
		(void)shutdown(outfd, SHUT_RDWR);
	n = mode == DELIVERY_QUEUE ? 0 : a->ids.n;
	if (mode == DELIVERY_BACKGROUND && n > 0 && detach(a) != 0)
		n = 0; /* the child delivers, or the next run */
	/* -bs: the caller waits for our exit; -bd: nobody waits */
	dsession_init(&ds,
	    mode == DELIVERY_FOREGROUND && lim == NULL ? bounded(a, &copy) :
							 a->cfg,
	    a->sp, a->o->verbose);
	runner_ids(&ds, a->ids.v, n, &st);
	dsession_close(&ds);
	strvec_free(&a->ids);
	return rc == -1 ? a->err->code : 0;
}

int
submit_smtpd(struct submit *a)
{
	return dialogue(a, STDIN_FILENO, STDOUT_FILENO, NULL);
}

int
submit_conn(struct submit *a, int fd, const struct smtpd_limits *lim)
{
	return dialogue(a, fd, fd, lim);
}
