/* SPDX-License-Identifier: ISC */
/*
 * The byte transport under SMTP: connect with a timeout, bounded line
 * reads, writes coalesced into one buffer, and the switch to TLS.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conn.h"
#include "posta.h"
#include "tls.h"
#include "util.h"

/*
 * Ask the kernel to acknowledge what arrives at once. Done before every
 * wait for input: a server that sends two small writes in a row (a TLS
 * session ticket, then a reply) is otherwise held by its own Nagle
 * algorithm until our delayed ACK, 40 ms later. Linux only; elsewhere,
 * and on a pipe, this fails harmlessly.
 */
static void
tcp_quickack(int fd)
{
#ifdef TCP_QUICKACK
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)fd;
#endif
}

/* wait_fd() with this file's socket policy; also what tls.c waits with. */
static int
conn_wait(int fd, short events, double deadline)
{
	if (events & POLLIN)
		tcp_quickack(fd);
	return wait_fd(fd, events, deadline);
}

/* The end of a wait that would end at d: never past the limit. */
static double
until(const struct conn *c, double d)
{
	return c->limit > 0 && c->limit < d ? c->limit : d;
}

int
conn_limit_passed(const struct conn *c)
{
	return c->limit > 0 && mono_now() >= c->limit;
}

/*
 * A wait during what ended at the limit, not at the step's timeout:
 * the caller waited as long as it was promised, however long the
 * step may take.
 */
static int
spent(struct conn *c, const char *what, struct perr *err)
{
	c->timedout = 1;
	return perr_set(err, EX_TEMPFAIL,
	    "%s: %s: time budget of the "
	    "delivery (send_timeout) exhausted",
	    c->peer, what);
}

/* One attempt on one address; returns the connected fd or -1 with errno. */
static int
conn_try(const struct addrinfo *ai, double deadline)
{
	socklen_t len;
	int fd, soerr, r, one = 1;

	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		r = conn_wait(fd, POLLOUT, deadline);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r != 1)
			goto fail;
		len = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	/* SMTP sends small commands; Nagle would hold them back. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	return fd;
fail:
	r = errno;
	(void)close(fd);
	errno = r;
	return -1;
}

int
conn_open(struct conn *c, const char *host, int port, int timeout,
    struct perr *err)
{
	return conn_open_until(c, host, port, timeout, 0, err);
}

int
conn_open_until(struct conn *c, const char *host, int port, int timeout,
    double limit, struct perr *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16];
	int gai, saved = 0, rc = -1;

	c->fd = -1;
	c->tls = NULL;
	c->rpos = c->rlen = c->wlen = 0;
	c->timeout = timeout > 0 ? timeout : DEFAULT_TIMEOUT;
	c->limit = limit > 0 ? limit : 0;
	c->timedout = 0;
	conn_step(c);
	if (xsnprintf(c->peer, sizeof(c->peer),
		strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d", host,
		port) == -1)
		return perr_set(err, EX_CONFIG, "host name too long");
	if (port < 1 || port > 65535)
		return perr_set(err, EX_CONFIG, "%s: bad port", c->peer);
	(void)xsnprintf(portstr, sizeof(portstr), "%d", port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	gai = getaddrinfo(host, portstr, &hints, &res);
	if (gai == EAI_NONAME)
		return perr_set(err, EX_NOHOST, "%s: cannot resolve: %s", host,
		    gai_strerror(gai));
	if (gai == EAI_SYSTEM)
		return perr_set(err, EX_TEMPFAIL, "%s: cannot resolve: %s",
		    host, strerror(errno));
	if (gai != 0)
		return perr_set(err, EX_TEMPFAIL, "%s: cannot resolve: %s",
		    host, gai_strerror(gai));

	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (conn_limit_passed(c))
			break;
		c->fd = conn_try(ai, until(c, mono_now() + c->timeout));
		if (c->fd != -1)
			break;
		saved = errno;
	}
	if (c->fd == -1 && conn_limit_passed(c)) {
		spent(c, "connect", err);
		goto out;
	}
	if (c->fd == -1) {
		perr_set(err, EX_TEMPFAIL, "%s: connect: %s", c->peer,
		    strerror(saved != 0 ? saved : EHOSTUNREACH));
		goto out;
	}
	rc = 0;
out:
	freeaddrinfo(res);
	return rc;
}

static int
conn_tls(struct conn *c, const struct tls_params *p, int inspect,
    struct perr *err)
{
	struct perr e = { 0, "" };
	double deadline;

	if (c->fd == -1)
		return perr_set(err, EX_SOFTWARE, "%s: not connected", c->peer);
	if (c->tls != NULL)
		return perr_set(err, EX_SOFTWARE, "%s: TLS is already on",
		    c->peer);
	/*
	 * Bytes that came with or after the STARTTLS reply were sent in
	 * clear text and could be injected by anyone on the path
	 * (CVE-2011-0411): they must not be read as if they came over TLS.
	 */
	if (c->rlen > c->rpos)
		return perr_set(err, EX_PROTOCOL,
		    "%s: unexpected data after STARTTLS reply", c->peer);
	if (c->wlen != 0)
		return perr_set(err, EX_SOFTWARE,
		    "%s: clear text queued before TLS", c->peer);
	c->rpos = c->rlen = 0;
	deadline = until(c, mono_now() + c->timeout);
	c->tls = inspect ?
	    tls_start_inspect(c->fd, p, deadline, conn_wait, &e) :
	    tls_start(c->fd, p, deadline, conn_wait, &e);
	if (c->tls != NULL)
		return 0;
	if (conn_limit_passed(c))
		return spent(c, "TLS handshake", err);
	return perr_set(err, e.code, "%s", e.msg);
}

int
conn_start_tls(struct conn *c, const struct tls_params *p, struct perr *err)
{
	return conn_tls(c, p, 0, err);
}

int
conn_start_tls_inspect(struct conn *c, const struct tls_params *p,
    struct perr *err)
{
	return conn_tls(c, p, 1, err);
}

/*
 * Send len bytes straight to the peer; every wait gets the full
 * timeout, up to the limit.
 */
static int
conn_send(struct conn *c, const char *p, size_t len, struct perr *err)
{
	struct perr e = { 0, "" };
	ssize_t n;
	int r;

	if (c->tls != NULL) {
		if (tls_write(c->tls, p, len, c->timeout, c->limit, &e) == 0)
			return 0;
		if (errno == ETIMEDOUT && conn_limit_passed(c))
			return spent(c, "write", err);
		if (errno == ETIMEDOUT)
			c->timedout = 1;
		return perr_set(err, e.code, "%s", e.msg);
	}
	while (len > 0) {
		/* MSG_NOSIGNAL: a closed peer is an error here, not a signal */
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return perr_set(err, EX_TEMPFAIL, "%s: write: %s",
			    c->peer, strerror(errno));
		r = conn_wait(c->fd, POLLOUT,
		    until(c, mono_now() + c->timeout));
		if (r == 0 && conn_limit_passed(c))
			return spent(c, "write", err);
		if (r == 0) {
			c->timedout = 1;
			return perr_set(err, EX_TEMPFAIL,
			    "%s: write: timed out after %d s", c->peer,
			    c->timeout);
		}
		if (r == -1)
			return perr_set(err, EX_TEMPFAIL, "%s: write: %s",
			    c->peer, strerror(errno));
	}
	return 0;
}

int
conn_flush(struct conn *c, struct perr *err)
{
	size_t len = c->wlen;

	if (len == 0)
		return 0;
	if (c->fd == -1)
		return perr_set(err, EX_SOFTWARE, "%s: not connected", c->peer);
	/* after a failure the session is dead: do not send the rest later */
	c->wlen = 0;
	return conn_send(c, c->wbuf, len, err);
}

int
conn_write(struct conn *c, const void *buf, size_t len, struct perr *err)
{
	const char *p = buf;
	size_t n;

	if (c->fd == -1)
		return perr_set(err, EX_SOFTWARE, "%s: not connected", c->peer);
	while (len > 0) {
		/* nothing queued and a buffer's worth to send: skip the copy */
		if (c->wlen == 0 && len >= sizeof(c->wbuf))
			return conn_send(c, p, len, err);
		n = sizeof(c->wbuf) - c->wlen;
		if (n > len)
			n = len;
		memcpy(c->wbuf + c->wlen, p, n);
		c->wlen += n;
		p += n;
		len -= n;
		if (c->wlen == sizeof(c->wbuf) && conn_flush(c, err) == -1)
			return -1;
	}
	return 0;
}

/* Read more into rbuf before deadline. Returns bytes read, 0 at EOF, -1. */
static ssize_t
conn_fill(struct conn *c, double deadline, struct perr *err)
{
	char *p = c->rbuf + c->rlen;
	size_t room = sizeof(c->rbuf) - c->rlen;
	struct perr e = { 0, "" };
	ssize_t n;
	int r;

	/* checked before reading too: a flood of bytes must not outlast it */
	if (mono_now() >= deadline && conn_limit_passed(c))
		return spent(c, "waiting for the server", err);
	if (mono_now() >= deadline) {
		c->timedout = 1;
		return perr_set(err, EX_TEMPFAIL,
		    "%s: timed out after %d s waiting for the server", c->peer,
		    c->timeout);
	}
	if (c->tls != NULL) {
		n = tls_read(c->tls, p, room, deadline, &e);
		if (n == -1 && mono_now() >= deadline && conn_limit_passed(c))
			return spent(c, "waiting for the server", err);
		if (n == -1 && mono_now() >= deadline)
			c->timedout = 1;
		if (n == -1)
			return perr_set(err, e.code, "%s", e.msg);
		return n;
	}
	for (;;) {
		n = recv(c->fd, p, room, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return perr_set(err, EX_TEMPFAIL, "%s: read: %s",
			    c->peer, strerror(errno));
		r = conn_wait(c->fd, POLLIN, deadline);
		if (r == 0 && conn_limit_passed(c))
			return spent(c, "waiting for the server", err);
		if (r == 0) {
			c->timedout = 1;
			return perr_set(err, EX_TEMPFAIL,
			    "%s: timed out after %d s waiting for the server",
			    c->peer, c->timeout);
		}
		if (r == -1)
			return perr_set(err, EX_TEMPFAIL, "%s: read: %s",
			    c->peer, strerror(errno));
	}
}

void
conn_step(struct conn *c)
{
	c->deadline = until(c, mono_now() + c->timeout);
}

ssize_t
conn_getline(struct conn *c, char *buf, size_t cap, struct perr *err)
{
	char *start, *lf;
	size_t avail, len;
	ssize_t n;

	if (cap == 0)
		return perr_set(err, EX_SOFTWARE, "conn_getline: no buffer");
	if (conn_flush(c, err) == -1)
		return -1;
	if (c->fd == -1)
		return perr_set(err, EX_SOFTWARE, "%s: not connected", c->peer);
	/*
	 * One deadline for the whole step, not one per line or per byte:
	 * a server trickling a reply of many lines cannot hold us longer.
	 */
	for (;;) {
		start = c->rbuf + c->rpos;
		avail = c->rlen - c->rpos;
		lf = memchr(start, '\n', avail);
		if (lf != NULL)
			break;
		/* a CR may still precede the LF, so cap bytes are not yet too many */
		if (avail > cap || avail == sizeof(c->rbuf))
			goto toolong;
		if (c->rpos > 0) {
			memmove(c->rbuf, start, avail);
			c->rpos = 0;
			c->rlen = avail;
		}
		n = conn_fill(c, c->deadline, err);
		if (n == -1)
			return -1;
		if (n == 0)
			return perr_set(err, EX_TEMPFAIL,
			    "%s: connection closed by the server", c->peer);
		c->rlen += (size_t)n;
	}
	len = (size_t)(lf - start);
	c->rpos += len + 1;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	if (len >= cap)
		goto toolong;
	memcpy(buf, start, len);
	buf[len] = '\0';
	return (ssize_t)len;
toolong:
	return perr_set(err, EX_PROTOCOL, "%s: line longer than %zu bytes",
	    c->peer, cap - 1);
}

ssize_t
conn_read(struct conn *c, void *buf, size_t len, struct perr *err)
{
	size_t n;
	ssize_t r;

	if (conn_flush(c, err) == -1)
		return -1;
	if (c->fd == -1)
		return perr_set(err, EX_SOFTWARE, "%s: not connected", c->peer);
	if (c->rpos == c->rlen) {
		c->rpos = c->rlen = 0;
		r = conn_fill(c, until(c, mono_now() + c->timeout), err);
		if (r <= 0)
			return r;
		c->rlen = (size_t)r;
	}
	n = c->rlen - c->rpos;
	if (n > len)
		n = len;
	memcpy(buf, c->rbuf + c->rpos, n);
	c->rpos += n;
	return (ssize_t)n;
}

void
conn_set_timeout(struct conn *c, int timeout)
{
	c->timeout = timeout > 0 ? timeout : DEFAULT_TIMEOUT;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

const char *
conn_tls_describe(const struct conn *c)
{
	return c->tls != NULL ? tls_describe(c->tls) : "";
}

const char *
conn_tls_version(const struct conn *c)
{
	return c->tls != NULL ? tls_version(c->tls) : "";
}

static void
conn_reset(struct conn *c)
{
	if (c->fd != -1)
		(void)close(c->fd); /* nothing to report: we are leaving */
	c->fd = -1;
	c->tls = NULL;
	c->rpos = c->rlen = c->wlen = 0;
}

void
conn_close(struct conn *c)
{
	if (c->fd == -1)
		return;
	/* queued bytes are dropped: smtp_close() waits for QUIT's reply first */
	tls_close(c->tls);
	conn_reset(c);
}

void
conn_abandon(struct conn *c)
{
	if (c->fd == -1)
		return;
	tls_free(c->tls);
	conn_reset(c);
}

void
conn_init(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int
conn_is_open(const struct conn *c)
{
	return c->fd != -1;
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

int
conn_timed_out(const struct conn *c)
{
	return c->timedout;
}

void
conn_wipe_sent(struct conn *c)
{
	explicit_bzero(c->wbuf + c->wlen, sizeof(c->wbuf) - c->wlen);
}

void
conn_wipe(struct conn *c)
{
	explicit_bzero(c, sizeof(*c));
	c->fd = -1;
}
