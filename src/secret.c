/* SPDX-License-Identifier: ISC */
/*
 * The AUTH secret from password, password_file or password_command,
 * read into the caller's buffer only when it is needed.
 */
#define _GNU_SOURCE /* setresgid */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "posta.h"
#include "secret.h"
#include "util.h"

/* What the command runs with: no variable from the invoking user. */
#define CMD_PATH "PATH=/usr/local/bin:/usr/bin:/bin"

/*
 * Output beyond the first line is drained (so the command does not die
 * of SIGPIPE) through this much stack at a time.
 */
#define DRAIN_CHUNK 512

/* Of the command's stderr, this much is kept for the error line. */
#define DIAG_MAX 200

/* The first line of out[0..n): its length without CR LF, or -1 if full. */
static ssize_t
first_line(const char *out, size_t n, size_t cap)
{
	const char *nl;
	size_t len;

	nl = memchr(out, '\n', n);
	if (nl == NULL && n == cap)
		return -1;
	len = nl != NULL ? (size_t)(nl - out) : n;
	if (len > 0 && out[len - 1] == '\r')
		len--;
	return (ssize_t)len;
}

/*
 * Move the first line of out into buf. The line must fit in limit
 * octets; out has room for limit + 2 so a full line with its CR LF is
 * told apart from a longer one.
 */
static int
take_line(const char *what, const char *out, size_t n, size_t outcap,
    size_t limit, char *buf, struct perr *err)
{
	ssize_t len;

	len = first_line(out, n, outcap);
	if (len == -1 || (size_t)len > limit)
		return perr_set(err, EX_CONFIG,
		    "%s: first line is longer than "
		    "%zu octets",
		    what, limit);
	if (len == 0)
		return perr_set(err, EX_CONFIG, "%s: first line is empty",
		    what);
	if (memchr(out, '\0', (size_t)len) != NULL)
		return perr_set(err, EX_CONFIG,
		    "%s: NUL byte in the first "
		    "line",
		    what);
	memcpy(buf, out, (size_t)len);
	buf[len] = '\0';
	return 0;
}

static int
from_key(const struct secret_src *src, char *buf, size_t limit,
    struct perr *err)
{
	size_t len;

	len = strlen(src->value);
	if (len == 0)
		return perr_set(err, EX_CONFIG, "%s is empty", src->name);
	if (len > limit)
		return perr_set(err, EX_CONFIG, "%s is longer than %zu octets",
		    src->name, limit);
	memcpy(buf, src->value, len + 1);
	return 0;
}

/* O_NONBLOCK: a FIFO must not hang the open; it is refused below. */
static int
from_file(const struct secret_src *src, char *buf, size_t limit,
    struct perr *err)
{
	const char *path = src->file;
	char out[MAX_SECRET + 2], what[300];
	struct stat st;
	size_t n = 0, cap = limit + 2;
	ssize_t r;
	int fd, rc = -1;

	(void)snprintf(what, sizeof(what), "%s_file %s", src->name, path);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return perr_set(err, EX_CONFIG, "%s: cannot open: %s", what,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) == -1) {
		perr_set(err, EX_CONFIG, "%s: %s", what, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		perr_set(err, EX_CONFIG, "%s: not a regular file", what);
		goto out;
	}
	while (n < cap && memchr(out, '\n', n) == NULL) {
		r = read(fd, out + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			perr_set(err, EX_CONFIG, "%s: read error: %s", what,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	rc = take_line(what, out, n, cap, limit, buf, err);
out:
	explicit_bzero(out, sizeof(out));
	(void)close(fd);
	return rc;
}

/* fd becomes target in the child, without FD_CLOEXEC. */
static int
move_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) == -1 ? -1 : 0;
}

/* In the child: say why it cannot run the command, on the stderr pipe. */
static void __dead
child_fail(int efd, const char *why)
{
	/* nowhere else to say it: the parent reports the exit status */
	if (write(efd, why, strlen(why)) == -1)
		_exit(127);
	_exit(127);
}

/*
 * The child: stdin from /dev/null, stdout and stderr to their pipes, in
 * "/", a clean environment, default signals, its own process group (a
 * command that reads the terminal is stopped and then killed at the
 * timeout). Set-group-id, the real and saved group become the effective
 * one: /bin/sh drops a group it runs with but was not started as, and
 * the command is there to read a secret only that group may read.
 * Only async-signal-safe calls.
 */
static void __dead
run_child(const char *cmd, int wfd, int efd)
{
	char sh[] = "sh", dashc[] = "-c", path[] = CMD_PATH;
	char *const argv[] = { sh, dashc, (char *)(uintptr_t)cmd, NULL };
	char *const envp[] = { path, NULL };
	struct sigaction sa;
	sigset_t none;
	gid_t egid = getegid();
	int nfd;

	if (egid != getgid() && setresgid(egid, egid, egid) == -1)
		child_fail(efd, "posta: cannot keep the group");
	if (chdir("/") == -1)
		child_fail(efd, "posta: cannot change to /");
	if (move_fd(wfd, STDOUT_FILENO) == -1 ||
	    move_fd(efd, STDERR_FILENO) == -1)
		child_fail(efd, "posta: cannot redirect the output");
	if ((nfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    move_fd(nfd, STDIN_FILENO) == -1)
		child_fail(STDERR_FILENO, "posta: cannot open /dev/null");
	/* its own group, so a timeout kills what sh started too */
	(void)setpgid(0, 0);
	/* posta ignores SIGPIPE; the command should not inherit that */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)execve("/bin/sh", argv, envp);
	child_fail(STDERR_FILENO, "posta: cannot run /bin/sh");
}

/* One output of the command: the first cap octets kept, the rest read and dropped. */
struct capture {
	int fd; /* -1 at EOF */
	char *buf;
	size_t cap, n;
};

/* Read what fd has now; 0, or -1 on error. EOF closes it. */
static int
capture_read(struct capture *c)
{
	char scratch[DRAIN_CHUNK];
	ssize_t r;
	int rc = 0;

	for (;;) {
		if (c->n < c->cap)
			r = read(c->fd, c->buf + c->n, c->cap - c->n);
		else
			r = read(c->fd, scratch, sizeof(scratch));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			break;
		if (r == -1) {
			rc = -1;
			break;
		}
		if (r == 0) {
			(void)close(c->fd);
			c->fd = -1;
			break;
		}
		if (c->n < c->cap)
			c->n += (size_t)r;
	}
	explicit_bzero(scratch, sizeof(scratch));
	return rc;
}

/*
 * Read stdout and stderr until the child has exited and closed its
 * standard output, or until the deadline. What a descendant keeps open
 * after that does not hold us up. Returns 0 with *status set, 1 on
 * timeout, -1 on error; *exited says whether the child was reaped.
 */
static int
collect(pid_t pid, struct capture *out, struct capture *diag, double deadline,
    int *status, int *exited)
{
	struct pollfd pfd[2];
	double left;
	int ms, r;
	pid_t w;

	*exited = 0;
	for (;;) {
		if (!*exited) {
			w = waitpid(pid, status, WNOHANG);
			if (w == -1 && errno != EINTR)
				return -1;
			*exited = w == pid;
		}
		if (*exited && out->fd == -1)
			break;
		if ((left = deadline - mono_now()) <= 0)
			return 1;
		pfd[0].fd = out->fd;
		pfd[1].fd = *exited ? -1 : diag->fd;
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		/* its output closed, the child is polled for its exit */
		ms = (int)(left * 1000) + 1;
		if (out->fd == -1 && ms > 10)
			ms = 10;
		r = poll(pfd, 2, ms);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if (pfd[0].revents != 0 && capture_read(out) == -1)
			return -1;
		if (pfd[1].revents != 0 && capture_read(diag) == -1)
			return -1;
	}
	/* what it wrote to stderr before it exited is in the pipe */
	if (diag->fd != -1 && capture_read(diag) == -1)
		return -1;
	return 0;
}

/* The first line of the command's stderr, blanked, for an error. */
static void
diag_line(const struct capture *diag, char *line, size_t cap)
{
	size_t len;
	const char *nl;

	len = diag->n < cap - 1 ? diag->n : cap - 1;
	if ((nl = memchr(diag->buf, '\n', len)) != NULL)
		len = (size_t)(nl - diag->buf);
	memcpy(line, diag->buf, len);
	line[len] = '\0';
	str_blank_ctl(line);
	while (len > 0 && line[len - 1] == ' ')
		line[--len] = '\0';
}

/*
 * Kill the process group the child leads (made in run_child), which
 * outlives it when a descendant held its output, and the child itself
 * unless it was reaped already.
 */
static int
kill_reap(pid_t pid, int exited, int *status)
{
	pid_t r;

	(void)kill(-pid, SIGKILL);
	if (exited)
		return 0;
	(void)kill(pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) == -1 && errno == EINTR)
		;
	return r == pid ? 0 : -1;
}

static int
pipe_nb(int fds[2])
{
	if (pipe(fds) == -1)
		return -1;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/*
 * The timeout is the upstream step timeout; it also bounds the wait
 * for the exit. A failure ends with the first line of the command's
 * stderr, so "cat: /etc/secret: Permission denied" is seen where
 * posta's error is, and not on the terminal of whoever ran posta.
 */
static int
from_command(const struct secret_src *src, char *buf, size_t limit,
    struct perr *err)
{
	char out[MAX_SECRET + 2], ebuf[DIAG_MAX], what[64], line[DIAG_MAX];
	struct capture oc = { -1, out, limit + 2, 0 };
	struct capture ec = { -1, ebuf, sizeof(ebuf), 0 };
	struct perr e = { 0, "" };
	int ofd[2] = { -1, -1 }, efd[2] = { -1, -1 };
	int rc = -1, status = 0, exited = 0, r;
	int timeout = src->timeout > 0 ? src->timeout : DEFAULT_TIMEOUT;
	pid_t pid = -1;

	(void)snprintf(what, sizeof(what), "%s_command", src->name);
	line[0] = '\0';
	if (pipe_nb(ofd) == -1 || pipe_nb(efd) == -1) {
		perr_set(err, EX_OSERR, "%s: pipe: %s", what, strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		perr_set(err, EX_OSERR, "%s: fork: %s", what, strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_child(src->command, ofd[1], efd[1]);
	(void)close(ofd[1]);
	(void)close(efd[1]);
	ofd[1] = efd[1] = -1;
	oc.fd = ofd[0];
	ec.fd = efd[0];
	ofd[0] = efd[0] = -1;
	r = collect(pid, &oc, &ec, mono_now() + timeout, &status, &exited);
	if (r != 0) {
		if (r == -1)
			perr_set(&e, EX_OSERR, "%s: %s", what, strerror(errno));
		if (kill_reap(pid, exited, &status) == -1)
			perr_set(&e, EX_OSERR, "%s: wait: %s", what,
			    strerror(errno));
		perr_set(&e, EX_CONFIG, "%s timed out after %d s", what,
		    timeout);
	} else if (WIFSIGNALED(status))
		perr_set(&e, EX_CONFIG, "%s was killed by signal %d", what,
		    WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		perr_set(&e, EX_CONFIG, "%s exited with status %d", what,
		    WEXITSTATUS(status));
	else
		rc = take_line(what, out, oc.n, oc.cap, limit, buf, &e);
	if (e.code != 0) {
		rc = -1;
		diag_line(&ec, line, sizeof(line));
		perr_set(err, e.code, "%s%s%s", e.msg,
		    line[0] != '\0' ? ": " : "", line);
	}
out:
	explicit_bzero(out, sizeof(out));
	explicit_bzero(ebuf, sizeof(ebuf));
	if (oc.fd != -1)
		(void)close(oc.fd);
	if (ec.fd != -1)
		(void)close(ec.fd);
	if (ofd[0] != -1)
		(void)close(ofd[0]);
	if (ofd[1] != -1)
		(void)close(ofd[1]);
	if (efd[0] != -1)
		(void)close(efd[0]);
	if (efd[1] != -1)
		(void)close(efd[1]);
	return rc;
}

int
secret_fetch(const struct secret_src *src, char *buf, size_t cap,
    struct perr *err)
{
	size_t limit;
	int rc;

	if (buf == NULL || cap == 0)
		return perr_set(err, EX_SOFTWARE, "secret_get: no buffer");
	buf[0] = '\0';
	limit = cap - 1 < MAX_SECRET ? cap - 1 : MAX_SECRET;
	if (src->value != NULL)
		rc = from_key(src, buf, limit, err);
	else if (src->file != NULL)
		rc = from_file(src, buf, limit, err);
	else if (src->command != NULL)
		rc = from_command(src, buf, limit, err);
	else
		rc = perr_set(err, EX_CONFIG,
		    "none of %s, %s_file or "
		    "%s_command is set",
		    src->name, src->name, src->name);
	if (rc == -1)
		secret_wipe(buf, cap);
	return rc;
}

int
secret_get(const struct config *cfg, char *buf, size_t cap, struct perr *err)
{
	struct secret_src src = { "password", cfg->password, cfg->password_file,
		cfg->password_command, config_timeout(cfg) };

	return secret_fetch(&src, buf, cap, err);
}

void
secret_wipe(void *buf, size_t len)
{
	if (buf != NULL)
		explicit_bzero(buf, len);
}
