/* SPDX-License-Identifier: ISC */
/*
 * Inside posta --check: what check.c (the run, the local checks, the
 * login and the test message) and checkprobe.c (the first session with
 * the smart host) share. Not an interface for anyone else.
 */
#ifndef POSTA_CHECKPRIV_H
#define POSTA_CHECKPRIV_H

#include "check.h"
#include "esmtp.h"
#include "posta.h"

struct check {
	const struct check_params *p;
	const struct config *cfg;
	int n[4];		       /* lines per enum check_level */
	int ex;			       /* code of the first FAIL */
	char mech[32];		       /* AUTH mechanism to be used */
	char rcpt[MAX_ADDR + 1];       /* the test message's */
	struct esmtp_reply rcpt_reply; /* the server's word on it */
};

/*
 * One line on ck->p->out: the level word, then the message with its
 * control characters blanked (replies and certificates come from the
 * network). The first FAIL's ex (EX_SOFTWARE for 0) is the run's code.
 */
void check_say(struct check *ck, enum check_level lv, int ex, const char *fmt,
    ...) PRINTF(4, 5);

/*
 * The first session, one line per step: resolve the host, connect, TLS
 * and the certificate, greeting, EHLO, STARTTLS, the offer (SIZE,
 * extensions, AUTH: ck->mech gets the mechanism posta will use).
 * Returns -1 when a step failed and a login is not worth trying.
 */
int check_probe(struct check *ck);

#endif /* POSTA_CHECKPRIV_H */
