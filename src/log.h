/* SPDX-License-Identifier: ISC */
/*
 * One line per event to syslog (facility mail), an optional log file
 * and, for -v and queue-runner loops, stderr. Never given secrets.
 */
#ifndef POSTA_LOG_H
#define POSTA_LOG_H

#include "posta.h"

/* A longer line is cut (a delivery line, dlog.h, stays well below). */
#define LOG_MAX_LINE 8192

/* Start logging; file may be NULL. Safe to call again after a config change. */
void log_init(int use_syslog, const char *file, int to_stderr);

/* An event: a delivery attempt, a queue change. */
void log_info(const char *fmt, ...) PRINTF(1, 2);

/* Something went wrong that the operator should see. */
void log_warnx(const char *fmt, ...) PRINTF(1, 2);

/* Something was set aside or lost (corrupt/): level err, "error: " first. */
void log_errx(const char *fmt, ...) PRINTF(1, 2);

/* Close the log file and syslog. */
void log_close(void);

#endif /* POSTA_LOG_H */
