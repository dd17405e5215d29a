/* SPDX-License-Identifier: ISC */
/*
 * TLS over a connected non-blocking socket. The only interface to
 * OpenSSL: nothing else in posta includes an OpenSSL SSL header.
 */
#ifndef POSTA_TLS_H
#define POSTA_TLS_H

#include <sys/types.h>

#include "perr.h"
#include "tlsparams.h"

struct tls;

/*
 * Handshake as a client on fd (non-blocking), TLS 1.2 or later. Without
 * a pin the chain is verified against the trust store and the name
 * against the certificate; with a pin the certificate's digest alone
 * decides. Every wait is bounded by timeout seconds and made through
 * wait (as wait_fd() in util.h: the transport adds its socket policy).
 * Returns NULL with err set (EX_TEMPFAIL, "TLS handshake: certificate
 * verify failed: ...").
 */
struct tls	*tls_start(int fd, const struct tls_params *p, int timeout,
		    int (*wait)(int, short, double), struct perr *err);

/*
 * Read up to len bytes before deadline (mono_now() seconds); returns the
 * count, 0 at the peer's close, -1 on error or when the deadline passes.
 */
ssize_t		 tls_read(struct tls *t, void *buf, size_t len,
		    double deadline, struct perr *err);

/*
 * Write all len bytes; returns 0, or -1 on error or when a wait exceeds
 * timeout (then errno is ETIMEDOUT).
 */
int		 tls_write(struct tls *t, const void *buf, size_t len,
		    int timeout, struct perr *err);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384", for the -v transcript and the log. */
const char	*tls_describe(struct tls *t);

/* Send close_notify (best effort, without waiting) and free; NULL is a no-op. The fd stays open. */
void		 tls_close(struct tls *t);

/* Free without sending anything, e.g. in a child that must not touch the session. */
void		 tls_free(struct tls *t);

#endif /* POSTA_TLS_H */
