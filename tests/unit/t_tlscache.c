/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for tlscache.c (the stored TLS session: keys, atomic
 * replacement, modes, hostile files) and trust.c's DER subject finder.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tlscache.h"
#include "trust.h"
#include "tap.h"

static char dir[] = "/tmp/posta-tlscache.XXXXXX";

static void
put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* A certificate signed by a throw-away key; v1 when asked. */
static X509 *
make_cert(const char *cn, int v1)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;

	if (key == NULL || x == NULL)
		abort();
	if (!v1)
		X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)"posta tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	if (X509_sign(x, key, EVP_sha256()) == 0)
		abort();
	EVP_PKEY_free(key);
	return x;
}

static void
test_subject(int v1)
{
	unsigned char *der = NULL, *nder = NULL;
	const unsigned char *subj;
	size_t slen, i;
	int len, nlen, bad = 0;
	X509 *x = make_cert("subject.test", v1);

	len = i2d_X509(x, &der);
	nlen = i2d_X509_NAME(X509_get_subject_name(x), &nder);
	ok(len > 0 && nlen > 0, "encode (v%d)", v1 ? 1 : 3);
	ok(trust_der_subject(der, (size_t)len, &subj, &slen) == 0,
	    "subject found (v%d)", v1 ? 1 : 3);
	is_mem(subj, slen, nder, (size_t)nlen, "the subject's DER (v%d)",
	    v1 ? 1 : 3);
	/* every truncation: refused or within the input, never past it */
	for (i = 0; i < (size_t)len; i++)
		if (trust_der_subject(der, i, &subj, &slen) == 0 &&
		    (subj < der || subj + slen > der + i))
			bad++;
	is_int(bad, 0, "truncated certificates stay in bounds");
	der[0] = 0x31;
	ok(trust_der_subject(der, (size_t)len, &subj, &slen) == -1,
	    "not a SEQUENCE: refused");
	OPENSSL_free(der);
	OPENSSL_free(nder);
	X509_free(x);
}

int
main(void)
{
	struct tlscache_key k = { "smtp.example:587 starttls", "smtp.example",
	    "0123abcd" }, k2;
	unsigned char blob[300], buf[TLSCACHE_MAX];
	char path[256], other[256], cmd[300];
	const char *hdr;
	struct stat st;
	size_t i;

	if (mkdtemp(dir) == NULL)
		return 1;
	(void)umask(077);
	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 7);
	/* blank lines in the blob must not confuse the header */
	blob[10] = '\n';
	blob[11] = '\n';
	(void)snprintf(path, sizeof(path), "%s/tls/session", dir);

	is_int(tlscache_load(path, &k, buf, sizeof(buf)), 0, "nothing stored");
	ok(tlscache_save(path, &k, blob, sizeof(blob)) == 0, "save");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "file 0600 under umask 077");
	(void)snprintf(other, sizeof(other), "%s/tls", dir);
	ok(stat(other, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "directory created, 0700");
	is_int(tlscache_load(path, &k, buf, sizeof(buf)), sizeof(blob),
	    "load: length");
	ok(memcmp(buf, blob, sizeof(blob)) == 0, "load: contents");
	is_int(tlscache_load(path, &k, buf, 100), 0, "too small a buffer");

	k2 = k;
	k2.peer = "smtp.example:465 implicit";
	is_int(tlscache_load(path, &k2, buf, sizeof(buf)), 0, "other peer");
	k2 = k;
	k2.name = "other.example";
	is_int(tlscache_load(path, &k2, buf, sizeof(buf)), 0, "other name");
	k2 = k;
	k2.name = "smtp.example\nname x";
	is_int(tlscache_load(path, &k2, buf, sizeof(buf)), 0,
	    "a name with a newline never matches");
	ok(tlscache_save(path, &k2, blob, sizeof(blob)) == -1,
	    "nor is it stored");
	k2 = k;
	k2.trust = "0123abce";
	is_int(tlscache_load(path, &k2, buf, sizeof(buf)), 0, "other trust");
	k2.trust = "0123abc";
	is_int(tlscache_load(path, &k2, buf, sizeof(buf)), 0,
	    "a prefix of the trust digest");

	/* replaced atomically, nothing left behind */
	blob[0] ^= 0xff;
	ok(tlscache_save(path, &k, blob, 50) == 0, "replace");
	is_int(tlscache_load(path, &k, buf, sizeof(buf)), 50, "new length");
	ok(memcmp(buf, blob, 50) == 0, "new contents");
	(void)snprintf(cmd, sizeof(cmd), "test $(ls -A %s/tls | wc -l) = 1",
	    dir);
	ok(system(cmd) == 0, "no temporary file left");

	ok(tlscache_save(path, &k, blob, 0) == -1, "empty session refused");
	ok(tlscache_save(path, &k, blob, TLSCACHE_MAX + 1) == -1,
	    "oversized session refused");

	/* hostile files: a header only, a symbolic link, a directory */
	hdr = "posta-tls-session 1\npeer smtp.example:587 starttls\n"
	    "name smtp.example\ntrust 0123abcd\n\n";
	put(path, hdr, strlen(hdr));
	is_int(tlscache_load(path, &k, buf, sizeof(buf)), 0, "header only");
	(void)snprintf(other, sizeof(other), "%s/real", dir);
	ok(tlscache_save(other, &k, blob, 50) == 0, "save elsewhere");
	ok(unlink(path) == 0 && symlink(other, path) == 0, "symlink made");
	is_int(tlscache_load(path, &k, buf, sizeof(buf)), 0,
	    "a symbolic link is not followed");
	ok(unlink(path) == 0 && mkdir(path, 0700) == 0, "directory made");
	is_int(tlscache_load(path, &k, buf, sizeof(buf)), 0, "a directory");
	ok(tlscache_save(path, &k, blob, 50) == -1, "cannot replace a directory");
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "clean up");

	test_subject(0);
	test_subject(1);
	done_testing();
}
