/* SPDX-License-Identifier: ISC */
/*
 * secret.c: each source, CR LF stripping, bounds, command exit status
 * and timeout, and that no secret reaches err->msg.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "posta.h"
#include "secret.h"
#include "tap.h"
#include "util.h"

static char dir[64];
static char fpath[128];

static void
write_file(const char *name, const void *data, size_t len)
{
	int fd;

	(void)snprintf(fpath, sizeof(fpath), "%s/%s", dir, name);
	fd = open(fpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len ||
	    close(fd) == -1) {
		perror(fpath);
		exit(2);
	}
}

/* A config with one source set; the others stay NULL. */
static void
cfg_init(struct config *cfg, char *password, char *file, char *cmd,
    int timeout)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->password = password;
	cfg->password_file = file;
	cfg->password_command = cmd;
	cfg->timeout = timeout;
}

static int
get(struct config *cfg, char *buf, size_t cap, struct perr *err)
{
	memset(err, 0, sizeof(*err));
	memset(buf, 'Z', cap);
	return secret_get(cfg, buf, cap, err);
}

static int
all_zero(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != '\0')
			return 0;
	return 1;
}

static void
test_key(void)
{
	struct config cfg;
	struct perr err;
	char buf[MAX_SECRET + 1], small[8];
	char pw[] = "hunter2", longpw[] = "correct horse battery", empty[] = "";

	cfg_init(&cfg, pw, NULL, NULL, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "password key");
	is_str(buf, "hunter2", "password copied");
	is_int(err.code, 0, "no error");

	cfg_init(&cfg, longpw, NULL, NULL, 5);
	is_int(get(&cfg, small, sizeof(small), &err), -1,
	    "password longer than the buffer");
	is_str(err.msg, "password is longer than 7 octets",
	    "too long: message");
	ok(strstr(err.msg, "horse") == NULL, "too long: secret not in msg");
	ok(all_zero(small, sizeof(small)), "buffer wiped on error");

	cfg_init(&cfg, empty, NULL, NULL, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "empty password");
	is_str(err.msg, "password is empty", "empty password: message");

	cfg_init(&cfg, NULL, NULL, NULL, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "no source");
	is_int(err.code, EX_CONFIG, "no source: EX_CONFIG");
	is_str(err.msg, "none of password, password_file or password_command "
	    "is set", "no source: message");
}

static void
test_file(void)
{
	struct config cfg;
	struct perr err;
	char buf[MAX_SECRET + 1], want[200], link[160];
	static char big[MAX_SECRET + 10];

	cfg_init(&cfg, NULL, fpath, NULL, 5);

	write_file("crlf", "s3cr;et\r\nsecond line\n", 21);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "file with CRLF");
	is_str(buf, "s3cr;et", "first line, CR LF stripped");

	write_file("lf", "pw\n", 3);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "file with LF");
	is_str(buf, "pw", "LF stripped");

	write_file("bare", "tok en", 6);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "file without newline");
	is_str(buf, "tok en", "whole file, inner blank kept");

	write_file("empty", "", 0);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "empty file");
	(void)snprintf(want, sizeof(want), "password_file %s: first line is "
	    "empty", fpath);
	is_str(err.msg, want, "empty file: message");
	is_int(err.code, EX_CONFIG, "empty file: EX_CONFIG");

	write_file("blank", "\r\nsecret-on-line-2\n", 19);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "empty first line");
	ok(strstr(err.msg, "secret-on-line-2") == NULL,
	    "empty first line: no secret in msg");

	memset(big, 'x', MAX_SECRET);
	big[MAX_SECRET] = '\r';
	big[MAX_SECRET + 1] = '\n';
	write_file("max", big, MAX_SECRET + 2);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0,
	    "MAX_SECRET octets + CRLF");
	is_int(strlen(buf), MAX_SECRET, "MAX_SECRET octets kept");

	memset(big, 'x', sizeof(big));
	write_file("huge", big, sizeof(big));
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "line too long");
	(void)snprintf(want, sizeof(want), "password_file %s: first line is "
	    "longer than %d octets", fpath, MAX_SECRET);
	is_str(err.msg, want, "too long: message");
	ok(all_zero(buf, sizeof(buf)), "too long: buffer wiped");

	(void)snprintf(fpath, sizeof(fpath), "%s/missing", dir);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "missing file");
	(void)snprintf(want, sizeof(want), "password_file %s: cannot open: "
	    "No such file or directory", fpath);
	is_str(err.msg, want, "missing file: message");

	write_file("target", "pw\n", 3);
	(void)snprintf(link, sizeof(link), "%s/link", dir);
	ok(symlink(fpath, link) == 0, "made a symlink");
	cfg_init(&cfg, NULL, link, NULL, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "symlink refused");
	ok(strstr(err.msg, "is a symbolic link") != NULL, "symlink: message");

	cfg_init(&cfg, NULL, dir, NULL, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "directory refused");
	ok(strstr(err.msg, "not a regular file") != NULL, "directory: message");
}

static int
no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* No such process, or a zombie. */
static int
dead(long pid)
{
	char path[64], stat[256], *p;
	FILE *fp;
	int gone = 1;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(stat, sizeof(stat), fp) != NULL &&
	    (p = strrchr(stat, ')')) != NULL && p[1] == ' ')
		gone = p[2] == 'Z' || p[2] == 'X';
	(void)fclose(fp);
	return gone;
}

/* A timeout also kills what sh started, or it would hold the pipe open. */
static void
test_group_kill(void)
{
	struct config cfg;
	struct perr err;
	char buf[64], cmd[200], pidfile[100];
	long pid = 0;
	FILE *fp;
	int i, gone = 0;

	(void)snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	(void)snprintf(cmd, sizeof(cmd), "sleep 10 & echo $! > %s; wait",
	    pidfile);
	cfg_init(&cfg, NULL, NULL, cmd, 1);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "background timeout");
	if ((fp = fopen(pidfile, "r")) != NULL) {
		if (fscanf(fp, "%ld", &pid) != 1)
			pid = 0;
		(void)fclose(fp);
	}
	(void)unlink(pidfile);
	ok(pid > 0, "grandchild pid recorded");
	/* reparented to init, it may linger as a zombie: dead all the same */
	for (i = 0; i < 100 && pid > 0 && !gone; i++) {
		if (!(gone = dead(pid)))
			(void)usleep(10000);
	}
	ok(gone, "grandchild killed with the process group");
}

static void
test_command(void)
{
	struct config cfg;
	struct perr err;
	char buf[MAX_SECRET + 1], small[6];
	char c1[] = "printf 'tok\\r\\nmore\\n'";
	char c2[] = "echo hunter2; exit 3";
	char c3[] = "sleep 10";
	char c4[] = "printf '%s\\n' \"${HOME:-nohome}:${POSTA_T:-clean}\"";
	char c5[] = "cat; echo done";
	char c6[] = "echo tok; head -c 300000 /dev/zero";
	char c7[] = "echo hunter2; kill -9 $$";
	char c8[] = "echo longsecret";
	char c9[] = "printf 'nolf'";
	char c10[] = "exit 0";
	char c11[] = "echo on-stderr >&2; echo tok";
	char c12[] = "cat /nonexistent/x";
	char c13[] = "printf 'bad\\t\\001thing\\033[2J\\r\\n second\\n' >&2; "
	    "exit 2";
	char c14[] = "head -c 5000 /dev/zero | tr '\\0' A >&2; exit 1";
	char c15[] = "echo no key >&2";
	char c16[] = "(sleep 3 >/dev/null &); echo tok";
	char c17[] = "pwd";
	char c18[] = "echo tok; (sleep 5 &)";
	char fpath_err[300];
	double t0;
	int fd0, fd1, fd, saved, r;

	(void)snprintf(fpath_err, sizeof(fpath_err), "%s/stderr", dir);
	fd0 = open("/dev/null", O_RDONLY);
	(void)close(fd0);

	cfg_init(&cfg, NULL, NULL, c1, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "command");
	is_str(buf, "tok", "first line, CR LF stripped");
	ok(no_children(), "command reaped");

	cfg_init(&cfg, NULL, NULL, c9, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "output without newline");
	is_str(buf, "nolf", "output without newline kept");

	cfg_init(&cfg, NULL, NULL, c2, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "exit status 3");
	is_str(err.msg, "password_command exited with status 3",
	    "exit status: message");
	is_int(err.code, EX_CONFIG, "exit status: EX_CONFIG");
	ok(strstr(err.msg, "hunter2") == NULL && strstr(err.msg, "echo") ==
	    NULL, "neither secret nor command in msg");
	ok(all_zero(buf, sizeof(buf)), "exit status: buffer wiped");

	/* stderr is captured: not read as the secret, not passed on */
	cfg_init(&cfg, NULL, NULL, c11, 5);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(fpath_err, O_RDWR | O_CREAT | O_TRUNC, 0600);
	(void)dup2(fd, STDERR_FILENO);
	r = get(&cfg, buf, sizeof(buf), &err);
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	is_int(r, 0, "command writing to stderr");
	is_str(buf, "tok", "stderr not taken as output");
	is_int((int)lseek(fd, 0, SEEK_END), 0, "stderr not passed on");
	(void)close(fd);
	(void)unlink(fpath_err);

	/* a failure ends with the first line of stderr, blanked, bounded */
	cfg_init(&cfg, NULL, NULL, c12, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "failure with stderr");
	is_str(err.msg, "password_command exited with status 1: cat: "
	    "/nonexistent/x: No such file or directory",
	    "failure: stderr's first line in the message");
	cfg_init(&cfg, NULL, NULL, c13, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "stderr with controls");
	is_str(err.msg, "password_command exited with status 2: bad  thing"
	    " [2J", "stderr: control characters blanked");
	cfg_init(&cfg, NULL, NULL, c14, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "long stderr");
	ok(strlen(err.msg) < 300 && strstr(err.msg, ": AAAA") != NULL,
	    "long stderr: bounded (%zu)", strlen(err.msg));
	cfg_init(&cfg, NULL, NULL, c15, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "empty output, stderr");
	is_str(err.msg, "password_command: first line is empty: no key",
	    "empty output: stderr in the message");

	/* a descendant that keeps stderr open does not hold us up */
	cfg_init(&cfg, NULL, NULL, c16, 5);
	t0 = mono_now();
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "stderr kept open");
	ok(mono_now() - t0 < 1.5, "returns when the command exits (%.2f s)",
	    mono_now() - t0);
	is_str(buf, "tok", "stderr kept open: output");

	/* a descendant that keeps stdout open: a timeout, and it is killed */
	cfg_init(&cfg, NULL, NULL, c18, 1);
	t0 = mono_now();
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "stdout kept open");
	ok(mono_now() - t0 < 2.0, "stdout kept open: within 2 s (%.2f s)",
	    mono_now() - t0);
	is_str(err.msg, "password_command timed out after 1 s",
	    "stdout kept open: message");
	ok(no_children(), "stdout kept open: reaped");

	/* the command runs in / */
	cfg_init(&cfg, NULL, NULL, c17, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "pwd");
	is_str(buf, "/", "the command runs in /");

	cfg_init(&cfg, NULL, NULL, c3, 1);
	t0 = mono_now();
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "command timeout");
	ok(mono_now() - t0 < 2.0, "timeout returns within 2 s (%.2f s)",
	    mono_now() - t0);
	is_str(err.msg, "password_command timed out after 1 s",
	    "timeout: message");
	ok(no_children(), "timed-out command killed and reaped");
	test_group_kill();

	(void)setenv("POSTA_T", "leaked", 1);
	cfg_init(&cfg, NULL, NULL, c4, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "environment command");
	is_str(buf, "nohome:clean", "no user environment reaches the command");

	cfg_init(&cfg, NULL, NULL, c5, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0, "stdin command");
	is_str(buf, "done", "stdin is /dev/null");

	cfg_init(&cfg, NULL, NULL, c6, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), 0,
	    "long output after line 1");
	is_str(buf, "tok", "rest drained, command exits 0");

	cfg_init(&cfg, NULL, NULL, c7, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "killed by a signal");
	is_str(err.msg, "password_command was killed by signal 9",
	    "signal: message");

	cfg_init(&cfg, NULL, NULL, c8, 5);
	is_int(get(&cfg, small, sizeof(small), &err), -1, "line too long");
	is_str(err.msg, "password_command: first line is longer than 5 octets",
	    "too long: message");
	ok(all_zero(small, sizeof(small)), "too long: buffer wiped");

	cfg_init(&cfg, NULL, NULL, c10, 5);
	is_int(get(&cfg, buf, sizeof(buf), &err), -1, "no output");
	is_str(err.msg, "password_command: first line is empty",
	    "no output: message");

	fd1 = open("/dev/null", O_RDONLY);
	(void)close(fd1);
	is_int(fd1, fd0, "no descriptor leaked");
	ok(no_children(), "no child left behind");
}

static void
test_wipe(void)
{
	char buf[16];

	memcpy(buf, "hunter2hunter2!", 16);
	secret_wipe(buf, sizeof(buf));
	ok(all_zero(buf, sizeof(buf)), "secret_wipe zeroes");
	secret_wipe(NULL, 10);
	ok(1, "secret_wipe(NULL) is safe");
}

static void
cleanup(void)
{
	static const char *const names[] = {
		"crlf", "lf", "bare", "empty", "blank", "max", "huge",
		"target", "link"
	};
	size_t i;

	for (i = 0; i < nitems(names); i++) {
		(void)snprintf(fpath, sizeof(fpath), "%s/%s", dir, names[i]);
		(void)unlink(fpath);
	}
	(void)rmdir(dir);
}

int
main(void)
{
	(void)snprintf(dir, sizeof(dir), "/tmp/t_secret.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_key();
	test_file();
	test_command();
	test_wipe();
	cleanup();
	return done_testing();
}
