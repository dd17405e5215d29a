/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for message intake: message.c reading a message
 * from a file descriptor (msg_read_fd(), as posta reads stdin) into an
 * entry of a scratch spool (scratch.h). Build with "make fuzz" (clang),
 * run as
 *   tests/fuzz/fuzz_intake -max_total_time=60 -max_len=16384
 * The first input byte holds the options (bit 0: -t, 1: a lone dot
 * ends, 2: -B8BITMIME, 3: a 4096-octet size limit; bits 4-7: the size
 * of the pieces of a second intake); the rest is the message. Besides
 * memory errors it checks: a stored message has only CR LF line ends;
 * its header section has a From:, a Date: and a Message-ID: and no
 * Bcc:, and stays within the cap plus what intake adds; the body is at
 * most twice the input (LF -> CR LF) and an 8-bit byte in it sets the
 * envelope's body8bit; every recipient passes the envelope check; a
 * refused message is in failed/ with its reason, a lost one leaves
 * nothing in tmp/, q/ or failed/; the same input fed in small pieces
 * through msg_write() gives the same result and the same message, but
 * for the Received:, Date: and Message-ID: fields intake makes.
 */
#define _GNU_SOURCE	/* memmem, memfd_create */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "header.h"
#include "message.h"
#include "posta.h"
#include "scratch.h"

struct result {
	int	 rc;
	int	 failed;	/* kept in failed/ */
	char	*msg;		/* the stored message, or NULL */
	size_t	 len;
	size_t	 nrcpts;
};

/* The part of s without its lines starting with "Date:" or "Message-ID:". */
static size_t
strip_made(const char *s, size_t len, char *out)
{
	size_t i = 0, o = 0, e;
	int received = 0;	/* in the Received: field intake put first */

	while (i < len) {
		e = i;
		while (e < len && s[e] != '\n')
			e++;
		e = e < len ? e + 1 : e;
		if (i == 0 && e - i >= 9 && strncasecmp(s, "Received:", 9) == 0)
			received = 1;
		else if (s[i] != ' ' && s[i] != '\t')
			received = 0;
		if (!received &&
		    !(e - i >= 5 && strncasecmp(s + i, "Date:", 5) == 0) &&
		    !(e - i >= 11 && strncasecmp(s + i, "Message-ID:", 11) == 0)) {
			memcpy(out + o, s + i, e - i);
			o += e - i;
		}
		i = e;
	}
	return o;
}

static void
check_message(const struct spool_entry *ent, const char *s, size_t len,
    size_t insize)
{
	struct header_field f;
	size_t i, pos = 0, hlen;
	const char *end, *why;
	int from = 0, date = 0, mid = 0, has8 = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			abort();	/* a bare LF */
		if (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))
			abort();	/* a bare CR */
	}
	end = memmem(s, len, "\r\n\r\n", 4);
	hlen = end != NULL ? (size_t)(end - s) + 2 : len;
	if (hlen > MAX_HEADER_BLOCK + 16384)
		abort();
	while (header_next(s, hlen, &pos, &f)) {
		from |= header_is(&f, "From");
		date |= header_is(&f, "Date");
		mid |= header_is(&f, "Message-ID");
		if (header_is(&f, "Bcc"))
			abort();
	}
	if (!from || !date || !mid)
		abort();
	for (i = hlen; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			has8 = 1;
	if (len - hlen > 2 * insize + 4)
		abort();
	if (has8 && !ent->env.body8bit)
		abort();
	if (ent->env.sender == NULL || ent->env.sender[0] != '\0')
		abort();
	for (i = 0; i < ent->env.nrcpts; i++)
		if (addr_check_envelope(ent->env.rcpts[i].addr, 0, &why) != 0)
			abort();
}

static void
intake(const uint8_t *data, size_t size, size_t piece, struct result *res)
{
	struct msg_params mp;
	struct spool_entry ent;
	struct perr err = { 0, "" };
	unsigned flags = data[0];
	const char *in = (const char *)data + 1;
	size_t n = size - 1, off;
	struct msg *m;
	int fd = -1, r = 0;

	memset(res, 0, sizeof(*res));
	memset(&mp, 0, sizeof(mp));
	mp.cfg = &scratch_cfg;
	mp.sender = "";
	mp.from_addr = "robot@example.org";
	mp.fullname = "Fuzz";
	mp.from_headers = flags & 1;
	mp.dot_ends = (flags >> 1) & 1;
	mp.body8bit = (flags >> 2) & 1;
	mp.max_size = (flags & 8) ? 4096 : 0;
	if ((m = msg_begin(&scratch_sp, &mp, &err)) == NULL)
		abort();
	if (!mp.from_headers && msg_add_rcpt(m, "bob@example.net", &err) != 0)
		abort();
	if (piece == 0) {
		fd = scratch_memfd(in, n);
		r = msg_read_fd(m, fd, &err);
		(void)close(fd);
	} else {
		for (off = 0; off < n && r == 0; off += piece)
			r = msg_write(m, in + off, n - off < piece ? n - off :
			    piece, &err);
		r = r == 1 ? 0 : r;
	}
	if (r == -1) {
		msg_abort(m);
		res->rc = -1;
	} else {
		res->rc = msg_end(m, &ent, &err);
		res->failed = res->rc == -1 && ent.id[0] != '\0';
	}
	if (res->rc == 0) {
		res->msg = scratch_slurp(ent.fd, &res->len);
		res->nrcpts = ent.env.nrcpts;
		check_message(&ent, res->msg, res->len, n);
		spool_release(&ent);
	}
	if (scratch_empty("tmp") != 0)
		abort();	/* nothing is left half-made */
	if (scratch_empty("q") != (res->rc == 0 ? 2 : 0) ||
	    scratch_empty("failed") != (res->failed ? 2 : 0))
		abort();	/* message and envelope, where they belong */
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result a, b;
	char *sa, *sb;
	size_t la, lb;

	if (size == 0)
		return 0;
	scratch_init();
	intake(data, size, 0, &a);
	intake(data, size, 1 + (data[0] >> 4) * 3, &b);
	if (a.rc != b.rc || a.failed != b.failed || a.nrcpts != b.nrcpts)
		abort();
	if (a.rc == 0) {
		if ((sa = malloc(a.len + 1)) == NULL ||
		    (sb = malloc(b.len + 1)) == NULL)
			abort();
		la = strip_made(a.msg, a.len, sa);
		lb = strip_made(b.msg, b.len, sb);
		if (la != lb || memcmp(sa, sb, la) != 0)
			abort();	/* pieces change nothing */
		free(sa);
		free(sb);
	}
	free(a.msg);
	free(b.msg);
	return 0;
}
