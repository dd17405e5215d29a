/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for esmtp.c's reply side. Build with "make fuzz"
 * (clang), run as
 *   tests/fuzz/fuzz_reply -max_total_time=60 -max_len=8192
 * The input is a server's reply, one line per LF. Besides memory errors
 * it checks what esmtp.h promises: a complete reply has one code and at
 * most MAX_REPLY_LINES lines, its text stays within MAX_REPLY_TEXT with
 * no control character but the '\n' between lines, its one-line form
 * is one line, and the EHLO parse and the server's reply line stay in
 * their buffers.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esmtp.h"
#include "posta.h"

static void
check_text(const struct esmtp_reply *r)
{
	const char *p;
	int nl = 0;

	if (strlen(r->text) >= sizeof(r->text))
		abort();
	for (p = r->text; *p != '\0'; p++) {
		if (*p == '\n')
			nl++;
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	}
	if (nl >= r->nlines && r->nlines > 0)
		abort();
}

static void
check_forms(const struct esmtp_reply *r)
{
	char line[MAX_REPLY_TEXT + 16], small[9], auth[64];
	unsigned long long size;
	int ext;

	(void)esmtp_reply_line(r, line, sizeof(line));
	if (strchr(line, '\n') != NULL || strlen(line) >= sizeof(line))
		abort();
	(void)esmtp_reply_line(r, small, sizeof(small));
	if (strlen(small) >= sizeof(small))
		abort();
	ext = esmtp_ehlo_parse(r->text, &size, auth, sizeof(auth));
	if (strlen(auth) >= sizeof(auth) || (ext & ~0xff) != 0)
		abort();
	if (!(ext & ESMTP_EXT_AUTH) && auth[0] != '\0')
		abort();
}

static size_t
vfmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static size_t
vfmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = esmtp_reply_vfmt(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

/* The server's form of any text: one line of printable bytes, CR LF. */
static void
check_vfmt(const char *s)
{
	char line[MAX_REPLY_LINE];
	size_t n, i;

	n = vfmt(line, sizeof(line), "250 %s", s);
	if (n < 2 || n > sizeof(line) || line[n - 2] != '\r' ||
	    line[n - 1] != '\n')
		abort();
	for (i = 0; i + 2 < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esmtp_reply r;
	struct perr err;
	char *buf, *line, *nl;
	size_t len;
	int rc = 0;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	check_vfmt(buf);
	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	for (line = buf; line != NULL && rc == 0; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		rc = esmtp_reply_feed(&r, line, &err);
		if (rc < -1 || rc > 1 || (rc == -1) != (err.code != 0))
			abort();
		if (rc != -1 && (r.code < 200 || r.code > 599 ||
		    r.nlines > MAX_REPLY_LINES))
			abort();
		check_text(&r);
	}
	check_forms(&r);
	free(buf);
	return 0;
}
