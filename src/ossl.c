/* SPDX-License-Identifier: ISC */
/*
 * Loading libssl and libcrypto on first use (ossl.h says why).
 */
#define OSSL_TABLE /* the real OpenSSL names, not the macros */

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ossl.h"
#include "perr.h"

#define OSSL_STR2(x) #x
#define OSSL_STR(x)  OSSL_STR2(x)
/* libssl.so.3 for OpenSSL 3: the ABI this was compiled against */
#ifndef OSSL_SONAME
#define OSSL_SONAME "libssl.so." OSSL_STR(OPENSSL_SHLIB_VERSION)
#endif

struct ossl_functions ossl_fn;
int ossl_loaded;

#define OSSL_ENTRY(f) { #f, offsetof(struct ossl_functions, f) },
static const struct {
	const char *name;
	size_t off;
} ossl_entries[] = { OSSL_FUNCTIONS(OSSL_ENTRY) };
#undef OSSL_ENTRY

/*
 * One handle of libssl finds libcrypto's functions too: dlsym(3)
 * searches the dependencies of the library it is given. The handle is
 * never closed: the process keeps OpenSSL until it ends, as it would
 * have linked.
 */
int
ossl_load(struct perr *err)
{
	const char *why;
	void *h, *sym;
	size_t i;

	if (ossl_loaded)
		return 0;
	if ((h = dlopen(OSSL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		return perr_set(err, EX_TEMPFAIL, "cannot load OpenSSL: %s",
		    why != NULL ? why : OSSL_SONAME);
	}
	for (i = 0; i < sizeof(ossl_entries) / sizeof(ossl_entries[0]); i++) {
		if ((sym = dlsym(h, ossl_entries[i].name)) == NULL)
			return perr_set(err, EX_TEMPFAIL,
			    "cannot load OpenSSL: %s: no %s", OSSL_SONAME,
			    ossl_entries[i].name);
		/* POSIX: a function pointer has the size of void * */
		memcpy((char *)&ossl_fn + ossl_entries[i].off, &sym,
		    sizeof(sym));
	}
	ossl_loaded = 1;
	return 0;
}

const struct ossl_functions *
ossl_must(void)
{
	struct perr e = { 0 };

	if (ossl_load(&e) == -1) {
		fprintf(stderr, "posta: %s\n", e.msg);
		exit(EX_OSFILE);
	}
	return &ossl_fn;
}
