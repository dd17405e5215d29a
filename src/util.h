/* SPDX-License-Identifier: ISC */
/*
 * Small helpers that several modules need: durable directory updates,
 * clocks, bounded string copies, a few string tests, durations and
 * dates. Each exists here once; look here before writing a loop.
 */
#ifndef POSTA_UTIL_H
#define POSTA_UTIL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* fsync(2) the directory dirfd, retrying on EINTR. */
int fsync_dir(int dirfd);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* Seconds on the monotonic clock, for deadlines. */
double mono_now(void);

/* Copy src into dst of size cap; returns -1 (dst truncated) when it does not fit. */
int xstrlcpy(char *dst, const char *src, size_t cap);

/* snprintf that returns -1 when the result was truncated or failed. */
int xsnprintf(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

/* This host's name as gethostname(3) gives it, into buf. */
void host_name(char *buf, size_t cap);

/*
 * Wait for events (POLLIN, POLLOUT) on fd until the monotonic deadline,
 * through EINTR. Returns 1 when ready, 0 on timeout, -1 on error.
 * Socket options are conn.c's business, not this function's.
 */
int wait_fd(int fd, short events, double deadline);

/* Lower-case ASCII in place. */
void str_lower(char *s);

/* 1 when s has a control character: a byte < 0x20, or 0x7f. */
int has_ctl(const char *s);

/*
 * Replace every control character of s by a space, in place: what goes
 * into one line (a log line, an error, a reply, a transcript, a
 * spooled reason) stays one line and cannot drive a terminal.
 */
void str_blank_ctl(char *s);
/*
 * str_blank_ctl, and also what a terminal takes for a C1 control:
 * U+0080-U+009F in UTF-8 and bytes 0x80-0x9F no UTF-8 lead byte
 * announced. For text shown to people (-v, logs, errors, mailq).
 */
void str_blank_term(char *s);

/* The value of hex digit c (either case), or -1. */
int hexval(int c);

/*
 * Seconds in a duration: numbers, each followed by a unit s, m, h, d or
 * w ("90s", "1h30m"). DUR_CONFIG (posta.conf): units in either case, and
 * a number without a unit is seconds, allowed only alone ("90").
 * DUR_QUEUE (sendmail -q): lower-case units, and every number without a
 * unit is minutes ("-q30", "-q1h30"). Returns -1 for anything else
 * (signs, blanks, overflow) and for more than max.
 */
enum dur_style { DUR_CONFIG, DUR_QUEUE };
long duration_parse(const char *s, enum dur_style style, long max);

/* "3d4h", "12m", "45s": a duration for humans, into buf. */
void fmt_duration(long secs, char *buf, size_t cap);

/*
 * t as an RFC 5322 date-time in local time, "Tue, 01 Dec 2026 09:30:00
 * +0100", into buf (at least 32 bytes). posta never sets a locale, so
 * day and month names are the English ones the RFC requires.
 */
void fmt_date(time_t t, char *buf, size_t cap);

#endif /* POSTA_UTIL_H */
