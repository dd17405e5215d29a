/* SPDX-License-Identifier: ISC */
/*
 * Small helpers that several modules need: durable directory updates,
 * clocks, bounded string copies and a few string tests.
 */
#ifndef POSTA_UTIL_H
#define POSTA_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* fsync(2) the directory dirfd, retrying on EINTR. */
int	 fsync_dir(int dirfd);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int	 write_all(int fd, const void *buf, size_t len);

/* Seconds on the monotonic clock, for deadlines. */
double	 mono_now(void);

/* Copy src into dst of size cap; returns -1 (dst truncated) when it does not fit. */
int	 xstrlcpy(char *dst, const char *src, size_t cap);

/* snprintf that returns -1 when the result was truncated or failed. */
int	 xsnprintf(char *dst, size_t cap, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 3, 4)));

/* strdup that returns NULL only for NULL input or out of memory. */
char	*xstrdup(const char *s);

/* This host's name as gethostname(3) gives it, into buf. */
void	 host_name(char *buf, size_t cap);

/*
 * Wait for events (POLLIN, POLLOUT) on fd until the monotonic deadline,
 * through EINTR. Returns 1 when ready, 0 on timeout, -1 on error.
 */
int	 wait_fd(int fd, short events, double deadline);

/*
 * Ask the kernel to acknowledge what arrives on TCP socket fd at once.
 * Called before every wait for input: a server that sends two small
 * writes in a row (a TLS session ticket, then a reply) is otherwise held
 * by its own Nagle algorithm until our delayed ACK, 40 ms later.
 */
void	 tcp_quickack(int fd);

/* Lower-case ASCII in place. */
void	 str_lower(char *s);

/* 1 when s has a byte < 0x20 or 0x7f. */
int	 has_ctl(const char *s);

/* "3d4h", "12m", "45s": a duration for humans, into buf. */
void	 fmt_duration(long secs, char *buf, size_t cap);

/* Copy text into buf with control characters replaced by spaces. */
void	 sanitize_line(char *buf, size_t cap, const char *text);

#endif /* POSTA_UTIL_H */
