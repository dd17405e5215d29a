/* SPDX-License-Identifier: ISC */
/*
 * Qualifying bare local names in address header fields, as Postfix
 * does for local submissions: "From: root" becomes "From:
 * root@example.org". Only the addr-specs without a domain change;
 * display names, comments, groups and folding stay byte for byte, and
 * a field with a syntax error is left as it is. Pure: no I/O.
 */
#ifndef POSTA_QUALIFY_H
#define POSTA_QUALIFY_H

#include <stddef.h>

#include "buf.h"

/*
 * 1 when a field of this name holds addresses to qualify: From,
 * Sender, Reply-To, To, Cc and their Resent- forms (Bcc is removed at
 * intake anyway).
 */
int qualify_field_is(const char *name, size_t len);

/*
 * Qualify the value of one field (what follows the colon, still
 * folded, CR LF included) with "@domain". Returns 1 with the new value
 * appended to out, 0 when there is nothing to change (no bare name, or
 * a syntax error: the field is to be kept as it is), or -1 when out's
 * cap or memory ran out.
 */
int qualify_value(const char *value, size_t len, const char *domain,
    struct buf *out);

#endif /* POSTA_QUALIFY_H */
