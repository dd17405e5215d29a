/* SPDX-License-Identifier: ISC */
/*
 * Certificates and keys outside the handshake (tlscert.h). The name
 * and pin checks are the ones tls.c makes after a handshake and on a
 * stored session before it is offered; they must stay what OpenSSL's
 * own verification decides (SSL_set1_host with the same flags).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ossl.h"
#include "tlscert.h"
#include "util.h"

#define MAX_KEY_FILE (1024 * 1024) /* octets of a PEM private key */

int
tlscert_is_ip(const char *name)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

/* 1 when cert is valid for name, checked as a handshake checks it. */
int
tlscert_name_ok(X509 *cert, const char *name)
{
	if (tlscert_is_ip(name))
		return X509_check_ip_asc(cert, name, 0) == 1;
	return X509_check_host(cert, name, strlen(name),
		   X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

/* 1 when cert's SHA-256 is pin; 0 when not, -1 when it cannot be computed. */
int
tlscert_pin_ok(X509 *cert, const unsigned char pin[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char diff = 0;
	size_t i;

	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return -1;
	for (i = 0; i < 32; i++)
		diff |= md[i] ^ pin[i];
	return diff == 0;
}

const char *
tlscert_error(char *buf, size_t cap)
{
	unsigned long e;
	const char *r;

	if ((e = ERR_peek_last_error()) == 0)
		return NULL;
	if ((r = ERR_reason_error_string(e)) != NULL)
		return r;
	ERR_error_string_n(e, buf, cap);
	return buf;
}

/* Never prompt on a terminal: an encrypted key is refused. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

EVP_PKEY *
tlscert_read_key(const char *path, struct perr *err)
{
	char buf[256];
	const char *why;
	unsigned char *data = NULL;
	EVP_PKEY *key = NULL;
	struct stat st;
	BIO *bio = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		perr_set(err, EX_CONFIG, "key_file %s: cannot open: %s", path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_KEY_FILE) {
		perr_set(err, EX_CONFIG,
		    "key_file %s: not a regular file of "
		    "at most 1 MB",
		    path);
		goto out;
	}
	if ((st.st_mode & 007) != 0) {
		perr_set(err, EX_CONFIG,
		    "key_file %s: is %s by others; chmod "
		    "600 %s",
		    path,
		    (st.st_mode & S_IROTH)     ? "readable" :
			(st.st_mode & S_IWOTH) ? "writable" :
						 "accessible",
		    path);
		goto out;
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		perr_set(err, EX_OSERR, "key_file %s: out of memory", path);
		goto out;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, data + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			perr_set(err, EX_CONFIG, "key_file %s: read error: %s",
			    path, r == 0 ? "short file" : strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	if ((bio = BIO_new_mem_buf(data, (int)n)) == NULL) {
		perr_set(err, EX_OSERR, "key_file %s: out of memory", path);
		goto out;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (key == NULL)
		perr_set(err, EX_CONFIG,
		    "key_file %s: no usable private key "
		    "(PEM, not encrypted): %s",
		    path,
		    (why = tlscert_error(buf, sizeof(buf))) != NULL ?
			why :
			"SSL error 0");
out:
	BIO_free(bio);
	if (data != NULL) {
		explicit_bzero(data, n);
		free(data);
	}
	(void)close(fd);
	return key;
}

/* A distinguished name on one line: "O=posta tests, CN=posta test CA". */
static void
dn_line(const X509_NAME *n, char *buf, size_t cap)
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
	str_blank_ctl(buf);
}

/* The DNS and IP entries of subjectAltName, ", " between them. */
static void
alt_names(X509 *cert, char *buf, size_t cap)
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
				sizeof(ip)) != NULL &&
			    (n == 4 || n == 16))
				(void)xstrlcpy(one, ip, sizeof(one));
		}
		if (one[0] == '\0')
			continue;
		len = strlen(buf);
		if (xsnprintf(buf + len, cap - len, "%s%s", len > 0 ? ", " : "",
			one) == -1) {
			buf[len] = '\0';
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	str_blank_ctl(buf);
}

static enum tls_chain
chain_class(int e)
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
tlscert_describe(X509 *cert, int verify_err, const char *servername,
    struct tls_peer *out)
{
	unsigned int mdlen = 0;
	const ASN1_TIME *na;
	struct tm tm;

	dn_line(X509_get_subject_name(cert), out->subject,
	    sizeof(out->subject));
	dn_line(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer));
	alt_names(cert, out->names, sizeof(out->names));
	memset(&tm, 0, sizeof(tm));
	if ((na = X509_get0_notAfter(cert)) != NULL &&
	    ASN1_TIME_to_tm(na, &tm) == 1)
		out->not_after = timegm(&tm);
	out->chain = chain_class(verify_err);
	if (verify_err != X509_V_OK)
		(void)xstrlcpy(out->chain_error,
		    X509_verify_cert_error_string(verify_err),
		    sizeof(out->chain_error));
	if (servername != NULL && *servername != '\0')
		out->name_ok = tlscert_name_ok(cert, servername);
	if (X509_digest(cert, EVP_sha256(), out->pin, &mdlen) != 1 ||
	    mdlen != sizeof(out->pin))
		return -1;
	return 0;
}
