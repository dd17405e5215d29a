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
#include <time.h>

#include <openssl/bio.h>
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
	int		 inspect;	/* record verification errors only */
	int		 verify_err;	/* the first one, X509_V_OK: none */
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

/* posta --check: let the handshake finish, keep the first chain error. */
static int
tls_inspect_cb(int preverify_ok, X509_STORE_CTX *store)
{
	SSL *ssl;
	struct tls *t;

	ssl = X509_STORE_CTX_get_ex_data(store,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	t = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	if (!preverify_ok && t != NULL && t->verify_err == X509_V_OK)
		t->verify_err = X509_STORE_CTX_get_error(store);
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
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER,
		    t->inspect ? tls_inspect_cb : NULL);
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
	SSL_set_app_data(t->ssl, t);
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
	if (t->has_pin || t->inspect)
		return 0;	/* tls_peer() checks the name */
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
		if (!t->has_pin && !t->inspect && vr != X509_V_OK)
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

static struct tls *
tls_begin(int fd, const struct tls_params *p, int inspect, int timeout,
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
	t->inspect = inspect;
	if (p->pin != NULL && !inspect) {
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

struct tls *
tls_start(int fd, const struct tls_params *p, int timeout,
    int (*wait)(int, short, double), struct perr *err)
{
	return tls_begin(fd, p, 0, timeout, wait, err);
}

struct tls *
tls_start_inspect(int fd, const struct tls_params *p, int timeout,
    int (*wait)(int, short, double), struct perr *err)
{
	return tls_begin(fd, p, 1, timeout, wait, err);
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

const char *
tls_version(struct tls *t)
{
	const char *v;

	if (t == NULL)
		return "";
	v = SSL_get_version(t->ssl);
	return v != NULL ? v : "?";
}

/* Certificate text goes to a terminal: no control characters. */
static void
tls_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* A distinguished name on one line: "O=posta tests, CN=posta test CA". */
static void
tls_name(const X509_NAME *n, char *buf, size_t cap)
{
	const unsigned long flags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
	    (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	BIO *b;
	int len;

	buf[0] = '\0';
	if (n == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, flags) >= 0 &&
	    (len = BIO_read(b, buf, (int)cap - 1)) > 0)
		buf[len] = '\0';
	BIO_free(b);
	tls_clean(buf);
}

/* The DNS and IP entries of subjectAltName, ", " between them. */
static void
tls_alt_names(X509 *cert, char *buf, size_t cap)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	const unsigned char *d;
	char ip[64], one[256];
	size_t len;
	int i, n;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		one[0] = '\0';
		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			n = ASN1_STRING_length(g->d.dNSName);
			(void)snprintf(one, sizeof(one), "%.*s", n, d);
		} else if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			n = ASN1_STRING_length(g->d.iPAddress);
			if (inet_ntop(n == 4 ? AF_INET : AF_INET6, d, ip,
			    sizeof(ip)) != NULL && (n == 4 || n == 16))
				(void)xstrlcpy(one, ip, sizeof(one));
		}
		if (one[0] == '\0')
			continue;
		len = strlen(buf);
		if (xsnprintf(buf + len, cap - len, "%s%s", len > 0 ? ", " :
		    "", one) == -1) {
			buf[len] = '\0';
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	tls_clean(buf);
}

static enum tls_chain
tls_chain_class(int e)
{
	switch (e) {
	case X509_V_OK:
		return TLS_CHAIN_OK;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return TLS_CHAIN_UNKNOWN_CA;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_CHAIN_EXPIRED;
	default:
		return TLS_CHAIN_OTHER;
	}
}

int
tls_peer(struct tls *t, const char *servername, struct tls_peer *out,
    struct perr *err)
{
	unsigned int mdlen = 0;
	const ASN1_TIME *na;
	struct tm tm;
	X509 *cert;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((cert = SSL_get1_peer_certificate(t->ssl)) == NULL)
		return perr_set(err, EX_PROTOCOL, "%s sent no certificate",
		    t->host);
	tls_name(X509_get_subject_name(cert), out->subject,
	    sizeof(out->subject));
	tls_name(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer));
	tls_alt_names(cert, out->names, sizeof(out->names));
	memset(&tm, 0, sizeof(tm));
	if ((na = X509_get0_notAfter(cert)) != NULL &&
	    ASN1_TIME_to_tm(na, &tm) == 1)
		out->not_after = timegm(&tm);
	out->chain = tls_chain_class(t->verify_err);
	if (t->verify_err != X509_V_OK)
		(void)xstrlcpy(out->chain_error,
		    X509_verify_cert_error_string(t->verify_err),
		    sizeof(out->chain_error));
	if (servername != NULL && *servername != '\0')
		out->name_ok = tls_is_ip(servername) ?
		    X509_check_ip_asc(cert, servername, 0) == 1 :
		    X509_check_host(cert, servername, strlen(servername),
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	if (X509_digest(cert, EVP_sha256(), out->pin, &mdlen) != 1 ||
	    mdlen != sizeof(out->pin)) {
		perr_set(err, EX_SOFTWARE, "cannot digest the certificate of "
		    "%s", t->host);
		goto out;
	}
	rc = 0;
out:
	X509_free(cert);
	ERR_clear_error();
	return rc;
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
