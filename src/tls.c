/* SPDX-License-Identifier: ISC */
/*
 * TLS client on a non-blocking socket: the only file that sees OpenSSL's
 * SSL API. Verification is OpenSSL's own (chain, then SSL_set1_host);
 * a pin replaces both with a SHA-256 comparison of the leaf certificate.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

struct tls {
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 fd;
	int		(*wait)(int, short, double);
	int		 has_pin;
	unsigned char	 pin[32];
	char		 host[256];	/* for messages only */
	char		 desc[128];
};

/* What an SSL_* call needs before it can be retried. */
enum tls_wait {
	TLS_DONE,
	TLS_AGAIN,
	TLS_FAIL,
	TLS_EOF
};

static void
tls_release(struct tls *t)
{
	if (t->ssl != NULL)
		SSL_free(t->ssl);
	if (t->ctx != NULL)
		SSL_CTX_free(t->ctx);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

/*
 * Wait until fd is ready for what OpenSSL asked for, or until the
 * deadline. Returns 0 when ready, -1 (errno set) on timeout or error.
 */
static int
tls_poll(struct tls *t, short events, double deadline)
{
	int r = t->wait(t->fd, events, deadline);

	if (r == 0)
		errno = ETIMEDOUT;
	return r == 1 ? 0 : -1;
}

/* The most useful one-line reason OpenSSL has for the last failure. */
static const char *
tls_reason(int sslerr, int saved_errno, char *buf, size_t cap)
{
	unsigned long e;
	const char *r;

	e = ERR_peek_last_error();
	if (e != 0) {
		r = ERR_reason_error_string(e);
		if (r != NULL)
			return r;
		ERR_error_string_n(e, buf, cap);
		return buf;
	}
	if (sslerr == SSL_ERROR_SYSCALL && saved_errno != 0)
		return strerror(saved_errno);
	if (sslerr == SSL_ERROR_SYSCALL || sslerr == SSL_ERROR_ZERO_RETURN)
		return "connection closed by peer";
	(void)xsnprintf(buf, cap, "SSL error %d", sslerr);
	return buf;
}

/*
 * Classify the result of an SSL_* call and wait when OpenSSL needs the
 * socket. what names the operation for the error message.
 */
static enum tls_wait
tls_retry(struct tls *t, int ret, double deadline, const char *what,
    struct perr *err)
{
	char buf[256];
	int e, saved = errno;
	short ev;

	e = SSL_get_error(t->ssl, ret);
	switch (e) {
	case SSL_ERROR_NONE:
		return TLS_DONE;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (tls_poll(t, ev, deadline) == -1) {
			saved = errno;
			perr_set(err, EX_TEMPFAIL, "TLS %s %s: %s", what,
			    t->host, saved == ETIMEDOUT ? "timed out" :
			    strerror(saved));
			errno = saved;	/* the caller tells a timeout by it */
			return TLS_FAIL;
		}
		return TLS_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_EOF;
	default:
		perr_set(err, EX_TEMPFAIL, "TLS %s %s: %s", what, t->host,
		    tls_reason(e, saved, buf, sizeof(buf)));
		return TLS_FAIL;
	}
}

/* With a pin the chain is not checked: the digest decides after the handshake. */
static int
tls_accept_any(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

static int
tls_is_ip(const char *name)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

static int
tls_setup(struct tls *t, const struct tls_params *p, struct perr *err)
{
	X509_VERIFY_PARAM *vp;
	const char *name = p->servername;
	char buf[256];

	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL)
		return perr_set(err, EX_TEMPFAIL, "TLS: cannot create context: %s",
		    tls_reason(0, 0, buf, sizeof(buf)));
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
		return perr_set(err, EX_TEMPFAIL, "TLS: cannot require TLS 1.2");
	/*
	 * SMTP detects a truncated dialogue by itself, and many servers
	 * close without close_notify after QUIT.
	 */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_RENEGOTIATION);
	/* Short writes let tls_write() restart the timeout on progress. */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);

	if (t->has_pin)
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, tls_accept_any);
	else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
		if (p->ca_file != NULL) {
			if (SSL_CTX_load_verify_locations(t->ctx, p->ca_file,
			    NULL) != 1)
				return perr_set(err, EX_CONFIG,
				    "ca_file %s: cannot load: %s", p->ca_file,
				    tls_reason(0, 0, buf, sizeof(buf)));
		} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1)
			return perr_set(err, EX_TEMPFAIL,
			    "TLS: cannot load the system trust store: %s",
			    tls_reason(0, 0, buf, sizeof(buf)));
	}

	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL)
		return perr_set(err, EX_TEMPFAIL, "TLS: cannot create session: %s",
		    tls_reason(0, 0, buf, sizeof(buf)));
	if (SSL_set_fd(t->ssl, t->fd) != 1)
		return perr_set(err, EX_TEMPFAIL, "TLS: cannot attach socket");
	if (name == NULL || *name == '\0') {
		if (t->has_pin)
			return 0;
		/* a trusted chain alone would accept any server */
		return perr_set(err, EX_SOFTWARE,
		    "TLS: no server name to check the certificate against");
	}

	/* RFC 6066 3: SNI carries host names only, never literal addresses. */
	if (!tls_is_ip(name) && SSL_set_tlsext_host_name(t->ssl, name) != 1)
		return perr_set(err, EX_TEMPFAIL, "TLS: bad server name %s",
		    t->host);
	if (t->has_pin)
		return 0;
	if (tls_is_ip(name)) {
		vp = SSL_get0_param(t->ssl);
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1)
			return perr_set(err, EX_TEMPFAIL,
			    "TLS: bad IP address %s", t->host);
		return 0;
	}
	SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(t->ssl, name) != 1)
		return perr_set(err, EX_TEMPFAIL, "TLS: bad server name %s",
		    t->host);
	return 0;
}

static int
tls_check_pin(struct tls *t, struct perr *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char diff = 0;
	X509 *cert;
	size_t i;
	int rc = -1;

	cert = SSL_get1_peer_certificate(t->ssl);
	if (cert == NULL) {
		perr_set(err, EX_TEMPFAIL,
		    "TLS handshake with %s: no server certificate", t->host);
		goto out;
	}
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 ||
	    mdlen != sizeof(t->pin)) {
		perr_set(err, EX_TEMPFAIL,
		    "TLS handshake with %s: cannot digest the certificate",
		    t->host);
		goto out;
	}
	for (i = 0; i < sizeof(t->pin); i++)
		diff |= md[i] ^ t->pin[i];
	if (diff != 0) {
		perr_set(err, EX_TEMPFAIL,
		    "TLS handshake with %s: certificate fingerprint mismatch",
		    t->host);
		goto out;
	}
	rc = 0;
out:
	X509_free(cert);
	return rc;
}

static int
tls_handshake(struct tls *t, int timeout, struct perr *err)
{
	enum tls_wait w;
	double deadline;
	long vr;
	int ret;

	deadline = mono_now() + timeout;
	for (;;) {
		ERR_clear_error();
		ret = SSL_connect(t->ssl);
		if (ret == 1)
			break;
		/* with a pin the callback let the chain errors through */
		vr = SSL_get_verify_result(t->ssl);
		if (!t->has_pin && vr != X509_V_OK)
			return perr_set(err, EX_TEMPFAIL,
			    "TLS handshake with %s: certificate verify failed: "
			    "%s", t->host, X509_verify_cert_error_string(vr));
		w = tls_retry(t, ret, deadline, "handshake with", err);
		if (w == TLS_EOF)
			return perr_set(err, EX_TEMPFAIL,
			    "TLS handshake with %s: connection closed by peer",
			    t->host);
		if (w != TLS_AGAIN)
			return -1;
	}
	if (t->has_pin)
		return tls_check_pin(t, err);
	return 0;
}

struct tls *
tls_start(int fd, const struct tls_params *p, int timeout,
    int (*wait)(int, short, double), struct perr *err)
{
	struct tls *t;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		perr_set(err, EX_OSERR, "TLS: out of memory");
		return NULL;
	}
	t->fd = fd;
	t->wait = wait;
	if (p->pin != NULL) {
		t->has_pin = 1;
		memcpy(t->pin, p->pin, sizeof(t->pin));
	}
	(void)xstrlcpy(t->host, p->servername != NULL ? p->servername : "?",
	    sizeof(t->host));
	if (tls_setup(t, p, err) == -1 || tls_handshake(t, timeout, err) == -1)
		goto fail;
	ERR_clear_error();
	return t;
fail:
	ERR_clear_error();
	tls_release(t);
	return NULL;
}

ssize_t
tls_read(struct tls *t, void *buf, size_t len, double deadline,
    struct perr *err)
{
	enum tls_wait w;
	size_t n = 0;
	int ret;

	if (len == 0)
		return 0;
	for (;;) {
		ERR_clear_error();
		ret = SSL_read_ex(t->ssl, buf, len, &n);
		if (ret == 1)
			return (ssize_t)n;
		w = tls_retry(t, ret, deadline, "read from", err);
		if (w == TLS_EOF)
			return 0;
		if (w != TLS_AGAIN)
			return -1;
	}
}

int
tls_write(struct tls *t, const void *buf, size_t len, int timeout,
    struct perr *err)
{
	const unsigned char *p = buf;
	enum tls_wait w;
	double deadline;
	size_t n;
	int ret;

	deadline = mono_now() + timeout;
	while (len > 0) {
		ERR_clear_error();
		n = 0;
		ret = SSL_write_ex(t->ssl, p, len, &n);
		if (ret == 1) {
			/* progress: the next wait gets the full timeout */
			p += n;
			len -= n;
			deadline = mono_now() + timeout;
			continue;
		}
		w = tls_retry(t, ret, deadline, "write to", err);
		if (w == TLS_EOF)
			return perr_set(err, EX_TEMPFAIL,
			    "TLS write to %s: connection closed by peer",
			    t->host);
		if (w != TLS_AGAIN)
			return -1;
	}
	return 0;
}

const char *
tls_describe(struct tls *t)
{
	const char *v, *c;

	if (t == NULL)
		return "";
	v = SSL_get_version(t->ssl);
	c = SSL_get_cipher_name(t->ssl);
	(void)xsnprintf(t->desc, sizeof(t->desc), "%s %s",
	    v != NULL ? v : "?", c != NULL ? c : "?");
	return t->desc;
}

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	/* One try: the socket is closed right after, nobody waits for the reply. */
	ERR_clear_error();
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
	tls_release(t);
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL)
		SSL_set_quiet_shutdown(t->ssl, 1);
	ERR_clear_error();
	tls_release(t);
}
