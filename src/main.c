/* SPDX-License-Identifier: ISC */
/*
 * posta: wiring. Choose the personality, parse the command line, read
 * the configuration, run the mode, and turn the one error record into
 * one line on stderr and a sysexits code. Only this file exits.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "cli.h"
#include "config.h"
#include "deliver.h"
#include "log.h"
#include "mailq.h"
#include "message.h"
#include "posta.h"
#include "runner.h"
#include "smtpd.h"
#include "spool.h"
#include "util.h"

struct app {
	struct opts	 o;
	struct config	 cfg;
	struct spool	 sp;
	struct perr	 err;
	char		 sender[MAX_ADDR + 1];
	char		 from_addr[MAX_ADDR + 1];
	char		**ids;		/* -bs: accepted messages */
	size_t		 nids, capids;
};

static int
finish(struct app *a, int code)
{
	if (a->err.code != 0) {
		fprintf(stderr, "posta: %s\n", a->err.msg);
		if (code == 0)
			code = a->err.code;
	}
	spool_close(&a->sp);
	config_free(&a->cfg);
	log_close();
	return code;
}

/* The address the envelope and a generated From: use (see posta(8)). */
static int
resolve_sender(struct app *a)
{
	char raw[MAX_ADDR + 1], user[MAX_ADDR + 1];
	const struct passwd *pw;
	const char *why;

	if (a->o.sender != NULL) {
		if (addr_strip_angle(a->o.sender, raw, sizeof(raw)) == -1 ||
		    addr_check_envelope(raw, 1, &why) == -1)
			return perr_set(&a->err, EX_USAGE, "-f %s: %s",
			    a->o.sender, addr_strip_angle(a->o.sender, raw,
			    sizeof(raw)) == -1 ? "unbalanced <>" : why);
		if (raw[0] != '\0' && alias_qualify(&a->cfg, raw, a->sender,
		    sizeof(a->sender)) == -1)
			return perr_set(&a->err, EX_USAGE, "-f: too long");
	} else if (a->cfg.from != NULL)
		(void)xstrlcpy(a->sender, a->cfg.from, sizeof(a->sender));
	else {
		pw = getpwuid(getuid());
		(void)xstrlcpy(user, pw != NULL ? pw->pw_name : "nobody",
		    sizeof(user));
		(void)alias_qualify(&a->cfg, user, a->sender, sizeof(a->sender));
	}
	if (a->cfg.force_from && a->cfg.from != NULL && a->sender[0] != '\0')
		(void)xstrlcpy(a->sender, a->cfg.from, sizeof(a->sender));
	if (a->sender[0] != '\0')
		(void)xstrlcpy(a->from_addr, a->sender, sizeof(a->from_addr));
	else if (a->cfg.from != NULL)
		(void)xstrlcpy(a->from_addr, a->cfg.from, sizeof(a->from_addr));
	else {
		pw = getpwuid(getuid());
		(void)alias_qualify(&a->cfg, pw != NULL ? pw->pw_name :
		    "nobody", a->from_addr, sizeof(a->from_addr));
	}
	return 0;
}

struct rcpt_ctx {
	struct msg	*m;
	struct app	*a;
};

static int
add_resolved(const char *addr, void *arg)
{
	struct rcpt_ctx *c = arg;

	return msg_add_rcpt(c->m, addr, &c->a->err);
}

static int
add_arg(const char *addr, void *arg)
{
	struct rcpt_ctx *c = arg;

	return alias_resolve(&c->a->cfg, addr, add_resolved, c, &c->a->err);
}

/* Deliver one committed, locked entry as the delivery mode says. */
static int
deliver_one(struct app *a, struct spool_entry *ent, int mode)
{
	struct dsession ds;
	struct dreport rep;
	struct runstats st;
	struct qsel flush = { 0, NULL, 1, FLUSH_BUDGET, ent->id };
	int code = 0;

	dsession_init(&ds, &a->cfg, &a->sp, a->o.verbose);
	if (deliver_entry(&ds, ent, 1, &rep, &a->err) == -1) {
		dsession_close(&ds);
		return a->err.code;
	}
	spool_release(ent);
	if (rep.result == DR_DEFERRED && mode == DELIVERY_FOREGROUND)
		fprintf(stderr, "posta: message %s queued for retry: %s\n",
		    ent->id, rep.reason);
	else if (rep.result == DR_FAILED && rep.ndone > 0)
		fprintf(stderr, "posta: message %s: some recipients failed, "
		    "a notification was sent: %s\n", ent->id, rep.reason);
	else if (rep.result == DR_FAILED) {
		perr_set(&a->err, rep.code, "%s (message kept in %s/failed/)",
		    rep.reason, a->sp.path);
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
detach(struct app *a)
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
	a->o.verbose = 0;
	return 0;
}

/* -odb: hand the entry to a detached child and return at once. */
static int
background(struct app *a, struct spool_entry *ent)
{
	switch (detach(a)) {
	case -1:
		spool_release(ent);	/* it stays queued */
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
after_intake(struct app *a, struct spool_entry *ent)
{
	int mode = a->o.delivery >= 0 ? a->o.delivery : (int)a->cfg.delivery;

	if (mode == DELIVERY_QUEUE) {
		spool_release(ent);
		return 0;
	}
	if (mode == DELIVERY_BACKGROUND)
		return background(a, ent);
	return deliver_one(a, ent, mode);
}

static int
send_mode(struct app *a)
{
	struct msg_params mp;
	struct spool_entry ent;
	struct rcpt_ctx c = { NULL, a };
	char buf[IO_CHUNK];
	ssize_t n;
	int i, r = 0;

	if (resolve_sender(a) == -1)
		return a->err.code;
	memset(&mp, 0, sizeof(mp));
	mp.cfg = &a->cfg;
	mp.sender = a->sender;
	mp.from_addr = a->from_addr;
	mp.fullname = a->o.fullname;
	mp.from_headers = a->o.from_headers;
	mp.dot_ends = a->o.dot_ends;
	mp.body8bit = a->o.body == BODY_8BITMIME;
	mp.dsn_ret = a->o.dsn_ret;
	mp.dsn_envid = a->o.dsn_envid;
	mp.dsn_notify = a->o.dsn_notify;
	if (spool_open(&a->sp, a->cfg.spooldir, 1, &a->err) == -1 ||
	    (c.m = msg_begin(&a->sp, &mp, &a->err)) == NULL)
		return a->err.code;
	/* argument recipients are checked before a byte of input is read */
	for (i = 0; i < a->o.nrcpts; i++) {
		if (addr_list_parse(a->o.rcpts[i], strlen(a->o.rcpts[i]),
		    add_arg, &c) != 0) {
			perr_set(&a->err, EX_NOUSER, "%s: invalid address",
			    a->o.rcpts[i]);
			msg_abort(c.m);
			return a->err.code;
		}
	}
	while (r == 0) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			perr_set(&a->err, EX_IOERR, "reading the message: %s",
			    strerror(errno));
			msg_abort(c.m);
			return a->err.code;
		}
		if (n == 0)
			break;
		if ((r = msg_write(c.m, buf, (size_t)n, &a->err)) == -1) {
			msg_abort(c.m);
			return a->err.code;
		}
	}
	if (msg_end(c.m, &ent, &a->err) == -1)
		return a->err.code;
	return after_intake(a, &ent);
}

static void
accepted(void *arg, const char *id)
{
	struct app *a = arg;
	char **n;

	if (a->nids == a->capids) {
		a->capids = a->capids ? a->capids * 2 : 8;
		if ((n = reallocarray(a->ids, a->capids, sizeof(*n))) == NULL)
			return;		/* stays queued for the next run */
		a->ids = n;
	}
	if ((a->ids[a->nids] = strdup(id)) != NULL)
		a->nids++;
}

/* -bs: the dialogue first; the accepted messages over one session after it. */
static int
smtp_mode(struct app *a)
{
	struct smtpd_params p = { &a->cfg, &a->sp, NULL, NULL, accepted, a };
	struct spool_entry ent;
	struct dsession ds;
	struct dreport rep;
	struct perr e;
	size_t i, got;
	int rc, mode;

	mode = a->o.delivery >= 0 ? a->o.delivery : (int)a->cfg.delivery;
	if (resolve_sender(a) == -1)
		return a->err.code;
	p.sender = a->o.sender != NULL ? a->sender : NULL;
	p.default_from = a->from_addr;
	if (spool_open(&a->sp, a->cfg.spooldir, 1, &a->err) == -1)
		return a->err.code;
	rc = smtpd_run(STDIN_FILENO, STDOUT_FILENO, &p, &a->err);
	(void)fclose(stdout);
	got = a->nids;
	if (mode == DELIVERY_BACKGROUND && a->nids > 0 && detach(a) != 0)
		a->nids = 0;	/* the child delivers, or the next run */
	dsession_init(&ds, &a->cfg, &a->sp, a->o.verbose);
	for (i = 0; i < a->nids && mode != DELIVERY_QUEUE; i++) {
		perr_clear(&e);
		if (spool_take(&a->sp, a->ids[i], &ent, &e) != 0)
			continue;
		(void)deliver_entry(&ds, &ent, 0, &rep, &e);
		spool_release(&ent);
	}
	dsession_close(&ds);
	for (i = 0; i < got; i++)
		free(a->ids[i]);
	free(a->ids);
	return rc == -1 ? a->err.code : 0;
}

static int
run_mode(struct app *a)
{
	struct dsession ds;
	struct runstats st;
	struct qsel sel = { a->o.qsel, a->o.qsel_arg, 0, 0, NULL };
	int rc;

	if (spool_open(&a->sp, a->cfg.spooldir, 1, &a->err) == -1)
		return a->err.code;
	dsession_init(&ds, &a->cfg, &a->sp, a->o.verbose);
	runner_catch_signals();
	if (a->o.interval > 0)
		rc = runner_loop(&ds, &sel, a->o.interval, &a->err);
	else {
		rc = runner_once(&ds, &sel, &st, &a->err);
		if (rc == 0 && a->o.verbose)
			fprintf(stderr, "posta: queue run: %zu tried, %zu "
			    "delivered, %zu deferred, %zu failed%s%s\n",
			    st.tried, st.delivered, st.deferred, st.failed,
			    ds.down ? ": " : "", ds.down ? ds.down_err.msg : "");
	}
	dsession_close(&ds);
	return rc == -1 ? a->err.code : 0;
}

static int
list_mode(struct app *a)
{
	if (spool_open(&a->sp, a->cfg.spooldir, 0, &a->err) == -1) {
		perr_clear(&a->err);	/* no spool yet: nothing queued */
		printf("%s\n", a->o.list_failed ? "No failed messages" :
		    "Mail queue is empty");
		return 0;
	}
	return mailq_print(&a->sp, a->o.list_failed, stdout, &a->err) == -1 ?
	    a->err.code : 0;
}

static int
delete_mode(struct app *a)
{
	int i, rc, code = 0;

	if (spool_open(&a->sp, a->cfg.spooldir, 0, &a->err) == -1)
		return a->err.code;
	for (i = 0; i < a->o.nrcpts; i++) {
		rc = spool_delete(&a->sp, a->o.rcpts[i], &a->err);
		if (rc == 1)
			perr_set(&a->err, EX_NOINPUT, "%s: no such message",
			    a->o.rcpts[i]);
		if (rc != 0) {
			fprintf(stderr, "posta: %s\n", a->err.msg);
			code = a->err.code;
			perr_clear(&a->err);
		} else
			printf("%s: deleted\n", a->o.rcpts[i]);
	}
	return code;
}

int
main(int argc, char *argv[])
{
	static struct app a;
	const char *prog = strrchr(argv[0], '/');
	int setgid_run = getegid() != getgid();

	prog = prog != NULL ? prog + 1 : argv[0];
	(void)signal(SIGPIPE, SIG_IGN);
	if (cli_parse(argc, argv, prog, &a.o, &a.err) == -1) {
		fprintf(stderr, "posta: %s\n%s\n", a.err.msg, cli_usage());
		return a.err.code;
	}
	if (a.o.mode == MODE_VERSION) {
		printf("posta %s\n", POSTA_VERSION);
		return 0;
	}
	if (a.o.mode == MODE_NOOP)
		return 0;	/* newaliases: [aliases] is read on every run */
	/* a set-group-id posta trusts no file the caller names */
	if (setgid_run && a.o.conf_path != NULL && setgid(getgid()) == -1) {
		perror("posta: setgid");
		return EX_OSERR;
	}
	(void)umask(setgid_run ? 007 : 077);
	if (config_load(&a.cfg, a.o.conf_path ? a.o.conf_path : PATH_CONFIG,
	    1, &a.err) == -1)
		return finish(&a, 0);
	log_init(a.cfg.syslog, a.cfg.logfile, a.o.verbose || a.o.interval > 0);
	/* set-group-id: only root may see or delete other users' mail */
	if (setgid_run && getuid() != 0 && (a.o.mode == MODE_LIST ||
	    a.o.mode == MODE_DELETE)) {
		perr_set(&a.err, EX_NOPERM, "only root may list or delete "
		    "queued mail");
		return finish(&a, 0);
	}
	switch (a.o.mode) {
	case MODE_LIST:
		return finish(&a, list_mode(&a));
	case MODE_DELETE:
		return finish(&a, delete_mode(&a));
	case MODE_RUN:
		return finish(&a, run_mode(&a));
	case MODE_SMTP_STDIO:
		return finish(&a, smtp_mode(&a));
	default:
		return finish(&a, send_mode(&a));
	}
}
