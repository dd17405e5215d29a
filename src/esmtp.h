/* SPDX-License-Identifier: ISC */
/*
 * The ESMTP grammar both sides speak (RFC 5321, 1870, 3461, 6152,
 * 6531): replies, EHLO keywords, command verbs, MAIL and RCPT paths and
 * parameters, xtext. Pure: strings in, structs out, no I/O. The client
 * (smtp.c), the -bs server (smtpd.c) and the command line (cli.c) share
 * it.
 */
#ifndef POSTA_ESMTP_H
#define POSTA_ESMTP_H

#include <stdarg.h>
#include <stddef.h>

#include "perr.h"
#include "posta.h"

#define ESMTP_ENVID_MAX 100 /* RFC 3461 4.4: ENVID characters */

/* One reply, possibly multi-line. */
struct esmtp_reply {
	int code; /* 250; 0 when none was read */
	int nlines;
	char text[MAX_REPLY_TEXT]; /* lines after the code, joined by
					   '\n', control chars replaced */
};

/*
 * Reply parser: feed lines (without CR LF) one by one. Returns 1 when
 * the reply is complete, 0 when more lines are expected, -1 with err
 * (EX_PROTOCOL) on a malformed line, a code that changes between
 * lines, or more than MAX_REPLY_LINES lines. Zero r before the first
 * line. Text beyond MAX_REPLY_TEXT is cut, not an error.
 */
int esmtp_reply_feed(struct esmtp_reply *r, const char *line, struct perr *err);

/* "550 5.1.1 <x@y>: Recipient address rejected" on one line, for messages. */
const char *esmtp_reply_line(const struct esmtp_reply *r, char *buf,
    size_t cap);

/*
 * A server's reply line: fmt made one line of printable bytes (control
 * characters blanked), cut to cap - 3 octets, then CR LF, without a
 * NUL. Returns its length with the CR LF; 0 when cap < 3.
 */
size_t esmtp_reply_vfmt(char *buf, size_t cap, const char *fmt, va_list ap)
    __attribute__((__format__(__printf__, 3, 0)));

/* EHLO keywords that matter. */
#define ESMTP_EXT_STARTTLS   0x01
#define ESMTP_EXT_AUTH	     0x02
#define ESMTP_EXT_PIPELINING 0x04
#define ESMTP_EXT_8BITMIME   0x08
#define ESMTP_EXT_SIZE	     0x10
#define ESMTP_EXT_SMTPUTF8   0x20
#define ESMTP_EXT_DSN	     0x40
#define ESMTP_EXT_ENHANCED   0x80

/*
 * The ESMTP_EXT_* bits of an EHLO reply text (lines after the greeting
 * line, '\n'-separated); SIZE into *size_max (0: no limit), AUTH's
 * list into auth (the RFC 4954 line wins over the older "AUTH="). An
 * auth of MAX_REPLY_LINE holds any AUTH line; a smaller one keeps only
 * the mechanisms that fit whole.
 */
int esmtp_ehlo_parse(const char *text, unsigned long long *size_max, char *auth,
    size_t cap);

/* Case-insensitive: is the word p[0..len) the verb or keyword kw? */
int esmtp_word_is(const char *p, size_t len, const char *kw);

/*
 * Split a command line: its verb is line[0..*verblen) (up to the first
 * blank); returns the arguments after it, blanks skipped.
 */
char *esmtp_args(char *line, size_t *verblen);

/*
 * "FROM:<path> params" (kw "FROM:") or "TO:<path> params" (kw "TO:"):
 * the address into addr (a source route "@a,@b:" dropped, RFC 5321
 * 4.1.1.3), *params at what follows. Blanks after the colon and a path
 * without angle brackets are tolerated, as most servers do. Returns 0,
 * or -1 on bad syntax or an address that does not fit cap.
 */
int esmtp_path_parse(char *args, const char *kw, char *addr, size_t cap,
    char **params);

/* MAIL FROM parameters (RFC 1870, 6152, 6531, 3461). */
struct esmtp_mail {
	long long size;			 /* SIZE=; 0: none */
	int body8bit;			 /* BODY=8BITMIME; 0: 7BIT or none */
	int smtputf8;			 /* SMTPUTF8 */
	const char *ret;		 /* RET=FULL or HDRS, or NULL */
	char envid[ESMTP_ENVID_MAX + 1]; /* ENVID=, plain;
							   "": none */
};

/*
 * Parse a MAIL FROM parameter list (split in place) into m, which the
 * caller zeroes. ret becomes "FULL" or "HDRS"; ENVID is xtext-decoded
 * and must be what esmtp_envid_valid() takes. Returns 0, 1 for a
 * parameter posta does not support, -1 for an invalid value; then
 * *key names the parameter.
 */
int esmtp_mail_parse(char *params, struct esmtp_mail *m, const char **key);

/*
 * The MAIL FROM parameters of m that ext (ESMTP_EXT_* offered by the
 * server) allows, each with a leading space, into buf: SIZE, BODY,
 * SMTPUTF8 (always, when set), RET and ENVID (xtext). Returns 0, or -1
 * when they do not fit.
 */
int esmtp_mail_format(const struct esmtp_mail *m, int ext, char *buf,
    size_t cap);

/*
 * Parse a RCPT TO parameter list (split in place): NOTIFY into
 * *notify (pointing into params, or NULL), ORCPT checked only.
 * Returns 0, 1 or -1 with *key as esmtp_mail_parse().
 */
int esmtp_rcpt_parse(char *params, const char **notify, const char **key);

/* RFC 3461 4 xtext of in into out; -1 when it does not fit. */
int esmtp_xtext_encode(const char *in, char *out, size_t cap);

/*
 * Decode xtext (upper-case hex only, as RFC 3461 4 says). Only
 * printable ASCII without spaces is taken, at least one character:
 * the value is kept plain and encoded again for the next server.
 * Returns 0, or -1.
 */
int esmtp_xtext_decode(const char *in, char *out, size_t cap);

/* 1 when v is a valid DSN NOTIFY value (RFC 3461 4.1), any case. */
int esmtp_notify_valid(const char *v);

/* 1 when v is a DSN RET value, FULL or HDRS, any case. */
int esmtp_ret_valid(const char *v);

/* 1 when v can be an ENVID: 1 to ESMTP_ENVID_MAX printable, no spaces. */
int esmtp_envid_valid(const char *v);

#endif /* POSTA_ESMTP_H */
