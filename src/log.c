/* SPDX-License-Identifier: ISC */
/*
 * Logging. The only file-static state in posta besides the runner's
 * signal flag: where log lines go is decided once, at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static struct {
	int syslog;
	int fd;
	int to_stderr;
} lg = { 0, -1, 0 };

void
log_init(int use_syslog, const char *file, int to_stderr)
{
	log_close();
	lg.syslog = use_syslog;
	lg.to_stderr = to_stderr;
	if (use_syslog)
		openlog("posta", LOG_PID | LOG_NDELAY, LOG_MAIL);
	if (file != NULL && file[0] != '\0')
		lg.fd = open(file,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0640);
}

static void PRINTF(2, 0)
log_emit(int prio, const char *fmt, va_list ap)
{
	char msg[LOG_MAX_LINE], line[LOG_MAX_LINE + 64], stamp[32];
	struct tm tm;
	time_t now;
	int saved = errno, n;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	str_blank_term(msg); /* one event, one line */
	if (lg.syslog)
		syslog(prio, "%s", msg);
	if (lg.fd != -1) {
		now = time(NULL);
		(void)gmtime_r(&now, &tm);
		(void)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s posta[%ld]: %s\n", stamp,
		    (long)getpid(), msg);
		/* one write per line keeps lines whole when several posta append */
		if (n > 0)
			(void)write_all(lg.fd, line,
			    (size_t)n < sizeof(line) ? (size_t)n :
						       sizeof(line) - 1);
	}
	if (lg.to_stderr)
		(void)fprintf(stderr, "posta: %s\n", msg);
	errno = saved;
}

static void PRINTF(2, 3)
log_printf_prio(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(prio, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_errx(const char *fmt, ...)
{
	char msg[LOG_MAX_LINE];
	va_list ap;

	/* "error: " also where no priority is shown (the file, stderr) */
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_printf_prio(LOG_ERR, "error: %s", msg);
}

void
log_close(void)
{
	if (lg.fd != -1)
		(void)close(lg.fd);
	lg.fd = -1;
	if (lg.syslog)
		closelog();
	lg.syslog = 0;
}
