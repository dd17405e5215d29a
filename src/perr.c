/* SPDX-License-Identifier: ISC */
/*
 * The error record: first error wins, one line, control characters
 * replaced so a hostile server reply cannot forge extra log lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "perr.h"
#include "util.h"

int
perr_set(struct perr *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != 0)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	str_blank_term(err->msg);
	return -1;
}

void
perr_clear(struct perr *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
