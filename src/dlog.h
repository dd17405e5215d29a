/* SPDX-License-Identifier: ISC */
/*
 * The log line of a delivery attempt: one per message and attempt, in
 * the key=value form of msmtp and Postfix, answering "did it go out,
 * and what did the smart host say?" (its reply carries its queue id):
 *
 *	ID: from=<a@x> to=<b@y>,<c@y> size=1234 relay=smtp.example.com:587
 *	    tls=TLSv1.3 auth=PLAIN delay=0.42 attempt=1 status=sent
 *	    dsn=2.0.0 reply="250 2.0.0 Ok: queued as 4XyZ"
 *
 * posta(8) LOGGING lists the fields. dlog_begin() and dlog_end() go
 * around deliver.c's attempt; the formatting itself is pure.
 */
#ifndef POSTA_DLOG_H
#define POSTA_DLOG_H

#include <stddef.h>

#include "log.h"
#include "posta.h"
#include "smtp.h"
#include "spool.h"

#define DLOG_SHOW      5   /* recipients named in to=, the rest counted */
#define DLOG_MAX_ADDR  256 /* octets of one address in the line */
#define DLOG_MAX_REPLY 512 /* octets of a reply in the line */
#define DLOG_MAX_LINE  LOG_MAX_LINE /* more than the above need */

struct dlog {
	const char *id;
	const char *from;	   /* "" is the null sender */
	const char *to[DLOG_SHOW]; /* the first recipients tried */
	size_t nto;		   /* recipients tried */
	long long size;
	const char *host;
	int port;
	const char *tls;  /* "TLSv1.3"; "" or NULL: none */
	const char *auth; /* "PLAIN"; NULL: none */
	double delay;	  /* seconds since intake */
	int attempt;	  /* 1 for the first */
	/* the recipients tried, by outcome */
	size_t nsent, ndeferred, nbounced;
	const char *reply;		/* why deferred or bounced, or NULL */
	char sent[MAX_REPLY_TEXT + 16]; /* 2xx to the dot */
	/* private to dlog.c: the entry before the attempt */
	double intake;
	size_t done0, failed0;
};

/*
 * "sent" (every recipient tried was accepted), "deferred" (one is to be
 * retried) or "bounced".
 */
const char *dlog_status(const struct dlog *d);

/*
 * The enhanced status code for status: the one in reply ("... 550
 * 5.1.1 ...", the first code followed by one), its class made the
 * status's (a 535 5.7.8 that defers a message is 4.7.8); a temporary
 * reply behind a bounce is 4.4.7, expired, as in the notification; no
 * code at all gives 2.0.0, 4.0.0 or 5.0.0.
 */
void dlog_dsn(const char *status, const char *reply, char *out, size_t cap);

/*
 * Pure: the line into buf (at most cap - 1 octets and a NUL, cut when
 * longer). A value is written bare when it is all printable and holds
 * no blank, '"' or '\', otherwise quoted, with '"' and '\' escaped by
 * a '\' and control characters as \xHH. Returns buf.
 */
const char *dlog_format(const struct dlog *d, char *buf, size_t cap);

/*
 * The intake line, one per message taken into the spool, saying who
 * submitted it (posta(8) LOGGING):
 *
 *	ID: intake uid=1000 user=alice from=<a@x> nrcpt=2 size=1234
 *	    [client=[192.0.2.1]]
 *
 * user is "" when the uid has no name. Pure, formatted as dlog_format.
 */
struct dlog_intake {
	const char *id;
	long uid;
	const char *user;
	const char *from; /* "" is the null sender */
	size_t nrcpt;
	long long size;
	const char *client; /* -bd: the client's address, or NULL */
};

const char *dlog_intake_format(const struct dlog_intake *d, char *buf,
    size_t cap);

/* Before an attempt: remember the entry's recipients and arrival. */
void dlog_begin(struct dlog *d, const struct spool_entry *ent);

/* The 2xx reply to a final dot during the attempt. */
void dlog_sent(struct dlog *d, const struct esmtp_reply *r);

/*
 * After the attempt, with the recipients' new states in ent: fill in
 * the rest (the session s, which may have closed since) and log the
 * line, as a warning when bounced. why is what deliver.c reports for
 * the deferral or the failure.
 */
void dlog_end(struct dlog *d, const struct spool_entry *ent, const char *host,
    int port, const struct smtp *s, const char *why);

#endif /* POSTA_DLOG_H */
