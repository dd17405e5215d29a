/* SPDX-License-Identifier: ISC */
/*
 * sender.c, the one sender policy of the command line and -bs: the
 * default, the null sender, force_from, qualification, refusals, and
 * the address a generated From: shows.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "posta.h"
#include "sender.h"
#include "util.h"
#include "tap.h"

static char s_from[] = "robot@example.com";
static char s_domain[] = "example.net";

static const char *
pick(const struct config *cfg, const char *given, char *out, size_t cap)
{
	const char *why = NULL;

	if (sender_envelope(cfg, given, out, cap, &why) == -1)
		return why != NULL ? why : "(no reason)";
	return out;
}

int
main(void)
{
	struct config cfg;
	const struct passwd *pw = getpwuid(getuid());
	char out[MAX_ADDR + 1], small[12], want[600], host[256], *big;

	memset(&cfg, 0, sizeof(cfg));
	host_name(host, sizeof(host));

	/* nothing named: [sender] from, else the login name qualified */
	(void)snprintf(want, sizeof(want), "%s@%s",
	    pw != NULL ? pw->pw_name : "nobody", host);
	is_str(pick(&cfg, NULL, out, sizeof(out)), want,
	    "default: login name at the host name");
	cfg.domain = s_domain;
	(void)snprintf(want, sizeof(want), "%s@%s",
	    pw != NULL ? pw->pw_name : "nobody", s_domain);
	is_str(pick(&cfg, NULL, out, sizeof(out)), want,
	    "default: login name at [sender] domain");
	cfg.from = s_from;
	is_str(pick(&cfg, NULL, out, sizeof(out)), "robot@example.com",
	    "default: [sender] from");

	/* named: the null sender stays, a bare name is qualified */
	is_str(pick(&cfg, "", out, sizeof(out)), "", "null sender stays");
	is_str(pick(&cfg, "www-data", out, sizeof(out)),
	    "www-data@example.net", "bare name qualified");
	is_str(pick(&cfg, "a@b.example", out, sizeof(out)), "a@b.example",
	    "full address kept");

	/* force_from: every sender but the null one */
	cfg.force_from = 1;
	is_str(pick(&cfg, "a@b.example", out, sizeof(out)),
	    "robot@example.com", "force_from replaces a full address");
	is_str(pick(&cfg, "www-data", out, sizeof(out)), "robot@example.com",
	    "force_from replaces a bare name");
	is_str(pick(&cfg, "", out, sizeof(out)), "",
	    "force_from keeps the null sender");
	is_str(pick(&cfg, NULL, out, sizeof(out)), "robot@example.com",
	    "force_from: the default is from");
	cfg.from = NULL;
	is_str(pick(&cfg, "a@b.example", out, sizeof(out)), "a@b.example",
	    "force_from without from changes nothing");
	cfg.force_from = 0;

	/* refusals */
	is_str(pick(&cfg, "www-data", small, sizeof(small)),
	    "address too long", "qualified name does not fit");
	is_str(small, "www-data", "out holds the name that failed");
	if ((big = malloc(MAX_ADDR + 1)) == NULL)
		return 1;
	memset(big, 'x', MAX_ADDR - 5);
	big[MAX_ADDR - 5] = '\0';
	is_str(pick(&cfg, big, out, sizeof(out)), "address too long",
	    "qualified past MAX_ADDR");
	free(big);
	is_str(pick(&cfg, "a b@c", out, sizeof(out)),
	    "unquoted white space in address", "result checked");

	/* the From: address */
	sender_from_addr(&cfg, "a@b.example", out, sizeof(out));
	is_str(out, "a@b.example", "From: the sender");
	cfg.from = s_from;
	sender_from_addr(&cfg, "", out, sizeof(out));
	is_str(out, "robot@example.com", "From: for the null sender");

	/* who may get a notification: senders of ours only */
	cfg.domain = s_domain;
	cfg.from = s_from;
	cfg.force_from = 0;
	ok(sender_is_ours(&cfg, "www-data@example.net"), "[sender] domain");
	ok(sender_is_ours(&cfg, "x@EXAMPLE.NET"), "... in any case");
	ok(sender_is_ours(&cfg, "x@example.com"), "[sender] from's domain");
	ok(!sender_is_ours(&cfg, "victim@elsewhere.test"), "another domain");
	ok(!sender_is_ours(&cfg, "x@sub.example.net"), "a subdomain is not ours");
	ok(!sender_is_ours(&cfg, "bare"), "an unqualified name is not ours");
	cfg.domain = NULL;
	cfg.from = NULL;
	(void)snprintf(want, sizeof(want), "x@%s", host);
	ok(sender_is_ours(&cfg, want), "no [sender] domain: the host name");
	ok(!sender_is_ours(&cfg, "x@example.net"), "... and nothing else");
	cfg.notify_any = 1;
	ok(sender_is_ours(&cfg, "victim@elsewhere.test"), "notify_any");
	return done_testing();
}
