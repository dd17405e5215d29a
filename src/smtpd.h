/* SPDX-License-Identifier: ISC */
/*
 * -bs: an SMTP server dialogue on stdin/stdout (RFC 5321 server side,
 * with PIPELINING, 8BITMIME, SIZE, SMTPUTF8, DSN, ENHANCEDSTATUSCODES),
 * as Symfony Mailer, Laravel and Drupal use /usr/sbin/sendmail -bs.
 * Every message is in the spool before its 250; delivery is the
 * caller's business, after the dialogue.
 */
#ifndef POSTA_SMTPD_H
#define POSTA_SMTPD_H

#include <signal.h>

#include "config.h"
#include "perr.h"
#include "spool.h"

/* Bounds for clients that may misbehave: the -bd listener's. */
struct smtpd_limits {
	long long max_size;	     /* octets of a message; 0: none */
	long max_commands;	     /* per session; 0: none */
	int timeout;		     /* seconds idle; 0: none */
	volatile sig_atomic_t *stop; /* set: 421 at the next command */
};

struct smtpd_params {
	const struct config *cfg;
	struct spool *sp;
	const char
	    *sender; /* -f given with -bs, overrides MAIL FROM; or NULL */
	const char *default_from; /* From: to generate when missing */
	/* called after the 250 for each accepted message */
	void (*accepted)(void *arg, const char *id);
	void *arg;
	const struct smtpd_limits *lim; /* NULL: none (-bs) */
	const char *client;		/* "[192.0.2.1]" of a network
						   client, for Received:; or NULL */
};

/*
 * Run the dialogue on infd/outfd until QUIT or end of input. Returns 0,
 * or -1 with err when the dialogue could not go on (I/O error, or a
 * limit: then a 421 was sent); every message acknowledged with 250
 * before that is safely queued. With lim->stop set, the message being
 * received is finished first.
 */
int smtpd_run(int infd, int outfd, const struct smtpd_params *p,
    struct perr *err);

#endif /* POSTA_SMTPD_H */
