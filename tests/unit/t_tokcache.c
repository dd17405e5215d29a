/* SPDX-License-Identifier: ISC */
/*
 * tokcache.c: the file format both ways, what is refused (damage, other
 * versions, symbolic links, access for others), the atomic write, and
 * the lock with its "waited" report.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "posta.h"
#include "tokcache.h"
#include "tap.h"

static char dir[64];
static char path[128];

static void
test_format(void)
{
	struct tokcache c, d;
	struct buf b;
	char *text;
	int version = 0;

	memset(&c, 0, sizeof(c));
	ok(tokcache_set(&c.access, "eyJ0eXAi.abc-_~+/=") == 0, "set access");
	ok(tokcache_set(&c.refresh, "1//0refresh") == 0, "set refresh");
	c.access_obtained = 100;
	c.access_expires = 3700;
	c.refresh_obtained = 99;
	tokcache_sha256("x", 1, c.conf);
	is_str(c.conf, "2d711642b726b04401627ca9fbac32f5"
	    "c8530fb1903cc4db02258717921a4881", "sha256 hex");
	memcpy(c.seed, c.conf, sizeof(c.seed));
	(void)snprintf(c.error_kind, sizeof(c.error_kind), "invalid_grant");
	c.error_time = 200;
	(void)snprintf(c.error, sizeof(c.error), "token endpoint refused: x");
	buf_init(&b, 65536);
	ok(tokcache_format(&c, &b) == 0, "format");
	ok(strncmp(b.data, "posta-oauth-cache 1\nconf 2d71", 29) == 0,
	    "magic and version first");
	text = buf_take(&b);
	is_int(tokcache_parse(text, &d, &version), 0, "parse back");
	is_int(version, 1, "version 1");
	is_str(d.access, c.access, "access token");
	is_str(d.refresh, c.refresh, "refresh token");
	ok(d.access_obtained == 100 && d.access_expires == 3700 &&
	    d.refresh_obtained == 99 && d.error_time == 200, "times");
	is_str(d.error, c.error, "error");
	is_str(d.error_kind, "invalid_grant", "error kind");
	is_str(d.seed, c.seed, "seed");
	free(text);
	tokcache_free(&d);

	text = strdup("posta-oauth-cache 1\naccess a b\n");
	is_int(tokcache_parse(text, &d, &version), 2, "blank in a token");
	free(text);
	tokcache_free(&d);
	text = strdup("posta-oauth-cache 1\naccess-expires soon\n");
	is_int(tokcache_parse(text, &d, &version), 2, "bad time");
	free(text);
	tokcache_free(&d);
	text = strdup("posta-oauth-cache 1\nwhat ever\n");
	is_int(tokcache_parse(text, &d, &version), 2, "unknown key");
	free(text);
	tokcache_free(&d);
	text = strdup("posta-oauth-cache 1\nrefresh x");
	is_int(tokcache_parse(text, &d, &version), 2, "no final LF");
	free(text);
	tokcache_free(&d);
	text = strdup("posta-oauth-cache 2\nnew stuff\n");
	ok(tokcache_parse(text, &d, &version) == 0 && version == 2,
	    "another version stops the parse");
	free(text);
	tokcache_free(&d);
	text = strdup("");
	is_int(tokcache_parse(text, &d, &version), 1, "empty file");
	free(text);
	tokcache_free(&d);

	ok(!tokcache_token_ok("", 0), "empty token");
	ok(!tokcache_token_ok("a\tb", 3), "tab in a token");
	ok(!tokcache_token_ok("a\x7f", 2), "DEL in a token");
	tokcache_free(&c);
	ok(c.access == NULL && c.conf[0] == '\0', "free zeroes");
}

static void
test_files(void)
{
	struct perr err = { 0, "" };
	struct tokcache c, d;
	char other[160], want[300];
	int fd, waited = -1, st;
	pid_t pid;

	(void)snprintf(dir, sizeof(dir), "/tmp/t_tokcache.XXXXXX");
	if (mkdtemp(dir) == NULL)
		exit(2);
	(void)snprintf(path, sizeof(path), "%s/sub/c", dir);
	memset(&c, 0, sizeof(c));
	is_int(tokcache_read(path, &c, &err), 0, "missing file: empty cache");
	ok(c.access == NULL && c.refresh == NULL, "nothing in it");

	fd = tokcache_lock(path, 1, &waited, &err);
	ok(fd >= 0 && waited == 0, "lock taken at once, directories made");
	(void)tokcache_set(&c.refresh, "r1");
	tokcache_sha256("conf", 4, c.conf);
	is_int(tokcache_write(path, &c, &err), 0, "write");
	(void)snprintf(other, sizeof(other), "%s.tmp", path);
	ok(access(other, F_OK) == -1, "no temporary file left");
	is_int(tokcache_read(path, &d, &err), 0, "read back");
	is_str(d.refresh, "r1", "refresh token read back");
	tokcache_free(&d);

	/* another process waits for the lock, and says so */
	if ((pid = fork()) == 0) {
		struct perr e = { 0, "" };
		int w = 0, f2;

		(void)close(fd);	/* the parent's lock, not ours */
		f2 = tokcache_lock(path, 5, &w, &e);
		_exit(f2 >= 0 && w == 1 ? 0 : 1);
	}
	usleep(200 * 1000);
	tokcache_unlock(fd);
	(void)waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the second locker waited");
	fd = tokcache_lock(path, 1, &waited, &err);
	if ((pid = fork()) == 0) {
		struct perr e = { 0, "" };
		int w = 0;

		_exit(tokcache_lock(path, 0.2, &w, &e) == -2 &&
		    e.code == EX_TEMPFAIL ? 0 : 1);
	}
	(void)waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a bounded wait gives up, and says it was the wait (-2)");
	/* without the lock, beside its holder: a temporary file of its own */
	(void)tokcache_set(&c.refresh, "r2");
	is_int(tokcache_write_unlocked(path, &c, &err), 0, "unlocked write");
	is_int(tokcache_read(path, &d, &err), 0, "read back");
	is_str(d.refresh, "r2", "the unlocked write is the cache");
	tokcache_free(&d);
	tokcache_unlock(fd);

	/* a stale temporary file from a crash does not stop the next write */
	fd = open(other, O_WRONLY | O_CREAT, 0600);
	ok(write(fd, "half", 4) == 4, "stale .tmp made");
	(void)close(fd);
	is_int(tokcache_write(path, &c, &err), 0, "write over a stale .tmp");

	/* what a dead unlocked writer left: swept once an hour old */
	{
		struct timespec old[2] = { { 0, 0 }, { 0, 0 } };
		char young[300], aged[300], foreign[300];

		old[0].tv_sec = old[1].tv_sec = time(NULL) - 7200;
		(void)snprintf(young, sizeof(young), "%s.tmp.123.456.0a1b2c3d", path);
		(void)snprintf(aged, sizeof(aged), "%s.tmp.124.456.ffee0011", path);
		(void)snprintf(foreign, sizeof(foreign), "%s.tmp.x", path);
		(void)close(open(young, O_WRONLY | O_CREAT, 0600));
		(void)close(open(aged, O_WRONLY | O_CREAT, 0600));
		(void)close(open(foreign, O_WRONLY | O_CREAT, 0600));
		(void)utimensat(AT_FDCWD, aged, old, 0);
		(void)utimensat(AT_FDCWD, foreign, old, 0);
		is_int(tokcache_write(path, &c, &err), 0, "write with leftovers");
		ok(access(aged, F_OK) == -1, "an hour-old unlocked .tmp swept");
		ok(access(young, F_OK) == 0, "a young one left to its writer");
		ok(access(foreign, F_OK) == 0, "a name not ours left alone");
		(void)unlink(young);
		(void)unlink(foreign);
	}

	(void)chmod(path, 0644);
	ok(tokcache_read(path, &d, &err) == -1 && err.code == EX_CONFIG &&
	    strstr(err.msg, "others can access it") != NULL,
	    "readable by others: %s", err.msg);
	perr_clear(&err);
	(void)chmod(path, 0600);

	(void)snprintf(other, sizeof(other), "%s/real", dir);
	(void)rename(path, other);
	ok(symlink(other, path) == 0, "symlink made");
	(void)snprintf(want, sizeof(want), "OAuth cache %s: is a symbolic "
	    "link; refusing it", path);
	ok(tokcache_read(path, &d, &err) == -1, "symbolic link refused");
	is_str(err.msg, want, "symbolic link: message");
	perr_clear(&err);
	(void)unlink(path);

	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ok(write(fd, "posta-oauth-cache 1\nconf zz\n", 28) == 28, "damage");
	(void)close(fd);
	ok(tokcache_read(path, &d, &err) == -1 &&
	    strstr(err.msg, "damaged at line 2") != NULL, "damaged: %s",
	    err.msg);
	perr_clear(&err);
	fd = open(path, O_WRONLY | O_TRUNC, 0600);
	ok(write(fd, "posta-oauth-cache 7\n", 20) == 20, "version 7");
	(void)close(fd);
	ok(tokcache_read(path, &d, &err) == -1 &&
	    strstr(err.msg, "format version 7 is not 1") != NULL,
	    "newer version: %s", err.msg);
	perr_clear(&err);
	tokcache_free(&c);
	(void)unlink(path);
	(void)unlink(other);
	(void)snprintf(other, sizeof(other), "%s.lock", path);
	(void)unlink(other);
	(void)snprintf(other, sizeof(other), "%s/sub", dir);
	(void)rmdir(other);
	(void)rmdir(dir);
}

int
main(void)
{
	test_format();
	test_files();
	return done_testing();
}
