/* SPDX-License-Identifier: ISC */
/*
 * -bd / -bl: a local SMTP listener in the foreground, for applications
 * that speak SMTP to localhost instead of running sendmail. Every
 * connection is served by the -bs intake (submit_conn) in a child
 * process: spooled before the 250, then delivered by the delivery mode.
 * Never an open relay: loopback clients, plus the [listen] allow
 * networks; a non-loopback address without allow is a configuration
 * error. The socket is bound from [listen], or taken from systemd
 * (LISTEN_PID, LISTEN_FDS: fd 3 on).
 */
#ifndef POSTA_LISTEN_H
#define POSTA_LISTEN_H

#include "perr.h"
#include "submit.h"

#define LISTEN_GRACE 30 /* seconds the children get after SIGTERM */

struct listen_params {
	struct submit *sub; /* the intake each connection runs */
	int loopback_only;  /* -bl: loopback, whatever [listen] says */
	long interval;	    /* -qINTERVAL: a queue runner too; 0: none */
};

/*
 * Serve until SIGTERM, SIGINT or SIGHUP; then stop accepting, let each
 * child finish the message it is receiving (at most LISTEN_GRACE
 * seconds), reap them all and return 0. -1 with err when the listener
 * cannot start, or when the queue runner died.
 */
int listen_run(const struct listen_params *p, struct perr *err);

#endif /* POSTA_LISTEN_H */
