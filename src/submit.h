/* SPDX-License-Identifier: ISC */
/*
 * Submission: stdin or -bs into the spool, then delivery by mode
 * (-odi/-odb/-odq or [queue] delivery). Returns sysexits codes; the
 * one-line diagnostic is left in err for main() to print.
 */
#ifndef POSTA_SUBMIT_H
#define POSTA_SUBMIT_H

#include <stddef.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "perr.h"
#include "posta.h"
#include "smtpd.h"
#include "spool.h"

struct submit {
	struct opts *o;
	const struct config *cfg;
	struct spool *sp;
	struct perr *err;
	char sender[MAX_ADDR + 1];    /* envelope */
	char from_addr[MAX_ADDR + 1]; /* for a generated From: */
	struct strvec ids;	      /* -bs: accepted messages */
};

/* Read one message on standard input, queue it, deliver it by mode. */
int submit_stdin(struct submit *s);

/* Run the -bs dialogue, then deliver what it accepted by mode. */
int submit_smtpd(struct submit *s);

/*
 * The same on one connection of the -bd listener, within lim; the
 * socket is shut down (not closed) before delivery starts.
 */
int submit_conn(struct submit *s, int fd, const struct smtpd_limits *lim);

#endif /* POSTA_SUBMIT_H */
