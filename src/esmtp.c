/* SPDX-License-Identifier: ISC */
/*
 * The ESMTP grammar shared by the client and the -bs server: what a
 * reply, an EHLO keyword, a path or a parameter looks like. No I/O and
 * no policy: the callers decide what to send and what to refuse.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "esmtp.h"
#include "posta.h"
#include "util.h"

int
esmtp_reply_feed(struct esmtp_reply *r, const char *line, struct perr *err)
{
	size_t len, room;
	const char *p;
	char *t;
	int code;

	if (!(line[0] >= '2' && line[0] <= '5') ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) ||
	    (line[3] != '\0' && line[3] != ' ' && line[3] != '-'))
		return perr_set(err, EX_PROTOCOL, "malformed reply: \"%.80s\"",
		    line);
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return perr_set(err, EX_PROTOCOL,
		    "reply code changed from %d to %d within one reply",
		    r->code, code);
	if (r->nlines >= MAX_REPLY_LINES)
		return perr_set(err, EX_PROTOCOL, "reply longer than %d lines",
		    MAX_REPLY_LINES);
	r->code = code;

	/* append the text, '\n' between lines; cut silently when full */
	len = strlen(r->text);
	t = r->text + len;
	room = sizeof(r->text) - 1 - len;
	if (r->nlines > 0 && room > 0) {
		*t++ = '\n';
		room--;
	}
	p = line[3] == '\0' ? "" : line + 4;
	len = strnlen(p, room);
	memcpy(t, p, len);
	t[len] = '\0';
	str_blank_ctl(t);
	r->nlines++;
	return line[3] == '-' ? 0 : 1;
}

const char *
esmtp_reply_line(const struct esmtp_reply *r, char *buf, size_t cap)
{
	const char *p;
	size_t n;
	int w;

	if (cap == 0)
		return buf;
	if (r->code == 0) {
		(void)xstrlcpy(buf, "(no reply)", cap);
		return buf;
	}
	w = snprintf(buf, cap, "%d", r->code);
	if (w < 0 || (size_t)w >= cap)
		return buf;
	n = (size_t)w;
	if (r->text[0] != '\0' && n + 1 < cap)
		buf[n++] = ' ';
	/* the lines of a multi-line reply are joined by " / " */
	for (p = r->text; *p != '\0' && n + 1 < cap; p++) {
		if (*p != '\n') {
			buf[n++] = *p;
			continue;
		}
		if (n + 3 >= cap)
			break;
		memcpy(buf + n, " / ", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

size_t
esmtp_reply_vfmt(char *buf, size_t cap, const char *fmt, va_list ap)
{
	size_t n;

	if (cap < 3)
		return 0;
	(void)vsnprintf(buf, cap - 2, fmt, ap);
	/* a reply is one line: nothing the text holds may end it early */
	str_blank_ctl(buf);
	n = strlen(buf);
	memcpy(buf + n, "\r\n", 2);
	return n + 2;
}

int
esmtp_word_is(const char *p, size_t len, const char *kw)
{
	return strlen(kw) == len && strncasecmp(p, kw, len) == 0;
}

/* Copy the first len bytes of src into dst, cut to cap. */
static void
copy_n(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * The AUTH mechanisms src[0..len) into dst, cut to cap at a blank: a
 * word cut short could name a mechanism the server does not offer
 * ("SCRAM-SHA-256-PLUS" cut to "SCRAM-SHA-256").
 */
static void
copy_words(char *dst, size_t cap, const char *src, size_t len)
{
	if (cap == 0)
		return;
	if (len >= cap) {
		len = cap - 1;
		while (len > 0 && src[len] != ' ' && src[len] != '\t')
			len--;
	}
	while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == '\t'))
		len--;
	copy_n(dst, cap, src, len);
}

/* One EHLO keyword line; returns its ESMTP_EXT_* bit, or 0. */
static int
ehlo_line(const char *p, size_t len, unsigned long long *size_max, char *auth,
    size_t cap, int *auth_sp)
{
	const char *param;
	char num[24], *end;
	unsigned long long v;
	size_t kw, plen;

	for (kw = 0; kw < len && p[kw] != ' '; kw++)
		continue;
	param = p + kw;
	while (param < p + len && *param == ' ')
		param++;
	plen = (size_t)(p + len - param);

	if (esmtp_word_is(p, kw, "AUTH")) {
		copy_words(auth, cap, param, plen);
		*auth_sp = 1;
		return ESMTP_EXT_AUTH;
	}
	if (kw > 5 && strncasecmp(p, "AUTH=", 5) == 0) {
		/* the pre-RFC 4954 form; the standard line wins when both come */
		if (!*auth_sp)
			copy_words(auth, cap, p + 5, len - 5);
		return ESMTP_EXT_AUTH;
	}
	if (esmtp_word_is(p, kw, "SIZE")) {
		/* "SIZE" alone or "SIZE 0" means no fixed limit */
		*size_max = 0;
		if (plen > 0 && plen < sizeof(num) &&
		    isdigit((unsigned char)param[0])) {
			copy_n(num, sizeof(num), param, plen);
			errno = 0;
			v = strtoull(num, &end, 10);
			if (errno == 0 && (*end == '\0' || *end == ' '))
				*size_max = v;
		}
		return ESMTP_EXT_SIZE;
	}
	if (esmtp_word_is(p, kw, "STARTTLS"))
		return ESMTP_EXT_STARTTLS;
	if (esmtp_word_is(p, kw, "PIPELINING"))
		return ESMTP_EXT_PIPELINING;
	if (esmtp_word_is(p, kw, "8BITMIME"))
		return ESMTP_EXT_8BITMIME;
	if (esmtp_word_is(p, kw, "SMTPUTF8"))
		return ESMTP_EXT_SMTPUTF8;
	if (esmtp_word_is(p, kw, "DSN"))
		return ESMTP_EXT_DSN;
	if (esmtp_word_is(p, kw, "ENHANCEDSTATUSCODES"))
		return ESMTP_EXT_ENHANCED;
	return 0;
}

/* The first line of an EHLO reply is the server's name: skipped. */
int
esmtp_ehlo_parse(const char *text, unsigned long long *size_max, char *auth,
    size_t cap)
{
	const char *p, *eol;
	int ext = 0, auth_sp = 0;
	size_t len;

	*size_max = 0;
	auth[0] = '\0';
	for (p = strchr(text, '\n'); p != NULL; p = eol) {
		p++;
		eol = strchr(p, '\n');
		len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		ext |= ehlo_line(p, len, size_max, auth, cap, &auth_sp);
	}
	return ext;
}

static int
is_sp(char c)
{
	return c == ' ' || c == '\t';
}

static char *
skip_sp(char *p)
{
	while (is_sp(*p))
		p++;
	return p;
}

char *
esmtp_args(char *line, size_t *verblen)
{
	*verblen = strcspn(line, " \t");
	return skip_sp(line + *verblen);
}

int
esmtp_path_parse(char *args, const char *kw, char *addr, size_t cap,
    char **params)
{
	size_t kwlen = strlen(kw);
	char *p, *b, *e;
	int quoted = 0, esc = 0;

	p = skip_sp(args);
	if (strncasecmp(p, kw, kwlen) != 0)
		return -1;
	p = skip_sp(p + kwlen);
	if (*p == '<') {
		b = ++p;
		for (; *p != '\0'; p++) {
			if (esc)
				esc = 0;
			else if (quoted && *p == '\\')
				esc = 1;
			else if (*p == '"')
				quoted = !quoted;
			else if (*p == '>' && !quoted)
				break;
		}
		if (*p != '>')
			return -1;
		e = p++;
	} else {
		b = p;
		while (*p != '\0' && !is_sp(*p))
			p++;
		e = p;
		if (b == e)
			return -1;
	}
	if (*p != '\0' && !is_sp(*p))
		return -1;
	*params = skip_sp(p);
	if (b < e && *b == '@') {
		while (b < e && *b != ':')
			b++;
		if (b == e)
			return -1;
		b++;
	}
	if ((size_t)(e - b) >= cap)
		return -1;
	memcpy(addr, b, (size_t)(e - b));
	addr[e - b] = '\0';
	return 0;
}

/* Next "KEY[=VALUE]" of a parameter list, split in place; 0 at the end. */
static int
next_param(char **p, char **key, char **val)
{
	char *c = skip_sp(*p), *eq;

	if (*c == '\0')
		return 0;
	*key = c;
	while (*c != '\0' && !is_sp(*c))
		c++;
	if (*c != '\0')
		*c++ = '\0';
	*p = c;
	if ((eq = strchr(*key, '=')) != NULL) {
		*eq = '\0';
		*val = eq + 1;
	} else
		*val = NULL;
	return 1;
}

/* SIZE=: 1 to 20 digits; a value past LLONG_MAX is kept as LLONG_MAX. */
static int
parse_size(const char *v, long long *size)
{
	size_t n = strspn(v, "0123456789");
	unsigned long long u;

	if (n == 0 || n > 20 || v[n] != '\0')
		return -1;
	errno = 0;
	u = strtoull(v, NULL, 10);
	*size = errno != 0 || u > LLONG_MAX ? LLONG_MAX : (long long)u;
	return 0;
}

int
esmtp_mail_parse(char *params, struct esmtp_mail *m, const char **key)
{
	char *k, *val;

	while (next_param(&params, &k, &val)) {
		*key = k;
		if (strcasecmp(k, "SIZE") == 0) {
			/* SIZE 0 is advertised: any size is welcome */
			if (val == NULL || parse_size(val, &m->size) == -1)
				return -1;
		} else if (strcasecmp(k, "BODY") == 0) {
			if (val != NULL && strcasecmp(val, "8BITMIME") == 0)
				m->body8bit = 1;
			else if (val == NULL || strcasecmp(val, "7BIT") != 0)
				return -1;
		} else if (strcasecmp(k, "SMTPUTF8") == 0) {
			if (val != NULL)
				return -1;
			m->smtputf8 = 1;
		} else if (strcasecmp(k, "RET") == 0) {
			if (val == NULL || !esmtp_ret_valid(val))
				return -1;
			m->ret = strcasecmp(val, "FULL") == 0 ? "FULL" : "HDRS";
		} else if (strcasecmp(k, "ENVID") == 0) {
			if (val == NULL ||
			    esmtp_xtext_decode(val, m->envid,
				sizeof(m->envid)) == -1)
				return -1;
		} else
			return 1;
	}
	return 0;
}

/* Append to buf at *n; returns -1 once it no longer fits. */
static int PRINTF(4, 5)
append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= cap)
		return -1;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= cap - *n)
		return -1;
	*n += (size_t)w;
	return 0;
}

int
esmtp_mail_format(const struct esmtp_mail *m, int ext, char *buf, size_t cap)
{
	char envid[3 * ESMTP_ENVID_MAX + 1];
	int dsn = (ext & ESMTP_EXT_DSN) != 0;
	size_t n = 0;

	if (cap == 0)
		return -1;
	buf[0] = '\0';
	if (dsn && m->envid[0] != '\0' &&
	    esmtp_xtext_encode(m->envid, envid, sizeof(envid)) == -1)
		return -1;
	if (((ext & ESMTP_EXT_SIZE) && m->size > 0 &&
		append(buf, cap, &n, " SIZE=%lld", m->size) == -1) ||
	    (m->body8bit && (ext & ESMTP_EXT_8BITMIME) &&
		append(buf, cap, &n, " BODY=8BITMIME") == -1) ||
	    (m->smtputf8 && append(buf, cap, &n, " SMTPUTF8") == -1) ||
	    (dsn && m->ret != NULL &&
		append(buf, cap, &n, " RET=%s", m->ret) == -1) ||
	    (dsn && m->envid[0] != '\0' &&
		append(buf, cap, &n, " ENVID=%s", envid) == -1))
		return -1;
	return 0;
}

int
esmtp_rcpt_parse(char *params, const char **notify, const char **key)
{
	char *k, *val;

	*notify = NULL;
	while (next_param(&params, &k, &val)) {
		*key = k;
		if (strcasecmp(k, "NOTIFY") == 0) {
			if (val == NULL || !esmtp_notify_valid(val))
				return -1;
			*notify = val;
		} else if (strcasecmp(k, "ORCPT") == 0) {
			/* "type;xtext": checked; there is no room for it */
			if (val == NULL || strchr(val, ';') == NULL)
				return -1;
		} else
			return 1;
	}
	return 0;
}

/* Printable ASCII other than '+' and '=' stands for itself, else "+XX". */
int
esmtp_xtext_encode(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t n = 0;

	if (cap == 0)
		return -1;
	for (; *in != '\0'; in++) {
		c = (unsigned char)*in;
		if (c >= '!' && c <= '~' && c != '+' && c != '=') {
			if (n + 1 >= cap)
				goto full;
			out[n++] = (char)c;
			continue;
		}
		if (n + 3 >= cap)
			goto full;
		out[n++] = '+';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 0x0f];
	}
	out[n] = '\0';
	return 0;
full:
	out[n] = '\0';
	return -1;
}

/* An xtext hex digit: RFC 3461 4 allows upper case only. */
static int
xdigit(char c)
{
	return c >= 'a' && c <= 'f' ? -1 : hexval(c);
}

int
esmtp_xtext_decode(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	int hi, lo, c;

	for (; *in != '\0'; in++) {
		c = (unsigned char)*in;
		if (c == '+') {
			if ((hi = xdigit(in[1])) == -1 ||
			    (lo = xdigit(in[2])) == -1)
				return -1;
			c = hi * 16 + lo;
			in += 2;
		} else if (c == '=')
			return -1;
		if (c < 0x21 || c > 0x7e || n + 1 >= cap)
			return -1;
		out[n++] = (char)c;
	}
	if (cap == 0)
		return -1;
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* RFC 3461 4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY. */
int
esmtp_notify_valid(const char *v)
{
	static const char *const words[] = { "success", "failure", "delay" };
	unsigned int seen = 0;
	const char *end;
	size_t len, k;

	if (strcasecmp(v, "never") == 0)
		return 1;
	for (;;) {
		end = strchr(v, ',');
		len = end != NULL ? (size_t)(end - v) : strlen(v);
		for (k = 0; k < nitems(words); k++)
			if (len == strlen(words[k]) &&
			    strncasecmp(v, words[k], len) == 0)
				break;
		if (k == nitems(words) || (seen & (1U << k)) != 0)
			return 0;
		seen |= 1U << k;
		if (end == NULL)
			return 1;
		v = end + 1;
	}
}

int
esmtp_ret_valid(const char *v)
{
	return strcasecmp(v, "FULL") == 0 || strcasecmp(v, "HDRS") == 0;
}

int
esmtp_envid_valid(const char *v)
{
	size_t n;

	for (n = 0; v[n] != '\0'; n++)
		if ((unsigned char)v[n] < 0x21 || (unsigned char)v[n] > 0x7e)
			return 0;
	return n > 0 && n <= ESMTP_ENVID_MAX;
}
