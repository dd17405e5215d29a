/* SPDX-License-Identifier: ISC */
/*
 * A minimal HTTPS/1.1 client for OAuth token endpoints: POST a form,
 * get the status and the body. Sockets and TLS are conn.c's; the URL
 * parser, the form encoder and the response parser are pure, so that
 * they can be unit tested and fuzzed.
 */
#ifndef POSTA_HTTP_H
#define POSTA_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "perr.h"
#include "posta.h"

struct http_url {
	char host[256];		 /* IPv6 without brackets */
	int port;		 /* 443 unless given */
	char path[HTTP_MAX_URL]; /* path and query, starting with '/' */
};

/*
 * Split an https:// URL (scheme in any case; host a name, an IPv4
 * address or an IPv6 address in brackets; optional port; path and
 * query). Returns 0, or -1 with err (EX_CONFIG) for another scheme,
 * user info, a fragment, a space, control or non-ASCII byte, a bad
 * host or port, or a URL of HTTP_MAX_URL bytes or more.
 */
int http_url_parse(const char *url, struct http_url *u, struct perr *err);

/*
 * A request body in application/x-www-form-urlencoded. init allocates
 * all HTTP_MAX_FORM bytes at once, so that the secrets a form holds are
 * never left behind by a realloc; release it with buf_wipe(). add
 * appends name=value (joined by '&'), percent-encoded; both return 0,
 * or -1 with errno (E2BIG past HTTP_MAX_FORM, form unchanged; ENOMEM).
 */
int http_form_init(struct buf *form);
int http_form_add(struct buf *form, const char *name, const char *value);

struct http_response {
	int status;	  /* 200; 0 until the status line came */
	long retry_after; /* Retry-After in seconds, or -1 */
	struct buf body;  /* may hold tokens */
};

/* Start empty; free wipes the body, which may hold tokens. */
void http_response_init(struct http_response *r);
void http_response_free(struct http_response *r);

/*
 * The response parser: bytes in, in pieces of any size, r filled in.
 * It takes a status line (1xx interim responses are skipped), header
 * fields (no obs-fold; at most HTTP_MAX_HEADER bytes, lines of at most
 * HTTP_MAX_LINE), then a body by Transfer-Encoding: chunked (with
 * trailers), Content-Length, or until the peer closes. Any other
 * transfer coding, both framings at once, or conflicting lengths are
 * refused. The fields are private to http.c.
 */
struct http_parser {
	int state;
	int interim; /* in the headers of a 1xx */
	int chunked;
	int has_length;
	size_t length;	   /* Content-Length */
	size_t left;	   /* body or chunk bytes due */
	size_t headbytes;  /* status and header lines */
	size_t framebytes; /* chunk lines and trailers */
	size_t linelen;
	struct http_response *resp;
	char line[HTTP_MAX_LINE];
};

/* Start parsing into r, which http_response_init() has prepared. */
void http_parser_init(struct http_parser *p, struct http_response *r);

/*
 * Take len more bytes. Returns 1 when the response is complete (bytes
 * after its end are ignored), 0 when more are needed, or -1 with err
 * (EX_PROTOCOL: malformed or too large; EX_OSERR) and for every later
 * call.
 */
int http_parser_feed(struct http_parser *p, const void *data, size_t len,
    struct perr *err);

/* The peer closed: 1 when that ends the response, else -1 (EX_TEMPFAIL). */
int http_parser_eof(struct http_parser *p, struct perr *err);

struct http_request {
	const char *url;	   /* https:// only */
	const char *ca_file;	   /* NULL: the system store */
	const char *authorization; /* value or NULL; secret */
	const struct buf *form;	   /* the body; secret */
	int timeout;		   /* seconds for all of it */
	double deadline;	   /* and done by then (mono_now());
						   0: no such limit */
	int verbose;		   /* URL path, status on stderr */
};

/*
 * POST req->form to req->url over TLS (chain and host name verified,
 * SNI) and read the whole response, all within req->timeout seconds
 * (except that each address of a name gets up to that long to connect)
 * and before req->deadline, when set (every wait, connect included).
 * Redirects are not followed: a 3xx is returned like any status.
 * Returns 0 with resp filled in, whatever the status (judging it is the
 * caller's job), or -1 with err: EX_CONFIG (URL, ca_file), EX_NOHOST,
 * EX_TEMPFAIL (network, TLS, timeout, truncated response), EX_PROTOCOL
 * (malformed or too large response). resp is initialised in every case;
 * release it with http_response_free(). Neither the form nor the
 * Authorization value is ever printed or put into err.
 */
int http_post_form(const struct http_request *req, struct http_response *resp,
    struct perr *err);

#endif /* POSTA_HTTP_H */
