/* SPDX-License-Identifier: ISC */
/*
 * The envelope of one queued message (envelope.c) and its file format
 * (envfile.c). Parsing and formatting do no I/O; env_read and env_write
 * only move the bytes through an fd the caller opened. The format is
 * line based and versioned:
 *
 *	posta-envelope 2
 *	id 6561f0a2c3d4e5f6
 *	created 1700000000
 *	sender <me@example.com>		("<>" for the null sender)
 *	attempts 2
 *	next-try 1700000600
 *	last-error 451 4.3.0 try again later
 *	body 8bitmime			(or 7bit)
 *	smtputf8 1
 *	dsn-ret FULL / dsn-envid X / dsn-notify SUCCESS,FAILURE
 *	reason 1 550 5.1.1 no such user	(numbered from 1, in order)
 *	rcpt pending 0 <a@example.com>	(0: no reason)
 *	rcpt done 0 <b@example.com>
 *	rcpt failed 1 <c@example.com>
 *	end
 *
 * Each distinct reason is stored once, however many recipients it is
 * about. Version 1 files (a "reason TEXT" line after each recipient it
 * belongs to, "rcpt STATE <addr>") are still read. Unknown keys are
 * refused (a newer posta wrote it: better kept aside than half
 * understood); a file without "end" was cut short.
 *
 * What an envelope may hold is bounded, so that whatever env_write()
 * produces env_read() accepts: at most MAX_RCPTS recipients of at most
 * MAX_ADDR octets, reasons and the last error cut to MAX_REASON octets,
 * at most MAX_REASONS distinct reasons (beyond that a reason keeps only
 * its reply code). ENV_MAX_SIZE is the largest file that can result,
 * and MAX_ENVELOPE (posta.h) is checked to be at least that.
 */
#ifndef POSTA_ENVELOPE_H
#define POSTA_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "perr.h"
#include "posta.h"

enum rcpt_state { RCPT_PENDING, RCPT_DONE, RCPT_FAILED };

/* Reasons in one envelope: MAX_REASONS, then one per reply code. */
#define ENV_MAX_REASONS (MAX_REASONS + 401)
#define ENV_MAX_DSN	128 /* dsn-ret, dsn-envid, dsn-notify */
/* The longest line env_write() produces, without its newline. */
#define ENV_MAX_LINE \
	(MAX_REASON + 32 > MAX_ADDR + 48 ? MAX_REASON + 32 : MAX_ADDR + 48)
/* The largest file env_write() produces. */
#define ENV_MAX_SIZE                                          \
	((size_t)MAX_RCPTS * (MAX_ADDR + 48 + 1) +            \
	    (size_t)ENV_MAX_REASONS * (MAX_REASON + 32 + 1) + \
	    16 * (ENV_MAX_LINE + 1))

/* 16 octets a recipient; its address lives in the envelope's store. */
struct env_rcpt {
	const char *addr;
	enum rcpt_state state;
	uint32_t reason; /* 1 + index into reasons[], 0 = none */
};

struct env_block;

struct envelope {
	char id[32];
	time_t created;
	char *sender; /* "" is the null sender */
	int attempts;
	time_t next_try;
	char *last_error; /* or NULL; cut to MAX_REASON when written */
	int body8bit;
	int smtputf8;
	char *dsn_ret, *dsn_envid, *dsn_notify;
	struct env_rcpt *rcpts;
	size_t nrcpts, cap;
	char **reasons; /* distinct, each at most MAX_REASON */
	size_t nreasons;
	/* private to envelope.c (envpriv.h): address store, lookup tables */
	struct env_block *blocks;
	uint32_t *hash, *rhash;
	size_t hashcap;
};

/* Set the sender (copied); returns 0 or -1 with err. */
int env_set_sender(struct envelope *e, const char *sender, struct perr *err);

/*
 * Add a pending recipient unless the same address (the local part
 * compared exactly, the domain ignoring case, in the form stored:
 * control characters blanked) is already there. Returns 0, or -1 with
 * err (EX_DATAERR beyond MAX_RCPTS or MAX_ADDR, EX_OSERR out of memory).
 */
int env_add_rcpt(struct envelope *e, const char *addr, struct perr *err);

/*
 * Set recipient i's reason (NULL: none). The text is cut to MAX_REASON
 * octets, control characters blanked, and shared with every recipient
 * that has the same one. Returns 0, or -1 with err out of memory (the
 * old reason stays).
 */
int env_set_reason(struct envelope *e, size_t i, const char *text,
    struct perr *err);

/* Recipient i's reason, or NULL. */
const char *env_reason(const struct envelope *e, size_t i);

/* Count one more delivery attempt; saturates at INT_MAX. */
void env_attempted(struct envelope *e);

/* Replace a string field (sender, last_error, dsn_*): copies, with control characters replaced. */
int env_set_str(char **field, const char *value, struct perr *err);

/* Count recipients in a state. */
size_t env_count(const struct envelope *e, enum rcpt_state st);

/*
 * Write e to fd in the format above (at most ENV_MAX_SIZE octets);
 * returns 0 or -1 with err (EX_CANTCREAT, or EX_DATAERR for a field
 * beyond its bound).
 */
int env_write(const struct envelope *e, int fd, struct perr *err);

/* Parse a whole envelope file held in buf; e is zeroed first. Returns 0, or -1 with err (EX_DATAERR) naming the line. */
int env_parse(struct envelope *e, const char *buf, size_t len,
    struct perr *err);

/* Read fd (at most MAX_ENVELOPE octets, streamed) and parse it. */
int env_read(struct envelope *e, int fd, struct perr *err);

/*
 * What can be read from a damaged envelope: every line that parses
 * (id, sender, recipients...), the others skipped. Returns 0 when a
 * sender was found, -1 with err otherwise; e holds what was found
 * either way and must be freed.
 */
int env_salvage(struct envelope *e, int fd, struct perr *err);

/* Release what e owns; e is left zeroed. */
void env_free(struct envelope *e);

#endif /* POSTA_ENVELOPE_H */
