/* SPDX-License-Identifier: ISC */
/*
 * The -bd listener: one process that accepts, one child per connection.
 *
 * Why a process per connection: the child runs exactly the -bs intake
 * (submit_conn), so the spool-before-250 guarantee, the delivery mode
 * and every error path are the ones -bs has; a client that crashes its
 * child or hangs in it harms nobody else. Clients are few and local.
 *
 *	parent				child (one per connection)
 *	poll(listen fds, wake pipe)	SIGTERM: smtpd's stop flag
 *	accept, check the peer		submit_conn: 220 ... 221, then
 *	  not allowed: 554, close	  delivery by mode, _exit
 *	  allowed: fork
 *	SIGCHLD: reap
 *	SIGTERM: close listen fds, SIGTERM to children and the runner,
 *	  wait LISTEN_GRACE seconds, SIGKILL what is left, reap, return
 *
 * While max_clients children run, the listen sockets are not polled:
 * new clients wait in the kernel's backlog instead of being turned
 * away, as Postfix's process limit does.
 *
 * Nothing accepted is lost on SIGTERM: a child finishes the message it
 * is receiving (smtpd answers 421 before the next command), then
 * delivers as usual. Killed after the grace, a child leaves either no
 * 250 (the client retries) or a committed entry in q/ for the next
 * queue run. The signal flags and the wake pipe are file-static,
 * because signal handlers can reach nothing else.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cidr.h"
#include "deliver.h"
#include "listen.h"
#include "log.h"
#include "posta.h"
#include "runner.h"
#include "spool.h"
#include "util.h"

#define MAX_FDS	     8 /* listen sockets (systemd may pass several) */
#define BACKLOG	     128
#define SD_FDS_START 3	 /* sd_listen_fds(3) */
#define PAUSE_SECS   1.0 /* accept() out of descriptors: wait */

static volatile sig_atomic_t got_stop, got_child, conn_stop;
static int wake_wr = -1;

struct lsn {
	const struct listen_params *p;
	const struct config *cfg;
	struct perr *err;
	struct cidr_list allow;
	int fds[MAX_FDS];
	size_t nfds;
	int wake[2]; /* self-pipe: read end, write end */
	pid_t *kids; /* max_clients slots */
	size_t nkids;
	pid_t runner; /* 0: none */
	int runner_died;
	double pause_until; /* mono_now() */
	int full_logged;
	int activated; /* the sockets came from systemd */
};

static void
on_signal(int sig)
{
	int saved = errno;
	ssize_t n = 0;

	if (sig == SIGCHLD)
		got_child = 1;
	else
		got_stop = 1;
	/* a full pipe already holds a wake-up */
	if (wake_wr != -1)
		n = write(wake_wr, "x", 1);
	(void)n;
	errno = saved;
}

static void
on_conn_stop(int sig)
{
	(void)sig;
	conn_stop = 1;
}

static void
set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	(void)sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a child's poll() must see its stop at once */
	(void)sigaction(sig, &sa, NULL);
}

static int
set_flags(int fd, int nonblock)
{
	int fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    (fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

/* A bound socket may only face the world with an allow list. */
static int
check_exposure(struct lsn *l, const struct sockaddr *sa, const char *what)
{
	char shown[CIDR_STRLEN];

	if (cidr_is_loopback(sa))
		return 0;
	cidr_format(sa, 0, shown, sizeof(shown));
	if (l->p->loopback_only)
		return perr_set(l->err, EX_CONFIG,
		    "-bl: %s is bound to %s, "
		    "not to a loopback address",
		    what, shown);
	if (l->allow.n == 0)
		return perr_set(l->err, EX_CONFIG,
		    "%s %s is not a loopback "
		    "address: set [listen] allow to the client networks that "
		    "may send mail through this listener (see posta.conf(5)); "
		    "posta is never an open relay",
		    what, shown);
	return 0;
}

/*
 * The sockets systemd passed, when they are ours (sd_listen_fds(3)).
 * Returns 1 when taken, 0 when there are none, -1 with err.
 */
static int
take_activated(struct lsn *l)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	char *end;
	long n, i;
	int on;

	if (pid == NULL || nfds == NULL ||
	    strtol(pid, &end, 10) != (long)getpid() || *end != '\0')
		return 0;
	n = strtol(nfds, &end, 10);
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	if (*end != '\0' || n < 1 || n > MAX_FDS)
		return perr_set(l->err, EX_USAGE,
		    "LISTEN_FDS=%s: expected 1 "
		    "to %d sockets",
		    nfds, MAX_FDS);
	for (i = 0; i < n; i++) {
		l->fds[l->nfds++] = (int)(SD_FDS_START + i);
		len = sizeof(on);
		if (getsockopt((int)(SD_FDS_START + i), SOL_SOCKET,
			SO_ACCEPTCONN, &on, &len) == -1 ||
		    !on)
			return perr_set(l->err, EX_USAGE,
			    "LISTEN_FDS: fd %ld "
			    "is not a listening socket",
			    SD_FDS_START + i);
		len = sizeof(ss);
		if (getsockname((int)(SD_FDS_START + i), (struct sockaddr *)&ss,
			&len) == -1 ||
		    set_flags((int)(SD_FDS_START + i), 1) == -1)
			return perr_set(l->err, EX_OSERR,
			    "LISTEN_FDS: fd %ld: "
			    "%s",
			    SD_FDS_START + i, strerror(errno));
		if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
			return perr_set(l->err, EX_USAGE,
			    "LISTEN_FDS: fd %ld "
			    "is not a TCP socket",
			    SD_FDS_START + i);
		if (check_exposure(l, (struct sockaddr *)&ss,
			"the socket passed by systemd, bound to") == -1)
			return -1;
	}
	return 1;
}

/* [listen] address and port; -bl keeps a loopback address only. */
static int
bind_address(struct lsn *l)
{
	const struct listen_conf *lc = &l->cfg->listen;
	const char *addr = lc->address != NULL ? lc->address : "127.0.0.1";
	struct sockaddr_storage ss;
	socklen_t len;
	char shown[CIDR_STRLEN];
	int fd, on = 1, saved;

	if (cidr_sockaddr(addr, lc->port, &ss, &len) == -1)
		return perr_set(l->err, EX_CONFIG,
		    "[listen] address %s: not "
		    "an IP address",
		    addr);
	if (l->p->loopback_only && !cidr_is_loopback((struct sockaddr *)&ss))
		(void)cidr_sockaddr("127.0.0.1", lc->port, &ss, &len);
	if (check_exposure(l, (struct sockaddr *)&ss, "[listen] address") == -1)
		return -1;
	cidr_format((struct sockaddr *)&ss, 1, shown, sizeof(shown));
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		return perr_set(l->err, EX_OSERR, "socket: %s",
		    strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, BACKLOG) == -1 || set_flags(fd, 1) == -1) {
		saved = errno;
		(void)close(fd);
		return perr_set(l->err,
		    saved == EACCES	    ? EX_NOPERM :
			saved == EADDRINUSE ? EX_UNAVAILABLE :
					      EX_OSERR,
		    "cannot listen on %s: %s%s", shown, strerror(saved),
		    saved == EACCES && lc->port < 1024 ?
			" (ports below 1024 "
			"need root or CAP_NET_BIND_SERVICE)" :
			"");
	}
	l->fds[l->nfds++] = fd;
	return 0;
}

/*
 * fork() with the signals blocked, so that a child cannot get a stop
 * signal before it has its own handler; the child unblocks them in
 * child_setup().
 */
static pid_t
fork_blocked(sigset_t *old)
{
	sigset_t all;
	pid_t pid;
	int saved;

	(void)sigemptyset(&all);
	(void)sigaddset(&all, SIGTERM);
	(void)sigaddset(&all, SIGINT);
	(void)sigaddset(&all, SIGHUP);
	(void)sigaddset(&all, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &all, old);
	pid = fork();
	saved = errno;
	if (pid != 0)
		(void)sigprocmask(SIG_SETMASK, old, NULL);
	errno = saved;
	return pid;
}

/* What a child must not keep of its parent; then its signals arrive. */
static void
child_setup(struct lsn *l, const sigset_t *old)
{
	size_t i;

	(void)signal(SIGCHLD, SIG_DFL);
	for (i = 0; i < l->nfds; i++)
		(void)close(l->fds[i]);
	(void)close(l->wake[0]);
	(void)close(l->wake[1]);
	wake_wr = -1;
	(void)sigprocmask(SIG_SETMASK, old, NULL);
}

/* The queue runner beside the listener (-bd -qINTERVAL). */
static pid_t
start_runner(struct lsn *l)
{
	struct qsel sel = { 0, NULL, 0, 0, NULL };
	struct dsession ds;
	struct spool sp;
	struct perr e = { 0, "" };
	sigset_t old;
	pid_t pid;
	int rc = -1;

	if ((pid = fork_blocked(&old)) != 0)
		return pid;
	runner_catch_signals();
	child_setup(l, &old);
	if (spool_open(&sp, l->cfg->spooldir, 1, &e) == 0) {
		dsession_init(&ds, l->cfg, &sp, 0);
		rc = runner_loop(&ds, &sel, l->p->interval, &e);
		dsession_close(&ds);
		spool_close(&sp);
	}
	if (rc == -1)
		log_warnx("queue runner: %s", e.msg);
	_exit(rc == 0 ? 0 : 1);
}

/* One connection, in its own child: the -bs intake within the limits. */
static void
serve(struct lsn *l, int fd, const char *peer, const sigset_t *old)
{
	const struct listen_conf *lc = &l->cfg->listen;
	struct smtpd_limits lim = { lc->max_size, lc->max_commands, lc->timeout,
		&conn_stop };
	struct timeval tv = { lc->timeout, 0 };
	struct submit *sub = l->p->sub;
	int rc;

	set_handler(SIGTERM, on_conn_stop);
	set_handler(SIGINT, on_conn_stop);
	set_handler(SIGHUP, on_conn_stop);
	child_setup(l, old);
	/* a client that does not read its replies is idle too */
	if (set_flags(fd, 0) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		log_warnx("%s: %s", peer, strerror(errno));
		_exit(1);
	}
	log_info("connection from %s", peer);
	rc = submit_conn(sub, fd, &lim);
	if (rc != 0)
		log_info("connection from %s ended: %s", peer, sub->err->msg);
	_exit(rc == 0 ? 0 : 1);
}

/* Best effort, never blocking: the client is not waited for. */
static void
refuse(int fd, const char *text)
{
	(void)send(fd, text, strlen(text), MSG_DONTWAIT);
	(void)close(fd);
}

static void
accept_one(struct lsn *l, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const struct sockaddr *sa = (struct sockaddr *)&ss;
	char peer[CIDR_STRLEN];
	sigset_t old;
	pid_t pid;
	int fd;

	if ((fd = accept(lfd, (struct sockaddr *)&ss, &len)) == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			log_warnx("accept: %s; pausing", strerror(errno));
			l->pause_until = mono_now() + PAUSE_SECS;
		}
		return;
	}
	cidr_format(sa, 1, peer, sizeof(peer));
	if (set_flags(fd, 1) == -1) {
		(void)close(fd);
		return;
	}
	if (!cidr_is_loopback(sa) &&
	    (l->p->loopback_only || !cidr_list_match(&l->allow, sa))) {
		log_warnx("refused connection from %s: not loopback and not "
			  "in [listen] allow",
		    peer);
		refuse(fd,
		    "554 5.7.1 posta: your address is not allowed to "
		    "send mail here\r\n");
		return;
	}
	if ((pid = fork_blocked(&old)) == -1) {
		log_warnx("fork: %s; connection from %s turned away",
		    strerror(errno), peer);
		refuse(fd,
		    "421 4.3.0 posta: cannot serve now, try again "
		    "later\r\n");
		return;
	}
	if (pid == 0)
		serve(l, fd, peer, &old);
	(void)close(fd);
	l->kids[l->nkids++] = pid;
}

/* Collect the children that ended. */
static void
reap(struct lsn *l)
{
	pid_t pid;
	size_t i;
	int st;

	got_child = 0;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == l->runner) {
			l->runner = 0;
			if (!got_stop) {
				l->runner_died = 1;
				log_warnx("the queue runner exited (%s %d); "
					  "stopping",
				    WIFSIGNALED(st) ? "signal" : "status",
				    WIFSIGNALED(st) ? WTERMSIG(st) :
						      WEXITSTATUS(st));
			}
			continue;
		}
		for (i = 0; i < l->nkids; i++) {
			if (l->kids[i] == pid) {
				l->kids[i] = l->kids[--l->nkids];
				break;
			}
		}
	}
}

/* Wait for the wake pipe (signals) and, when there is room, clients. */
static int
wait_events(struct lsn *l)
{
	struct pollfd pfd[MAX_FDS + 1];
	size_t i, n = 1;
	int full, ms = -1;
	char drain[64];

	pfd[0].fd = l->wake[0];
	pfd[0].events = POLLIN;
	full = l->nkids >= (size_t)l->cfg->listen.max_clients;
	if (full && !l->full_logged)
		log_warnx("%zu clients: at max_clients, new connections wait",
		    l->nkids);
	l->full_logged = full;
	if (l->pause_until > mono_now())
		ms = (int)((l->pause_until - mono_now()) * 1000) + 1;
	else if (!full) {
		for (i = 0; i < l->nfds; i++, n++) {
			pfd[n].fd = l->fds[i];
			pfd[n].events = POLLIN;
		}
	}
	if (poll(pfd, n, ms) == -1) {
		if (errno == EINTR)
			return 0;
		return perr_set(l->err, EX_OSERR, "poll: %s", strerror(errno));
	}
	if (pfd[0].revents & POLLIN)
		while (read(l->wake[0], drain, sizeof(drain)) > 0)
			continue;
	if (got_child)
		reap(l);
	for (i = 1; i < n && !got_stop; i++)
		if ((pfd[i].revents & POLLIN) &&
		    l->nkids < (size_t)l->cfg->listen.max_clients)
			accept_one(l, pfd[i].fd);
	return 0;
}

/* Stop accepting; the children get LISTEN_GRACE seconds to finish. */
static void
shut_down(struct lsn *l)
{
	struct pollfd pfd;
	double end = mono_now() + LISTEN_GRACE;
	char drain[64];
	size_t i;

	for (i = 0; i < l->nfds; i++)
		(void)close(l->fds[i]);
	l->nfds = 0;
	log_info("stopping: %zu connection%s to finish", l->nkids,
	    l->nkids == 1 ? "" : "s");
	for (i = 0; i < l->nkids; i++)
		(void)kill(l->kids[i], SIGTERM);
	if (l->runner > 0)
		(void)kill(l->runner, SIGTERM);
	while ((l->nkids > 0 || l->runner > 0) && mono_now() < end) {
		pfd.fd = l->wake[0];
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, (int)((end - mono_now()) * 1000) + 1);
		while (read(l->wake[0], drain, sizeof(drain)) > 0)
			continue;
		reap(l);
	}
	if (l->nkids > 0 || l->runner > 0)
		log_warnx("%zu connection%s still open after %d s: killed",
		    l->nkids, l->nkids == 1 ? "" : "s", LISTEN_GRACE);
	for (i = 0; i < l->nkids; i++)
		(void)kill(l->kids[i], SIGKILL);
	if (l->runner > 0)
		(void)kill(l->runner, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		continue;
	l->nkids = 0;
	l->runner = 0;
	log_info("stopped");
}

static int
setup(struct lsn *l)
{
	const struct listen_conf *lc = &l->cfg->listen;
	struct spool sp;
	char bad[80];
	const char *why;
	int r;

	if (lc->allow != NULL && !l->p->loopback_only &&
	    cidr_list_parse(lc->allow, &l->allow, bad, sizeof(bad), &why) == -1)
		return perr_set(l->err, EX_CONFIG, "[listen] allow %s: %s", bad,
		    why);
	if ((r = take_activated(l)) == -1 || (r == 0 && bind_address(l) == -1))
		return -1;
	l->activated = r;
	/* a spool that cannot be written fails now, not at each client */
	if (spool_open(&sp, l->cfg->spooldir, 1, l->err) == -1)
		return -1;
	spool_close(&sp);
	if ((l->kids = calloc((size_t)lc->max_clients, sizeof(*l->kids))) ==
	    NULL)
		return perr_set(l->err, EX_OSERR, "out of memory");
	if (pipe(l->wake) == -1 || set_flags(l->wake[0], 1) == -1 ||
	    set_flags(l->wake[1], 1) == -1)
		return perr_set(l->err, EX_OSERR, "pipe: %s", strerror(errno));
	wake_wr = l->wake[1];
	set_handler(SIGTERM, on_signal);
	set_handler(SIGINT, on_signal);
	set_handler(SIGHUP, on_signal);
	set_handler(SIGCHLD, on_signal);
	return 0;
}

static void
log_start(const struct lsn *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char where[CIDR_STRLEN], every[32] = "";

	if (getsockname(l->fds[0], (struct sockaddr *)&ss, &len) == -1)
		(void)xstrlcpy(where, "?", sizeof(where));
	else
		cidr_format((struct sockaddr *)&ss, 1, where, sizeof(where));
	if (l->p->interval > 0)
		fmt_duration(l->p->interval, every, sizeof(every));
	log_info("listening on %s%s for loopback%s%s clients, at most %d at "
		 "once; %s%s",
	    where, l->activated ? " (from systemd)" : "",
	    l->allow.n > 0 ? " and [listen] allow " : "",
	    l->allow.n > 0 ? l->cfg->listen.allow : "",
	    l->cfg->listen.max_clients,
	    l->p->interval > 0 ? "queue run every " :
				 "no queue runner (deferred messages wait "
				 "for posta -q)",
	    every);
}

int
listen_run(const struct listen_params *p, struct perr *err)
{
	struct lsn l;
	size_t i;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.p = p;
	l.cfg = p->sub->cfg;
	l.err = err;
	l.wake[0] = l.wake[1] = -1;
	got_stop = got_child = 0;
	if (setup(&l) == -1)
		goto out;
	log_start(&l);
	if (p->interval > 0 && (l.runner = start_runner(&l)) == -1) {
		l.runner = 0;
		perr_set(err, EX_OSERR, "fork: %s", strerror(errno));
		goto out;
	}
	while (!got_stop && !l.runner_died)
		if (wait_events(&l) == -1)
			break;
	shut_down(&l);
	if (l.runner_died)
		perr_set(err, EX_SOFTWARE,
		    "the queue runner exited; see the "
		    "log");
	rc = err->code != 0 ? -1 : 0;
out:
	for (i = 0; i < l.nfds; i++)
		(void)close(l.fds[i]);
	wake_wr = -1;
	if (l.wake[0] != -1)
		(void)close(l.wake[0]);
	if (l.wake[1] != -1)
		(void)close(l.wake[1]);
	free(l.kids);
	return rc;
}
