/* SPDX-License-Identifier: ISC */
/*
 * TLS over a connected non-blocking socket. The only interface to
 * OpenSSL: nothing else in posta includes an OpenSSL SSL header.
 */
#ifndef POSTA_TLS_H
#define POSTA_TLS_H

#include <sys/types.h>

#include <time.h>

#include "perr.h"
#include "tlsparams.h"

struct tls;

/*
 * Handshake as a client on fd (non-blocking), TLS 1.2 or later. Without
 * a pin the chain is verified against the trust store and the name
 * against the certificate; with a pin the certificate's digest alone
 * decides. With session_file, a session stored there for the same peer,
 * name and trust settings, unexpired, whose certificate passes the same
 * name or pin check, is offered for resumption; the session the server
 * issues is saved there by tls_close(). The handshake ends by deadline
 * (mono_now() seconds); every wait is made through wait (as wait_fd()
 * in util.h: the transport adds its socket policy). Returns NULL with
 * err set (EX_TEMPFAIL, "TLS handshake: certificate verify failed:
 * ..."; EX_CONFIG for unusable ca_file, cert_file or key_file).
 */
struct tls *tls_start(int fd, const struct tls_params *p, double deadline,
    int (*wait)(int, short, double), struct perr *err);

/*
 * Read up to len bytes before deadline (mono_now() seconds); returns the
 * count, 0 at the peer's close, -1 on error or when the deadline passes.
 */
ssize_t tls_read(struct tls *t, void *buf, size_t len, double deadline,
    struct perr *err);

/*
 * Write all len bytes; returns 0, or -1 on error or when a wait exceeds
 * timeout or goes past limit (mono_now() seconds, 0: none); then errno
 * is ETIMEDOUT.
 */
int tls_write(struct tls *t, const void *buf, size_t len, int timeout,
    double limit, struct perr *err);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" [" resumed"], for -v and the log. */
const char *tls_describe(struct tls *t);

/* The protocol version alone, "TLSv1.3"; "" for NULL. */
const char *tls_version(struct tls *t);

/* Why the chain does not verify, for the hint posta --check gives. */
enum tls_chain {
	TLS_CHAIN_OK,
	TLS_CHAIN_UNKNOWN_CA, /* no trusted issuer, self-signed */
	TLS_CHAIN_EXPIRED,    /* expired or not yet valid */
	TLS_CHAIN_OTHER
};

/* The server's certificate as plain data (posta --check). */
struct tls_peer {
	char subject[256]; /* "CN=smtp.example.com", one line */
	char issuer[256];
	char names[256];  /* subjectAltName: "host, 127.0.0.1" */
	time_t not_after; /* 0 when unknown */
	enum tls_chain chain;
	char chain_error[128]; /* OpenSSL's words, "" when ok */
	int name_ok;	       /* the servername matches */
	unsigned char pin[32]; /* SHA-256 of the certificate (DER) */
};

/*
 * posta --check: a handshake that trusts nothing and refuses nothing
 * (p->pin is ignored). The chain is verified against the same trust
 * store, its first error kept for tls_peer(), and the name is left to
 * tls_peer(). Never send anything secret over such a session.
 */
struct tls *tls_start_inspect(int fd, const struct tls_params *p,
    double deadline, int (*wait)(int, short, double), struct perr *err);

/*
 * Describe the certificate of a session from tls_start_inspect(),
 * checking it against servername. Returns 0, or -1 with err when the
 * server sent none.
 */
int tls_peer(struct tls *t, const char *servername, struct tls_peer *out,
    struct perr *err);

/*
 * Send close_notify (best effort, without waiting), save the session
 * the server issued (session_file), and free; NULL is a no-op. The fd
 * stays open.
 */
void tls_close(struct tls *t);

/* Free without sending anything: a child must not touch the session. */
void tls_free(struct tls *t);

#endif /* POSTA_TLS_H */
