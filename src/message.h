/* SPDX-License-Identifier: ISC */
/*
 * Intake: a message arrives in pieces (stdin, or DATA in -bs) and goes
 * into a new spool entry, behind a Received: field naming the local
 * user (the real uid) who submitted it, and, from -bd, the client; an
 * intake log line says the same. Line ends are normalised to CR LF, the header
 * section is inspected (recipients for -t, Bcc removed, Date,
 * Message-ID and From added when missing, From rewritten with
 * force_from), the body is streamed to disk: memory does not grow with
 * the body, and the header section is capped at MAX_HEADER_BLOCK.
 */
#ifndef POSTA_MESSAGE_H
#define POSTA_MESSAGE_H

#include <stddef.h>

#include "config.h"
#include "perr.h"
#include "spool.h"

struct msg_params {
	const struct config *cfg;
	const char *sender;    /* envelope sender, "" null */
	const char *from_addr; /* for a generated From: */
	const char *fullname;  /* -F, or NULL */
	int from_headers;      /* -t */
	int dot_ends;	       /* a lone "." line ends input */
	int body8bit;	       /* -B8BITMIME */
	const char *dsn_ret, *dsn_envid, *dsn_notify;
	long long max_size; /* octets of input; 0: no limit */
	/* for the Received: field and the intake log line */
	const char *protocol;	 /* -bs, -bd: "ESMTP", "SMTP" */
	const char *client;	 /* -bd: "[192.0.2.1]", or NULL */
	const char *client_helo; /* -bd: its EHLO name, or NULL */
};

struct msg;

/* Start an intake into a new tmp/ entry. Returns NULL with err. */
struct msg *msg_begin(struct spool *sp, const struct msg_params *p,
    struct perr *err);

/*
 * Feed input bytes. Returns 0, 1 once a lone "." line ended the
 * message (with dot_ends; further input is to be ignored), or -1 with
 * err (EX_IOERR/EX_CANTCREAT: a write error; EX_DATAERR: more input
 * than max_size; the entry is discarded by msg_end).
 */
int msg_write(struct msg *m, const char *buf, size_t len, struct perr *err);

/*
 * msg_write() what fd holds, up to its end or the lone "." that ends
 * the message (with dot_ends: the rest is left unread). Returns 0, or
 * -1 with err as msg_write(), or EX_IOERR for a read error.
 */
int msg_read_fd(struct msg *m, int fd, struct perr *err);

/* Add an envelope recipient (already resolved, qualified). */
int msg_add_rcpt(struct msg *m, const char *addr, struct perr *err);

/*
 * Finish: complete the header section, resolve header recipients (-t)
 * through aliases, and commit the entry to q/. On success *ent holds
 * the entry, locked, for immediate delivery, and 0 is returned. On a
 * data error (no recipients, a header section over the cap, a bad
 * address with -t) the message is committed to failed/ with the
 * reason, err says why and -1 is returned; ent->id is then set. On a
 * write error nothing is kept, ent holds nothing (ent->id is "") and
 * -1 is returned. Frees m.
 */
int msg_end(struct msg *m, struct spool_entry *ent, struct perr *err);

/* Abandon the intake: nothing is kept. Frees m. */
void msg_abort(struct msg *m);

#endif /* POSTA_MESSAGE_H */
