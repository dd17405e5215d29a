/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for notifications: dsn.c building a delivery status
 * notification (RFC 3464) from an entry, its envelope and its message
 * file, into a scratch spool (scratch.h). Build with "make fuzz"
 * (clang), run as
 *   tests/fuzz/fuzz_dsn -max_total_time=60 -max_len=16384 \
 *       -dict=tests/fuzz/dsn.dict
 * The input is an envelope file (as fuzz_envelope reads it; its id
 * line aside, as the spool puts the entry's own id there), a line "%%",
 * then the message file. Besides memory errors it checks: a null
 * sender gets nothing; otherwise at most one notification is queued,
 * with the null sender and the original sender as its one recipient;
 * its message has only CR LF line ends, a From:, a Date: and a
 * Message-ID:, one "Final-Recipient:" line for each failed recipient
 * and none for the others, a delivery-status part whose every line is
 * blank or "Name: value" (a reason cannot add fields of its own); the
 * original's header section is copied but never its body; the whole
 * is bounded by the header cap plus a few lines per failed recipient.
 */
#define _GNU_SOURCE	/* memmem, memfd_create */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsn.h"
#include "envelope.h"
#include "header.h"
#include "posta.h"
#include "scratch.h"

#define MAX_ORIG	(256 * 1024 + 8192)	/* dsn.c's cap, read in 8 KiB */
#define ID		"6b0f785e0ac3dc4e"	/* the entry's id in the spool */

/* Lines of s[0..len) that start with prefix. */
static size_t
count_lines(const char *s, size_t len, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	const char *p = s, *end = s + len;

	while (p < end) {
		if ((size_t)(end - p) >= pl && memcmp(p, prefix, pl) == 0)
			n++;
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p++;
	}
	return n;
}

/*
 * Every line of the delivery-status part: blank, or "Name: value".
 * Returns the number of its "Final-Recipient:" lines (the original's
 * headers, copied later, may hold some too).
 */
static size_t
check_status_part(const char *s, size_t len)
{
	const char *p, *e, *end, *colon, *start;

	p = memmem(s, len, "Content-Type: message/delivery-status\r\n\r\n",
	    41);
	if (p == NULL)
		abort();
	p += 41;
	end = memmem(p, len - (size_t)(p - s), "\r\n--", 4);
	if (end == NULL)
		abort();
	start = p;
	for (; p < end; p = e + 2) {
		e = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
		if (e == p)
			continue;
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon == NULL || !header_line_is_field(p, (size_t)(e - p)))
			abort();
	}
	return count_lines(start, (size_t)(end - start), "Final-Recipient: ");
}

static void
check_dsn(const struct envelope *orig, const char *s, size_t len,
    size_t bound)
{
	struct header_field f;
	const char *hdrs, *tail;
	size_t i, pos = 0, nfailed = 0;
	int from = 0, date = 0, mid = 0;

	if (len > bound)
		abort();
	for (i = 0; i < len; i++)
		if ((s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) ||
		    (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n')))
			abort();
	while (header_next(s, len, &pos, &f)) {
		from |= header_is(&f, "From");
		date |= header_is(&f, "Date");
		mid |= header_is(&f, "Message-ID");
	}
	if (!from || !date || !mid)
		abort();
	for (i = 0; i < orig->nrcpts; i++)
		nfailed += orig->rcpts[i].state == RCPT_FAILED;
	if (check_status_part(s, len) != nfailed)
		abort();
	/* the original's headers, up to its blank line, and no further */
	hdrs = memmem(s, len, "Content-Type: text/rfc822-headers\r\n\r\n", 37);
	if (hdrs == NULL)
		abort();
	hdrs += 37;
	tail = memmem(hdrs, len - (size_t)(hdrs - s), "\r\n\r\n", 4);
	if (tail != NULL && (size_t)(s + len - tail) > 4 + 2 +
	    strlen("--=_posta_") + strlen(orig->id) + 4)
		abort();	/* more than the closing boundary after it */
}

/* The message file of the entry id in q/ (caller frees). */
static char *
queued_message(const char *id, size_t *len)
{
	char path[8192], *s;
	int fd;

	(void)snprintf(path, sizeof(path), "%s/q/%s.msg", scratch_dir, id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		abort();
	s = scratch_slurp(fd, len);
	(void)close(fd);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_entry ent, out;
	struct perr err = { 0, "" };
	const char *sep, *reason;
	char newid[64], *msg;
	size_t elen, len, bound, i, queued;
	int rc;

	scratch_init();
	sep = memmem(data, size, "\n%%\n", 4);
	elen = sep != NULL ? (size_t)(sep - (const char *)data) + 1 : size;
	spool_entry_init(&ent);
	if (env_parse(&ent.env, (const char *)data, elen, &err) == -1)
		return 0;
	/* the id is the file's name: spool_take() and spool_corrupt_peek() see to it */
	memcpy(ent.env.id, ID, sizeof(ID));
	memcpy(ent.id, ID, sizeof(ID));
	ent.fd = sep != NULL ? scratch_memfd(sep + 4, size - elen - 3) :
	    scratch_memfd(NULL, 0);
	newid[0] = '\0';
	rc = dsn_queue(&scratch_sp, &scratch_cfg, &ent, newid, sizeof(newid),
	    &err);
	if (rc != 0 && (rc != -1 || err.code == 0))
		abort();
	if (scratch_empty("tmp") != 0)
		abort();
	queued = 0;
	if (rc == 0 && newid[0] != '\0') {
		if (ent.env.sender[0] == '\0')
			abort();	/* never about a notification */
		spool_entry_init(&out);
		if (spool_peek(&scratch_sp, newid, 0, &out, &err) != 0 ||
		    out.env.sender[0] != '\0' || out.env.nrcpts != 1 ||
		    strcmp(out.env.rcpts[0].addr, ent.env.sender) != 0)
			abort();
		spool_release(&out);
		bound = MAX_ORIG + 16384;
		for (i = 0; i < ent.env.nrcpts; i++) {
			reason = env_reason(&ent.env, i);
			bound += 3 * strlen(ent.env.rcpts[i].addr) + 256 +
			    2 * (reason != NULL ? strlen(reason) : 0);
		}
		msg = queued_message(newid, &len);
		check_dsn(&ent.env, msg, len, bound);
		free(msg);
		queued = 1;
	}
	if (scratch_empty("q") != 2 * queued || scratch_empty("failed") != 0)
		abort();
	(void)close(ent.fd);
	env_free(&ent.env);
	return 0;
}
