/* SPDX-License-Identifier: ISC */
/*
 * Intake, as a byte-at-a-time state machine over the input:
 *
 *	line ends	CR LF, LF and a bare CR all end a line; CR LF goes out
 *	lone dot	with dot_ends, a "." alone between an LF (or the
 *			start) and an LF or CR LF ends the input, as in
 *			sendmail and Postfix: a bare CR never ends it
 *	headers		buffered (at most MAX_HEADER_BLOCK) until the blank
 *			line, or until a line that is not a field, before
 *			which a blank line is inserted; then rewritten once
 *	body		streamed to the spool file through a fixed buffer
 *
 * A header section over the cap is not an excuse to lose the message:
 * it is kept, as received, in failed/ and the caller is told why.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "b64.h"
#include "buf.h"
#include "dlog.h"
#include "header.h"
#include "log.h"
#include "message.h"
#include "posta.h"
#include "qualify.h"
#include "util.h"

#define MAX_FROM_FIELD 8192 /* a From: field written here, folded */

enum phase { PH_HEADERS, PH_BODY, PH_RAW };

struct msg {
	struct spool *sp;
	struct msg_params p;
	struct spool_entry ent;
	enum phase phase;
	int cr, bol, lfbol, dotpend, dotcr, done, first_line;
	int has8bit;
	unsigned long long size;
	struct perr dataerr; /* keeps the message in failed/ */
	struct perr ioerr;   /* loses it: nothing acknowledged */
	struct buf hdr;	     /* the header section so far */
	uid_t uid;	     /* who submitted it */
	char user[64];	     /* their login name, or "" */
	size_t line_start;
	size_t olen;
	char out[IO_CHUNK];
};

static int rcpt_cb(const char *, void *);
static int out_put(struct msg *, const char *, size_t);
static int out_field(struct msg *, struct buf *, int);

/* 1 when s is 1 to max octets, each alphanumeric or one of extra. */
static int
plain_word(const char *s, const char *extra, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= max ||
		    (!isalnum((unsigned char)s[n]) &&
			strchr(extra, s[n]) == NULL))
			return 0;
	return n > 0;
}

/*
 * The first field, as Postfix's pickup and smtpd write theirs (RFC 5321
 * 4.4): who submitted the message, by uid and login name, and from -bd
 * the client. Nothing in it comes from the message; what comes from the
 * caller or the client (login name, EHLO name) is left out or replaced
 * by "unknown" when it is not a plain word, so it cannot break the field.
 */
static int
put_received(struct msg *m)
{
	const struct msg_params *p = &m->p;
	const char *helo = p->cfg->helo;
	char host[256], date[64];
	struct buf b;
	int rc = 0;

	if (!plain_word(helo, ".-_", 255)) {
		host_name(host, sizeof(host));
		helo = plain_word(host, ".-_", 255) ? host : "localhost";
	}
	fmt_date(time(NULL), date, sizeof(date));
	buf_init(&b, 2048);
	if (p->client != NULL)
		rc = buf_printf(&b, "Received: from %s (%s)\r\n\tby ",
		    plain_word(p->client_helo, ".-_[]:", 255) ? p->client_helo :
								"unknown",
		    p->client);
	else
		rc = buf_adds(&b, "Received: by ");
	if (rc == 0)
		rc = buf_printf(&b,
		    "%s (posta, from userid %lu%s%s%s)%s%s\r\n"
		    "\tid %s; %s\r\n",
		    helo, (unsigned long)m->uid, m->user[0] != '\0' ? " (" : "",
		    m->user, m->user[0] != '\0' ? ")" : "",
		    p->protocol != NULL ? " with " : "",
		    p->protocol != NULL ? p->protocol : "", m->ent.id, date);
	return out_field(m, &b, rc);
}

struct msg *
msg_begin(struct spool *sp, const struct msg_params *p, struct perr *err)
{
	struct passwd *pw;
	struct msg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		perr_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	m->sp = sp;
	m->p = *p;
	m->bol = m->lfbol = 1;
	m->first_line = 1;
	/* the cap and the CR LF of the blank line */
	buf_init(&m->hdr, MAX_HEADER_BLOCK + 2);
	if (spool_create(sp, &m->ent, err) == -1) {
		free(m);
		return NULL;
	}
	if (env_set_sender(&m->ent.env, p->sender, err) == -1 ||
	    env_set_str(&m->ent.env.dsn_ret, p->dsn_ret, err) == -1 ||
	    env_set_str(&m->ent.env.dsn_envid, p->dsn_envid, err) == -1 ||
	    env_set_str(&m->ent.env.dsn_notify, p->dsn_notify, err) == -1) {
		msg_abort(m);
		return NULL;
	}
	m->ent.env.smtputf8 = addr_is_utf8(p->sender);
	/* the real uid: who ran posta, set-group-id or not */
	m->uid = getuid();
	if ((pw = getpwuid(m->uid)) != NULL &&
	    plain_word(pw->pw_name, ".-_$", sizeof(m->user) - 1))
		(void)xstrlcpy(m->user, pw->pw_name, sizeof(m->user));
	if (put_received(m) == -1) {
		perr_set(err, m->ioerr.code, "%s", m->ioerr.msg);
		msg_abort(m);
		return NULL;
	}
	return m;
}

static int
out_flush(struct msg *m)
{
	if (m->olen > 0 && m->ioerr.code == 0 &&
	    write_all(m->ent.fd, m->out, m->olen) == -1)
		perr_set(&m->ioerr, EX_CANTCREAT,
		    "cannot write to the spool %s: %s", m->sp->path,
		    strerror(errno));
	m->olen = 0;
	return m->ioerr.code == 0 ? 0 : -1;
}

static int
out_put(struct msg *m, const char *s, size_t n)
{
	size_t k;

	while (n > 0) {
		if (m->olen == sizeof(m->out) && out_flush(m) == -1)
			return -1;
		k = sizeof(m->out) - m->olen;
		if (k > n)
			k = n;
		memcpy(m->out + m->olen, s, k);
		m->olen += k;
		s += k;
		n -= k;
	}
	return 0;
}

/* A header field built in b (built -1: out of memory) goes out; b is freed. */
static int
out_field(struct msg *m, struct buf *b, int built)
{
	int rc;

	if (built == -1)
		rc = perr_set(&m->ioerr, EX_OSERR, "out of memory");
	else
		rc = out_put(m, b->data, b->len);
	buf_free(b);
	return rc;
}

static int
out_str(struct msg *m, const char *s)
{
	return out_put(m, s, strlen(s));
}

static int
hdr_put(struct msg *m, const char *s, size_t n)
{
	if (buf_add(&m->hdr, s, n) == 0)
		return 0;
	if (errno != E2BIG)
		return perr_set(&m->ioerr, EX_OSERR, "out of memory");
	/* over the cap: keep everything as received, fail later */
	perr_set(&m->dataerr, EX_DATAERR,
	    "header section larger than %d octets", MAX_HEADER_BLOCK);
	m->phase = PH_RAW;
	if (out_put(m, m->hdr.data, m->hdr.len) == -1)
		return -1;
	buf_free(&m->hdr);
	return out_put(m, s, n);
}

/*
 * Append a display name to b: as it is when raw or when it needs
 * nothing, quoted when it has specials, as RFC 2047 encoded words when
 * it is not ASCII. Returns 1 when it was encoded, 0, or -1 when b is full.
 */
static int
put_name(struct buf *b, const char *name, int raw)
{
	const char *p;
	int special = 0, high = 0;

	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			high = 1;
		else if (strchr("()<>[]:;@\\,.\"", *p) != NULL)
			special = 1;
	}
	if (raw || (!high && !special))
		return buf_adds(b, name);
	if (high)
		return b64_words(b, name, b->len) == -1 ? -1 : 1;
	if (buf_addc(b, '"') == -1)
		return -1;
	for (p = name; *p != '\0'; p++)
		if (((*p == '"' || *p == '\\') && buf_addc(b, '\\') == -1) ||
		    buf_addc(b, *p) == -1)
			return -1;
	return buf_addc(b, '"');
}

/*
 * Write "From: name <addr>", or "From: addr" without a name or when the
 * name does not fit in MAX_FROM_FIELD. raw: see put_name().
 */
static int
put_from(struct msg *m, const char *name, int raw, const char *addr)
{
	struct buf b;
	const char *nl;
	size_t col;
	int enc = -1, rc;

	buf_init(&b, MAX_FROM_FIELD);
	if (name != NULL && name[0] != '\0' && buf_adds(&b, "From: ") == 0)
		enc = put_name(&b, name, raw);
	if (enc != -1) {
		nl = strrchr(b.data, '\n');
		col = b.len - (nl != NULL ? (size_t)(nl + 1 - b.data) : 0);
		/* RFC 2047 2: a line holding encoded words is 76 at most */
		rc = buf_printf(&b, "%s<%s>\r\n",
		    enc == 1 && col + strlen(addr) + 3 > 76 ? "\r\n " : " ",
		    addr);
	} else
		rc = -1;
	if (rc == -1) {
		buf_reset(&b);
		rc = buf_printf(&b, "From: %s\r\n", addr);
	}
	return out_field(m, &b, rc);
}

static const char *
id_domain(const struct msg *m, char *buf, size_t cap)
{
	const char *at;

	if (m->p.cfg->domain != NULL)
		return m->p.cfg->domain;
	if (m->p.from_addr != NULL &&
	    (at = strrchr(m->p.from_addr, '@')) != NULL)
		return at + 1;
	host_name(buf, cap);
	return buf;
}

static int
add_headers(struct msg *m, int has_from, int has_date, int has_msgid)
{
	char line[2048], name[1024], host[256];
	struct tm tm;
	time_t now = time(NULL);

	if (!has_from && m->p.from_addr != NULL &&
	    put_from(m, m->p.fullname, 0, m->p.from_addr) == -1)
		return -1;
	if (!has_date) {
		fmt_date(now, name, sizeof(name));
		(void)snprintf(line, sizeof(line), "Date: %s\r\n", name);
		if (out_str(m, line) == -1)
			return -1;
	}
	if (!has_msgid) {
		(void)localtime_r(&now, &tm);
		(void)strftime(name, sizeof(name), "%Y%m%d%H%M%S", &tm);
		(void)snprintf(line, sizeof(line), "Message-ID: <%s.%s@%s>\r\n",
		    name, m->ent.id, id_domain(m, host, sizeof(host)));
		if (out_str(m, line) == -1)
			return -1;
	}
	return 0;
}

static int
rewrite_from(struct msg *m, const struct header_field *f)
{
	char display[1024], addr[MAX_ADDR + 1], *v;
	int rc;

	v = header_unfold(f->value, f->valuelen);
	if (v == NULL ||
	    addr_mailbox_parse(v, strlen(v), display, sizeof(display), addr,
		sizeof(addr)) == -1)
		display[0] = '\0';
	/* a comment-style name ("a@b (Smith, John)") may need quotes */
	rc = put_from(m, display,
	    display[0] == '"' || strstr(display, "=?") != NULL, m->p.cfg->from);
	free(v);
	return rc;
}

struct rcpt_ctx {
	struct msg *m;
	struct perr *err;
};

static int
resolved_cb(const char *addr, void *arg)
{
	struct rcpt_ctx *c = arg;

	return msg_add_rcpt(c->m, addr, c->err);
}

static int
rcpt_cb(const char *addr, void *arg)
{
	struct rcpt_ctx *c = arg;

	return alias_resolve(c->m->p.cfg, addr, resolved_cb, c, c->err) == 0 ?
	    0 :
	    -1;
}

static void
header_rcpts(struct msg *m, const struct header_field *f)
{
	struct perr err = { 0, "" };
	struct rcpt_ctx c = { m, &err };
	char *v;

	/*
	 * NUL is not allowed in a header (RFC 5322); unfolded into a C
	 * string it would silently end the list, and a Bcc recipient after
	 * it would be lost without a trace. Refuse the message instead.
	 */
	if (memchr(f->value, '\0', f->valuelen) != NULL) {
		perr_set(&m->dataerr, EX_DATAERR,
		    "%.*s header: contains a "
		    "NUL byte",
		    (int)f->namelen, f->name);
		return;
	}
	if ((v = header_unfold(f->value, f->valuelen)) == NULL) {
		perr_set(&m->ioerr, EX_OSERR, "out of memory");
		return;
	}
	if (addr_list_parse(v, strlen(v), rcpt_cb, &c) != 0)
		perr_set(&m->dataerr, err.code ? err.code : EX_DATAERR,
		    "%.*s header: %s", (int)f->namelen, f->name,
		    err.code ? err.msg : "invalid address list");
	free(v);
}

/*
 * A field as received, except that bare local names in address fields
 * get [sender] domain, else the host name, as the envelope does (see
 * posta(8) ADDRESSES). When that cannot be done the field goes out
 * as it came: an unqualified name is better than a lost message.
 */
static int
put_field(struct msg *m, const struct header_field *f)
{
	struct buf b;
	char host[256];
	const char *domain = m->p.cfg->domain;
	size_t head = (size_t)(f->value - f->raw);
	int rc;

	if (!qualify_field_is(f->name, f->namelen))
		return out_put(m, f->raw, f->rawlen);
	if (domain == NULL || domain[0] == '\0') {
		host_name(host, sizeof(host));
		domain = host;
	}
	buf_init(&b, 2 * MAX_HEADER_BLOCK);
	if (buf_add(&b, f->raw, head) == -1 ||
	    qualify_value(f->value, f->valuelen, domain, &b) != 1)
		rc = out_put(m, f->raw, f->rawlen);
	else
		rc = out_put(m, b.data, b.len);
	buf_free(&b);
	return rc;
}

static int
first_addr_cb(const char *addr, void *arg)
{
	(void)xstrlcpy(arg, addr, MAX_ADDR + 1);
	return 1;
}

/*
 * With [sender] from and no force_from, a From in another domain than
 * from's (a bare name, the host name, another domain) is sent as
 * written, and receivers checking DMARC alignment, or a provider that
 * wants the account's own address, may refuse it: say so in the log,
 * with the setting that fixes it.
 */
static void
check_alignment(struct msg *m, const struct header_field *f)
{
	const struct config *cfg = m->p.cfg;
	char addr[MAX_ADDR + 1], host[256];
	const char *at, *want, *got;

	if (cfg->force_from || cfg->from == NULL ||
	    (at = strrchr(cfg->from, '@')) == NULL)
		return;
	want = at + 1;
	addr[0] = '\0';
	if (addr_list_parse(f->value, f->valuelen, first_addr_cb, addr) != 1)
		return;
	if ((at = strrchr(addr, '@')) != NULL)
		got = at + 1;
	else if (cfg->domain != NULL && cfg->domain[0] != '\0')
		got = cfg->domain;
	else {
		host_name(host, sizeof(host));
		got = host;
	}
	if (strcasecmp(got, want) != 0)
		log_warnx(
		    "%s: From: domain %s is not [sender] from's domain "
		    "%s; Gmail, Microsoft 365 and most ESPs refuse it, and "
		    "receivers checking DMARC alignment may too: set "
		    "force_from = yes",
		    m->ent.id, got, want);
}

/* The header section is complete: write it out, rewritten. */
static int
flush_headers(struct msg *m, size_t end)
{
	struct header_field f;
	size_t pos = 0;
	int has_from = 0, has_date = 0, has_msgid = 0;

	while (header_next(m->hdr.data, end, &pos, &f)) {
		if (m->p.from_headers &&
		    (header_is(&f, "To") || header_is(&f, "Cc") ||
			header_is(&f, "Bcc")))
			header_rcpts(m, &f);
		/* blind copies stay blind, Resent- ones too (not read) */
		if (header_is(&f, "Bcc") || header_is(&f, "Resent-Bcc"))
			continue;
		if (header_is(&f, "Date"))
			has_date = 1;
		else if (header_is(&f, "Message-ID"))
			has_msgid = 1;
		else if (header_is(&f, "From")) {
			has_from = 1;
			if (m->p.cfg->force_from && m->p.cfg->from != NULL) {
				if (rewrite_from(m, &f) == -1)
					return -1;
				continue;
			}
			check_alignment(m, &f);
		}
		if (put_field(m, &f) == -1)
			return -1;
	}
	return add_headers(m, has_from, has_date, has_msgid);
}

/* A header-phase line just ended (its CR LF is in hdr). */
static int
header_line(struct msg *m)
{
	size_t start = m->line_start, n = m->hdr.len - start - 2;
	const char *line = m->hdr.data + start;
	int first = m->first_line;

	m->first_line = 0;
	m->line_start = m->hdr.len;
	if (first && n >= 5 && memcmp(line, "From ", 5) == 0) {
		buf_truncate(&m->hdr, start); /* mbox separator */
		m->line_start = start;
		m->first_line = 1;
		return 0;
	}
	if (n == 0) {
		m->phase = PH_BODY;
		if (flush_headers(m, start) == -1 ||
		    out_put(m, "\r\n", 2) == -1)
			return -1;
	} else if ((line[0] == ' ' || line[0] == '\t') && start > 0)
		return 0;
	else if (header_line_is_field(line, n))
		return 0;
	else {
		/* not a header: the body starts here, after a blank line */
		m->phase = PH_BODY;
		if (flush_headers(m, start) == -1 ||
		    out_put(m, "\r\n", 2) == -1 ||
		    out_put(m, line, n + 2) == -1)
			return -1;
	}
	buf_free(&m->hdr);
	return 0;
}

static int
emit(struct msg *m, const char *s, size_t n)
{
	if (m->phase == PH_HEADERS)
		return hdr_put(m, s, n);
	return out_put(m, s, n);
}

static int
end_line(struct msg *m)
{
	m->bol = 1;
	if (emit(m, "\r\n", 2) == -1)
		return -1;
	if (m->phase == PH_HEADERS)
		return header_line(m);
	return 0;
}

int
msg_write(struct msg *m, const char *buf, size_t len, struct perr *err)
{
	size_t i, run;
	char c;

	for (i = 0; i < len && !m->done; i++) {
		c = buf[i];
		m->size++;
		if (m->dotpend) {
			if (c == '\n') {
				m->done = 1;
				break;
			}
			if (c == '\r' && !m->dotcr) {
				m->dotcr = 1; /* the end only if LF follows */
				continue;
			}
			/* the dot was text, and a CR after it a line end */
			m->dotpend = 0;
			if (emit(m, ".", 1) == -1)
				break;
			m->bol = 0;
			if (m->dotcr) {
				m->dotcr = 0;
				m->lfbol = 0;
				if (end_line(m) == -1)
					break;
			}
		}
		if (m->cr) {
			m->cr = 0;
			if (c == '\n') {
				m->lfbol = 1;
				continue;
			}
		}
		if (c == '\r' || c == '\n') {
			m->cr = c == '\r';
			m->lfbol = c == '\n';
			if (end_line(m) == -1)
				break;
			continue;
		}
		if (m->bol && m->lfbol && c == '.' && m->p.dot_ends) {
			m->dotpend = 1;
			continue;
		}
		m->bol = 0;
		/* copy the rest of an ordinary line in one go */
		for (run = 0; i + run < len && buf[i + run] != '\r' &&
		     buf[i + run] != '\n';
		     run++)
			if ((unsigned char)buf[i + run] >= 0x80)
				m->has8bit = 1;
		if (emit(m, buf + i, run) == -1)
			break;
		m->size += run - 1;
		i += run - 1;
	}
	/* too big: nothing is kept, as for a write error */
	if (m->p.max_size > 0 && m->size > (unsigned long long)m->p.max_size)
		perr_set(&m->ioerr, EX_DATAERR,
		    "message larger than %lld "
		    "octets",
		    m->p.max_size);
	if (m->ioerr.code != 0)
		return perr_set(err, m->ioerr.code, "%s", m->ioerr.msg);
	return m->done ? 1 : 0;
}

int
msg_read_fd(struct msg *m, int fd, struct perr *err)
{
	char buf[IO_CHUNK];
	ssize_t n;
	int r = 0;

	while (r == 0) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return perr_set(err, EX_IOERR,
			    "reading the message: %s", strerror(errno));
		if (n == 0)
			break;
		r = msg_write(m, buf, (size_t)n, err);
	}
	return r == -1 ? -1 : 0;
}

int
msg_add_rcpt(struct msg *m, const char *addr, struct perr *err)
{
	const char *why;

	if (addr_check_envelope(addr, 0, &why) == -1)
		return perr_set(err, EX_DATAERR, "<%s>: %s", addr, why);
	if (addr_is_utf8(addr))
		m->ent.env.smtputf8 = 1;
	return env_add_rcpt(&m->ent.env, addr, err);
}

/* Who put the committed entry into the spool, in the log. */
static void
log_intake(const struct msg *m)
{
	const struct envelope *e = &m->ent.env;
	struct dlog_intake d;
	char line[DLOG_MAX_LINE];

	memset(&d, 0, sizeof(d));
	d.id = m->ent.id;
	d.uid = (long)m->uid;
	d.user = m->user;
	d.from = e->sender;
	d.nrcpt = e->nrcpts;
	d.size = (long long)m->ent.size;
	d.client = m->p.client;
	log_info("%s", dlog_intake_format(&d, line, sizeof(line)));
}

int
msg_end(struct msg *m, struct spool_entry *ent, struct perr *err)
{
	int failed, rc = -1;

	spool_entry_init(ent);
	if (!m->done) {
		if (m->dotpend) {
			/* a "." with no LF at the very end is text */
			m->dotpend = 0;
			(void)emit(m, ".", 1);
			m->bol = 0;
			if (m->dotcr)
				(void)end_line(m);
		}
		if (!m->bol)
			(void)end_line(m);
	}
	if (m->phase == PH_HEADERS && m->ioerr.code == 0) {
		m->phase = PH_BODY;
		(void)flush_headers(m, m->hdr.len);
	}
	if (m->ent.env.nrcpts == 0)
		perr_set(&m->dataerr, EX_DATAERR,
		    m->p.from_headers ?
			"no recipients: none given and none found in To, Cc or Bcc" :
			"no recipients given");
	m->ent.env.body8bit = m->has8bit || m->p.body8bit;
	(void)out_flush(m);
	if (m->ioerr.code != 0) {
		perr_set(err, m->ioerr.code, "%s", m->ioerr.msg);
		spool_discard(m->sp, &m->ent);
		goto out;
	}
	failed = m->dataerr.code != 0;
	if (failed)
		(void)env_set_str(&m->ent.env.last_error, m->dataerr.msg, err);
	if (spool_commit(m->sp, &m->ent, failed, err) == -1) {
		spool_discard(m->sp, &m->ent);
		goto out;
	}
	log_intake(m);
	*ent = m->ent;
	spool_entry_init(&m->ent);
	if (failed) {
		perr_set(err, m->dataerr.code,
		    "%s; message saved as %s in %s/failed", m->dataerr.msg,
		    ent->id, m->sp->path);
		spool_release(ent);
		goto out;
	}
	rc = 0;
out:
	buf_free(&m->hdr);
	free(m);
	return rc;
}

void
msg_abort(struct msg *m)
{
	if (m == NULL)
		return;
	spool_discard(m->sp, &m->ent);
	buf_free(&m->hdr);
	free(m);
}
