/* SPDX-License-Identifier: ISC */
/*
 * The sender policy: -f or MAIL FROM, [sender] from and force_from,
 * qualification of a bare name, in that order, whoever submits.
 */
#include <sys/types.h>

#include <pwd.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "posta.h"
#include "sender.h"
#include "util.h"

/* [sender] from, else the login name qualified (see posta(8)). */
static int
default_sender(const struct config *cfg, char *out, size_t cap)
{
	const struct passwd *pw;

	if (cfg->from != NULL)
		return xstrlcpy(out, cfg->from, cap);
	pw = getpwuid(getuid());
	return alias_qualify(cfg, pw != NULL ? pw->pw_name : "nobody", out,
	    cap);
}

/* With force_from the default is [sender] from already. */
int
sender_envelope(const struct config *cfg, const char *given, char *out,
    size_t cap, const char **why)
{
	int rc;

	if (given == NULL)
		rc = default_sender(cfg, out, cap);
	else if (given[0] != '\0' && cfg->force_from && cfg->from != NULL)
		rc = xstrlcpy(out, cfg->from, cap);
	else if ((rc = alias_qualify(cfg, given, out, cap)) == -1)
		(void)xstrlcpy(out, given, cap);
	if (rc == -1) {
		*why = "address too long";
		return -1;
	}
	return addr_check_envelope(out, 1, why);
}

void
sender_from_addr(const struct config *cfg, const char *sender, char *out,
    size_t cap)
{
	if (sender[0] != '\0')
		(void)xstrlcpy(out, sender, cap);
	else
		(void)default_sender(cfg, out, cap);
}

int
sender_is_ours(const struct config *cfg, const char *sender)
{
	const char *at = strrchr(sender, '@'), *from_at;
	char host[256];

	if (cfg->notify_any)
		return 1;
	if (at == NULL || at[1] == '\0')
		return 0; /* qualified at intake: not one of ours */
	at++;
	if (cfg->domain != NULL && cfg->domain[0] != '\0') {
		if (strcasecmp(at, cfg->domain) == 0)
			return 1;
	} else {
		host_name(host, sizeof(host));
		if (strcasecmp(at, host) == 0)
			return 1;
	}
	return cfg->from != NULL &&
	    (from_at = strrchr(cfg->from, '@')) != NULL &&
	    strcasecmp(at, from_at + 1) == 0;
}
