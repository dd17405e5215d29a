/* SPDX-License-Identifier: ISC */
/*
 * TLS client on a non-blocking socket: the only file that sees OpenSSL's
 * SSL API. Verification is OpenSSL's own (chain, then SSL_set1_host)
 * against trust.c's lazily read store; a pin replaces both with a
 * SHA-256 comparison of the leaf certificate. A resumed session skips
 * the chain: it is offered only when stored under the same peer, name
 * and trust settings, and its certificate passes the name or pin check
 * again, before the handshake and after it. Those name and pin checks,
 * the certificate's description for posta --check and the client key
 * are tlscert.c's.
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ossl.h"
#include "tls.h"
#include "tlscache.h"
#include "tlscert.h"
#include "trust.h"
#include "util.h"

#define SESSION_MARGIN	5	    /* seconds: too near expiry to offer */
#define SESSION_MAX_AGE (7 * 86400) /* RFC 8446 4.6.1: a ticket's limit */

struct tls {
	SSL_CTX *ctx;
	SSL *ssl;
	struct trust *trust;
	SSL_SESSION *newsess; /* the latest one the server issued */
	int fd;
	int (*wait)(int, short, double);
	int has_pin;
	int inspect;	/* record verification errors only */
	int verify_err; /* the first one, X509_V_OK: none */
	int ca_file;	/* trust errors are config errors */
	unsigned char pin[32];
	char host[256]; /* for messages only */
	char desc[160];
	char *cache; /* session file, or NULL */
	char *peer;  /* its key: peer, name, trust digest */
	char trusthex[2 * 32 + 1];
};

/* What an SSL_* call needs before it can be retried. */
enum tls_wait { TLS_DONE, TLS_AGAIN, TLS_FAIL, TLS_EOF };

static void
tls_release(struct tls *t)
{
	if (t->ssl != NULL)
		SSL_free(t->ssl);
	if (t->ctx != NULL)
		SSL_CTX_free(t->ctx);
	/* the lookups the store held are gone: now their data may go */
	trust_free(t->trust);
	SSL_SESSION_free(t->newsess);
	free(t->cache);
	free(t->peer);
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
	const char *r;

	if ((r = tlscert_error(buf, cap)) != NULL)
		return r;
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
			    t->host,
			    saved == ETIMEDOUT ? "timed out" : strerror(saved));
			errno = saved; /* the caller tells a timeout by it */
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

/* With a pin the chain is not checked: the digest decides afterwards. */
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
tls_client_cert(struct tls *t, const struct tls_params *p, struct perr *err)
{
	EVP_PKEY *key;
	char buf[256];
	int rc = -1;

	if (p->cert_file == NULL)
		return 0;
	if (p->key_file == NULL)
		return perr_set(err, EX_CONFIG, "cert_file %s: no key_file",
		    p->cert_file);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, p->cert_file) != 1)
		return perr_set(err, EX_CONFIG, "cert_file %s: cannot load: %s",
		    p->cert_file, tls_reason(0, 0, buf, sizeof(buf)));
	if ((key = tlscert_read_key(p->key_file, err)) == NULL)
		return -1;
	if (SSL_CTX_use_PrivateKey(t->ctx, key) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		perr_set(err, EX_CONFIG,
		    "key_file %s: does not match "
		    "cert_file %s",
		    p->key_file, p->cert_file);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	return rc;
}

/* OpenSSL hands over each session the server issues; the latest is kept. */
static int
tls_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls *t = SSL_get_app_data(ssl);

	if (t == NULL || !SSL_SESSION_is_resumable(sess))
		return 0;
	SSL_SESSION_free(t->newsess);
	t->newsess = sess;
	return 1; /* the reference is ours now */
}

/*
 * The digest of everything a stored session's trust depends on besides
 * peer and name: the store's files as they are now, pin, minimum
 * version, client certificate, the OpenSSL build.
 */
static int
tls_trust_digest(struct tls *t, const struct tls_params *p)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char buf[16384];
	size_t off, i;

	if (xsnprintf(buf, sizeof(buf), "openssl %lx\nmin %d\npin ",
		(unsigned long)OpenSSL_version_num(),
		p->min_version == 13 ? 13 : 12) == -1)
		return -1;
	off = strlen(buf);
	for (i = 0; t->has_pin && i < sizeof(t->pin) && off + 3 < sizeof(buf);
	     i++) {
		buf[off++] = hex[t->pin[i] >> 4];
		buf[off++] = hex[t->pin[i] & 15];
	}
	if (off + 2 >= sizeof(buf))
		return -1;
	buf[off++] = t->has_pin ? '\n' : '-';
	buf[off] = '\0';
	if (!t->has_pin && (off = strlen(buf)) < sizeof(buf) &&
	    trust_ident(t->trust, buf + off, sizeof(buf) - off) == -1)
		return -1;
	off = strlen(buf);
	if (p->cert_file != NULL &&
	    (trust_path_ident("cert", p->cert_file, buf, sizeof(buf), &off) ==
		    -1 ||
		trust_path_ident("key", p->key_file != NULL ? p->key_file : "-",
		    buf, sizeof(buf), &off) == -1))
		return -1;
	if (EVP_Digest(buf, off, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	for (i = 0; i < mdlen; i++) {
		t->trusthex[2 * i] = hex[md[i] >> 4];
		t->trusthex[2 * i + 1] = hex[md[i] & 15];
	}
	t->trusthex[2 * mdlen] = '\0';
	return 0;
}

/*
 * Whether a stored session may be offered to name: resumable, new
 * enough, for that server name, unexpired, and its certificate still
 * passes the name (or pin) check a full handshake would make. The
 * trust settings were compared through the file's key.
 */
static int
tls_session_ok(const struct tls *t, SSL_SESSION *sess, const char *name,
    int min_version)
{
	const char *sni;
	X509 *peer;
	time_t now = time(NULL);
	long start, life;

	if (!SSL_SESSION_is_resumable(sess) ||
	    SSL_SESSION_get_protocol_version(sess) < min_version)
		return 0;
	sni = SSL_SESSION_get0_hostname(sess);
	if (sni != NULL && strcasecmp(sni, name) != 0)
		return 0;
	start = SSL_SESSION_get_time(sess);
	life = SSL_SESSION_get_timeout(sess);
	if (SSL_SESSION_get_ticket_lifetime_hint(sess) > 0 &&
	    SSL_SESSION_get_ticket_lifetime_hint(sess) < (unsigned long)life)
		life = (long)SSL_SESSION_get_ticket_lifetime_hint(sess);
	if (life > SESSION_MAX_AGE)
		life = SESSION_MAX_AGE;
	if (start <= 0 || (long)now < start ||
	    (long)now >= start + life - SESSION_MARGIN)
		return 0;
	if ((peer = SSL_SESSION_get0_peer(sess)) == NULL)
		return 0;
	if (t->has_pin)
		return tlscert_pin_ok(peer, t->pin) == 1;
	return tlscert_name_ok(peer, name);
}

/* Offer the stored session, when there is one for this peer and trust. */
static void
tls_resume(struct tls *t, const struct tls_params *p, int min_version)
{
	unsigned char buf[TLSCACHE_MAX];
	const unsigned char *q = buf;
	struct tlscache_key key;
	SSL_SESSION *sess;
	size_t len;

	key.peer = t->peer;
	key.name = p->servername;
	key.trust = t->trusthex;
	len = tlscache_load(t->cache, &key, buf, sizeof(buf));
	if (len == 0)
		return;
	sess = d2i_SSL_SESSION(NULL, &q, (long)len);
	explicit_bzero(buf, len);
	if (sess == NULL)
		return;
	/* not exactly one session: not what tls_save() wrote */
	if (q != buf + len) {
		SSL_SESSION_free(sess);
		return;
	}
	if (tls_session_ok(t, sess, p->servername, min_version))
		(void)SSL_set_session(t->ssl, sess);
	SSL_SESSION_free(sess);
}

/* What resumption needs; without it the handshake is simply a full one. */
static int
tls_setup_cache(struct tls *t, const struct tls_params *p)
{
	if (p->session_file == NULL || p->session_peer == NULL ||
	    p->servername == NULL || *p->servername == '\0')
		return 0;
	if ((t->cache = strdup(p->session_file)) == NULL ||
	    (t->peer = strdup(p->session_peer)) == NULL ||
	    tls_trust_digest(t, p) == -1) {
		free(t->cache);
		t->cache = NULL;
		return 0;
	}
	SSL_CTX_set_session_cache_mode(t->ctx,
	    SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(t->ctx, tls_new_session);
	return 0;
}

static int
tls_setup(struct tls *t, const struct tls_params *p, struct perr *err)
{
	X509_VERIFY_PARAM *vp;
	const char *name = p->servername;
	int minv = p->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	char buf[256];

	/*
	 * The first TLS connection of the process loads OpenSSL's
	 * configuration (the system-wide policy, e.g. Debian's minimum
	 * protocol and security level); no path without TLS pays for it.
	 * Its teardown at exit only frees memory: skipped.
	 */
	(void)OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG |
		OPENSSL_INIT_NO_ATEXIT,
	    NULL);
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL)
		return perr_set(err, EX_TEMPFAIL,
		    "TLS: cannot create context: "
		    "%s",
		    tls_reason(0, 0, buf, sizeof(buf)));
	if (SSL_CTX_set_min_proto_version(t->ctx, minv) != 1)
		return perr_set(err, EX_TEMPFAIL, "TLS: cannot require TLS %s",
		    minv == TLS1_3_VERSION ? "1.3" : "1.2");
	/*
	 * SMTP detects a truncated dialogue by itself, and many servers
	 * close without close_notify after QUIT.
	 */
	SSL_CTX_set_options(t->ctx,
	    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	/* Short writes let tls_write() restart the timeout on progress. */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);

	if (t->has_pin)
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, tls_accept_any);
	else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER,
		    t->inspect ? tls_inspect_cb : NULL);
		t->ca_file = p->ca_file != NULL;
		t->trust = trust_attach(SSL_CTX_get_cert_store(t->ctx),
		    p->ca_file, err);
		if (t->trust == NULL)
			return -1;
	}
	/* an inspected session is trusted by nobody: never store it */
	if (tls_client_cert(t, p, err) == -1 ||
	    (!t->inspect && tls_setup_cache(t, p) == -1))
		return -1;

	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL)
		return perr_set(err, EX_TEMPFAIL,
		    "TLS: cannot create session: "
		    "%s",
		    tls_reason(0, 0, buf, sizeof(buf)));
	SSL_set_app_data(t->ssl, t);
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
	if (!tlscert_is_ip(name) && SSL_set_tlsext_host_name(t->ssl, name) != 1)
		return perr_set(err, EX_TEMPFAIL, "TLS: bad server name %s",
		    t->host);
	if (t->cache != NULL && !t->inspect)
		tls_resume(t, p, minv);
	if (t->has_pin || t->inspect)
		return 0; /* tls_peer() checks the name */
	if (tlscert_is_ip(name)) {
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
	X509 *cert;
	int ok, rc = -1;

	cert = SSL_get1_peer_certificate(t->ssl);
	if (cert == NULL) {
		perr_set(err, EX_TEMPFAIL,
		    "TLS handshake with %s: no server certificate", t->host);
		goto out;
	}
	ok = tlscert_pin_ok(cert, t->pin);
	if (ok == -1) {
		perr_set(err, EX_TEMPFAIL,
		    "TLS handshake with %s: cannot digest the certificate",
		    t->host);
		goto out;
	}
	if (ok == 0) {
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

/*
 * A resumed session skipped the chain: what the full handshake checked
 * is checked again on the certificate it carries. tls_session_ok()
 * already did so before it was offered; this is the second lock.
 */
static int
tls_check_resumed(struct tls *t, const char *name, struct perr *err)
{
	X509 *cert;
	int ok;

	if (!SSL_session_reused(t->ssl) || t->has_pin)
		return 0;
	cert = SSL_get0_peer_certificate(t->ssl);
	ok = cert != NULL && name != NULL &&
	    SSL_get_verify_result(t->ssl) == X509_V_OK &&
	    tlscert_name_ok(cert, name);
	if (!ok)
		return perr_set(err, EX_TEMPFAIL,
		    "TLS handshake with %s: "
		    "resumed session not valid for this name",
		    t->host);
	return 0;
}

/* The verification failed: say why, naming an unusable trust store file. */
static int
tls_verify_failed(struct tls *t, long vr, struct perr *err)
{
	const char *why = trust_error(t->trust);

	if (why != NULL)
		return perr_set(err, t->ca_file ? EX_CONFIG : EX_TEMPFAIL,
		    "TLS handshake with %s: certificate verify failed: %s",
		    t->host, why);
	return perr_set(err, EX_TEMPFAIL,
	    "TLS handshake with %s: certificate verify failed: %s", t->host,
	    X509_verify_cert_error_string(vr));
}

static int
tls_handshake(struct tls *t, const char *name, double deadline,
    struct perr *err)
{
	enum tls_wait w;
	long vr;
	int ret;

	for (;;) {
		ERR_clear_error();
		ret = SSL_connect(t->ssl);
		if (ret == 1)
			break;
		/* with a pin the callback let the chain errors through */
		vr = SSL_get_verify_result(t->ssl);
		if (!t->has_pin && !t->inspect && vr != X509_V_OK)
			return tls_verify_failed(t, vr, err);
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
	return tls_check_resumed(t, name, err);
}

static struct tls *
tls_begin(int fd, const struct tls_params *p, int inspect, double deadline,
    int (*wait)(int, short, double), struct perr *err)
{
	struct tls *t;

	if (ossl_load(err) == -1)
		return NULL;
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
	if (tls_setup(t, p, err) == -1 ||
	    tls_handshake(t, p->servername, deadline, err) == -1)
		goto fail;
	ERR_clear_error();
	return t;
fail:
	ERR_clear_error();
	tls_release(t);
	return NULL;
}

struct tls *
tls_start(int fd, const struct tls_params *p, double deadline,
    int (*wait)(int, short, double), struct perr *err)
{
	return tls_begin(fd, p, 0, deadline, wait, err);
}

struct tls *
tls_start_inspect(int fd, const struct tls_params *p, double deadline,
    int (*wait)(int, short, double), struct perr *err)
{
	return tls_begin(fd, p, 1, deadline, wait, err);
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
tls_write(struct tls *t, const void *buf, size_t len, int timeout, double limit,
    struct perr *err)
{
	const unsigned char *p = buf;
	enum tls_wait w;
	double deadline;
	size_t n;
	int ret;

	deadline = mono_now() + timeout;
	if (limit > 0 && limit < deadline)
		deadline = limit;
	while (len > 0) {
		ERR_clear_error();
		n = 0;
		ret = SSL_write_ex(t->ssl, p, len, &n);
		if (ret == 1) {
			/* progress: the next wait gets the full timeout */
			p += n;
			len -= n;
			deadline = mono_now() + timeout;
			if (limit > 0 && limit < deadline)
				deadline = limit;
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
	(void)xsnprintf(t->desc, sizeof(t->desc), "%s %s%s",
	    v != NULL ? v : "?", c != NULL ? c : "?",
	    SSL_session_reused(t->ssl) ? " resumed" : "");
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

int
tls_peer(struct tls *t, const char *servername, struct tls_peer *out,
    struct perr *err)
{
	X509 *cert;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if ((cert = SSL_get1_peer_certificate(t->ssl)) == NULL)
		return perr_set(err, EX_PROTOCOL, "%s sent no certificate",
		    t->host);
	if (tlscert_describe(cert, t->verify_err, servername, out) == -1)
		rc = perr_set(err, EX_SOFTWARE,
		    "cannot digest the certificate "
		    "of %s",
		    t->host);
	X509_free(cert);
	ERR_clear_error();
	return rc;
}

/* Best effort: without a stored session the next handshake is a full one. */
static void
tls_save(struct tls *t)
{
	unsigned char buf[TLSCACHE_MAX], *q = buf;
	struct tlscache_key key;
	int len;

	if (t->cache == NULL || t->newsess == NULL)
		return;
	len = i2d_SSL_SESSION(t->newsess, NULL);
	if (len <= 0 || (size_t)len > sizeof(buf))
		return;
	if (i2d_SSL_SESSION(t->newsess, &q) == len) {
		key.peer = t->peer;
		key.name = t->host;
		key.trust = t->trusthex;
		(void)tlscache_save(t->cache, &key, buf, (size_t)len);
	}
	explicit_bzero(buf, (size_t)len);
}

void
tls_close(struct tls *t)
{
	if (t == NULL)
		return;
	/* One try: the socket is closed next, nobody waits for a reply. */
	ERR_clear_error();
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
	tls_save(t);
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
