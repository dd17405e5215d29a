/* SPDX-License-Identifier: ISC */
/*
 * Trust store lookups. OpenSSL's own file lookup decodes every
 * certificate of a bundle, public keys included, before the first
 * handshake byte: some 30 ms for Debian's 150-certificate bundle with
 * OpenSSL 3.0, on every invocation. Here a bundle is a lookup method of
 * its own: on the first lookup the file is read and its PEM blocks are
 * decoded to DER, each with the place of its subject name; a lookup by
 * subject then decodes and adds just the certificates with that name
 * (octets first, OpenSSL's canonical comparison when none match).
 * The store trusts exactly what it would have trusted with the whole
 * bundle loaded: a missed name only fails the verification. The hashed
 * directory is OpenSSL's X509_LOOKUP_hash_dir, already lazy.
 */
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ossl.h"
#include "posta.h"
#include "trust.h"
#include "util.h"

#define MAX_BUNDLE	 (64L * 1024 * 1024) /* octets of a PEM bundle */
#define MAX_BUNDLE_CERTS 100000

struct entry {
	unsigned char *der; /* OPENSSL_malloc'ed */
	long len;
	int aux; /* TRUSTED CERTIFICATE: with trust settings */
	const unsigned char *sder; /* the subject's DER, inside der */
	size_t slen;
	X509_NAME *subject; /* parsed when octets did not match */
	X509 *x509;	    /* decoded once needed, then kept */
};

struct bundle {
	char *path;
	const char *what; /* "ca_file" or "SSL_CERT_FILE" ... */
	int scanned;
	int parsed; /* every entry's subject parsed */
	struct entry *ents;
	size_t n, cap;
	char error[512];
};

struct trust {
	X509_LOOKUP_METHOD *meth;
	struct bundle b; /* path NULL: no bundle */
	char *dir;	 /* hashed directory list, or NULL */
	int ca_file;	 /* b is the configured ca_file */
};

/* OpenSSL's own rule for its environment: not in set-id programs. */
static const char *
safe_env(const char *name)
{
	if (getauxval(AT_SECURE) != 0)
		return NULL;
	return getenv(name);
}

/* One DER TLV at *p: tag, contents and their length; *p moves past it. */
static int
der_next(const unsigned char **p, const unsigned char *end, int *tag,
    const unsigned char **val, size_t *len)
{
	const unsigned char *q = *p;
	size_t n, nb, i;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	if ((*tag & 0x1f) == 0x1f)
		return -1; /* high tag numbers: never in these fields */
	n = *q++;
	if (n & 0x80) {
		nb = n & 0x7f;
		if (nb == 0 || nb > 4 || (size_t)(end - q) < nb)
			return -1;
		for (n = 0, i = 0; i < nb; i++)
			n = (n << 8) | *q++;
	}
	if (n > (size_t)(end - q))
		return -1;
	*val = q;
	*len = n;
	*p = q + n;
	return 0;
}

/*
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
 * OPTIONAL, serialNumber, signature, issuer, validity, subject, ... } }
 */
int
trust_der_subject(const unsigned char *der, size_t len,
    const unsigned char **subj, size_t *slen)
{
	const unsigned char *p = der, *end = der + len, *v, *start;
	size_t n;
	int tag, i;

	if (der_next(&p, end, &tag, &v, &n) == -1 || tag != 0x30)
		return -1;
	p = v;
	end = v + n;
	if (der_next(&p, end, &tag, &v, &n) == -1 || tag != 0x30)
		return -1;
	p = v;
	end = v + n;
	start = p;
	if (der_next(&p, end, &tag, &v, &n) == -1)
		return -1;
	if (tag != 0xa0)
		p = start; /* no version: v1 */
	/* serialNumber, signature, issuer, validity */
	for (i = 0; i < 4; i++) {
		if (der_next(&p, end, &tag, &v, &n) == -1)
			return -1;
		if (tag != (i == 0 ? 0x02 : 0x30))
			return -1;
	}
	start = p;
	if (der_next(&p, end, &tag, &v, &n) == -1 || tag != 0x30)
		return -1;
	*subj = start;
	*slen = (size_t)(p - start);
	return 0;
}

static void
bundle_fail(struct bundle *b, const char *fmt, const char *detail)
{
	if (b->error[0] == '\0')
		(void)snprintf(b->error, sizeof(b->error), "%s %s: %s%s",
		    b->what, b->path, fmt, detail != NULL ? detail : "");
}

/* The whole file, at most MAX_BUNDLE octets, into a malloc'ed buffer. */
static char *
bundle_read(struct bundle *b, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open(b->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		bundle_fail(b, "cannot open: ", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		bundle_fail(b, "", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_BUNDLE) {
		bundle_fail(b,
		    S_ISREG(st.st_mode) ? "larger than 64 MB" :
					  "not a regular file",
		    NULL);
		goto out;
	}
	/* one octet more than the size tells a growing file apart */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		bundle_fail(b, "out of memory", NULL);
		goto out;
	}
	while (n < (size_t)st.st_size + 1) {
		r = read(fd, buf + n, (size_t)st.st_size + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			bundle_fail(b, "read error: ", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > (size_t)st.st_size) {
		bundle_fail(b, "changed while being read", NULL);
		goto fail;
	}
	*len = n;
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	(void)close(fd);
	return buf;
}

static int
bundle_add(struct bundle *b, unsigned char *der, long len, int aux)
{
	const unsigned char *subj;
	struct entry *e;
	size_t slen;

	if (trust_der_subject(der, (size_t)len, &subj, &slen) == -1)
		return 0; /* OpenSSL would have refused it too */
	if (b->n == b->cap) {
		if (b->cap >= MAX_BUNDLE_CERTS)
			return -1;
		e = reallocarray(b->ents, b->cap ? b->cap * 2 : 64, sizeof(*e));
		if (e == NULL)
			return -1;
		b->ents = e;
		b->cap = b->cap ? b->cap * 2 : 64;
	}
	e = &b->ents[b->n++];
	memset(e, 0, sizeof(*e));
	e->der = der;
	e->len = len;
	e->aux = aux;
	e->sder = subj;
	e->slen = slen;
	return 1;
}

/*
 * The base64 body of a PEM block to DER: only base64 characters and
 * white space (a block with RFC 1421 headers is refused). OpenSSL's
 * line-by-line PEM reader costs more than the whole rest of a scan.
 */
static unsigned char *
pem_decode(const char *s, size_t len, long *outlen)
{
	unsigned char *out = NULL, *clean;
	size_t i, n = 0, pad;
	int r;

	if ((clean = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '+' || c == '/' ||
			c == '='))
			goto out;
		clean[n++] = (unsigned char)c;
	}
	if (n == 0 || n % 4 != 0 || n > INT_MAX)
		goto out;
	pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
	if ((out = OPENSSL_malloc(n / 4 * 3)) == NULL)
		goto out;
	r = EVP_DecodeBlock(out, clean, (int)n);
	if (r < 0 || (size_t)r < pad) {
		OPENSSL_free(out);
		out = NULL;
		goto out;
	}
	*outlen = (long)((size_t)r - pad);
out:
	free(clean);
	return out;
}

/* memmem(3), which C11 and POSIX lack. */
static const char *
find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	const char *p = hay, *end = hay + hlen;

	while (nlen > 0 && (size_t)(end - p) >= nlen) {
		p = memchr(p, needle[0], (size_t)(end - p) - nlen + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
		p++;
	}
	return NULL;
}

/*
 * The next "-----BEGIN TYPE-----" ... "-----END TYPE-----" block in
 * [*p, end): its type and body. 1 found, 0 none left, -1 malformed.
 */
static int
pem_next(const char **p, const char *end, const char **type, size_t *tlen,
    const char **body, size_t *blen)
{
	static const char begin[] = "-----BEGIN ", dashes[] = "-----";
	const char *b, *t, *te, *e;
	char mark[80];
	int n;

	b = find(*p, (size_t)(end - *p), begin, sizeof(begin) - 1);
	if (b == NULL)
		return 0;
	t = b + sizeof(begin) - 1;
	te = find(t, (size_t)(end - t), dashes, sizeof(dashes) - 1);
	if (te == NULL || te - t > 40 || memchr(t, '\n', (size_t)(te - t)))
		return -1;
	n = snprintf(mark, sizeof(mark), "-----END %.*s-----", (int)(te - t),
	    t);
	if (n < 0 || (size_t)n >= sizeof(mark))
		return -1;
	te += sizeof(dashes) - 1;
	e = find(te, (size_t)(end - te), mark, (size_t)n);
	if (e == NULL)
		return -1;
	*type = t;
	*tlen = (size_t)(te - (sizeof(dashes) - 1) - t);
	*body = te;
	*blen = (size_t)(e - te);
	*p = e + n;
	return 1;
}

static int
type_is(const char *type, size_t tlen, const char *want)
{
	return tlen == strlen(want) && memcmp(type, want, tlen) == 0;
}

/* PEM blocks to DER with subject names, once; CRLs and keys are skipped. */
static void
bundle_scan(struct bundle *b)
{
	const char *p, *end, *type, *body;
	unsigned char *data;
	size_t size = 0, tlen, blen;
	long len = 0;
	char *buf;
	int r, aux;

	b->scanned = 1;
	if ((buf = bundle_read(b, &size)) == NULL)
		return;
	p = buf;
	end = buf + size;
	while ((r = pem_next(&p, end, &type, &tlen, &body, &blen)) == 1) {
		aux = type_is(type, tlen, PEM_STRING_X509_TRUSTED);
		if (!aux && !type_is(type, tlen, PEM_STRING_X509) &&
		    !type_is(type, tlen, PEM_STRING_X509_OLD))
			continue;
		if ((data = pem_decode(body, blen, &len)) == NULL) {
			r = -1;
			break;
		}
		r = bundle_add(b, data, len, aux);
		if (r != 1)
			OPENSSL_free(data);
		if (r == -1) {
			bundle_fail(b, "too many certificates or out of memory",
			    NULL);
			break;
		}
	}
	if (r == -1)
		bundle_fail(b, "bad PEM data", NULL);
	if (b->n == 0)
		bundle_fail(b, "no certificate found", NULL);
	free(buf);
}

/*
 * X509_LOOKUP get_by_subject: like OpenSSL's hash_dir, add what matches
 * to the store and hand back a pointer the store (and here, the entry)
 * holds; the caller takes its own reference.
 */
/* Decode e once and add it to store; 0 when it is not usable. */
static int
bundle_take(struct entry *e, X509_STORE *store)
{
	const unsigned char *q = e->der;

	if (e->x509 != NULL)
		return 1;
	e->x509 = e->aux ? d2i_X509_AUX(NULL, &q, e->len) :
			   d2i_X509(NULL, &q, e->len);
	if (e->x509 == NULL || X509_STORE_add_cert(store, e->x509) != 1) {
		X509_free(e->x509);
		e->x509 = NULL;
		return 0;
	}
	return 1;
}

/*
 * X509_LOOKUP get_by_subject: like OpenSSL's hash_dir, add what matches
 * to the store and hand back a pointer the store (and here, the entry)
 * holds; the caller takes its own reference. Names are compared as
 * OpenSSL compares them (canonical form), but the octets are tried
 * first: an issuer name is normally a copy of its CA's subject, and
 * parsing every name of a large bundle is most of a scan's cost.
 */
static int
bundle_by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type, const X509_NAME *name,
    X509_OBJECT *ret)
{
	struct bundle *b = X509_LOOKUP_get_method_data(lu);
	X509_STORE *store = X509_LOOKUP_get_store(lu);
	const unsigned char *want = NULL, *q;
	size_t wlen = 0, i;
	X509 *found = NULL;
	struct entry *e;

	if (type != X509_LU_X509 || b == NULL || store == NULL)
		return 0;
	if (!b->scanned)
		bundle_scan(b);
	/* like OpenSSL's file lookup: a file with an error is not used */
	if (b->error[0] != '\0')
		return 0;
	if (X509_NAME_get0_der(name, &want, &wlen) != 1)
		wlen = 0;
	for (i = 0; wlen > 0 && i < b->n; i++) {
		e = &b->ents[i];
		if (e->slen == wlen && memcmp(e->sder, want, wlen) == 0 &&
		    bundle_take(e, store) && found == NULL)
			found = e->x509;
	}
	/* no octet match: every name parsed once, every canonical match taken */
	if (found == NULL && !b->parsed) {
		for (i = 0; i < b->n; i++) {
			q = b->ents[i].sder;
			b->ents[i].subject = d2i_X509_NAME(NULL, &q,
			    (long)b->ents[i].slen);
		}
		b->parsed = 1;
	}
	for (i = 0; found == NULL && i < b->n; i++) {
		e = &b->ents[i];
		if (e->subject == NULL ||
		    X509_NAME_cmp(e->subject, name) != 0 ||
		    !bundle_take(e, store))
			continue;
		found = e->x509;
		/* and the rest of the canonical matches */
		for (i++; i < b->n; i++)
			if (b->ents[i].subject != NULL &&
			    X509_NAME_cmp(b->ents[i].subject, name) == 0)
				(void)bundle_take(&b->ents[i], store);
	}
	if (found == NULL || X509_OBJECT_set1_X509(ret, found) != 1)
		return 0;
	/* set1 took a reference the caller does not expect: the entry keeps one */
	X509_free(found);
	return 1;
}

/* 1 when some entry of the ':'-separated list is a directory. */
static int
any_dir(const char *list)
{
	char path[4096];
	struct stat st;
	size_t n;

	while (*list != '\0') {
		n = strcspn(list, ":");
		if (n > 0 && n < sizeof(path)) {
			memcpy(path, list, n);
			path[n] = '\0';
			if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
				return 1;
		}
		list += n;
		if (*list == ':')
			list++;
	}
	return 0;
}

static int
add_bundle(struct trust *t, X509_STORE *store, const char *path,
    const char *what, struct perr *err)
{
	X509_LOOKUP *lu;

	if ((t->b.path = strdup(path)) == NULL)
		return perr_set(err, EX_OSERR, "TLS: out of memory");
	t->b.what = what;
	lu = X509_STORE_add_lookup(store, t->meth);
	if (lu == NULL || X509_LOOKUP_set_method_data(lu, &t->b) != 1)
		return perr_set(err, EX_TEMPFAIL,
		    "TLS: cannot set up the trust store");
	return 0;
}

struct trust *
trust_attach(X509_STORE *store, const char *ca_file, struct perr *err)
{
	const char *dir, *file, *file_env;
	struct trust *t;
	X509_LOOKUP *lu;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		perr_set(err, EX_OSERR, "TLS: out of memory");
		return NULL;
	}
	t->meth = X509_LOOKUP_meth_new("posta bundle");
	if (t->meth == NULL ||
	    X509_LOOKUP_meth_set_get_by_subject(t->meth, bundle_by_subject) !=
		1) {
		perr_set(err, EX_TEMPFAIL,
		    "TLS: cannot set up the trust store");
		goto fail;
	}
	if (ca_file != NULL) {
		t->ca_file = 1;
		if (add_bundle(t, store, ca_file, "ca_file", err) == -1)
			goto fail;
		return t;
	}

	dir = safe_env(X509_get_default_cert_dir_env());
	if (dir == NULL)
		dir = X509_get_default_cert_dir();
	file_env = safe_env(X509_get_default_cert_file_env());
	file = file_env != NULL ? file_env : X509_get_default_cert_file();
	if (any_dir(dir)) {
		if ((t->dir = strdup(dir)) == NULL) {
			perr_set(err, EX_OSERR, "TLS: out of memory");
			goto fail;
		}
		lu = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
		if (lu == NULL ||
		    X509_LOOKUP_add_dir(lu, dir, X509_FILETYPE_PEM) != 1) {
			perr_set(err, EX_TEMPFAIL,
			    "TLS: cannot use the "
			    "certificate directory %s",
			    dir);
			goto fail;
		}
	}
	/*
	 * OpenSSL's defaults read the file and the directory. Debian's
	 * file is made from the directory, so the file is read only where
	 * no directory exists, or when SSL_CERT_FILE names one: then
	 * after the directory, on a subject it does not have.
	 */
	if ((t->dir == NULL || file_env != NULL) &&
	    add_bundle(t, store, file,
		file_env != NULL ? "SSL_CERT_FILE" : "trust store file",
		err) == -1)
		goto fail;
	return t;
fail:
	trust_free(t);
	return NULL;
}

const char *
trust_error(const struct trust *t)
{
	if (t == NULL || t->b.error[0] == '\0')
		return NULL;
	return t->b.error;
}

int
trust_path_ident(const char *label, const char *path, char *buf, size_t cap,
    size_t *off)
{
	struct stat st;
	int r;

	if (*off >= cap)
		return -1;
	if (stat(path, &st) == -1)
		r = xsnprintf(buf + *off, cap - *off, "%s %s -\n", label, path);
	else
		r = xsnprintf(buf + *off, cap - *off,
		    "%s %s %llu:%llu %lld %lld.%09ld\n", label, path,
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino, (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (r == -1)
		return -1;
	*off += strlen(buf + *off);
	return 0;
}

int
trust_ident(const struct trust *t, char *buf, size_t cap)
{
	char path[4096];
	const char *list;
	size_t off = 0, n;

	if (cap == 0)
		return -1;
	buf[0] = '\0';
	if (t->b.path != NULL &&
	    trust_path_ident(t->ca_file ? "ca_file" : "file", t->b.path, buf,
		cap, &off) == -1)
		return -1;
	/* a directory's mtime moves when a certificate is added or removed */
	for (list = t->dir; list != NULL && *list != '\0';) {
		n = strcspn(list, ":");
		if (n > 0 && n < sizeof(path)) {
			memcpy(path, list, n);
			path[n] = '\0';
			if (trust_path_ident("dir", path, buf, cap, &off) == -1)
				return -1;
		}
		list += n;
		if (*list == ':')
			list++;
	}
	return 0;
}

void
trust_free(struct trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->b.n; i++) {
		OPENSSL_free(t->b.ents[i].der);
		X509_NAME_free(t->b.ents[i].subject);
		X509_free(t->b.ents[i].x509);
	}
	free(t->b.ents);
	free(t->b.path);
	free(t->dir);
	X509_LOOKUP_meth_free(t->meth);
	free(t);
}
