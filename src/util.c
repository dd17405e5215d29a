/* SPDX-License-Identifier: ISC */
/*
 * Small helpers shared by several modules. Anything larger than a
 * screen deserves its own file.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <poll.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
fsync_dir(int dirfd)
{
	while (fsync(dirfd) == -1) {
		/* some file systems cannot sync a directory; data is still safe */
		if (errno == EINVAL || errno == EROFS)
			return 0;
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

double
mono_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
xstrlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);

	if (cap == 0)
		return -1;
	if (n >= cap) {
		memcpy(dst, src, cap - 1);
		dst[cap - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
xsnprintf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return 0;
}

char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

void
host_name(char *buf, size_t cap)
{
	/* no resolver lookup: it can stall for seconds on a host without DNS */
	if (gethostname(buf, cap) == -1 || buf[0] == '\0')
		(void)xstrlcpy(buf, "localhost", cap);
	buf[cap - 1] = '\0';
}

int
wait_fd(int fd, short events, double deadline)
{
	struct pollfd pfd;
	double left;
	int n;

	for (;;) {
		left = deadline - mono_now();
		if (left <= 0)
			return 0;
		if (events & POLLIN)
			tcp_quickack(fd);
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n == -1 && errno == EINTR)
			continue;	/* a stop signal: finish the step first */
		if (n == -1)
			return -1;
		if (n > 0)
			return 1;
	}
}

void
tcp_quickack(int fd)
{
	int one = 1;

	/* Linux only; elsewhere, and on a pipe, this fails harmlessly */
#ifdef TCP_QUICKACK
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)fd;
	(void)one;
#endif
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

void
fmt_duration(long secs, char *buf, size_t cap)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		(void)snprintf(buf, cap, "%ldd%ldh", secs / 86400,
		    secs % 86400 / 3600);
	else if (secs >= 3600)
		(void)snprintf(buf, cap, "%ldh%ldm", secs / 3600,
		    secs % 3600 / 60);
	else if (secs >= 60)
		(void)snprintf(buf, cap, "%ldm", secs / 60);
	else
		(void)snprintf(buf, cap, "%lds", secs);
}

void
sanitize_line(char *buf, size_t cap, const char *text)
{
	char *p;

	(void)xstrlcpy(buf, text, cap);
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}
