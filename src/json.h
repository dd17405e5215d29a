/* SPDX-License-Identifier: ISC */
/*
 * A strict JSON reader (RFC 8259) for what token endpoints answer and
 * for service-account key files: it validates the whole document and
 * hands out only the top-level members the caller names. Pure: no I/O.
 */
#ifndef POSTA_JSON_H
#define POSTA_JSON_H

#include <stddef.h>

#include "perr.h"

enum json_kind {
	JSON_STR, /* a string, unescaped to UTF-8 */
	JSON_INT  /* an integer, or a string of one ("3600") */
};

/*
 * One member of the top-level object to take. The caller sets name,
 * kind and max; json_get() fills in the rest. A member that is absent
 * or null is left with found == 0.
 */
struct json_field {
	const char *name;    /* in: member name, compared exactly */
	enum json_kind kind; /* in */
	size_t max;	     /* in, JSON_STR: bytes; 0: JSON_MAX_STRING */
	int found;	     /* out: 1 when present and not null */
	char *str;	     /* out, JSON_STR: owned, no NUL inside */
	size_t len;	     /* out, JSON_STR: strlen(str) */
	long long num;	     /* out, JSON_INT */
};

/*
 * Parse doc (len bytes, at most JSON_MAX_DOC, nesting at most
 * JSON_MAX_DEPTH) whose top level must be an object, and fill in the n
 * fields (n <= JSON_MAX_FIELDS). Every other member, arrays and nested
 * objects included, is checked and skipped. Refused with EX_PROTOCOL:
 * bad grammar or UTF-8, trailing bytes, an unpaired surrogate, a
 * wanted member that repeats, has the wrong type, is longer than its
 * max, holds \u0000, or (JSON_INT) is not an integer that fits a long
 * long. Messages give byte offsets and our member names, never content.
 * Returns 0, or -1 with err (EX_PROTOCOL, EX_OSERR) and every field
 * reset. Strings are the caller's: release them with json_fields_free.
 */
int json_get(const void *doc, size_t len, struct json_field *fields, size_t n,
    struct perr *err);

/* Wipe and free the strings of n fields and reset them to not found. */
void json_fields_free(struct json_field *fields, size_t n);

#endif /* POSTA_JSON_H */
