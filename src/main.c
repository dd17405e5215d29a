/* SPDX-License-Identifier: ISC */
/*
 * posta: wiring. Choose the personality, parse the command line, read
 * the configuration, run the mode, and turn the one error record into
 * one line on stderr and a sysexits code. Only this file exits.
 */
#define _GNU_SOURCE /* setresgid, getresgid */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cfgenv.h"
#include "check.h"
#include "cli.h"
#include "config.h"
#include "deliver.h"
#include "listen.h"
#include "log.h"
#include "mailq.h"
#include "mailqjson.h"
#include "oauth.h"
#include "oauthlogin.h"
#include "paths.h"
#include "posta.h"
#include "runner.h"
#include "spool.h"
#include "submit.h"
#include "util.h"

struct app {
	struct opts o;
	struct config cfg;
	struct spool sp;
	struct perr err;
	struct submit sub;
	int log_stderr; /* log lines also go to stderr */
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
			fprintf(stderr,
			    "posta: queue run: %zu tried, %zu "
			    "delivered, %zu deferred, %zu failed, %zu "
			    "unreadable%s%s\n",
			    st.tried, st.delivered, st.deferred, st.failed,
			    st.corrupt, ds.down ? ": " : "",
			    ds.down ? ds.down_err.msg : "");
		if (rc == 0 && st.errors > 0)
			rc = -1; /* the spool would not let us work */
	}
	dsession_close(&ds);
	if (rc == 0)
		return 0;
	rc = a->err.code;
	if (a->log_stderr)
		perr_clear(&a->err); /* the runner logged it there already */
	return rc;
}

static int
list_mode(struct app *a)
{
	int open;

	open = spool_open(&a->sp, a->cfg.spooldir, 0, &a->err) == 0;
	if (a->o.json) {
		perr_clear(&a->err); /* no spool yet: nothing queued */
		return mailq_json(open ? &a->sp : NULL, a->o.list_failed,
			   stdout, &a->err) == -1 ?
		    a->err.code :
		    0;
	}
	if (!open) {
		perr_clear(&a->err); /* no spool yet: nothing queued */
		printf("%s\n",
		    a->o.list_failed ? "No failed messages" :
				       "Mail queue is empty");
		return 0;
	}
	return mailq_print(&a->sp, a->o.list_failed, stdout, &a->err) == -1 ?
	    a->err.code :
	    0;
}

/* --oauth-*: the token cache of this configuration. */
static int
oauth_mode(struct app *a)
{
	const struct config *c = &a->cfg;
	int rc;

	if (!c->oauth.set) {
		perr_set(&a->err, EX_CONFIG,
		    "%s has no [oauth] section; see "
		    "posta.conf(5)",
		    c->path);
		return a->err.code;
	}
	if (a->o.mode == MODE_OAUTH_STATUS)
		rc = oauth_status(c, stdout, &a->err);
	else if (a->o.mode == MODE_OAUTH_REFRESH)
		rc = oauth_refresh_now(c, stdout, &a->err);
	else if (a->o.mode == MODE_OAUTH_IMPORT)
		rc = oauth_import(c, STDIN_FILENO, &a->err);
	else if (a->o.oauth_port > 0)
		rc = oauthlogin_loopback(c, a->o.oauth_port, stdout, &a->err);
	else
		rc = oauthlogin_device(c, stdout, &a->err);
	return rc == -1 ? a->err.code : 0;
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

static int
listen_mode(struct app *a)
{
	struct listen_params p = { &a->sub, a->o.loopback_only, a->o.interval };

	return listen_run(&p, &a->err) == -1 ? a->err.code : 0;
}

static int
check_mode(struct app *a)
{
	struct check_params p = { &a->cfg, NULL, a->o.verbose, stdout };

	p.addr = a->o.nrcpts > 0 ? a->o.rcpts[0] : NULL;
	return check_run(&p);
}

/*
 * A caller may start us with 0, 1 or 2 closed; the next file opened
 * would take that number, and stdout (-bs replies) or stderr would go
 * into the log file, the spool or the syslog socket. Fill them first.
 */
static int
std_fds_open(void)
{
	int fd;

	do {
		if ((fd = open("/dev/null", O_RDWR)) == -1)
			return -1;
	} while (fd <= STDERR_FILENO);
	(void)close(fd);
	return 0;
}

/*
 * No core file and no ptrace by the caller while the password, the
 * client secret or a token is in memory: a long -q1h run as root would
 * otherwise write them to disk on a crash. A build with AddressSanitizer
 * stays dumpable, as LeakSanitizer ptraces the process when it exits.
 */
static int
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		return -1;
#if defined(__SANITIZE_ADDRESS__)
	return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return 0;
#endif
#endif
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * -C in a set-group-id posta: give the group up for good. setgid(2)
 * would keep it as the saved group id, for any code run later (a parser
 * fed the user's file) to take back; so all three ids become the real
 * one, and that is checked.
 */
static int
drop_group(void)
{
	gid_t gid = getgid(), r, e, s;

	if (setresgid(gid, gid, gid) == -1)
		return -1;
	if (getresgid(&r, &e, &s) == -1)
		return -1;
	if (r != gid || e != gid || s != gid) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct app a;
	extern char **environ;
	const char *prog = strrchr(argv[0], '/');
	int setgid_run = getegid() != getgid();
	/* like -C: a privileged posta takes no settings from its caller */
	char **env = setgid_run || geteuid() != getuid() ? NULL : environ;

	if (std_fds_open() == -1)
		return EX_OSERR; /* nowhere to say it */
	if (no_core_dumps() == -1) {
		perror("posta: cannot disable core dumps");
		return EX_OSERR;
	}
	prog = prog != NULL ? prog + 1 : argv[0];
	(void)signal(SIGPIPE, SIG_IGN);
	/* a file size limit fails the write (EFBIG) instead of killing us */
	(void)signal(SIGXFSZ, SIG_IGN);
	if (cli_parse(argc, argv, prog, &a.o, &a.err) == -1) {
		fprintf(stderr, "posta: %s\n%s\n", a.err.msg, cli_usage());
		return a.err.code;
	}
	if (a.o.mode == MODE_VERSION) {
		printf("posta %s\n", POSTA_VERSION);
		return 0;
	}
	if (a.o.mode == MODE_NOOP)
		return 0; /* newaliases: [aliases] is read on every run */
	/* a set-group-id posta trusts no file the caller names */
	if (setgid_run && a.o.conf_path != NULL && drop_group() == -1) {
		perror("posta: cannot drop the group privilege");
		return EX_OSERR;
	}
	/* the group shares the spool; the user's own (-C) is the user's */
	(void)umask(setgid_run && a.o.conf_path == NULL ? 007 : 077);
	if (cfgenv_load(&a.cfg, a.o.conf_path ? a.o.conf_path : PATH_CONFIG,
		a.o.conf_path != NULL, env, &a.err) == -1) {
		if (a.o.mode == MODE_CHECK)
			return check_config_failed(&a.err, stdout);
		return finish(&a, 0);
	}
	a.sub.o = &a.o;
	a.sub.cfg = &a.cfg;
	a.sub.sp = &a.sp;
	a.sub.err = &a.err;
	a.log_stderr = a.o.verbose || a.o.interval > 0 ||
	    a.o.mode == MODE_DAEMON;
	log_init(a.cfg.syslog, a.cfg.logfile, a.log_stderr);
	/* set-group-id: only root may see or delete other users' mail */
	if (setgid_run && getuid() != 0 &&
	    (a.o.mode == MODE_LIST || a.o.mode == MODE_DELETE)) {
		perr_set(&a.err, EX_NOPERM,
		    "only root may list or delete "
		    "queued mail");
		return finish(&a, 0);
	}
	/*
	 * nor change or inspect the tokens every user's mail goes out with,
	 * nor have --check show the settings the group keeps from them
	 */
	if (setgid_run && getuid() != 0 && a.o.mode >= MODE_OAUTH_LOGIN) {
		perr_set(&a.err, EX_NOPERM,
		    "only root may use %s of a "
		    "set-group-id posta",
		    a.o.mode == MODE_CHECK ? "--check" : "the --oauth options");
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
		return finish(&a, submit_smtpd(&a.sub));
	case MODE_DAEMON:
		return finish(&a, listen_mode(&a));
	case MODE_OAUTH_LOGIN:
	case MODE_OAUTH_IMPORT:
	case MODE_OAUTH_STATUS:
	case MODE_OAUTH_REFRESH:
		return finish(&a, oauth_mode(&a));
	case MODE_CHECK:
		return finish(&a, check_mode(&a));
	default:
		return finish(&a, submit_stdin(&a.sub));
	}
}
