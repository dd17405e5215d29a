/* SPDX-License-Identifier: ISC */
/*
 * Delivery status notifications (RFC 3464, RFC 6522 multipart/report):
 * a text part for people, a message/delivery-status part for programs
 * and the original header section, written through the normal intake
 * path with the null sender so that a notification that cannot be
 * delivered is never answered by another one.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "dsn.h"
#include "message.h"
#include "posta.h"
#include "util.h"

/* the original's header fields a notification carries, octets */
#define DSN_MAX_HEADERS 8192

static int
put(struct msg *m, const char *s, struct perr *err)
{
	return msg_write(m, s, strlen(s), err) == -1 ? -1 : 0;
}

static int putf(struct msg *m, struct perr *err, const char *fmt, ...)
    PRINTF(3, 4);

static int
putf(struct msg *m, struct perr *err, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(m, buf, err);
}

/* "550 5.1.1 text" -> "5.1.1"; a reply without one gets a generic status. */
static void
status_of(const char *reason, char *buf, size_t cap)
{
	int a, b, c, n = 0;

	if (reason != NULL &&
	    sscanf(reason, "%*d %d.%d.%d%n", &a, &b, &c, &n) == 3 && n > 0 &&
	    (a == 4 || a == 5) && b >= 0 && c >= 0) {
		/* a temporary reply that outlived max_age: "expired" */
		if (a == 4)
			(void)snprintf(buf, cap, "4.4.7");
		else
			(void)snprintf(buf, cap, "%d.%d.%d", a, b, c);
		return;
	}
	(void)snprintf(buf, cap,
	    reason != NULL && reason[0] == '5' ? "5.0.0" : "4.4.7");
}

/*
 * The original's header section, whole fields only, at most
 * DSN_MAX_HEADERS octets: enough to recognise the message, too little
 * to carry a payload back to whoever the sender claims to be.
 */
static int
copy_headers(struct msg *m, int fd, struct perr *err)
{
	char buf[DSN_MAX_HEADERS + 1];
	size_t n = 0, start = 0, end, keep = 0;
	ssize_t r;

	while (n < sizeof(buf)) {
		r = pread(fd, buf + n, sizeof(buf) - n, (off_t)n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	/*
	 * keep: where the last field known to be whole ends. Lines end as
	 * intake reads them (CR LF, LF, a bare CR), so that a message with
	 * bare CRs (from corrupt/) does not have its body taken for fields.
	 */
	for (;;) {
		if (start < n && (buf[start] == '\n' || buf[start] == '\r')) {
			keep = start; /* the blank line: every field is whole */
			break;
		}
		if (start < n && buf[start] != ' ' && buf[start] != '\t')
			keep =
			    start; /* a new field: the ones before are whole */
		for (end = start;
		     end < n && buf[end] != '\n' && buf[end] != '\r'; end++)
			;
		if (end >= n || (end + 1 == n && n == sizeof(buf))) {
			if (n < sizeof(buf))
				keep = n; /* the file ended first: all of it */
			break;		  /* or a line cut by the cap */
		}
		start = end +
		    (buf[end] == '\r' && end + 1 < n && buf[end + 1] == '\n' ?
			    2 :
			    1);
	}
	if (keep > DSN_MAX_HEADERS)
		keep = 0;
	if (keep > 0 && msg_write(m, buf, keep, err) == -1)
		return -1;
	return put(m, "\r\n", err);
}

int
dsn_queue(struct spool *sp, const struct config *cfg,
    const struct spool_entry *ent, char *newid, size_t cap, struct perr *err)
{
	const struct envelope *e = &ent->env;
	struct msg_params mp;
	struct spool_entry out;
	struct msg *m;
	char host[256], boundary[64], date[64], from[MAX_ADDR + 64], st[48];
	const char *reason;
	size_t i;

	if (e->sender == NULL || e->sender[0] == '\0')
		return 0;
	host_name(host, sizeof(host));
	(void)snprintf(from, sizeof(from), "MAILER-DAEMON@%s",
	    cfg->domain != NULL ? cfg->domain : host);
	memset(&mp, 0, sizeof(mp));
	mp.cfg = cfg;
	mp.sender = "";
	mp.from_addr = from;
	mp.fullname = "Mail Delivery System";
	if ((m = msg_begin(sp, &mp, err)) == NULL)
		return -1;
	if (msg_add_rcpt(m, e->sender, err) == -1)
		goto fail;
	(void)snprintf(boundary, sizeof(boundary), "=_posta_%s", e->id);
	fmt_date(e->created, date, sizeof(date));
	if (putf(m, err,
		"From: Mail Delivery System <%s>\r\n"
		"To: <%s>\r\nSubject: Undelivered Mail Returned to Sender\r\n"
		"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=delivery-status;\r\n"
		"\tboundary=\"%s\"\r\n\r\n"
		"This is a MIME-encapsulated message.\r\n\r\n--%s\r\n"
		"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
		"posta on %s could not deliver your message %s of %s\r\n"
		"through %s to the recipients below. It has given up.\r\n\r\n",
		from, e->sender, boundary, boundary, host, e->id, date,
		cfg->host) == -1)
		goto fail;
	for (i = 0; i < e->nrcpts; i++)
		if (e->rcpts[i].state == RCPT_FAILED &&
		    putf(m, err, "<%s>: %s\r\n", e->rcpts[i].addr,
			env_reason(e, i) ? env_reason(e, i) : "failed") == -1)
			goto fail;
	if (putf(m, err,
		"\r\n--%s\r\nContent-Type: message/delivery-status"
		"\r\n\r\nReporting-MTA: dns; %s\r\n",
		boundary, host) == -1 ||
	    (e->dsn_envid != NULL &&
		putf(m, err, "Original-Envelope-Id: %s\r\n", e->dsn_envid) ==
		    -1) ||
	    putf(m, err, "Arrival-Date: %s\r\n", date) == -1)
		goto fail;
	for (i = 0; i < e->nrcpts; i++) {
		if (e->rcpts[i].state != RCPT_FAILED)
			continue;
		reason = env_reason(e, i);
		status_of(reason, st, sizeof(st));
		if (putf(m, err,
			"\r\nFinal-Recipient: rfc822; %s\r\n"
			"Action: failed\r\nStatus: %s\r\nRemote-MTA: dns; %s\r\n",
			e->rcpts[i].addr, st, cfg->host) == -1 ||
		    (reason != NULL && reason[0] >= '2' && reason[0] <= '5' &&
			putf(m, err, "Diagnostic-Code: smtp; %s\r\n", reason) ==
			    -1))
			goto fail;
	}
	if (putf(m, err,
		"\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n"
		"\r\n",
		boundary) == -1 ||
	    copy_headers(m, ent->fd, err) == -1 ||
	    putf(m, err, "\r\n--%s--\r\n", boundary) == -1)
		goto fail;
	if (msg_end(m, &out, err) == -1)
		return -1;
	if (newid != NULL)
		(void)xstrlcpy(newid, out.id, cap);
	spool_release(&out);
	return 0;
fail:
	msg_abort(m);
	return -1;
}
