/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the -bs dialogue: smtpd.c's smtpd_run() over a
 * memory file as the client's side and another for the replies, into
 * a scratch spool (scratch.h). Build with "make fuzz" (clang), run as
 *   tests/fuzz/fuzz_bs -max_total_time=60 -max_len=16384 \
 *       -dict=tests/fuzz/bs.dict
 * The first input byte holds the options (bit 0: the -bd listener's
 * limits, 4096 octets and 50 commands; bit 1: -f given); the rest is
 * what the client sends. Besides memory errors it checks: the server
 * says 220 first; every reply line is "ddd" with a code of 2xx to 5xx,
 * then a space or a hyphen, at most 512 octets with its CR LF and no
 * other control character; replies stay proportionate to the commands
 * (at most 16 lines per input line, plus the greeting); every message
 * reported accepted, and only those, is in q/ with an envelope that
 * reads back, a sender and recipients that pass the envelope check and
 * its "250 ... queued as ID" reply; nothing is left in tmp/; a failed
 * dialogue says why.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "posta.h"
#include "smtpd.h"
#include "scratch.h"

#define MAX_ACCEPT	256

struct seen {
	char	ids[MAX_ACCEPT][32];
	size_t	n;
};

static void
accepted(void *arg, const char *id)
{
	struct seen *s = arg;

	if (s->n == MAX_ACCEPT || strlen(id) >= sizeof(s->ids[0]))
		abort();
	memcpy(s->ids[s->n++], id, strlen(id) + 1);
}

/* Each reply line well formed; the number of lines. */
static size_t
check_replies(const char *out, size_t len)
{
	size_t i = 0, e, n = 0;

	if (len < 5 || memcmp(out, "220 ", 4) != 0)
		abort();
	while (i < len) {
		for (e = i; e < len && out[e] != '\n'; e++)
			;
		if (e == len || e - i < 4 || out[e - 1] != '\r' ||
		    e + 1 - i > 512)
			abort();	/* a whole line, within 512 octets */
		if (out[i] < '2' || out[i] > '5' || out[i + 1] < '0' ||
		    out[i + 1] > '9' || out[i + 2] < '0' || out[i + 2] > '9' ||
		    (out[i + 3] != ' ' && out[i + 3] != '-'))
			abort();
		for (; i < e - 1; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				abort();
		i = e + 1;
		n++;
	}
	return n;
}

static void
check_entry(const char *id, const char *out)
{
	struct spool_entry ent;
	struct perr err = { 0, "" };
	char want[64];
	const char *why;
	size_t i;

	(void)snprintf(want, sizeof(want), "250 2.0.0 Ok: queued as %s\r\n",
	    id);
	if (strstr(out, want) == NULL)
		abort();
	spool_entry_init(&ent);
	if (spool_peek(&scratch_sp, id, 0, &ent, &err) != 0)
		abort();
	if (ent.env.nrcpts == 0 || ent.env.sender == NULL ||
	    addr_check_envelope(ent.env.sender, 1, &why) != 0)
		abort();
	for (i = 0; i < ent.env.nrcpts; i++)
		if (addr_check_envelope(ent.env.rcpts[i].addr, 0, &why) != 0)
			abort();
	spool_release(&ent);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen seen;
	struct smtpd_limits lim = { 4096, 50, 0, NULL };
	struct smtpd_params p;
	struct perr err = { 0, "" };
	size_t i, len, lines = 0, nlines;
	char *out;
	int infd, outfd, rc;

	if (size == 0)
		return 0;
	scratch_init();
	memset(&p, 0, sizeof(p));
	memset(&seen, 0, sizeof(seen));
	p.cfg = &scratch_cfg;
	p.sp = &scratch_sp;
	p.sender = (data[0] & 2) ? "fuzz@example.org" : NULL;
	p.default_from = "fuzz@example.org";
	p.accepted = accepted;
	p.arg = &seen;
	p.lim = (data[0] & 1) ? &lim : NULL;
	infd = scratch_memfd(data + 1, size - 1);
	outfd = scratch_memfd(NULL, 0);
	rc = smtpd_run(infd, outfd, &p, &err);
	if (rc != 0 && (rc != -1 || err.code == 0))
		abort();
	out = scratch_slurp(outfd, &len);
	if (strlen(out) != len)
		abort();	/* no NUL sent */
	nlines = check_replies(out, len);
	for (i = 1; i < size; i++)
		lines += data[i] == '\n';
	if (nlines > 16 * (lines + 1) + 1)
		abort();
	for (i = 0; i < seen.n; i++)
		check_entry(seen.ids[i], out);
	if (scratch_empty("tmp") != 0 || scratch_empty("q") != 2 * seen.n)
		abort();
	(void)scratch_empty("failed");
	(void)close(infd);
	(void)close(outfd);
	free(out);
	return 0;
}
