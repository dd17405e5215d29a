/* SPDX-License-Identifier: ISC */
/*
 * -bs: the server side of RFC 5321 on a pipe.
 *
 *	state		command			goes to
 *	idle		HELO/EHLO, RSET		idle (transaction cleared)
 *	idle		MAIL			mail
 *	mail		RCPT (accepted)		rcpt
 *	rcpt		RCPT			rcpt
 *	rcpt		DATA			data: 354, lines up to ".",
 *						then 250/554/451 and idle
 *	any		RSET, HELO/EHLO		idle
 *	any		QUIT			221, return
 *	any		end of input		transaction dropped, return
 *
 * Recipients are kept in memory until DATA, so that a transaction the
 * client abandons leaves nothing in the spool, and a spool entry is
 * created only when there is a message to put in it. The 250 after
 * the data is sent only once msg_end() has made the entry durable.
 *
 * Input is read in IO_CHUNK pieces and commands are taken from that
 * buffer one by one; replies are buffered and written only before the
 * next blocking read (or when the reply buffer fills), so that a
 * pipelined batch of commands gets its replies in one write.
 * Message data is streamed: a line is never held whole, only whether
 * the next byte starts a line.
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "dotstuff.h"
#include "esmtp.h"
#include "log.h"
#include "message.h"
#include "posta.h"
#include "sender.h"
#include "smtpd.h"
#include "util.h"

#define CMD_MAX	   2048	 /* octets of one command line, without CR LF */
#define OUT_MAX	   16384 /* replies buffered before a write */
#define NOTIFY_MAX 32	 /* "SUCCESS,FAILURE,DELAY" and room */
#define REASON_MAX 400	 /* error text put into one reply line */

struct txn {
	int mail;		   /* MAIL accepted */
	char sender[MAX_ADDR + 1]; /* "" is the null sender */
	struct esmtp_mail par;	   /* its parameters */
	char notify[NOTIFY_MAX];   /* first NOTIFY=, or "" */
	char **rcpts;		   /* resolved, qualified */
	size_t nrcpts, cap;
};

struct smtpd {
	int infd, outfd;
	const struct smtpd_params *p;
	struct perr *err;
	int dead;	/* output failed: stop */
	int indata;	/* reading message data */
	long ncmds;	/* command lines so far */
	int esmtp;	/* the client said EHLO */
	char helo[256]; /* what it said in EHLO/HELO */
	char host[256];
	struct txn tx;
	size_t ipos, ilen, olen;
	char in[IO_CHUNK];
	char data[IO_CHUNK + 1]; /* unstuffed */
	char out[OUT_MAX];
};

/* Result of reading one command line. */
enum line_rc { L_EOF, L_LINE, L_LONG, L_ERR };

static int
flush_out(struct smtpd *s)
{
	if (s->dead)
		return -1;
	if (s->olen > 0 && write_all(s->outfd, s->out, s->olen) == -1) {
		s->dead = 1;
		return perr_set(s->err, EX_IOERR,
		    "-bs: cannot write a reply: "
		    "%s",
		    strerror(errno));
	}
	s->olen = 0;
	return 0;
}

/* Queue one reply line; the text is made one line of printable bytes. */
static void PRINTF(2, 3)
reply(struct smtpd *s, const char *fmt, ...)
{
	char line[MAX_REPLY_LINE];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = esmtp_reply_vfmt(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->olen + n > sizeof(s->out) && flush_out(s) == -1)
		return;
	memcpy(s->out + s->olen, line, n);
	s->olen += n;
}

static int
stopping(const struct smtpd *s)
{
	return s->p->lim != NULL && s->p->lim->stop != NULL && *s->p->lim->stop;
}

/* A limit ends the dialogue: say so to the client, -1 with err. */
static int
limit_end(struct smtpd *s, const char *code, const char *what)
{
	reply(s, "%s %s %s, closing the connection", code, s->host, what);
	(void)flush_out(s);
	return perr_set(s->err, EX_TEMPFAIL, "-bs: %s", what);
}

/*
 * With limits, wait for input at most timeout seconds, and while a
 * command is awaited, only until asked to stop. The wait is cut into
 * one-second slices, so that a stop signal that arrives just before
 * poll() is noticed in time. 0 when input is there, -1 with err.
 */
static int
wait_input(struct smtpd *s)
{
	const struct smtpd_limits *lim = s->p->lim;
	struct pollfd pfd;
	double left, end;
	int ms;

	if (lim == NULL)
		return 0;
	end = mono_now() + lim->timeout;
	for (;;) {
		if (!s->indata && stopping(s))
			return limit_end(s, "421 4.3.2", "shutting down");
		ms = 1000;
		if (lim->timeout > 0) {
			if ((left = end - mono_now()) <= 0)
				return limit_end(s, "421 4.4.2",
				    "idle too long");
			if (left < 1.0)
				ms = (int)(left * 1000) + 1;
		}
		pfd.fd = s->infd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		switch (poll(&pfd, 1, ms)) {
		case -1:
			if (errno != EINTR)
				return perr_set(s->err, EX_IOERR,
				    "-bs: cannot "
				    "wait for input: %s",
				    strerror(errno));
			break;
		case 0:
			break;
		default:
			return 0;
		}
	}
}

/*
 * Read more input after what is buffered. Pending replies go out
 * first: the client may be waiting for them before it sends more.
 * Returns the number of octets read, 0 at end of input, -1 on error.
 */
static ssize_t
read_more(struct smtpd *s)
{
	ssize_t n;

	if (flush_out(s) == -1)
		return -1;
	if (s->ipos > 0) {
		memmove(s->in, s->in + s->ipos, s->ilen - s->ipos);
		s->ilen -= s->ipos;
		s->ipos = 0;
	}
	if (wait_input(s) == -1)
		return -1;
	for (;;) {
		n = read(s->infd, s->in + s->ilen, sizeof(s->in) - s->ilen);
		if (n >= 0)
			break;
		if (errno != EINTR)
			return perr_set(s->err, EX_IOERR,
			    "-bs: cannot read "
			    "the input: %s",
			    strerror(errno));
	}
	s->ilen += (size_t)n;
	return n;
}

/*
 * Take the next command line out of the input buffer, NUL-terminated
 * without its line end. A line over CMD_MAX is skipped up to its end
 * and reported as L_LONG. An unterminated line at end of input is
 * dropped, as a connection closed mid-command would be.
 */
static enum line_rc
next_line(struct smtpd *s, char **line, size_t *linelen)
{
	char *nl;
	size_t len;
	ssize_t n;
	int toolong = 0;

	for (;;) {
		nl = memchr(s->in + s->ipos, '\n', s->ilen - s->ipos);
		if (nl != NULL)
			break;
		if (s->ilen - s->ipos > CMD_MAX + 1) {
			/* keep nothing of it: only its end matters now */
			toolong = 1;
			s->ipos = s->ilen = 0;
		}
		if ((n = read_more(s)) <= 0)
			return n == 0 ? L_EOF : L_ERR;
	}
	len = (size_t)(nl - (s->in + s->ipos));
	*line = s->in + s->ipos;
	s->ipos += len + 1;
	if (len > 0 && (*line)[len - 1] == '\r')
		len--;
	(*line)[len] = '\0';
	*linelen = len;
	return toolong || len > CMD_MAX ? L_LONG : L_LINE;
}

static void
txn_reset(struct txn *tx)
{
	size_t i;

	for (i = 0; i < tx->nrcpts; i++)
		free(tx->rcpts[i]);
	free(tx->rcpts);
	memset(tx, 0, sizeof(*tx));
}

/* MAIL FROM parameters (RFC 1870, 6152, 6531, 3461). */
static int
mail_params(struct smtpd *s, char *params)
{
	const char *key = "";

	switch (esmtp_mail_parse(params, &s->tx.par, &key)) {
	case 0:
		return 0;
	case 1:
		reply(s, "555 5.5.4 MAIL parameter %.64s is not supported",
		    key);
		return -1;
	default:
		reply(s, "501 5.5.4 invalid value for MAIL parameter %.64s",
		    key);
		return -1;
	}
}

/* The envelope sender posta uses for what the client gave (sender.h). */
static int
choose_sender(struct smtpd *s, const char *given)
{
	const char *why;

	if (s->p->sender != NULL)
		given = s->p->sender; /* -f wins over MAIL FROM */
	if (sender_envelope(s->p->cfg, given, s->tx.sender,
		sizeof(s->tx.sender), &why) == -1) {
		reply(s, "501 5.1.7 <%.200s>: %s", s->tx.sender, why);
		return -1;
	}
	return 0;
}

static void
cmd_mail(struct smtpd *s, char *args)
{
	char addr[MAX_ADDR + 1], *params;
	const char *why;

	if (s->tx.mail) {
		reply(s, "503 5.5.1 MAIL already given; RSET first");
		return;
	}
	if (esmtp_path_parse(args, "FROM:", addr, sizeof(addr), &params) ==
	    -1) {
		reply(s, "501 5.5.4 syntax: MAIL FROM:<address> [parameters]");
		return;
	}
	if (addr_check_envelope(addr, 1, &why) == -1) {
		reply(s, "501 5.1.7 <%.200s>: %s", addr, why);
		return;
	}
	if (mail_params(s, params) == -1 || choose_sender(s, addr) == -1) {
		txn_reset(&s->tx);
		return;
	}
	s->tx.mail = 1;
	reply(s, "250 2.1.0 Ok");
}

/* alias_resolve() output, gathered before any of it is kept. */
struct rlist {
	char **v;
	size_t n, cap, room;
	int nomem;
};

static int
rlist_cb(const char *addr, void *arg)
{
	struct rlist *l = arg;
	char **nv;
	size_t ncap;

	if (l->n >= l->room)
		return 1; /* over MAX_RCPTS */
	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 4 : l->cap * 2;
		if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) == NULL) {
			l->nomem = 1;
			return 2;
		}
		l->v = nv;
		l->cap = ncap;
	}
	if ((l->v[l->n] = strdup(addr)) == NULL) {
		l->nomem = 1;
		return 2;
	}
	l->n++;
	return 0;
}

static void
rlist_free(struct rlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Move the resolved addresses into the transaction. */
static int
keep_rcpts(struct txn *tx, struct rlist *l)
{
	char **nv;
	size_t ncap, i;

	if (tx->nrcpts + l->n > tx->cap) {
		ncap = tx->cap == 0 ? 8 : tx->cap;
		while (ncap < tx->nrcpts + l->n)
			ncap *= 2;
		if ((nv = reallocarray(tx->rcpts, ncap, sizeof(*nv))) == NULL)
			return -1;
		tx->rcpts = nv;
		tx->cap = ncap;
	}
	for (i = 0; i < l->n; i++)
		tx->rcpts[tx->nrcpts++] = l->v[i];
	l->n = 0;
	return 0;
}

/* RCPT TO parameters: NOTIFY (kept, see below) and ORCPT (checked). */
static int
rcpt_params(struct smtpd *s, char *params, const char **notify)
{
	const char *key = "";

	switch (esmtp_rcpt_parse(params, notify, &key)) {
	case 0:
		return 0;
	case 1:
		reply(s, "555 5.5.4 RCPT parameter %.64s is not supported",
		    key);
		return -1;
	default:
		reply(s, "501 5.5.4 invalid value for RCPT parameter %.64s",
		    key);
		return -1;
	}
}

static void
cmd_rcpt(struct smtpd *s, char *args)
{
	struct rlist l = { NULL, 0, 0, 0, 0 };
	struct perr e = { 0, "" };
	char addr[MAX_ADDR + 1], *params;
	const char *why, *notify;
	size_t i;
	int r;

	if (!s->tx.mail) {
		reply(s, "503 5.5.1 need MAIL before RCPT");
		return;
	}
	if (esmtp_path_parse(args, "TO:", addr, sizeof(addr), &params) == -1) {
		reply(s, "501 5.5.4 syntax: RCPT TO:<address> [parameters]");
		return;
	}
	if (addr_check_envelope(addr, 0, &why) == -1) {
		reply(s, "501 5.1.3 <%.200s>: %s", addr, why);
		return;
	}
	if (rcpt_params(s, params, &notify) == -1)
		return;
	if (s->tx.nrcpts >= MAX_RCPTS) {
		reply(s, "452 4.5.3 too many recipients");
		return;
	}
	l.room = MAX_RCPTS - s->tx.nrcpts;
	r = alias_resolve(s->p->cfg, addr, rlist_cb, &l, &e);
	if (r == 1) {
		reply(s, "452 4.5.3 too many recipients");
		goto out;
	}
	if (r != 0) {
		if (l.nomem)
			reply(s, "451 4.3.0 out of memory");
		else
			reply(s, "550 5.1.1 %.*s", REASON_MAX, e.msg);
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		if (addr_check_envelope(l.v[i], 0, &why) == -1) {
			reply(s,
			    "550 5.1.1 <%.200s> ([aliases] of <%.200s>): "
			    "%s",
			    l.v[i], addr, why);
			goto out;
		}
	}
	if (keep_rcpts(&s->tx, &l) == -1) {
		reply(s, "451 4.3.0 out of memory");
		goto out;
	}
	/*
	 * The envelope has one NOTIFY for the whole message: the first
	 * recipient that asks for one sets it for all.
	 */
	if (notify != NULL && s->tx.notify[0] == '\0')
		(void)xstrlcpy(s->tx.notify, notify, sizeof(s->tx.notify));
	reply(s, "250 2.1.5 Ok");
out:
	rlist_free(&l);
}

/*
 * Read the message up to the lone "." line, unstuffed (dotstuff.h).
 * Everything else goes to intake as it came; intake normalises line
 * ends, so what is queued (and later sent upstream, stuffed again) is
 * exactly what was read here, and no other server can see a different
 * end of data in it. Once a write failed (werr), the rest is read and
 * dropped. Returns 1 at the end of the data, 0 at end of input, -1 on
 * a read error.
 */
static int
read_data(struct smtpd *s, struct msg *m, struct perr *werr)
{
	struct dotunstuff u;
	size_t n, used;
	ssize_t r;
	int done;

	dotunstuff_init(&u);
	for (;;) {
		if (s->ipos == s->ilen && (r = read_more(s)) <= 0)
			return r == 0 ? 0 : -1;
		n = dotunstuff_run(&u, s->in + s->ipos, s->ilen - s->ipos,
		    s->data, &used, &done);
		s->ipos += used;
		if (n > 0 && werr->code == 0)
			(void)msg_write(m, s->data, n, werr);
		if (done)
			return 1;
	}
}

static struct msg *
data_begin(struct smtpd *s, struct perr *e)
{
	struct msg_params mp;
	struct msg *m;
	size_t i;

	memset(&mp, 0, sizeof(mp));
	mp.cfg = s->p->cfg;
	mp.sender = s->tx.sender;
	mp.from_addr = s->tx.sender[0] != '\0' ? s->tx.sender :
						 s->p->default_from;
	mp.fullname = NULL;
	mp.from_headers = 0;
	mp.dot_ends = 0;
	mp.body8bit = s->tx.par.body8bit;
	mp.dsn_ret = s->tx.par.ret;
	mp.dsn_envid = s->tx.par.envid[0] != '\0' ? s->tx.par.envid : NULL;
	mp.dsn_notify = s->tx.notify[0] != '\0' ? s->tx.notify : NULL;
	mp.max_size = s->p->lim != NULL ? s->p->lim->max_size : 0;
	mp.protocol = s->esmtp ? "ESMTP" : "SMTP";
	mp.client = s->p->client;
	mp.client_helo = s->helo[0] != '\0' ? s->helo : NULL;
	if ((m = msg_begin(s->p->sp, &mp, e)) == NULL)
		return NULL;
	for (i = 0; i < s->tx.nrcpts; i++) {
		if (msg_add_rcpt(m, s->tx.rcpts[i], e) == -1) {
			msg_abort(m);
			return NULL;
		}
	}
	return m;
}

/* After the data: queue, or say why not. */
static void
data_end(struct smtpd *s, struct msg *m)
{
	struct spool_entry ent;
	struct perr e = { 0, "" };
	char id[sizeof(ent.id)];

	if (msg_end(m, &ent, &e) == 0) {
		(void)xstrlcpy(id, ent.id, sizeof(id));
		reply(s, "250 2.0.0 Ok: queued as %s", id);
		log_info("%s: queued by -bs from <%s> for %zu recipient%s", id,
		    s->tx.sender, s->tx.nrcpts, s->tx.nrcpts == 1 ? "" : "s");
		spool_release(&ent);
		/* the 250 is on its way before anyone acts on the entry */
		(void)flush_out(s);
		if (s->p->accepted != NULL)
			s->p->accepted(s->p->arg, id);
		return;
	}
	if (ent.id[0] != '\0') {
		/* kept in failed/ by msg_end: a permanent refusal */
		log_warnx("%s: -bs message refused: %s", ent.id, e.msg);
		reply(s, "554 5.6.0 %.*s", REASON_MAX, e.msg);
	} else if (e.code == EX_DATAERR) {
		/* over max_size: nothing was kept */
		log_warnx("-bs message not queued: %s", e.msg);
		reply(s, "552 5.3.4 %.*s", REASON_MAX, e.msg);
	} else {
		log_warnx("-bs message not queued: %s", e.msg);
		reply(s, "451 4.3.0 %.*s", REASON_MAX, e.msg);
	}
}

/* DATA: 1 when the dialogue goes on, 0 at end of input, -1 on error. */
static int
cmd_data(struct smtpd *s, char *args)
{
	struct perr e = { 0, "" }, werr = { 0, "" };
	struct msg *m;
	int r;

	if (*args != '\0') {
		reply(s, "501 5.5.4 syntax: DATA");
		return 1;
	}
	if (!s->tx.mail) {
		reply(s, "503 5.5.1 need MAIL and RCPT before DATA");
		return 1;
	}
	if (s->tx.nrcpts == 0) {
		reply(s, "554 5.5.1 no valid recipients");
		return 1;
	}
	if ((m = data_begin(s, &e)) == NULL) {
		reply(s, "451 4.3.0 %.*s", REASON_MAX, e.msg);
		txn_reset(&s->tx);
		return 1;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	s->indata = 1;
	r = read_data(s, m, &werr);
	s->indata = 0;
	if (r == 1)
		data_end(s, m);
	else
		msg_abort(m); /* never acknowledged: keep nothing */
	txn_reset(&s->tx);
	return r;
}

static void
cmd_ehlo(struct smtpd *s, const char *args, int extended)
{
	if (*args == '\0') {
		reply(s, "501 5.5.4 syntax: %s hostname",
		    extended ? "EHLO" : "HELO");
		return;
	}
	txn_reset(&s->tx);
	s->esmtp = extended;
	/* for Received: only; message.c checks what it is */
	if (xstrlcpy(s->helo, args, sizeof(s->helo)) == -1)
		s->helo[0] = '\0';
	if (!extended) {
		reply(s, "250 %s", s->host);
		return;
	}
	reply(s, "250-%s", s->host);
	reply(s, "250-PIPELINING");
	reply(s, "250-8BITMIME");
	reply(s, "250-SIZE %lld", s->p->lim != NULL ? s->p->lim->max_size : 0);
	reply(s, "250-SMTPUTF8");
	reply(s, "250-DSN");
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250 HELP");
}

/* One command line: 1 to go on, 0 after QUIT or at end of input, -1 on error. */
static int
dispatch(struct smtpd *s, char *line)
{
	static const char *const unoffered[] = { "STARTTLS", "AUTH", "ETRN",
		"EXPN", "TURN", "ATRN", "BDAT", "SEND", "SOML", "SAML" };
	size_t len, i;
	char *args;

	args = esmtp_args(line, &len);
	if (esmtp_word_is(line, len, "EHLO"))
		cmd_ehlo(s, args, 1);
	else if (esmtp_word_is(line, len, "HELO"))
		cmd_ehlo(s, args, 0);
	else if (esmtp_word_is(line, len, "MAIL"))
		cmd_mail(s, args);
	else if (esmtp_word_is(line, len, "RCPT"))
		cmd_rcpt(s, args);
	else if (esmtp_word_is(line, len, "DATA"))
		return cmd_data(s, args);
	else if (esmtp_word_is(line, len, "RSET")) {
		txn_reset(&s->tx);
		reply(s, "250 2.0.0 Ok");
	} else if (esmtp_word_is(line, len, "NOOP"))
		reply(s, "250 2.0.0 Ok");
	else if (esmtp_word_is(line, len, "QUIT")) {
		reply(s, "221 2.0.0 Bye");
		return 0;
	} else if (esmtp_word_is(line, len, "VRFY"))
		reply(s, "252 2.5.0 cannot VRFY; try RCPT");
	else if (esmtp_word_is(line, len, "HELP"))
		reply(s,
		    "214 2.0.0 posta -bs: HELO EHLO MAIL RCPT DATA RSET "
		    "NOOP QUIT VRFY HELP; see posta(8)");
	else {
		for (i = 0; i < nitems(unoffered); i++)
			if (esmtp_word_is(line, len, unoffered[i]))
				break;
		if (i < nitems(unoffered))
			reply(s, "502 5.5.1 %s is not offered here",
			    unoffered[i]);
		else
			reply(s, "500 5.5.2 unknown command");
	}
	return 1;
}

static void
set_host(struct smtpd *s)
{
	const char *helo = s->p->cfg->helo;

	if (helo != NULL && helo[0] != '\0' && !has_ctl(helo) &&
	    strchr(helo, ' ') == NULL &&
	    xstrlcpy(s->host, helo, sizeof(s->host)) == 0)
		return;
	host_name(s->host, sizeof(s->host));
}

int
smtpd_run(int infd, int outfd, const struct smtpd_params *p, struct perr *err)
{
	struct smtpd *s;
	enum line_rc lr;
	char *line;
	size_t len;
	int r = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	s->infd = infd;
	s->outfd = outfd;
	s->p = p;
	s->err = err;
	set_host(s);
	reply(s, "220 %s ESMTP posta", s->host);
	while (r == 1 && !s->dead) {
		if (stopping(s)) {
			r = limit_end(s, "421 4.3.2", "shutting down");
			break;
		}
		lr = next_line(s, &line, &len);
		if ((lr == L_LINE || lr == L_LONG) && p->lim != NULL &&
		    p->lim->max_commands > 0 &&
		    ++s->ncmds > p->lim->max_commands) {
			r = limit_end(s, "421 4.7.0", "too many commands");
			break;
		}
		switch (lr) {
		case L_EOF:
			r = 0;
			break;
		case L_ERR:
			r = -1;
			break;
		case L_LONG:
			reply(s, "500 5.5.2 line too long");
			break;
		case L_LINE:
			if (strlen(line) != len)
				reply(s, "501 5.5.4 NUL octet in command");
			else
				r = dispatch(s, line);
			break;
		}
	}
	if (r != -1 && flush_out(s) == -1)
		r = -1;
	if (s->dead)
		r = -1;
	txn_reset(&s->tx);
	free(s);
	return r == -1 ? -1 : 0;
}
