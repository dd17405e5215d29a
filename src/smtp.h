/* SPDX-License-Identifier: ISC */
/*
 * SMTP client mechanism (RFC 5321, 3207, 4954, 2920, 1870, 6152, 6531,
 * 3461): open an authenticated session, run mail transactions over it,
 * report every reply. It decides nothing: deliver.c classifies replies
 * into delivered, retry later and failed.
 */
#ifndef POSTA_SMTP_H
#define POSTA_SMTP_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "conn.h"
#include "esmtp.h"
#include "perr.h"
#include "posta.h"

struct smtp {
	struct conn conn;
	int verbose;		     /* transcript on stderr */
	int ext;		     /* ESMTP_EXT_* from the last EHLO */
	unsigned long long size_max; /* SIZE parameter, 0 = none */
	/* AUTH keyword parameters: room for a whole reply line */
	char auth_offer[MAX_REPLY_LINE];
	int auth_refused;      /* smtp_open failed on the AUTH reply */
	int ntx;	       /* transactions started */
	int broken;	       /* the session cannot be used again */
	int timedout;	       /* it broke because a step ran out of time */
	char awaiting[32];     /* "reply to MAIL": for messages */
	char tls_version[16];  /* "TLSv1.3" once TLS is on */
	const char *auth_mech; /* "PLAIN" once AUTH succeeded, or NULL */
};

/* A session that is not open: smtp_close() and smtp_abandon() do nothing. */
void smtp_init(struct smtp *s);

/*
 * Open a session to cfg's upstream: connect, greeting, EHLO (HELO when
 * EHLO is refused and no TLS or AUTH is needed), implicit TLS or
 * STARTTLS (required when configured: not offered means stop before
 * any credentials or mail), EHLO again, then AUTH when a username is
 * set, only over TLS. AUTH offers secret, which stays the caller's to
 * wipe; with secret NULL it is fetched with secret_get(), or
 * oauth_token() with [oauth], and wiped after use. With cfg->deadline
 * set, every wait of the session (those of smtp_send() and smtp_close()
 * too) ends by then (conn_open_until()). Returns 0, or -1
 * with err and, when the failure was a server reply, that reply in
 * *last (may be NULL; s->auth_refused says it answered AUTH). Every
 * failure here is a session failure: the caller keeps the mail queued.
 */
int smtp_open(struct smtp *s, const struct config *cfg, const char *secret,
    int verbose, struct esmtp_reply *last, struct perr *err);

/*
 * One recipient of a transaction: 16 octets, so that a transaction
 * for MAX_RCPTS recipients stays small. The text of its reply goes to
 * the transaction's rcpt_reply callback.
 */
struct smtp_rcpt {
	const char *addr;
	int code; /* RCPT reply code, filled in; 0: none */
};

/* One mail transaction. */
struct smtp_tx {
	const char *sender;    /* "" is the null sender */
	off_t size;	       /* for SIZE=, when offered */
	int body8bit;	       /* BODY=8BITMIME, when offered */
	int smtputf8;	       /* SMTPUTF8, when offered */
	const char *dsn_ret;   /* RET=FULL|HDRS, or NULL */
	const char *dsn_envid; /* ENVID=, xtext-encoded here, or NULL */
	const char *notify;    /* NOTIFY= of every RCPT, or NULL */
	struct smtp_rcpt *rcpts;
	size_t nrcpts;
	/* each RCPT reply as it is read (rcpts[i]'s); may be NULL */
	void (*rcpt_reply)(void *arg, size_t i, const struct esmtp_reply *r);
	void *arg;
	int fd; /* the message: CR LF text, not stuffed */

	struct esmtp_reply mail; /* MAIL FROM reply */
	struct esmtp_reply data; /* 4xx/5xx to DATA, or the final
					   reply */
	int data_sent;		 /* the final dot went out */
};

/*
 * Run one transaction: RSET first when this is not the session's
 * first, MAIL FROM with the parameters the server offers, RCPT for
 * each recipient (pipelined in windows of PIPELINE_WINDOW when
 * PIPELINING is offered), DATA with the message streamed from fd
 * through dot-stuffing when at least one recipient was accepted, else
 * RSET. Returns 0 when the dialogue completed (look at tx->mail,
 * each rcpts[i].code and tx->data), or -1 with err when the session
 * broke (timeout, closed, TLS error, a reply to DATA that is neither
 * 354 nor 4xx/5xx); then replies not filled in are unknown, and
 * tx->data_sent says whether the message may have arrived anyway;
 * s->timedout then says whether a step ran out of time (each reply
 * must come whole within the timeout). Needing SMTPUTF8 that the
 * server does not offer returns -1 with EX_UNAVAILABLE before anything
 * is sent.
 */
int smtp_send(struct smtp *s, struct smtp_tx *tx, struct perr *err);

/* QUIT (waiting for the reply at most one timeout) and close. */
void smtp_close(struct smtp *s);

/* Close without a word: for a forked child or after a broken session. */
void smtp_abandon(struct smtp *s);

#endif /* POSTA_SMTP_H */
