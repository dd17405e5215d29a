/* SPDX-License-Identifier: ISC */
/*
 * The transport under SMTP: TCP connect with a timeout, buffered line
 * reads and coalesced writes, and STARTTLS. Above this file nobody
 * knows whether the bytes travel in TLS.
 */
#ifndef POSTA_CONN_H
#define POSTA_CONN_H

#include <sys/types.h>
#include <stddef.h>

#include "perr.h"

struct tls;
struct tls_params;

struct conn {
	int fd;		 /* -1 when closed */
	struct tls *tls; /* NULL until TLS is on */
	int timeout;	 /* seconds for each step */
	double deadline; /* end of the current step (mono_now) */
	double limit;	 /* no wait goes past it; 0: none */
	int timedout;	 /* a wait ran out of time: the peer is stuck */
	char peer[300];	 /* "host:port", for messages */
	size_t rpos, rlen;
	size_t wlen;
	char rbuf[16384];
	char wbuf[65536];
};

/*
 * Connect to host:port (every address getaddrinfo gives, in order),
 * non-blocking, TCP_NODELAY, each attempt bounded by timeout seconds.
 * Returns 0, or -1 with err (EX_TEMPFAIL: "host:port: connect: ...",
 * EX_NOHOST when the name does not resolve).
 */
int conn_open(struct conn *c, const char *host, int port, int timeout,
    struct perr *err);

/*
 * The same within a time budget that ends at limit (mono_now()
 * seconds; 0: none): every wait of the connection, the connect
 * included, ends by then whatever the timeout, as a timeout whose
 * message says that the budget was exhausted.
 */
int conn_open_until(struct conn *c, const char *host, int port, int timeout,
    double limit, struct perr *err);

/* Switch the open connection to TLS (implicit TLS or after STARTTLS). */
int conn_start_tls(struct conn *c, const struct tls_params *p,
    struct perr *err);

/* The same with tls_start_inspect(): posta --check only, nothing secret. */
int conn_start_tls_inspect(struct conn *c, const struct tls_params *p,
    struct perr *err);

/*
 * Start a step (one command and its whole reply): the reads until the
 * next conn_step() must all be done within timeout seconds from now,
 * however the server spreads its bytes.
 */
void conn_step(struct conn *c);

/*
 * Send what is queued, then read one line ending in LF into buf, with
 * CR LF or LF removed and a NUL added (a NUL inside the line stays: the
 * length tells). Returns its length, or -1 when the step's deadline
 * passes, on EOF, error, or a line longer than cap - 1 (EX_TEMPFAIL or
 * EX_PROTOCOL).
 */
ssize_t conn_getline(struct conn *c, char *buf, size_t cap, struct perr *err);

/*
 * Send what is queued, then read up to len bytes: what is buffered, or
 * else what one wait of the timeout brings. Returns the count, 0 when
 * the peer closed, or -1 (EX_TEMPFAIL) on timeout or error.
 */
ssize_t conn_read(struct conn *c, void *buf, size_t len, struct perr *err);

/* Seconds for each later wait (handshake, reads, writes); <= 0: the default. */
void conn_set_timeout(struct conn *c, int timeout);

/* Queue bytes; they go out when the buffer fills or before the next read. */
int conn_write(struct conn *c, const void *buf, size_t len, struct perr *err);

/* Send everything queued now. */
int conn_flush(struct conn *c, struct perr *err);

/* 1 when the bytes travel in TLS. */
int conn_is_tls(const struct conn *c);

/* TLS version and cipher, or "" without TLS. */
const char *conn_tls_describe(const struct conn *c);

/* The TLS version alone ("TLSv1.3"), or "" without TLS. */
const char *conn_tls_version(const struct conn *c);

/* Close politely (TLS close_notify, no waiting); a closed conn is a no-op. */
void conn_close(struct conn *c);

/* Close without sending anything: the session belongs to another process now. */
void conn_abandon(struct conn *c);

/* A closed connection, before the first conn_open(): closing it is a no-op. */
void conn_init(struct conn *c);

/* 1 between conn_open() and the close. */
int conn_is_open(const struct conn *c);

/* "host:port" of the last conn_open(), for messages. */
const char *conn_peer(const struct conn *c);

/* 1 when a wait ran out of time since conn_open(): the peer is stuck. */
int conn_timed_out(const struct conn *c);

/* 1 when the limit of conn_open_until() has passed. */
int conn_limit_passed(const struct conn *c);

/*
 * Wipe the write buffer except what is queued: bytes already sent (an
 * AUTH line) leave no copy behind.
 */
void conn_wipe_sent(struct conn *c);

/* Wipe all c holds, once closed: it is then as after conn_init(). */
void conn_wipe(struct conn *c);

#endif /* POSTA_CONN_H */
