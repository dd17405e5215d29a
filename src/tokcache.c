/* SPDX-License-Identifier: ISC */
/*
 * The OAuth token cache file: its format, reading and writing it with
 * the spool's rules, and the lock beside it. See tokcache.h for the
 * states on disk.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ossl.h"
#include "posta.h"
#include "secret.h"
#include "tokcache.h"
#include "util.h"

#define CACHE_MAGIC   "posta-oauth-cache"
#define CACHE_VERSION 1
#define CACHE_MAX     (3 * MAX_SECRET + 8192) /* file size */

void
tokcache_free(struct tokcache *c)
{
	if (c->access != NULL) {
		secret_wipe(c->access, strlen(c->access));
		free(c->access);
	}
	if (c->refresh != NULL) {
		secret_wipe(c->refresh, strlen(c->refresh));
		free(c->refresh);
	}
	memset(c, 0, sizeof(*c));
}

/* Replace *field by a copy of s (NULL clears it). */
int
tokcache_set(char **field, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return -1;
	if (*field != NULL) {
		secret_wipe(*field, strlen(*field));
		free(*field);
	}
	*field = copy;
	return 0;
}

/* RFC 6750 b64token and then some: printable ASCII without blanks. */
int
tokcache_token_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_SECRET)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

void
tokcache_sha256(const void *data, size_t len, char hex[TOKCACHE_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;
	size_t i;

	memset(md, 0, sizeof(md));
	(void)EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[TOKCACHE_HEX] = '\0';
}

static int
parse_time(const char *v, time_t *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 0)
		return -1;
	*out = (time_t)n;
	return 0;
}

static int
parse_hex(const char *v, char *out)
{
	if (strlen(v) != TOKCACHE_HEX ||
	    strspn(v, "0123456789abcdef") != TOKCACHE_HEX)
		return -1;
	memcpy(out, v, TOKCACHE_HEX + 1);
	return 0;
}

/* One "key value" line. Unknown keys are kept for nobody: refused. */
static int
parse_line(struct tokcache *c, const char *key, const char *v)
{
	if (strcmp(key, "access") == 0)
		return tokcache_token_ok(v, strlen(v)) ?
		    tokcache_set(&c->access, v) :
		    -1;
	if (strcmp(key, "refresh") == 0)
		return tokcache_token_ok(v, strlen(v)) ?
		    tokcache_set(&c->refresh, v) :
		    -1;
	if (strcmp(key, "access-obtained") == 0)
		return parse_time(v, &c->access_obtained);
	if (strcmp(key, "access-expires") == 0)
		return parse_time(v, &c->access_expires);
	if (strcmp(key, "refresh-obtained") == 0)
		return parse_time(v, &c->refresh_obtained);
	if (strcmp(key, "error-time") == 0)
		return parse_time(v, &c->error_time);
	if (strcmp(key, "conf") == 0)
		return parse_hex(v, c->conf);
	if (strcmp(key, "seed") == 0)
		return parse_hex(v, c->seed);
	if (strcmp(key, "error-kind") == 0)
		return xstrlcpy(c->error_kind, v, sizeof(c->error_kind));
	if (strcmp(key, "error") == 0)
		return xstrlcpy(c->error, v, sizeof(c->error));
	return -1;
}

/* text (NUL-terminated, wiped by the caller) into c; the bad line or 0. */
int
tokcache_parse(char *text, struct tokcache *c, int *version)
{
	char *line = text, *nl, *sp;
	int lineno = 0;

	memset(c, 0, sizeof(*c));
	*version = 0;
	while (*line != '\0') {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL)
			return lineno; /* every line ends in LF */
		*nl = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			return lineno;
		*sp = '\0';
		if (lineno == 1) {
			if (strcmp(line, CACHE_MAGIC) != 0 ||
			    (*version = atoi(sp + 1)) <= 0)
				return lineno;
			if (*version != CACHE_VERSION)
				return 0;
		} else if (parse_line(c, line, sp + 1) == -1)
			return lineno;
		line = nl + 1;
	}
	return lineno == 0 ? 1 : 0;
}

/*
 * Open the cache or its lock: no symbolic link, a regular file that
 * others cannot read (it holds the keys to a mailbox).
 */
static int
open_private(const char *path, int flags, struct perr *err)
{
	struct stat st;
	int fd;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0660);
	if (fd == -1)
		return errno == ENOENT && !(flags & O_CREAT) ?
		    -2 :
		    perr_set(err, errno == ELOOP ? EX_CONFIG : EX_TEMPFAIL,
			"OAuth cache %s: %s", path,
			errno == ELOOP ? "is a symbolic link; refusing it" :
					 strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 007) != 0) {
		(void)close(fd);
		return perr_set(err, EX_CONFIG, "OAuth cache %s: %s", path,
		    !S_ISREG(st.st_mode) ?
			"not a regular file" :
			"others can access it; chmod 600 it (or 660 in a "
			"set-group-id install)");
	}
	return fd;
}

/* The cache into c; a missing file is an empty cache. */
int
tokcache_read(const char *path, struct tokcache *c, struct perr *err)
{
	char *text = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, bad, version, rc = -1;

	memset(c, 0, sizeof(*c));
	if ((fd = open_private(path, O_RDONLY, err)) == -2)
		return 0;
	if (fd == -1)
		return -1;
	if ((text = malloc(CACHE_MAX + 1)) == NULL) {
		perr_set(err, EX_OSERR, "out of memory");
		goto out;
	}
	while (n < CACHE_MAX) {
		r = read(fd, text + n, CACHE_MAX - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			perr_set(err, EX_TEMPFAIL, "OAuth cache %s: read: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	text[n] = '\0';
	if (n == CACHE_MAX || memchr(text, '\0', n) != NULL)
		bad = 1;
	else
		bad = tokcache_parse(text, c, &version);
	if (bad == 0 && version != CACHE_VERSION) {
		perr_set(err, EX_CONFIG,
		    "OAuth cache %s: format version %d "
		    "is not %d (written by a newer posta?)",
		    path, version, CACHE_VERSION);
		goto out;
	}
	if (bad != 0) {
		perr_set(err, EX_CONFIG,
		    "OAuth cache %s: damaged at line %d; "
		    "move it away and run posta --oauth-login or "
		    "--oauth-import",
		    path, bad);
		goto out;
	}
	rc = 0;
out:
	if (text != NULL) {
		secret_wipe(text, CACHE_MAX + 1);
		free(text);
	}
	(void)close(fd);
	if (rc == -1)
		tokcache_free(c);
	return rc;
}

int
tokcache_format(const struct tokcache *c, struct buf *b)
{
	int rc = 0;

	rc |= buf_printf(b, "%s %d\nconf %s\n", CACHE_MAGIC, CACHE_VERSION,
	    c->conf);
	if (c->access != NULL)
		rc |= buf_printf(b,
		    "access %s\naccess-obtained %lld\n"
		    "access-expires %lld\n",
		    c->access, (long long)c->access_obtained,
		    (long long)c->access_expires);
	if (c->refresh != NULL)
		rc |= buf_printf(b, "refresh %s\nrefresh-obtained %lld\n",
		    c->refresh, (long long)c->refresh_obtained);
	if (c->seed[0] != '\0')
		rc |= buf_printf(b, "seed %s\n", c->seed);
	if (c->error[0] != '\0')
		rc |= buf_printf(b,
		    "error-kind %s\nerror-time %lld\n"
		    "error %s\n",
		    c->error_kind[0] != '\0' ? c->error_kind : "other",
		    (long long)c->error_time, c->error);
	return rc;
}

/* The directory part of path into dir. */
static int
dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL || (size_t)(slash - path) + 1 >= cap)
		return -1;
	if (slash == path)
		slash++;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

/*
 * What an unlocked writer (tokcache_write_unlocked) leaves behind when it
 * dies between writing and renaming: CACHE.tmp.PID.TIME.RANDOM. A
 * writer under the lock removes those old enough that no live writer
 * can still be busy with one (a write and a rename take a moment).
 */
#define STALE_TMP_AGE 3600

static void
sweep_unlocked_tmp(const char *path, const char *dir)
{
	const char *base = strrchr(path, '/') + 1;
	size_t blen = strlen(base);
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(dfd)) == NULL) {
		(void)close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    strncmp(de->d_name + blen, ".tmp.", 5) != 0 ||
		    de->d_name[blen + 5] == '\0' ||
		    strspn(de->d_name + blen + 5, "0123456789abcdef.") !=
			strlen(de->d_name + blen + 5))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime + STALE_TMP_AGE < now)
			(void)unlinkat(dfd, de->d_name, 0);
	}
	(void)closedir(d);
}

/* The spool rules: write tmp, fsync, rename it to path, fsync the directory. */
static int
write_via(const char *path, const char *tmp, const struct tokcache *c,
    struct perr *err)
{
	char dir[PATH_MAX];
	struct buf b;
	int fd = -1, dfd = -1, rc = -1;

	buf_init(&b, CACHE_MAX);
	if (dir_of(path, dir, sizeof(dir)) == -1) {
		perr_set(err, EX_CONFIG, "OAuth cache %s: bad path", path);
		goto out;
	}
	/* the tokens go in: no realloc may leave a copy of them behind */
	if (buf_prealloc(&b) == -1) {
		perr_set(err, EX_OSERR, "OAuth cache %s: out of memory", path);
		goto out;
	}
	if (tokcache_format(c, &b) != 0) {
		perr_set(err, EX_SOFTWARE, "OAuth cache %s: too large", path);
		goto out;
	}
	if ((fd = open_private(tmp, O_WRONLY | O_CREAT | O_EXCL, err)) < 0)
		goto out;
	if (write_all(fd, b.data, b.len) == -1 || fsync(fd) == -1) {
		perr_set(err, EX_TEMPFAIL, "OAuth cache %s: write: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		(void)unlink(tmp);
		perr_set(err, EX_TEMPFAIL, "OAuth cache %s: write: %s", tmp,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		perr_set(err, EX_TEMPFAIL, "OAuth cache %s: rename: %s", path,
		    strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync_dir(dfd) == -1) {
		perr_set(err, EX_TEMPFAIL, "OAuth cache %s: fsync: %s", dir,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0) {
		(void)close(fd);
		(void)unlink(tmp);
	}
	if (dfd != -1)
		(void)close(dfd);
	buf_wipe(&b);
	return rc;
}

int
tokcache_write(const char *path, const struct tokcache *c, struct perr *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];

	if (xsnprintf(tmp, sizeof(tmp), "%s.tmp", path) == -1 ||
	    dir_of(path, dir, sizeof(dir)) == -1)
		return perr_set(err, EX_CONFIG, "OAuth cache %s: bad path",
		    path);
	/* a crash may have left one; we hold the lock, so it is stale */
	if (unlink(tmp) == -1 && errno != ENOENT)
		return perr_set(err, EX_TEMPFAIL, "OAuth cache %s: %s", tmp,
		    strerror(errno));
	sweep_unlocked_tmp(path, dir);
	return write_via(path, tmp, c, err);
}

int
tokcache_write_unlocked(const char *path, const struct tokcache *c,
    struct perr *err)
{
	char tmp[PATH_MAX];
	unsigned r;

	/*
	 * A name of its own: another writer may be at work beside it. Not
	 * one to guess: in a set-group-id install other users may create
	 * files here, and one made in advance would stop this write.
	 */
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return perr_set(err, EX_OSERR, "getrandom: %s",
		    strerror(errno));
	if (xsnprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%lld.%08x", path,
		(long)getpid(), (long long)time(NULL), r) == -1)
		return perr_set(err, EX_CONFIG, "OAuth cache %s: bad path",
		    path);
	return write_via(path, tmp, c, err);
}

/*
 * The default cache lives in <spool>/oauth/, made on first use with
 * what is missing above it (--oauth-import may come before any mail).
 */
static int
make_dir(const char *path, struct perr *err)
{
	char dir[PATH_MAX], *p, c;

	if (dir_of(path, dir, sizeof(dir)) == -1)
		return perr_set(err, EX_CONFIG, "OAuth cache %s: bad path",
		    path);
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0770) == -1 && errno != EEXIST)
			return perr_set(err,
			    errno == EACCES ? EX_NOPERM : EX_CANTCREAT,
			    "OAuth cache directory %s: %s", dir,
			    strerror(errno));
		if ((*p = c) == '\0')
			break;
	}
	return 0;
}

int
tokcache_lock(const char *cache, double wait, int *waited, struct perr *err)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	char path[PATH_MAX];
	double deadline;
	int fd;

	if (xsnprintf(path, sizeof(path), "%s.lock", cache) == -1)
		return perr_set(err, EX_CONFIG, "OAuth cache %s: bad path",
		    cache);
	if (make_dir(path, err) == -1 ||
	    (fd = open_private(path, O_RDWR | O_CREAT, err)) < 0)
		return -1;
	deadline = mono_now() + wait;
	*waited = 0;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		*waited = 1;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			perr_set(err, EX_TEMPFAIL, "OAuth cache lock %s: %s",
			    path, strerror(errno));
			(void)close(fd);
			return -1;
		}
		if (mono_now() > deadline) {
			(void)close(fd);
			(void)perr_set(err, EX_TEMPFAIL,
			    "OAuth cache lock "
			    "%s: another posta process holds it too long",
			    path);
			return -2;
		}
		(void)nanosleep(&tick, NULL);
	}
	return fd;
}

void
tokcache_unlock(int fd)
{
	if (fd >= 0)
		(void)close(fd); /* the lock goes with the file */
}
