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

#include "config.h"
#include "perr.h"
#include "spool.h"

struct smtpd_params {
	const struct config	*cfg;
	struct spool		*sp;
	const char		*sender;	/* -f given with -bs, overrides MAIL FROM; or NULL */
	const char		*default_from;	/* From: to generate when missing */
	/* called after the 250 for each accepted message */
	void			(*accepted)(void *arg, const char *id);
	void			*arg;
};

/*
 * Run the dialogue on infd/outfd until QUIT or end of input. Returns 0,
 * or -1 with err when the dialogue could not go on (I/O error); every
 * message acknowledged with 250 before that is safely queued.
 */
int	smtpd_run(int infd, int outfd, const struct smtpd_params *p,
	    struct perr *err);

#endif /* POSTA_SMTPD_H */
