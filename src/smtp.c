/* SPDX-License-Identifier: ISC */
/*
 * SMTP client mechanism: session set-up (greeting, EHLO, STARTTLS,
 * AUTH), mail transactions with bounded pipelining and streamed DATA,
 * and the -v transcript. It reports replies; deliver.c judges them.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "auth.h"
#include "conn.h"
#include "dotstuff.h"
#include "esmtp.h"
#include "oauth.h"
#include "posta.h"
#include "secret.h"
#include "smtp.h"
#include "tlsparams.h"
#include "util.h"

/*
 * The session, as the -v transcript shows it:
 *
 *   connect -> [TLS, implicit] -> greeting 220 -> EHLO (HELO when refused,
 *   only without TLS and AUTH) -> [STARTTLS 220 -> TLS -> EHLO again]
 *   -> [AUTH ... 334 ... 235] -> ready
 *
 * and then, for each transaction:
 *
 *   [RSET] MAIL RCPT... (pipelined in windows) -> DATA 354 -> message
 *   -> final reply; or RSET when no recipient was accepted.
 *
 * Server lines are shown as "<<< ", ours as ">>> ", events as "*** ".
 */

#define CMD_MAX 2048 /* MAIL FROM with an address and every parameter */
/* base64 of a saslname user (3 x 1024), host and port, and MAX_SECRET */
#define AUTH_RESP_MAX  (4 * ((3 * 1024 + MAX_SECRET + 400) / 3) + 8)
#define AUTH_MAX_STEPS 8 /* 334 challenges before we give up */

/* Slots of one transaction's command sequence. */
#define SLOT_RSET 0
#define SLOT_MAIL 1
#define SLOT_RCPT 2

/* One transcript line on stderr with -v; control characters blanked. */
static void PRINTF(2, 3)
trace(const struct smtp *s, const char *fmt, ...)
{
	char line[CMD_MAX + 16];
	va_list ap;

	if (!s->verbose)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* a hostile server must not drive the terminal */
	str_blank_term(line);
	(void)fprintf(stderr, "%s\n", line);
}

/* "host:port", for messages. */
static const char *
peer(const struct smtp *s)
{
	return conn_peer(&s->conn);
}

/* err from a callee, prefixed with the upstream unless it names it. */
static int
wrap(const struct smtp *s, struct perr *err, const struct perr *e)
{
	size_t n = strlen(peer(s));
	int code = e->code != 0 ? e->code : EX_SOFTWARE;

	if (strncmp(e->msg, peer(s), n) == 0 && e->msg[n] == ':')
		return perr_set(err, code, "%s", e->msg);
	return perr_set(err, code, "%s: %s", peer(s), e->msg);
}

/* A reply that ends the session set-up: into *last and err. */
static int
refused(const struct smtp *s, struct perr *err, struct esmtp_reply *last,
    const struct esmtp_reply *r, const char *what)
{
	char line[MAX_REPLY_TEXT + 16];

	if (last != NULL)
		*last = *r;
	return perr_set(err, EX_TEMPFAIL, "%s: %s: %s", peer(s), what,
	    esmtp_reply_line(r, line, sizeof(line)));
}

/*
 * Queue one command line. Anything that would not fit or would carry
 * a line break is refused: it could smuggle a second command.
 */
static int PRINTF(3, 4)
smtp_cmd(struct smtp *s, struct perr *err, const char *fmt, ...)
{
	char line[CMD_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2) {
		s->broken = 1;
		return perr_set(err, EX_DATAERR, "%s: command too long",
		    peer(s));
	}
	if (has_ctl(line)) {
		s->broken = 1;
		return perr_set(err, EX_DATAERR,
		    "%s: refusing to send a command with control characters",
		    peer(s));
	}
	trace(s, ">>> %s", line);
	(void)snprintf(s->awaiting, sizeof(s->awaiting), "reply to %.*s",
	    (int)strcspn(line, " "), line);
	memcpy(line + n, "\r\n", 2);
	if (conn_write(&s->conn, line, (size_t)n + 2, err) == -1) {
		s->broken = 1;
		return -1;
	}
	return 0;
}

/*
 * Read one whole reply into r, all its lines within one timeout. With
 * redact, 334 lines (SASL challenges) are not shown. A 421 means the
 * server is closing: the session cannot carry another command.
 */
static int
smtp_read(struct smtp *s, struct esmtp_reply *r, int redact, struct perr *err)
{
	char line[MAX_REPLY_LINE + 1], *nul;
	struct perr e = { 0, "" };
	ssize_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	conn_step(&s->conn);
	do {
		if ((n = conn_getline(&s->conn, line, sizeof(line), &e)) ==
		    -1) {
			s->broken = 1;
			/* which step the caller's time budget ran out in */
			if (conn_limit_passed(&s->conn))
				return perr_set(err, EX_TEMPFAIL,
				    "%s: waiting "
				    "for the %s: time budget of the delivery "
				    "(send_timeout) exhausted",
				    peer(s), s->awaiting);
			return perr_set(err, e.code, "%s", e.msg);
		}
		/* a NUL would cut the line short here and in every message */
		while ((nul = memchr(line, '\0', (size_t)n)) != NULL)
			*nul = ' ';
		if (redact && strncmp(line, "334", 3) == 0)
			trace(s, "<<< 334 <redacted>");
		else
			trace(s, "<<< %s", line);
		rc = esmtp_reply_feed(r, line, &e);
		if (rc == -1) {
			s->broken = 1;
			return wrap(s, err, &e);
		}
	} while (rc == 0);
	if (r->code == 421)
		s->broken = 1;
	return 0;
}

static int
smtp_tls(struct smtp *s, const struct config *cfg, struct perr *err)
{
	struct tls_params p;
	struct perr e = { 0, "" };
	char cache[4096], peer[400];

	memset(&p, 0, sizeof(p));
	p.servername = cfg->host;
	p.ca_file = cfg->ca_file;
	p.pin = cfg->has_pin ? cfg->pin : NULL;
	p.cert_file = cfg->cert_file;
	p.key_file = cfg->key_file;
	p.min_version = cfg->tls_min_version;
	/* the session of the last connection, kept with the queue */
	if (xsnprintf(cache, sizeof(cache), "%s/tls/session", cfg->spooldir) ==
		0 &&
	    xsnprintf(peer, sizeof(peer), "%s %s", conn_peer(&s->conn),
		cfg->tls == TLS_IMPLICIT ? "implicit" : "starttls") == 0) {
		p.session_file = cache;
		p.session_peer = peer;
	}
	if (conn_start_tls(&s->conn, &p, &e) == -1) {
		s->broken = 1;
		return wrap(s, err, &e);
	}
	trace(s, "*** TLS %s", conn_tls_describe(&s->conn));
	(void)xstrlcpy(s->tls_version, conn_tls_version(&s->conn),
	    sizeof(s->tls_version));
	return 0;
}

/* EHLO, or HELO when EHLO is refused and allowed is set; keywords into s. */
static int
smtp_hello(struct smtp *s, const struct config *cfg, int allowed,
    struct esmtp_reply *last, struct perr *err)
{
	struct esmtp_reply r;
	char name[256];

	if (cfg->helo != NULL && cfg->helo[0] != '\0')
		(void)xstrlcpy(name, cfg->helo, sizeof(name));
	else
		host_name(name, sizeof(name));
	/* what a server said before STARTTLS counts for nothing after it */
	s->ext = 0;
	s->size_max = 0;
	s->auth_offer[0] = '\0';

	if (smtp_cmd(s, err, "EHLO %s", name) == -1 ||
	    smtp_read(s, &r, 0, err) == -1)
		return -1;
	if (r.code / 100 == 2) {
		s->ext = esmtp_ehlo_parse(r.text, &s->size_max, s->auth_offer,
		    sizeof(s->auth_offer));
		return 0;
	}
	if (r.code / 100 != 5 || !allowed)
		return refused(s, err, last, &r, "EHLO refused");
	if (smtp_cmd(s, err, "HELO %s", name) == -1 ||
	    smtp_read(s, &r, 0, err) == -1)
		return -1;
	if (r.code / 100 != 2)
		return refused(s, err, last, &r, "HELO refused");
	return 0;
}

static int
smtp_starttls(struct smtp *s, const struct config *cfg,
    struct esmtp_reply *last, struct perr *err)
{
	struct esmtp_reply r;

	/* no silent downgrade: without STARTTLS nothing else is sent */
	if (!(s->ext & ESMTP_EXT_STARTTLS))
		return perr_set(err, EX_TEMPFAIL,
		    "%s: upstream does not "
		    "offer STARTTLS; not sending credentials or mail",
		    peer(s));
	if (smtp_cmd(s, err, "STARTTLS") == -1 ||
	    smtp_read(s, &r, 0, err) == -1)
		return -1;
	if (r.code != 220)
		return refused(s, err, last, &r, "STARTTLS refused");
	if (smtp_tls(s, cfg, err) == -1)
		return -1;
	return smtp_hello(s, cfg, 0, last, err);
}

/* "AUTH MECH [initial]" or a continuation line; secrets never traced. */
static int
auth_send(struct smtp *s, const char *mech, const char *resp, struct perr *err)
{
	int rc = 0;

	if (mech != NULL) {
		trace(s, ">>> AUTH %s%s", mech,
		    resp[0] != '\0' ? " <redacted>" : "");
		if (conn_write(&s->conn, "AUTH ", 5, err) == -1 ||
		    conn_write(&s->conn, mech, strlen(mech), err) == -1 ||
		    (resp[0] != '\0' &&
			conn_write(&s->conn, " ", 1, err) == -1))
			rc = -1;
	} else
		trace(s, ">>> <redacted>");
	(void)xstrlcpy(s->awaiting, "reply to AUTH", sizeof(s->awaiting));
	if (rc == 0 &&
	    (conn_write(&s->conn, resp, strlen(resp), err) == -1 ||
		conn_write(&s->conn, "\r\n", 2, err) == -1))
		rc = -1;
	if (rc == -1)
		s->broken = 1;
	return rc;
}

/* With [oauth], the token from its cache; else the configured password. */
static int
credential(const struct config *cfg, char *buf, size_t cap, struct perr *err)
{
	if (cfg->oauth.set)
		return oauth_token(cfg, 0, buf, cap, err);
	return secret_get(cfg, buf, cap, err);
}

/* Tokens make these big: kept off the stack, wiped before free. */
struct auth_bufs {
	char secret[MAX_SECRET + 1];
	char resp[AUTH_RESP_MAX];
};

/*
 * The SASL dialogue (RFC 4954) with the buffers wiped on every path.
 * given is the secret to offer, or NULL to fetch it here.
 */
static int
smtp_auth(struct smtp *s, const struct config *cfg, const char *given,
    struct esmtp_reply *last, struct perr *err)
{
	struct auth_bufs *b;
	const char *secret;
	char *resp, what[64];
	struct perr e = { 0, "" };
	struct esmtp_reply r;
	enum auth_mech mech;
	struct auth a;
	const char *name;
	int steps, inline_ok, rc = -1;

	memset(&a, 0, sizeof(a));
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	/*
	 * A token given was fetched before the connection: fetching it
	 * again could offer another one (the cache renewed meanwhile),
	 * and a refusal would then be blamed on the wrong token.
	 */
	secret = given != NULL ? given : b->secret;
	resp = b->resp;
	a.host = cfg->host;
	a.port = cfg->port;
	if (!conn_is_tls(&s->conn)) {
		perr_set(err, EX_CONFIG,
		    "%s: not sending credentials "
		    "without TLS (tls = none)",
		    peer(s));
		goto out;
	}
	if (!(s->ext & ESMTP_EXT_AUTH)) {
		perr_set(err, EX_TEMPFAIL, "%s: upstream does not offer AUTH",
		    peer(s));
		goto out;
	}
	if (auth_pick(s->auth_offer, cfg->auth, &mech, &e) == -1 ||
	    (given == NULL &&
		credential(cfg, b->secret, sizeof(b->secret), &e) == -1) ||
	    auth_start(&a, mech, cfg->username, secret, resp, sizeof(b->resp),
		&e) == -1) {
		wrap(s, err, &e);
		goto out;
	}
	name = auth_name(mech);
	inline_ok = auth_initial_fits(name, resp);
	if (auth_send(s, name, inline_ok ? resp : "", err) == -1)
		goto out;
	for (steps = 0;; steps++) {
		if (smtp_read(s, &r, 1, err) == -1)
			goto out;
		if (r.code != 334)
			break;
		if (steps == AUTH_MAX_STEPS) {
			s->broken = 1;
			perr_set(err, EX_PROTOCOL,
			    "%s: AUTH %s: more than %d "
			    "challenges",
			    peer(s), name, AUTH_MAX_STEPS);
			goto out;
		}
		if (!inline_ok) {
			/* RFC 4954 4: the long initial response goes here */
			inline_ok = 1;
			if (auth_send(s, NULL, resp, err) == -1)
				goto out;
			continue;
		}
		if (auth_step(&a, r.text, resp, sizeof(b->resp), &e) == -1) {
			/* RFC 4954 4: "*" cancels; the 501 that follows is moot */
			wrap(s, err, &e);
			perr_clear(&e);
			if (smtp_cmd(s, &e, "*") == 0)
				(void)smtp_read(s, &r, 0, &e);
			goto out;
		}
		if (auth_send(s, NULL, resp, err) == -1)
			goto out;
	}
	(void)snprintf(what, sizeof(what), "AUTH %s failed", name);
	if (r.code != 235) {
		/* a wrong password is temporary too: the mail stays queued */
		s->auth_refused = 1;
		refused(s, err, last, &r, what);
		goto out;
	}
	if (auth_finish(&a, r.text, &e) == -1) {
		wrap(s, err, &e);
		goto out;
	}
	s->auth_mech = name;
	rc = 0;
out:
	auth_clear(&a);
	secret_wipe(b, sizeof(*b));
	free(b);
	/* the AUTH lines went through conn's write buffer */
	conn_wipe_sent(&s->conn);
	return rc;
}

void
smtp_init(struct smtp *s)
{
	memset(s, 0, sizeof(*s));
	conn_init(&s->conn);
}

/*
 * On failure the connection is closed here (QUIT first when the
 * dialogue is still sane), so the caller has nothing to clean up.
 */
int
smtp_open(struct smtp *s, const struct config *cfg, const char *secret,
    int verbose, struct esmtp_reply *last, struct perr *err)
{
	struct esmtp_reply r;
	int helo_ok, rc = -1;

	smtp_init(s);
	s->verbose = verbose;
	if (last != NULL)
		memset(last, 0, sizeof(*last));

	/* a foreground delivery: no wait of the session goes past it */
	if (conn_open_until(&s->conn, cfg->host, cfg->port, cfg->timeout,
		cfg->deadline, err) == -1) {
		s->broken = 1;
		goto out;
	}
	trace(s, "*** connected to %s", peer(s));
	if (cfg->tls == TLS_IMPLICIT && smtp_tls(s, cfg, err) == -1)
		goto out;
	(void)xstrlcpy(s->awaiting, "greeting", sizeof(s->awaiting));
	if (smtp_read(s, &r, 0, err) == -1)
		goto out;
	if (r.code != 220) {
		refused(s, err, last, &r, "greeting");
		goto out;
	}
	helo_ok = cfg->tls == TLS_NONE &&
	    (cfg->username == NULL || cfg->username[0] == '\0');
	if (smtp_hello(s, cfg, helo_ok, last, err) == -1)
		goto out;
	if (cfg->tls == TLS_STARTTLS && smtp_starttls(s, cfg, last, err) == -1)
		goto out;
	if (cfg->username != NULL && cfg->username[0] != '\0' &&
	    smtp_auth(s, cfg, secret, last, err) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		smtp_close(s);
	return rc;
}

/* Refuse what must never reach the wire: checked before any command. */
static int
tx_check(const struct smtp *s, const struct smtp_tx *tx, struct perr *err)
{
	const char *notify;
	size_t i;

	if (has_ctl(tx->sender) || strlen(tx->sender) > MAX_ADDR)
		return perr_set(err, EX_DATAERR, "%s: unusable sender address",
		    peer(s));
	for (i = 0; i < tx->nrcpts; i++)
		if (has_ctl(tx->rcpts[i].addr) ||
		    strlen(tx->rcpts[i].addr) > MAX_ADDR)
			return perr_set(err, EX_DATAERR,
			    "%s: unusable recipient address", peer(s));
	notify = tx->notify;
	if (notify != NULL && !esmtp_notify_valid(notify))
		return perr_set(err, EX_DATAERR, "%s: bad DSN NOTIFY value",
		    peer(s));
	if (tx->dsn_ret != NULL && !esmtp_ret_valid(tx->dsn_ret))
		return perr_set(err, EX_DATAERR, "%s: bad DSN RET value",
		    peer(s));
	return 0;
}

/* The MAIL FROM parameters the server offers and the message wants. */
static int
tx_params(const struct smtp *s, const struct smtp_tx *tx, char *buf, size_t cap,
    struct perr *err)
{
	struct esmtp_mail m;

	memset(&m, 0, sizeof(m));
	m.size = (long long)tx->size;
	m.body8bit = tx->body8bit;
	m.smtputf8 = tx->smtputf8;
	m.ret = tx->dsn_ret;
	if ((s->ext & ESMTP_EXT_DSN) && tx->dsn_envid != NULL &&
	    xstrlcpy(m.envid, tx->dsn_envid, sizeof(m.envid)) == -1)
		return perr_set(err, EX_DATAERR,
		    "%s: DSN envelope id longer "
		    "than %d characters",
		    peer(s), ESMTP_ENVID_MAX);
	if (esmtp_mail_format(&m, s->ext, buf, cap) == -1)
		return perr_set(err, EX_DATAERR, "%s: MAIL parameters too long",
		    peer(s));
	return 0;
}

static int
tx_queue(struct smtp *s, const struct smtp_tx *tx, size_t slot,
    const char *params, struct perr *err)
{
	const struct smtp_rcpt *rc;

	if (slot == SLOT_RSET)
		return smtp_cmd(s, err, "RSET");
	if (slot == SLOT_MAIL)
		return smtp_cmd(s, err, "MAIL FROM:<%s>%s", tx->sender, params);
	rc = &tx->rcpts[slot - SLOT_RCPT];
	if ((s->ext & ESMTP_EXT_DSN) && tx->notify != NULL)
		return smtp_cmd(s, err, "RCPT TO:<%s> NOTIFY=%s", rc->addr,
		    tx->notify);
	return smtp_cmd(s, err, "RCPT TO:<%s>", rc->addr);
}

static int
tx_reply(struct smtp *s, struct smtp_tx *tx, size_t slot, struct perr *err)
{
	struct esmtp_reply one, *r = slot == SLOT_MAIL ? &tx->mail : &one;

	/* pipelined: the command sent last is not the one answered */
	(void)xstrlcpy(s->awaiting,
	    slot == SLOT_RSET	  ? "reply to RSET" :
		slot == SLOT_MAIL ? "reply to MAIL" :
				    "reply to RCPT",
	    sizeof(s->awaiting));
	if (smtp_read(s, r, 0, err) == -1)
		return -1;
	if (slot >= SLOT_RCPT) {
		/* only the code stays; the text is the caller's to keep */
		tx->rcpts[slot - SLOT_RCPT].code = r->code;
		if (tx->rcpt_reply != NULL)
			tx->rcpt_reply(tx->arg, slot - SLOT_RCPT, r);
	}
	if (slot == SLOT_RSET && r->code / 100 != 2) {
		/* the server lost track of the session: do not build on it */
		s->broken = 1;
		return refused(s, err, NULL, r, "RSET refused");
	}
	return 0;
}

/*
 * [RSET] MAIL RCPT...: with PIPELINING the commands go out in windows
 * (the first one with RSET and MAIL, then PIPELINE_WINDOW recipients
 * each), one write per window, and the replies are read in order.
 * Without it, one command and one reply at a time. Once MAIL is
 * refused no RCPT is sent.
 */
static int
tx_envelope(struct smtp *s, struct smtp_tx *tx, const char *params,
    struct perr *err)
{
	size_t next, first, k, nr, total = tx->nrcpts + SLOT_RCPT;
	int pipe = (s->ext & ESMTP_EXT_PIPELINING) != 0;

	next = s->ntx > 0 ? SLOT_RSET : SLOT_MAIL;
	s->ntx++;
	while (next < total) {
		first = next;
		nr = 0;
		do {
			if (tx_queue(s, tx, next, params, err) == -1)
				return -1;
			if (next++ >= SLOT_RCPT)
				nr++;
		} while (pipe && next < total && nr < PIPELINE_WINDOW);
		for (k = first; k < next; k++)
			if (tx_reply(s, tx, k, err) == -1)
				return -1;
		if (next > SLOT_MAIL && tx->mail.code / 100 != 2)
			break;
	}
	return 0;
}

/* DATA, the message from offset 0 through the dot-stuffer, the final reply. */
static int
tx_data(struct smtp *s, struct smtp_tx *tx, struct perr *err)
{
	char in[IO_CHUNK], out[2 * IO_CHUNK];
	struct dotstuff d;
	long long total = 0;
	ssize_t n;
	size_t m;

	if (smtp_cmd(s, err, "DATA") == -1 ||
	    smtp_read(s, &tx->data, 0, err) == -1)
		return -1;
	if (tx->data.code / 100 == 4 || tx->data.code / 100 == 5)
		return 0;
	if (tx->data.code != 354) {
		/*
		 * A 2xx or 3xx other than 354 took nothing: it must not
		 * read as the final reply. A server this confused is not
		 * trusted with another command.
		 */
		s->broken = 1;
		return refused(s, err, NULL, &tx->data,
		    "no 354 to DATA, message not sent");
	}
	/* from here on only the end marker or a dropped connection is safe */
	if (lseek(tx->fd, 0, SEEK_SET) == -1)
		return perr_set(err, EX_IOERR, "message file: %s",
		    strerror(errno));
	dotstuff_init(&d);
	for (;;) {
		n = read(tx->fd, in, sizeof(in));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return perr_set(err, EX_IOERR, "message file: %s",
			    strerror(errno));
		if (n == 0)
			break;
		total += n;
		m = dotstuff_run(&d, in, (size_t)n, out);
		if (conn_write(&s->conn, out, m, err) == -1)
			return -1;
	}
	m = dotstuff_end(&d, out);
	trace(s, ">>> (message, %lld octets)", total);
	trace(s, ">>> .");
	if (conn_write(&s->conn, out, m, err) == -1)
		return -1;
	/* the marker is handed over: the message may arrive from now on */
	tx->data_sent = 1;
	if (conn_flush(&s->conn, err) == -1)
		return -1;
	(void)xstrlcpy(s->awaiting, "reply to the final dot",
	    sizeof(s->awaiting));
	return smtp_read(s, &tx->data, 0, err);
}

/* RSET after a transaction that got no recipient; failure only breaks s. */
static void
tx_abort(struct smtp *s)
{
	struct perr e = { 0, "" };
	struct esmtp_reply r;

	if (s->broken)
		return;
	if (smtp_cmd(s, &e, "RSET") == -1 || smtp_read(s, &r, 0, &e) == -1 ||
	    r.code / 100 != 2)
		s->broken = 1;
}

int
smtp_send(struct smtp *s, struct smtp_tx *tx, struct perr *err)
{
	char params[CMD_MAX / 2];
	size_t i, accepted = 0;
	int rc = -1;

	tx->data_sent = 0;
	memset(&tx->mail, 0, sizeof(tx->mail));
	memset(&tx->data, 0, sizeof(tx->data));
	for (i = 0; i < tx->nrcpts; i++)
		tx->rcpts[i].code = 0;

	if (s->broken || !conn_is_open(&s->conn)) {
		s->broken = 1;
		return perr_set(err, EX_TEMPFAIL, "%s: the session was lost",
		    peer(s));
	}
	if (tx->smtputf8 && !(s->ext & ESMTP_EXT_SMTPUTF8))
		return perr_set(err, EX_UNAVAILABLE,
		    "%s: upstream does not "
		    "offer SMTPUTF8, which this message needs",
		    peer(s));
	if (tx_check(s, tx, err) == -1 ||
	    tx_params(s, tx, params, sizeof(params), err) == -1)
		return -1;

	if (tx_envelope(s, tx, params, err) == -1)
		goto out;
	for (i = 0; i < tx->nrcpts; i++)
		if (tx->rcpts[i].code / 100 == 2)
			accepted++;
	if (tx->mail.code / 100 != 2 || accepted == 0)
		tx_abort(s);
	else if (tx_data(s, tx, err) == -1)
		goto out;
	rc = 0;
out:
	/* mid-transaction nothing can be taken back: the session is done */
	if (rc == -1) {
		s->broken = 1;
		s->timedout = conn_timed_out(&s->conn);
	}
	return rc;
}

void
smtp_close(struct smtp *s)
{
	struct perr e = { 0, "" };
	struct esmtp_reply r;

	if (!conn_is_open(&s->conn))
		return;
	/* conn's timeout bounds the wait; the answer changes nothing */
	if (!s->broken && smtp_cmd(s, &e, "QUIT") == 0)
		(void)smtp_read(s, &r, 0, &e);
	conn_close(&s->conn);
	s->broken = 1;
}

void
smtp_abandon(struct smtp *s)
{
	conn_abandon(&s->conn);
	s->broken = 1;
}
