/* SPDX-License-Identifier: ISC */
/*
 * The envelope of one queued message and its file format. Pure: bytes
 * in, struct out, and back. The format is line based and versioned:
 *
 *	posta-envelope 1
 *	id 6561f0a2c3d4e5f6
 *	created 1700000000
 *	sender <me@example.com>		("<>" for the null sender)
 *	attempts 2
 *	next-try 1700000600
 *	last-error 451 4.3.0 try again later
 *	body 8bitmime			(or 7bit)
 *	smtputf8 1
 *	dsn-ret FULL / dsn-envid X / dsn-notify SUCCESS,FAILURE
 *	rcpt pending <a@example.com>
 *	rcpt done <b@example.com>
 *	rcpt failed <c@example.com>
 *	reason 550 5.1.1 no such user	(about the rcpt line before it)
 *	end
 *
 * Unknown keys are refused (a newer posta wrote it: better kept aside
 * than half understood); a file without "end" was cut short.
 */
#ifndef POSTA_ENVELOPE_H
#define POSTA_ENVELOPE_H

#include <stddef.h>
#include <time.h>

#include "perr.h"

enum rcpt_state { RCPT_PENDING, RCPT_DONE, RCPT_FAILED };

struct env_rcpt {
	char		*addr;
	enum rcpt_state	 state;
	char		*reason;	/* last reply about it, or NULL */
};

struct envelope {
	char		 id[32];
	time_t		 created;
	char		*sender;	/* "" is the null sender */
	int		 attempts;
	time_t		 next_try;
	char		*last_error;	/* or NULL */
	int		 body8bit;
	int		 smtputf8;
	char		*dsn_ret, *dsn_envid, *dsn_notify;
	struct env_rcpt	*rcpts;
	size_t		 nrcpts, cap;
	/* duplicate detection while recipients are added */
	size_t		*hash;
	size_t		 hashcap;
};

/* Set the sender (copied); returns 0 or -1 with err. */
int	env_set_sender(struct envelope *e, const char *sender, struct perr *err);

/*
 * Add a pending recipient unless the same address (the local part
 * compared exactly, the domain ignoring case) is already there.
 * Returns 0, or -1 with err (EX_DATAERR beyond MAX_RCPTS, EX_OSERR out
 * of memory).
 */
int	env_add_rcpt(struct envelope *e, const char *addr, struct perr *err);

/* Replace a string field (sender, last_error, reason, dsn_*): copies, with control characters replaced. */
int	env_set_str(char **field, const char *value, struct perr *err);

/* Count recipients in a state. */
size_t	env_count(const struct envelope *e, enum rcpt_state st);

/* Write e to fd in the format above; returns 0 or -1 with err (EX_IOERR). */
int	env_write(const struct envelope *e, int fd, struct perr *err);

/* Parse a whole envelope file held in buf; e is zeroed first. Returns 0, or -1 with err (EX_DATAERR) naming the line. */
int	env_parse(struct envelope *e, const char *buf, size_t len,
	    struct perr *err);

/* Read fd (at most MAX_ENVELOPE octets) and parse it. */
int	env_read(struct envelope *e, int fd, struct perr *err);

/* Release what e owns; e is left zeroed. */
void	env_free(struct envelope *e);

#endif /* POSTA_ENVELOPE_H */
