/* SPDX-License-Identifier: ISC */
/*
 * The browser's side of an authorization-code login with PKCE (RFC
 * 7636, RFC 8252 7.3): the authorization URL, and a listener on
 * 127.0.0.1 that takes the browser's redirect and reads its code and
 * state. Every connection is bounded in time and size; nothing read
 * here is ever printed.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "jwt.h"
#include "loopback.h"
#include "ossl.h"
#include "posta.h"
#include "util.h"

#define CONN_WAIT 10	/* seconds for one request head */
#define MAX_HEAD  16384 /* request head from the browser, octets */

static int test_conn_wait;

void
loopback_test_conn_wait(int secs)
{
	test_conn_wait = secs;
}

int
loopback_pkce_s256(const char *verifier, char *out, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char enc[4 * (EVP_MAX_MD_SIZE + 2) / 3 + 1];

	/* enc has room for the encoder's padding, which out need not have */
	if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(),
		NULL) != 1 ||
	    jwt_b64url(md, mdlen, enc, sizeof(enc)) == -1)
		return -1;
	return xstrlcpy(out, enc, cap);
}

int
loopback_auth_url(struct buf *b, const struct loopback_authreq *r)
{
	struct buf q;
	char redirect[64];
	int rc = -1;

	if (http_form_init(&q) == -1)
		return -1;
	if (xsnprintf(redirect, sizeof(redirect), "http://127.0.0.1:%d/",
		r->port) == -1) {
		errno = E2BIG;
		goto out;
	}
	if (http_form_add(&q, "client_id", r->client_id) == -1 ||
	    http_form_add(&q, "response_type", "code") == -1 ||
	    http_form_add(&q, "redirect_uri", redirect) == -1 ||
	    http_form_add(&q, "scope", r->scope) == -1 ||
	    http_form_add(&q, "state", r->state) == -1 ||
	    http_form_add(&q, "code_challenge", r->challenge) == -1 ||
	    http_form_add(&q, "code_challenge_method", "S256") == -1)
		goto out;
	/* without these Google gives a refresh token only the first time */
	if (r->offline &&
	    (http_form_add(&q, "access_type", "offline") == -1 ||
		http_form_add(&q, "prompt", "consent") == -1))
		goto out;
	if (buf_adds(b, r->auth_url) == -1 ||
	    buf_addc(b, strchr(r->auth_url, '?') != NULL ? '&' : '?') == -1 ||
	    buf_add(b, q.data, q.len) == -1)
		goto out;
	rc = 0;
out:
	buf_wipe(&q);
	return rc;
}

/*
 * Decode s[0..n) (application/x-www-form-urlencoded: %XX and '+') into
 * dst. A NUL or control character, a broken escape or an overlong value
 * is refused: none belongs in a code or a state.
 */
static int
pct_decode(const char *s, size_t n, char *dst, size_t cap)
{
	size_t i, o = 0;
	int hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi == -1 || lo == -1)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= cap)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

int
loopback_redirect_parse(const char *head, size_t len,
    struct loopback_redirect *r)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} fields[] = {
		{ "code", offsetof(struct loopback_redirect, code),
		    sizeof(r->code) },
		{ "state", offsetof(struct loopback_redirect, state),
		    sizeof(r->state) },
		{ "error", offsetof(struct loopback_redirect, error),
		    sizeof(r->error) },
		{ "error_description",
		    offsetof(struct loopback_redirect, error_description),
		    sizeof(r->error_description) },
	};
	const char *p, *end, *q, *eq, *amp;
	unsigned int seen = 0;
	size_t i, nlen;

	memset(r, 0, sizeof(*r));
	/* the request line: "GET /?query HTTP/1.1" */
	end = memchr(head, '\n', len);
	if (end == NULL)
		end = head + len;
	if (end > head && end[-1] == '\r')
		end--;
	if ((size_t)(end - head) < 4 || memcmp(head, "GET ", 4) != 0)
		return 0;
	p = head + 4;
	q = memchr(p, ' ', (size_t)(end - p));
	if (q == NULL || (size_t)(end - q) < 9 || memcmp(q, " HTTP/1.", 8) != 0)
		return -1;
	end = q;
	if ((size_t)(end - p) < 2 || memcmp(p, "/?", 2) != 0)
		return 0;
	for (p += 2; p < end; p = amp + 1) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		nlen = (size_t)((eq != NULL ? eq : amp) - p);
		for (i = 0; i < nitems(fields); i++) {
			if (strlen(fields[i].name) != nlen ||
			    memcmp(p, fields[i].name, nlen) != 0)
				continue;
			/* the same field twice: someone is playing games */
			if (seen & 1U << i || eq == NULL ||
			    pct_decode(eq + 1, (size_t)(amp - eq - 1),
				(char *)r + fields[i].off, fields[i].cap) == -1)
				return -1;
			seen |= 1U << i;
		}
		if (amp == end)
			break;
	}
	return r->code[0] != '\0' || r->error[0] != '\0' ? 1 : 0;
}

int
loopback_listen(int port, struct perr *err)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	if (port < 0 || port > 65535)
		return perr_set(err, EX_USAGE, "loopback port %d: out of range",
		    port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return perr_set(err, EX_OSERR, "socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	/* loopback only: the code in the redirect must not reach the network */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1) {
		perr_set(err, EX_UNAVAILABLE, "listen on 127.0.0.1:%d: %s",
		    port, strerror(errno));
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
loopback_port(int lfd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	return ntohs(sin.sin_port);
}

/*
 * Read a request head (up to the empty line) from the non-blocking
 * socket fd into buf until deadline. Returns its length; 0 when the
 * peer sent nothing usable in time (a browser's idle preconnection).
 */
static size_t
read_head(int fd, char *buf, size_t cap, double deadline)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1) {
		if (wait_fd(fd, POLLIN, deadline) != 1)
			return 0;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL ||
		    strstr(buf, "\n\n") != NULL)
			break;
	}
	buf[len] = '\0';
	return len;
}

/* Answer the browser, best effort: the outcome does not depend on it. */
static void
answer(int fd, const char *status, const char *text, double deadline)
{
	char body[512], msg[1024];
	const char *p;
	size_t left;
	ssize_t n;

	if (xsnprintf(body, sizeof(body),
		"<!DOCTYPE html>\n"
		"<title>posta</title>\n<p>%s</p>\n",
		text) == -1 ||
	    xsnprintf(msg, sizeof(msg),
		"HTTP/1.1 %s\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"Content-Length: %zu\r\n"
		"Cache-Control: no-store\r\n"
		"Connection: close\r\n\r\n%s",
		status, strlen(body), body) == -1)
		return;
	p = msg;
	left = strlen(msg);
	while (left > 0 && wait_fd(fd, POLLOUT, deadline) == 1) {
		n = send(fd, p, left, MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	(void)shutdown(fd, SHUT_WR);
}

int
loopback_wait_redirect(int lfd, const char *state, double deadline,
    struct loopback_redirect *r, struct perr *err)
{
	char head[MAX_HEAD];
	double cdl;
	size_t len;
	int fd = -1, kind, rc = -1, cw;

	cw = test_conn_wait > 0 ? test_conn_wait : CONN_WAIT;
	for (;;) {
		if (fd != -1)
			(void)close(fd);
		fd = -1;
		switch (wait_fd(lfd, POLLIN, deadline)) {
		case 0:
			perr_set(err, EX_TEMPFAIL,
			    "no redirect from the "
			    "browser arrived in time; run the login again");
			goto out;
		case -1:
			perr_set(err, EX_OSERR, "poll: %s", strerror(errno));
			goto out;
		}
		fd = accept(lfd, NULL, NULL);
		if (fd != -1 &&
		    (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
			fcntl(fd, F_SETFL, O_NONBLOCK) == -1)) {
			perr_set(err, EX_OSERR, "fcntl: %s", strerror(errno));
			goto out;
		}
		if (fd == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ECONNABORTED)
				continue;
			perr_set(err, EX_OSERR, "accept: %s", strerror(errno));
			goto out;
		}
		cdl = mono_now() + cw;
		if (cdl > deadline)
			cdl = deadline;
		len = read_head(fd, head, sizeof(head), cdl);
		if (len == 0)
			continue;
		kind = loopback_redirect_parse(head, len, r);
		if (kind == 0) {
			answer(fd, "404 Not Found",
			    "posta is waiting for "
			    "the authorization redirect.",
			    cdl);
			continue;
		}
		if (kind == -1) {
			answer(fd, "400 Bad Request",
			    "posta could not read "
			    "this redirect. Run the login again.",
			    cdl);
			perr_set(err, EX_PROTOCOL,
			    "the redirect could not be "
			    "read (malformed or oversized); run the login "
			    "again");
			goto out;
		}
		if (r->error[0] != '\0') {
			answer(fd, "200 OK",
			    "Authorization refused. posta "
			    "has stopped; see its output.",
			    cdl);
			perr_set(err, EX_NOPERM,
			    "authorization refused: "
			    "%s%s%s",
			    r->error,
			    r->error_description[0] != '\0' ? ": " : "",
			    r->error_description);
			goto out;
		}
		if (strlen(r->state) != strlen(state) ||
		    CRYPTO_memcmp(r->state, state, strlen(state)) != 0) {
			answer(fd, "400 Bad Request",
			    "This redirect does not "
			    "belong to the login posta started. posta has "
			    "stopped.",
			    cdl);
			perr_set(err, EX_NOPERM,
			    "the redirect carries a wrong "
			    "state (not from this login); nothing was "
			    "exchanged, run the login again");
			goto out;
		}
		answer(fd, "200 OK",
		    "posta received the authorization. "
		    "You can close this window.",
		    cdl);
		rc = 0;
		goto out;
	}
out:
	if (fd != -1)
		(void)close(fd);
	OPENSSL_cleanse(head, sizeof(head));
	if (rc == -1)
		OPENSSL_cleanse(r->code, sizeof(r->code));
	return rc;
}
