/* SPDX-License-Identifier: ISC */
/*
 * The session file: "posta-tls-session 1", "peer ...", "name ...",
 * "trust ..." lines, an empty line, then the session's octets. It is
 * replaced atomically, so a reader sees the old file or the new one;
 * concurrent writers each write their own temporary file and the last
 * rename wins. A torn, foreign or stale file only costs a full
 * handshake: tls.c checks the session itself before offering it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlscache.h"
#include "util.h"

#define MAGIC	   "posta-tls-session 1\n"
#define MAX_HEADER 4096

/* The header for key into buf; -1 when a value is unusable or too long. */
static int
header(const struct tlscache_key *key, char *buf, size_t cap)
{
	if (key->peer == NULL || key->name == NULL || key->trust == NULL ||
	    has_ctl(key->peer) || has_ctl(key->name) || has_ctl(key->trust))
		return -1;
	return xsnprintf(buf, cap, MAGIC "peer %s\nname %s\ntrust %s\n\n",
	    key->peer, key->name, key->trust);
}

size_t
tlscache_load(const char *path, const struct tlscache_key *key,
    unsigned char *buf, size_t cap)
{
	char want[MAX_HEADER];
	unsigned char *data = NULL;
	struct stat st;
	size_t hlen, n = 0, len = 0;
	ssize_t r;
	int fd;

	if (path == NULL || header(key, want, sizeof(want)) == -1)
		return 0;
	hlen = strlen(want);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= (off_t)hlen ||
	    st.st_size > (off_t)(hlen + TLSCACHE_MAX) ||
	    (size_t)st.st_size - hlen > cap)
		goto out;
	if ((data = malloc((size_t)st.st_size)) == NULL)
		goto out;
	while (n < (size_t)st.st_size) {
		r = read(fd, data + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		n += (size_t)r;
	}
	if (memcmp(data, want, hlen) != 0)
		goto out;
	len = n - hlen;
	memcpy(buf, data + hlen, len);
out:
	if (data != NULL) {
		explicit_bzero(data, n); /* holds the session's secret */
		free(data);
	}
	(void)close(fd);
	return len;
}

/* The directory part of path into dir; "." when there is none. */
static int
dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return xstrlcpy(dir, ".", cap);
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int
tlscache_save(const char *path, const struct tlscache_key *key,
    const unsigned char *blob, size_t len)
{
	char hdr[MAX_HEADER], dir[4096], tmp[4200];
	int fd = -1, dfd = -1, saved, rc = -1;

	if (len == 0 || len > TLSCACHE_MAX ||
	    header(key, hdr, sizeof(hdr)) == -1 ||
	    dir_of(path, dir, sizeof(dir)) == -1 ||
	    xsnprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) ==
		-1) {
		errno = EINVAL;
		return -1;
	}
	if (mkdir(dir, 0770) == -1 && errno != EEXIST)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return -1;
	(void)unlink(tmp); /* left by a killed process with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0660);
	if (fd == -1)
		goto out;
	if (write_all(fd, hdr, strlen(hdr)) == -1 ||
	    write_all(fd, blob, len) == -1 || fsync(fd) == -1)
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto out;
	rc = fsync_dir(dfd);
out:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	if (rc == -1)
		(void)unlink(tmp);
	(void)close(dfd);
	errno = saved;
	return rc;
}

void
tlscache_drop(const char *path)
{
	if (path != NULL)
		(void)unlink(path);
}
