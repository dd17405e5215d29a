/* SPDX-License-Identifier: ISC */
/*
 * Small helpers shared by several modules. Anything larger than a
 * screen deserves its own file.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
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
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n == -1 && errno == EINTR)
			continue; /* a stop signal: finish the step first */
		if (n == -1)
			return -1;
		if (n > 0)
			return 1;
	}
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if (is_ctl((unsigned char)*s))
			return 1;
	return 0;
}

void
str_blank_ctl(char *s)
{
	for (; *s != '\0'; s++)
		if (is_ctl((unsigned char)*s))
			*s = ' ';
}

void
str_blank_term(char *s)
{
	unsigned char *p = (unsigned char *)s;
	int cont = 0; /* continuation bytes the lead byte announced */

	str_blank_ctl(s);
	for (; *p != '\0'; p++) {
		if (*p >= 0x80 && *p <= 0xbf && cont > 0) {
			cont--;
			continue;
		}
		cont = 0;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = p[1] = ' ';
			p++;
		} else if (*p >= 0x80 && *p <= 0x9f)
			*p = ' ';
		else if (*p >= 0xc2 && *p <= 0xf4)
			cont = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : 1;
	}
}

int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Seconds in one unit letter, 0 for none. */
static long
unit_seconds(int c)
{
	switch (c) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	default:
		return 0;
	}
}

long
duration_parse(const char *s, enum dur_style style, long max)
{
	long total = 0, n, unit;
	int c, bare;

	if (s == NULL || *s == '\0' || max < 0)
		return -1;
	/* posta.conf: "90" alone is seconds, but "1h30" is a typo */
	bare = style == DUR_CONFIG && s[strspn(s, "0123456789")] == '\0';
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			if (n > (LONG_MAX - (*s - '0')) / 10)
				return -1;
			n = n * 10 + (*s - '0');
		}
		c = (unsigned char)*s;
		if (style == DUR_CONFIG)
			c = tolower(c);
		if ((unit = unit_seconds(c)) != 0)
			s++;
		else if (style == DUR_QUEUE)
			unit = 60; /* sendmail: a bare number is minutes */
		else if (bare)
			unit = 1;
		else
			return -1;
		if (n > (max - total) / unit)
			return -1;
		total += n * unit;
	}
	return total;
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
fmt_date(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, cap, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		(void)xstrlcpy(buf, "Thu, 01 Jan 1970 00:00:00 +0000", cap);
}
