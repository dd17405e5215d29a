/* SPDX-License-Identifier: ISC */
/*
 * The AUTH secret from password, password_file or password_command,
 * read into the caller's buffer only when it is needed.
 */
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
#define CMD_PATH	"PATH=/usr/local/bin:/usr/bin:/bin"

/*
 * Output beyond the first line is drained (so the command does not die
 * of SIGPIPE) through this much stack at a time.
 */
#define DRAIN_CHUNK	512

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
		return perr_set(err, EX_CONFIG, "%s: first line is longer than "
		    "%zu octets", what, limit);
	if (len == 0)
		return perr_set(err, EX_CONFIG, "%s: first line is empty",
		    what);
	if (memchr(out, '\0', (size_t)len) != NULL)
		return perr_set(err, EX_CONFIG, "%s: NUL byte in the first "
		    "line", what);
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

/*
 * The child: stdin from /dev/null, stdout to the pipe, stderr kept, a
 * clean environment, default signals, its own process group (a command
 * that reads the terminal is stopped and then killed at the timeout).
 * Only async-signal-safe calls.
 */
static void __dead
run_child(const char *cmd, int wfd)
{
	char sh[] = "sh", dashc[] = "-c", path[] = CMD_PATH;
	char *const argv[] = { sh, dashc, (char *)(uintptr_t)cmd, NULL };
	char *const envp[] = { path, NULL };
	struct sigaction sa;
	sigset_t none;
	int nfd;

	if (move_fd(wfd, STDOUT_FILENO) == -1)
		_exit(127);
	if ((nfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    move_fd(nfd, STDIN_FILENO) == -1)
		_exit(127);
	/* its own group, so a timeout kills what sh started too */
	(void)setpgid(0, 0);
	/* posta ignores SIGPIPE; the command should not inherit that */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)execve("/bin/sh", argv, envp);
	_exit(127);
}

/*
 * Wait for pid until the deadline, then kill it and the process group
 * it leads (ours alone: it was made in run_child); returns its status.
 */
static int
reap(pid_t pid, double deadline, int *status, int *killed)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	pid_t r;

	*killed = 0;
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		if (r == 0 && mono_now() >= deadline)
			break;
		(void)nanosleep(&tick, NULL);
	}
	*killed = 1;
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) == -1 && errno == EINTR)
		;
	return r == pid ? 0 : -1;
}

/*
 * Read the command's output until EOF or the deadline: the first
 * cap octets into out, the rest drained. Returns 0 at EOF, 1 on
 * timeout, -1 on error.
 */
static int
read_output(int rfd, char *out, size_t cap, size_t *n, double deadline)
{
	char scratch[DRAIN_CHUNK];
	struct pollfd pfd;
	double left;
	ssize_t r;
	int rc = -1;

	*n = 0;
	pfd.fd = rfd;
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline - mono_now()) <= 0) {
			rc = 1;
			break;
		}
		r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		if (r == 0)
			continue;
		if (*n < cap)
			r = read(rfd, out + *n, cap - *n);
		else
			r = read(rfd, scratch, sizeof(scratch));
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			rc = r == 0 ? 0 : -1;
			break;
		}
		if (*n < cap)
			*n += (size_t)r;
	}
	explicit_bzero(scratch, sizeof(scratch));
	return rc;
}

/* The timeout is the upstream step timeout; it also bounds the reap. */
static int
from_command(const struct secret_src *src, char *buf, size_t limit,
    struct perr *err)
{
	char out[MAX_SECRET + 2], what[64];
	size_t n = 0, cap = limit + 2;
	double deadline;
	int fds[2] = { -1, -1 }, rc = -1, status = 0, killed = 0, r;
	int timeout = src->timeout > 0 ? src->timeout : DEFAULT_TIMEOUT;
	pid_t pid = -1;

	(void)snprintf(what, sizeof(what), "%s_command", src->name);
	deadline = mono_now() + timeout;
	if (pipe(fds) == -1 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) == -1) {
		perr_set(err, EX_OSERR, "%s: pipe: %s", what, strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		perr_set(err, EX_OSERR, "%s: fork: %s", what, strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_child(src->command, fds[1]);
	(void)close(fds[1]);
	fds[1] = -1;
	r = read_output(fds[0], out, cap, &n, deadline);
	if (r == -1)
		perr_set(err, EX_OSERR, "%s: read: %s", what, strerror(errno));
	/* after EOF, a command that lingers still gets until the deadline */
	if (reap(pid, r == 0 ? deadline : 0, &status, &killed) == -1) {
		perr_set(err, EX_OSERR, "%s: wait: %s", what, strerror(errno));
		goto out;
	}
	if (r == 1 || killed) {
		perr_set(err, EX_CONFIG, "%s timed out after %d s", what,
		    timeout);
		goto out;
	}
	if (r == -1)
		goto out;
	if (WIFSIGNALED(status)) {
		perr_set(err, EX_CONFIG, "%s was killed by signal %d", what,
		    WTERMSIG(status));
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		perr_set(err, EX_CONFIG, "%s exited with status %d", what,
		    WEXITSTATUS(status));
		goto out;
	}
	rc = take_line(what, out, n, cap, limit, buf, err);
out:
	explicit_bzero(out, sizeof(out));
	if (fds[0] != -1)
		(void)close(fds[0]);
	if (fds[1] != -1)
		(void)close(fds[1]);
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
		rc = perr_set(err, EX_CONFIG, "none of %s, %s_file or "
		    "%s_command is set", src->name, src->name, src->name);
	if (rc == -1)
		secret_wipe(buf, cap);
	return rc;
}

int
secret_get(const struct config *cfg, char *buf, size_t cap,
    struct perr *err)
{
	struct secret_src src = { "password", cfg->password,
	    cfg->password_file, cfg->password_command, config_timeout(cfg) };

	return secret_fetch(&src, buf, cap, err);
}

void
secret_wipe(void *buf, size_t len)
{
	if (buf != NULL)
		explicit_bzero(buf, len);
}
