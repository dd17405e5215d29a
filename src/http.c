/* SPDX-License-Identifier: ISC */
/*
 * HTTPS/1.1 POST of a form to a token endpoint; see http.h. One request
 * per connection ("Connection: close"), one deadline for all of it.
 */
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "conn.h"
#include "http.h"
#include "posta.h"
#include "tlsparams.h"
#include "util.h"

/*
 * Parser states. The ones marked "line" collect a line ending in LF
 * before acting on it; the others count bytes.
 */
enum {
	HP_STATUS,     /* line: HTTP/1.x NNN reason */
	HP_HEADER,     /* line: a field, or the empty line */
	HP_BODY,       /* Content-Length bytes, left to come */
	HP_CLOSE,      /* everything until the peer closes */
	HP_CHUNK_SIZE, /* line: hex size [; extensions] */
	HP_CHUNK_DATA, /* left bytes of the chunk */
	HP_CHUNK_END,  /* line: the empty line after a chunk */
	HP_TRAILER,    /* line: a trailer field, or the empty line */
	HP_DONE,
	HP_FAIL
};

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 5.6.2 tchar */
static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
http_url_parse(const char *url, struct http_url *u, struct perr *err)
{
	const char *p, *auth, *aend, *hend;
	size_t n, i;
	long port;
	unsigned char a6[sizeof(struct in6_addr)];

	memset(u, 0, sizeof(*u));
	n = strlen(url);
	if (n >= HTTP_MAX_URL)
		return perr_set(err, EX_CONFIG, "URL longer than %d bytes",
		    HTTP_MAX_URL - 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return perr_set(err, EX_CONFIG,
			    "URL: space, control "
			    "or non-ASCII character at offset %zu",
			    i);
	if (strncasecmp(url, "https://", 8) != 0)
		return perr_set(err, EX_CONFIG, "URL must start with https://");
	if (strchr(url, '#') != NULL)
		return perr_set(err, EX_CONFIG, "URL: no fragment (#) allowed");
	auth = url + 8;
	aend = auth + strcspn(auth, "/?");
	/* RFC 9110 4.2.4: user info in an https URL is not to be used */
	if (memchr(auth, '@', (size_t)(aend - auth)) != NULL)
		return perr_set(err, EX_CONFIG,
		    "URL: no user name or password allowed");

	if (*auth == '[') {
		hend = memchr(auth, ']', (size_t)(aend - auth));
		if (hend == NULL)
			return perr_set(err, EX_CONFIG, "URL: unterminated [");
		n = (size_t)(hend - auth - 1);
		if (n >= sizeof(u->host))
			return perr_set(err, EX_CONFIG,
			    "URL: bad IPv6 address");
		memcpy(u->host, auth + 1, n);
		u->host[n] = '\0';
		/* zone ids (%25) and IPvFuture are refused here too */
		if (inet_pton(AF_INET6, u->host, a6) != 1)
			return perr_set(err, EX_CONFIG,
			    "URL: bad IPv6 address");
		p = hend + 1;
	} else {
		hend = auth + strcspn(auth, ":/?");
		n = (size_t)(hend - auth);
		if (n == 0)
			return perr_set(err, EX_CONFIG, "URL: no host");
		if (n >= sizeof(u->host))
			return perr_set(err, EX_CONFIG,
			    "URL: host name too long");
		for (i = 0; i < n; i++)
			if (!is_digit(auth[i]) &&
			    strchr("-._", auth[i]) == NULL &&
			    !(auth[i] >= 'a' && auth[i] <= 'z') &&
			    !(auth[i] >= 'A' && auth[i] <= 'Z'))
				return perr_set(err, EX_CONFIG,
				    "URL: bad character in host name");
		memcpy(u->host, auth, n);
		u->host[n] = '\0';
		p = hend;
	}

	u->port = 443;
	if (p < aend) {
		if (*p != ':' || p + 1 == aend || aend - p > 6)
			return perr_set(err, EX_CONFIG, "URL: bad port");
		port = 0;
		for (p++; p < aend; p++) {
			if (!is_digit(*p))
				return perr_set(err, EX_CONFIG,
				    "URL: bad port");
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			return perr_set(err, EX_CONFIG, "URL: bad port");
		u->port = (int)port;
	}

	/* RFC 9112 3.2.1: an empty path is sent as "/" */
	if (xsnprintf(u->path, sizeof(u->path), "%s%s", *aend == '/' ? "" : "/",
		aend) == -1)
		return perr_set(err, EX_CONFIG, "URL longer than %d bytes",
		    HTTP_MAX_URL - 1);
	return 0;
}

/* WHATWG URL, application/x-www-form-urlencoded serializer: kept as is. */
static int
form_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || c == '*' || c == '-' || c == '.' || c == '_';
}

static size_t
form_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += form_plain((unsigned char)*s) || *s == ' ' ? 1 : 3;
	return n;
}

static int
form_enc(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	char pct[3];

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (form_plain(c)) {
			if (buf_addc(b, (char)c) == -1)
				return -1;
		} else if (c == ' ') {
			if (buf_addc(b, '+') == -1)
				return -1;
		} else {
			pct[0] = '%';
			pct[1] = hex[c >> 4];
			pct[2] = hex[c & 0xf];
			if (buf_add(b, pct, 3) == -1)
				return -1;
		}
	}
	return 0;
}

int
http_form_init(struct buf *form)
{
	buf_init(form, HTTP_MAX_FORM);
	return buf_prealloc(form);
}

int
http_form_add(struct buf *form, const char *name, const char *value)
{
	size_t need;

	/* measured first, so that a refused pair leaves no half behind */
	need = (form->len > 0) + form_len(name) + 1 + form_len(value);
	if (need > form->max - form->len) {
		errno = E2BIG;
		return -1;
	}
	if ((form->len > 0 && buf_addc(form, '&') == -1) ||
	    form_enc(form, name) == -1 || buf_addc(form, '=') == -1 ||
	    form_enc(form, value) == -1)
		return -1;
	return 0;
}

void
http_response_init(struct http_response *r)
{
	r->status = 0;
	r->retry_after = -1;
	buf_init(&r->body, HTTP_MAX_BODY);
}

void
http_response_free(struct http_response *r)
{
	buf_wipe(&r->body);
	r->status = 0;
	r->retry_after = -1;
}

void
http_parser_init(struct http_parser *p, struct http_response *r)
{
	memset(p, 0, sizeof(*p));
	p->state = HP_STATUS;
	p->resp = r;
}

static int PRINTF(4, 5)
hp_fail(struct http_parser *p, struct perr *err, int code, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	p->state = HP_FAIL;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return perr_set(err, code, "HTTP response: %s", what);
}

static int
hp_too_large(struct http_parser *p, struct perr *err)
{
	return hp_fail(p, err, EX_PROTOCOL, "body larger than %d bytes",
	    HTTP_MAX_BODY);
}

/* "HTTP/1.1 200 OK" (RFC 9112 4); the reason phrase is not kept. */
static int
hp_status(struct http_parser *p, const char *s, size_t len, struct perr *err)
{
	int code;

	if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]) ||
	    s[8] != ' ' || !is_digit(s[9]) || !is_digit(s[10]) ||
	    !is_digit(s[11]) || (len > 12 && s[12] != ' '))
		return hp_fail(p, err, EX_PROTOCOL, "bad status line");
	code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (code < 100 || code > 599)
		return hp_fail(p, err, EX_PROTOCOL, "bad status code");
	/* we asked for no protocol switch; a 101 would hijack the stream */
	if (code == 101)
		return hp_fail(p, err, EX_PROTOCOL, "unexpected 101");
	p->interim = code < 200;
	p->resp->status = code;
	p->state = HP_HEADER;
	return 0;
}

/* Digits only, at most max; -1 otherwise. */
static int
decimal(const char *s, size_t len, size_t max, size_t *v)
{
	size_t i;

	*v = 0;
	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]) || *v > (max - (size_t)(s[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (size_t)(s[i] - '0');
	}
	return 0;
}

/*
 * One field line "name: value" (RFC 9112 5). Only the fields that
 * decide the framing, and Retry-After, are looked at.
 */
static int
hp_field(struct http_parser *p, const char *s, size_t len, int trailer,
    struct perr *err)
{
	const char *colon, *v, *ve;
	size_t n, namelen, v_len, i;

	/* RFC 9112 5.2: obs-fold may be refused */
	if (s[0] == ' ' || s[0] == '\t')
		return hp_fail(p, err, EX_PROTOCOL, "folded header line");
	colon = memchr(s, ':', len);
	if (colon == NULL || colon == s)
		return hp_fail(p, err, EX_PROTOCOL, "bad header line");
	namelen = (size_t)(colon - s);
	for (i = 0; i < namelen; i++)
		if (!is_tchar((unsigned char)s[i]))
			return hp_fail(p, err, EX_PROTOCOL,
			    "bad header field name");
	for (i = namelen + 1; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return hp_fail(p, err, EX_PROTOCOL,
			    "control character in a header field");
	v = colon + 1;
	ve = s + len;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	v_len = (size_t)(ve - v);
	/* trailers cannot change the framing of what already came */
	if (trailer)
		return 0;

	if (namelen == 14 && strncasecmp(s, "Content-Length", 14) == 0) {
		if (decimal(v, v_len, SIZE_MAX, &n) == -1)
			return hp_fail(p, err, EX_PROTOCOL,
			    "bad Content-Length");
		/* RFC 9112 6.3: differing lengths are an error, not a choice */
		if (p->has_length && n != p->length)
			return hp_fail(p, err, EX_PROTOCOL,
			    "conflicting Content-Length fields");
		p->has_length = 1;
		p->length = n;
	} else if (namelen == 17 &&
	    strncasecmp(s, "Transfer-Encoding", 17) == 0) {
		/* we send no TE header: chunked, once, is all we may get */
		if (p->chunked || v_len != 7 ||
		    strncasecmp(v, "chunked", 7) != 0)
			return hp_fail(p, err, EX_PROTOCOL,
			    "unsupported Transfer-Encoding");
		p->chunked = 1;
	} else if (namelen == 11 && strncasecmp(s, "Retry-After", 11) == 0) {
		/* delta-seconds only; a date is left to the caller */
		if (decimal(v, v_len, 1000000000, &n) == 0)
			p->resp->retry_after = (long)n;
	}
	return 0;
}

/* The empty line after the header fields: choose how the body is framed. */
static int
hp_headers_done(struct http_parser *p, struct perr *err)
{
	int status = p->resp->status;

	if (p->interim) {
		/* RFC 9110 15.2: 1xx comes before the real response */
		p->chunked = p->has_length = 0;
		p->length = 0;
		p->resp->retry_after = -1;
		p->state = HP_STATUS;
		return 0;
	}
	/* RFC 9112 6.3: ought to be handled as an error (smuggling) */
	if (p->chunked && p->has_length)
		return hp_fail(p, err, EX_PROTOCOL,
		    "both Transfer-Encoding and Content-Length");
	if (status == 204 || status == 304)
		p->state = HP_DONE;
	else if (p->chunked)
		p->state = HP_CHUNK_SIZE;
	else if (p->has_length) {
		if (p->length > HTTP_MAX_BODY)
			return hp_too_large(p, err);
		p->left = p->length;
		p->state = p->left == 0 ? HP_DONE : HP_BODY;
	} else
		p->state = HP_CLOSE;
	return 0;
}

/* "1a2b[;ext]" (RFC 9112 7.1); a chunk of 0 starts the trailers. */
static int
hp_chunk_size(struct http_parser *p, const char *s, size_t len,
    struct perr *err)
{
	size_t i, size = 0;
	int d;

	for (i = 0; i < len; i++) {
		if (is_digit(s[i]))
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			break;
		size = size * 16 + (size_t)d;
		if (size > HTTP_MAX_BODY)
			return hp_too_large(p, err);
	}
	if (i == 0)
		return hp_fail(p, err, EX_PROTOCOL, "bad chunk size");
	/* chunk extensions (after BWS ";") mean nothing to us */
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && s[i] != ';')
		return hp_fail(p, err, EX_PROTOCOL, "bad chunk size");
	for (; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return hp_fail(p, err, EX_PROTOCOL,
			    "control character in a chunk extension");
	if (size > HTTP_MAX_BODY - p->resp->body.len)
		return hp_too_large(p, err);
	p->left = size;
	p->state = size == 0 ? HP_TRAILER : HP_CHUNK_DATA;
	return 0;
}

/* A complete line of len bytes, its LF (and CR) removed. */
static int
hp_line(struct http_parser *p, const char *s, size_t len, struct perr *err)
{
	if (memchr(s, '\r', len) != NULL || memchr(s, '\0', len) != NULL)
		return hp_fail(p, err, EX_PROTOCOL, "bare CR or NUL in a line");
	switch (p->state) {
	case HP_STATUS:
		return hp_status(p, s, len, err);
	case HP_HEADER:
		if (len == 0)
			return hp_headers_done(p, err);
		return hp_field(p, s, len, 0, err);
	case HP_CHUNK_SIZE:
		return hp_chunk_size(p, s, len, err);
	case HP_CHUNK_END:
		if (len != 0)
			return hp_fail(p, err, EX_PROTOCOL,
			    "chunk longer than its size");
		p->state = HP_CHUNK_SIZE;
		return 0;
	case HP_TRAILER:
		if (len == 0) {
			p->state = HP_DONE;
			return 0;
		}
		return hp_field(p, s, len, 1, err);
	default:
		return hp_fail(p, err, EX_SOFTWARE, "parser state");
	}
}

static int
hp_body(struct http_parser *p, const char *d, size_t n, struct perr *err)
{
	struct buf *b = &p->resp->body;

	if (b->data == NULL && buf_prealloc(b) == -1)
		return hp_fail(p, err, EX_OSERR, "out of memory");
	if (buf_add(b, d, n) == -1)
		return hp_too_large(p, err);
	return 0;
}

/* Collect line bytes up to an LF; returns the bytes taken or -1. */
static ssize_t
hp_collect(struct http_parser *p, const char *d, size_t len, struct perr *err)
{
	const char *lf;
	size_t n, *count, cap;
	int head = p->state == HP_STATUS || p->state == HP_HEADER;

	lf = memchr(d, '\n', len);
	n = lf != NULL ? (size_t)(lf - d) + 1 : len;
	/* the header section and the chunk framing each have a cap */
	count = head ? &p->headbytes : &p->framebytes;
	cap = head ? HTTP_MAX_HEADER : HTTP_MAX_BODY;
	if (n > cap - *count)
		return hp_fail(p, err, EX_PROTOCOL, "%s larger than %zu bytes",
		    head ? "header section" : "chunk framing", cap);
	*count += n;
	if (n > sizeof(p->line) - p->linelen)
		return hp_fail(p, err, EX_PROTOCOL, "line longer than %d bytes",
		    HTTP_MAX_LINE);
	memcpy(p->line + p->linelen, d, n);
	p->linelen += n;
	if (lf == NULL)
		return (ssize_t)n;
	/* RFC 9112 2.2: a bare LF may end a line too */
	len = p->linelen - 1;
	if (len > 0 && p->line[len - 1] == '\r')
		len--;
	p->linelen = 0;
	if (hp_line(p, p->line, len, err) == -1)
		return -1;
	return (ssize_t)n;
}

int
http_parser_feed(struct http_parser *p, const void *data, size_t len,
    struct perr *err)
{
	const char *d = data;
	ssize_t r;
	size_t n;

	while (len > 0 && p->state != HP_DONE) {
		switch (p->state) {
		case HP_FAIL:
			return perr_set(err, EX_SOFTWARE,
			    "HTTP response: parser used after an error");
		case HP_BODY:
		case HP_CHUNK_DATA:
			n = len < p->left ? len : p->left;
			if (hp_body(p, d, n, err) == -1)
				return -1;
			p->left -= n;
			if (p->left == 0)
				p->state = p->state == HP_BODY ? HP_DONE :
								 HP_CHUNK_END;
			break;
		case HP_CLOSE:
			n = len;
			if (hp_body(p, d, n, err) == -1)
				return -1;
			break;
		default:
			r = hp_collect(p, d, len, err);
			if (r == -1)
				return -1;
			n = (size_t)r;
			break;
		}
		d += n;
		len -= n;
	}
	if (p->state == HP_FAIL)
		return perr_set(err, EX_SOFTWARE,
		    "HTTP response: parser used after an error");
	return p->state == HP_DONE ? 1 : 0;
}

int
http_parser_eof(struct http_parser *p, struct perr *err)
{
	switch (p->state) {
	case HP_CLOSE:
		/*
		 * tls.c accepts a close without close_notify (SMTP servers
		 * need that), so such a body may have been cut short: the
		 * strict JSON reader refuses an unterminated document.
		 */
		p->state = HP_DONE;
		return 1;
	case HP_DONE:
		return 1;
	case HP_FAIL:
		return perr_set(err, EX_SOFTWARE,
		    "HTTP response: parser used after an error");
	default:
		if (p->state == HP_STATUS && p->headbytes == 0)
			return hp_fail(p, err, EX_TEMPFAIL,
			    "connection closed without a response");
		return hp_fail(p, err, EX_TEMPFAIL, "truncated");
	}
}

/* Seconds left before deadline, rounded up (no wait ends early); 0: none. */
static int
time_left(double deadline)
{
	double left = deadline - mono_now();

	if (left <= 0)
		return 0;
	return left > INT_MAX - 1 ? INT_MAX : (int)left + 1;
}

/* Give c the time left before deadline for its next waits; -1 when none is. */
static int
http_step(struct conn *c, double deadline)
{
	int left = time_left(deadline);

	if (left == 0)
		return -1;
	conn_set_timeout(c, left);
	return 0;
}

/* The request head: no secret goes in it except the Authorization value. */
static int
http_head(struct buf *h, const struct http_request *req,
    const struct http_url *u)
{
	char hostport[300];

	if (xsnprintf(hostport, sizeof(hostport),
		strchr(u->host, ':') != NULL ? "[%s]" : "%s", u->host) == -1)
		return -1;
	if (u->port != 443 &&
	    xsnprintf(hostport + strlen(hostport),
		sizeof(hostport) - strlen(hostport), ":%d", u->port) == -1)
		return -1;
	if (buf_printf(h,
		"POST %s HTTP/1.1\r\nHost: %s\r\n"
		"User-Agent: posta/%s\r\nAccept: application/json\r\n"
		"Content-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n",
		u->path, hostport, POSTA_VERSION, req->form->len) == -1)
		return -1;
	if (req->authorization != NULL &&
	    buf_printf(h, "Authorization: %s\r\n", req->authorization) == -1)
		return -1;
	return buf_adds(h, "\r\n");
}

/* -v: what was asked and what came back; never a body, never a query. */
static void
http_trace(const struct http_request *req, const struct http_url *u,
    const char *what)
{
	if (!req->verbose)
		return;
	(void)fprintf(stderr, "http: %s https://%s%s%s:%d%.*s\n", what,
	    strchr(u->host, ':') != NULL ? "[" : "", u->host,
	    strchr(u->host, ':') != NULL ? "]" : "", u->port,
	    (int)strcspn(u->path, "?"), u->path);
}

int
http_post_form(const struct http_request *req, struct http_response *resp,
    struct perr *err)
{
	struct perr e = { 0, "" };
	struct tls_params tp;
	struct http_parser *hp = NULL;
	struct http_url u;
	struct conn *c = NULL;
	struct buf head;
	char rbuf[8192];
	double deadline;
	ssize_t n;
	int r = 0, rc = -1, opened = 0, timeout;

	http_response_init(resp);
	buf_init(&head, HTTP_MAX_FORM);
	timeout = req->timeout > 0 ? req->timeout : DEFAULT_TIMEOUT;
	deadline = mono_now() + timeout;
	if (req->deadline > 0 && req->deadline < deadline)
		deadline = req->deadline;
	if (http_url_parse(req->url, &u, err) == -1)
		goto out;
	if (req->authorization != NULL && has_ctl(req->authorization)) {
		perr_set(err, EX_SOFTWARE,
		    "HTTP: control character in the "
		    "Authorization value");
		goto out;
	}
	if (buf_prealloc(&head) == -1 || http_head(&head, req, &u) == -1) {
		perr_set(err, EX_SOFTWARE, "HTTP: request head too large");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (hp = malloc(sizeof(*hp))) == NULL) {
		perr_set(err, EX_OSERR, "HTTP: out of memory");
		goto out;
	}
	http_trace(req, &u, "POST");

	/*
	 * each address conn_open() tries may take the whole timeout, but
	 * none goes past the caller's deadline
	 */
	if (conn_open_until(c, u.host, u.port, timeout, req->deadline, &e) ==
	    -1)
		goto out;
	opened = 1;
	memset(&tp, 0,
	    sizeof(tp)); /* what a token endpoint needs: no pin, no session */
	tp.servername = u.host;
	tp.ca_file = req->ca_file;
	if (http_step(c, deadline) == -1 || conn_start_tls(c, &tp, &e) == -1)
		goto out;
	if (http_step(c, deadline) == -1 ||
	    conn_write(c, head.data, head.len, &e) == -1 ||
	    conn_write(c, req->form->data, req->form->len, &e) == -1)
		goto out;

	http_parser_init(hp, resp);
	for (;;) {
		/* one deadline for everything: a trickling server is cut off */
		if (http_step(c, deadline) == -1)
			goto out;
		n = conn_read(c, rbuf, sizeof(rbuf), &e);
		if (n == -1)
			goto out;
		if (n == 0)
			r = http_parser_eof(hp, &e);
		else
			r = http_parser_feed(hp, rbuf, (size_t)n, &e);
		if (r != 0)
			break;
	}
	if (r == -1)
		goto out;
	if (req->verbose)
		(void)fprintf(stderr, "http: status %d, %zu bytes\n",
		    resp->status, resp->body.len);
	rc = 0;
out:
	if (rc == -1 && err->code == 0) {
		if (c != NULL && conn_limit_passed(c))
			perr_set(err, EX_TEMPFAIL,
			    "https://%s:%d: time budget "
			    "of the delivery (send_timeout) exhausted",
			    u.host, u.port);
		else if (time_left(deadline) == 0)
			perr_set(err, EX_TEMPFAIL,
			    "https://%s:%d: no complete "
			    "response within %d s",
			    u.host, u.port, timeout);
		else if (e.code != 0 &&
		    strncmp(e.msg, "HTTP response", 13) == 0)
			perr_set(err, e.code, "https://%s:%d: %s", u.host,
			    u.port, e.msg);
		else
			perr_set(err, e.code != 0 ? e.code : EX_SOFTWARE, "%s",
			    e.msg);
	}
	if (c != NULL) {
		if (opened)
			conn_close(c);
		/* its buffers saw the form and the tokens */
		conn_wipe(c);
		free(c);
	}
	if (hp != NULL) {
		explicit_bzero(hp, sizeof(*hp));
		free(hp);
	}
	explicit_bzero(rbuf, sizeof(rbuf));
	buf_wipe(&head);
	if (rc == -1)
		http_response_free(resp);
	return rc;
}
