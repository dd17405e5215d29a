/* SPDX-License-Identifier: ISC */
/*
 * Local names to addresses: [aliases] expansion (comma lists, alias to
 * alias, the "*" catch-all) and qualification with [sender] domain.
 */
#ifndef POSTA_ALIAS_H
#define POSTA_ALIAS_H

#include "config.h"
#include "perr.h"

/*
 * Resolve one recipient and call cb for every final address. An
 * address with '@' is passed on unchanged. A bare local name (compared
 * case-insensitively) is looked up in [aliases]; each target is
 * resolved again (alias to alias, at most MAX_ALIAS_DEPTH deep; a name
 * met again on the way is a loop and is qualified instead of expanded,
 * as sendmail does); a name with no alias goes to the "*" catch-all
 * when there is one, else is qualified as name@domain. Without a
 * domain, an unresolved bare name fails with EX_NOUSER: "root: local
 * name with no [aliases] entry and no [sender] domain; set one of
 * them". Duplicates are not removed here. Returns 0, -1 with err, or
 * the first non-zero value of cb.
 */
int alias_resolve(const struct config *cfg, const char *rcpt,
    int (*cb)(const char *addr, void *arg), void *arg, struct perr *err);

/*
 * Qualify a bare local name with [sender] domain, else the host name
 * (for the envelope sender only). An address with '@' is copied.
 * Returns 0, or -1 when it does not fit.
 */
int alias_qualify(const struct config *cfg, const char *name, char *out,
    size_t cap);

#endif /* POSTA_ALIAS_H */
