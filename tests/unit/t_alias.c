/* SPDX-License-Identifier: ISC */
/*
 * alias.c: expansion of bare local names through [aliases], loops,
 * depth cap, catch-all, qualification. The struct config is built by
 * hand, its values parsed with config_alias_parse(); config_alias()
 * comes from config.c too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "posta.h"
#include "alias.h"
#include "config.h"
#include "util.h"
#include "tap.h"

struct collect {
	char		buf[4096];	/* addresses joined by '|' */
	size_t		n;
	size_t		stop_at;	/* return 7 from the callback at this count */
	struct strvec	sv;		/* parsed targets */
};

static int
collect_cb(const char *addr, void *arg)
{
	struct collect *c = arg;
	size_t len = strlen(c->buf);

	if (len < sizeof(c->buf) - 1)
		(void)snprintf(c->buf + len, sizeof(c->buf) - len, "%s%s",
		    c->n > 0 ? "|" : "", addr);
	c->n++;
	if (c->stop_at > 0 && c->n == c->stop_at)
		return 7;
	return 0;
}

/* Replace cfg's aliases with pairs {name, value, ...}, NULL-terminated. */
static void
set_aliases(struct config *cfg, const char *const *pairs)
{
	struct perr err = { 0, "" };
	size_t i, n = 0;

	for (i = 0; i < cfg->naliases; i++) {
		free(cfg->aliases[i].name);
		strvec_free(&cfg->aliases[i].targets);
	}
	free(cfg->aliases);
	cfg->aliases = NULL;
	cfg->naliases = 0;
	while (pairs != NULL && pairs[2 * n] != NULL)
		n++;
	if (n == 0)
		return;
	if ((cfg->aliases = calloc(n, sizeof(*cfg->aliases))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		cfg->aliases[i].name = strdup(pairs[2 * i]);
		if (cfg->aliases[i].name == NULL ||
		    config_alias_parse(pairs[2 * i + 1],
		    &cfg->aliases[i].targets, &err) == -1)
			abort();
	}
	cfg->naliases = n;
}

static void
set_str(char **field, const char *s)
{
	free(*field);
	*field = s != NULL ? strdup(s) : NULL;
}

/* The catch-all's value, parsed; NULL: none. */
static void
set_catchall(struct config *cfg, const char *value)
{
	struct perr err = { 0, "" };

	strvec_free(&cfg->catchall);
	if (value != NULL &&
	    config_alias_parse(value, &cfg->catchall, &err) == -1)
		abort();
}

static int
resolve(const struct config *cfg, const char *rcpt, struct collect *c,
    struct perr *err)
{
	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(*err));
	return alias_resolve(cfg, rcpt, collect_cb, c, err);
}

static void
res_ok(const struct config *cfg, const char *rcpt, const char *want,
    const char *what)
{
	struct collect c;
	struct perr err;
	int rc;

	rc = resolve(cfg, rcpt, &c, &err);
	is_int(rc, 0, "%s: resolves", what);
	if (rc != 0)
		fprintf(stderr, "#   error: %s\n", err.msg);
	is_str(c.buf, want, "%s: addresses", what);
}

static void
res_err(const struct config *cfg, const char *rcpt, int wcode,
    const char *wmsg, const char *what)
{
	struct collect c;
	struct perr err;

	is_int(resolve(cfg, rcpt, &c, &err), -1, "%s: fails", what);
	is_int(err.code, wcode, "%s: exit code", what);
	ok(strstr(err.msg, wmsg) != NULL, "%s: message has \"%s\"", what,
	    wmsg);
	if (strstr(err.msg, wmsg) == NULL)
		fprintf(stderr, "#   message: %s\n", err.msg);
}

static void
test_basic(struct config *cfg)
{
	static const char *const al[] = {
		"root", "admin@example.com",
		"team", "a@x, Admin <b@y>, \"Ops, Team\" <ops@z> (night)",
		"postmaster", "root",
		"admin", "Root",
		"www-data", "\"web master\"@example.org",
		"list", "staff: s1@x, s2@y;",
		NULL
	};

	set_aliases(cfg, al);
	set_str(&cfg->domain, "example.net");
	res_ok(cfg, "user@elsewhere.org", "user@elsewhere.org",
	    "full address passed unchanged");
	res_ok(cfg, "root@elsewhere.org", "root@elsewhere.org",
	    "alias name with a domain is not expanded");
	res_ok(cfg, "root", "admin@example.com", "simple alias");
	res_ok(cfg, "ROOT", "admin@example.com", "upper-case name");
	res_ok(cfg, "Root", "admin@example.com", "mixed-case name");
	res_ok(cfg, "team", "a@x|b@y|ops@z", "mailbox list with names");
	res_ok(cfg, "postmaster", "admin@example.com", "alias to alias");
	res_ok(cfg, "admin", "admin@example.com",
	    "alias to a differently cased alias");
	res_ok(cfg, "www-data", "\"web master\"@example.org",
	    "quoted local part target");
	res_ok(cfg, "list", "s1@x|s2@y", "group in an alias value");
	res_ok(cfg, "nobody", "nobody@example.net", "no alias: qualified");
	res_ok(cfg, "Jim.Smith", "Jim.Smith@example.net",
	    "qualified as written");
	res_ok(cfg, "\"a@b\"", "\"a@b\"@example.net",
	    "quoted @ is still a local name");
}

static void
test_loops(struct config *cfg)
{
	static const char *const al[] = {
		"a", "b",
		"b", "a",
		"self", "self, keep@x",
		"p", "q, c@x",
		"q", "P, d@x",
		"x1", "x2",
		"x2", "x3",
		"x3", "X1",
		NULL
	};

	set_aliases(cfg, al);
	set_str(&cfg->domain, "example.net");
	res_ok(cfg, "a", "a@example.net", "a -> b -> a: a qualified");
	res_ok(cfg, "b", "b@example.net", "b -> a -> b: b qualified");
	res_ok(cfg, "self", "self@example.net|keep@x", "alias to itself");
	res_ok(cfg, "p", "P@example.net|d@x|c@x",
	    "loop with other targets kept, in order");
	res_ok(cfg, "x1", "X1@example.net", "three-step loop");

	set_str(&cfg->domain, NULL);
	res_err(cfg, "a", EX_CONFIG, "loop back to \"a\"",
	    "loop without a domain");
}

static void
test_depth(struct config *cfg)
{
	static char names[MAX_ALIAS_DEPTH + 2][16];
	static char values[MAX_ALIAS_DEPTH + 2][16];
	const char *al[2 * (MAX_ALIAS_DEPTH + 2) + 1];
	int i, n;

	/* d0 -> d1 -> ... -> d(n-1) -> end@x: n aliases in the chain */
	for (n = MAX_ALIAS_DEPTH; n <= MAX_ALIAS_DEPTH + 1; n++) {
		for (i = 0; i < n; i++) {
			(void)snprintf(names[i], sizeof(names[i]), "d%d", i);
			if (i == n - 1)
				(void)snprintf(values[i], sizeof(values[i]),
				    "end@x");
			else
				(void)snprintf(values[i], sizeof(values[i]),
				    "d%d", i + 1);
			al[2 * i] = names[i];
			al[2 * i + 1] = values[i];
		}
		al[2 * n] = NULL;
		set_aliases(cfg, al);
		if (n == MAX_ALIAS_DEPTH)
			res_ok(cfg, "d0", "end@x", "chain of MAX_ALIAS_DEPTH");
		else
			res_err(cfg, "d0", EX_CONFIG, "d16: [aliases] entry",
			    "chain deeper than MAX_ALIAS_DEPTH names the alias");
	}
	/* a chain that ends in a bare name with no alias is still fine */
	values[MAX_ALIAS_DEPTH - 1][0] = 'z';
	values[MAX_ALIAS_DEPTH - 1][1] = '\0';
	al[2 * MAX_ALIAS_DEPTH] = NULL;
	set_aliases(cfg, al);
	set_str(&cfg->domain, "example.net");
	res_ok(cfg, "d0", "z@example.net", "deep chain ending in a name");
}

static void
test_catchall(struct config *cfg)
{
	static const char *const al[] = {
		"root", "admin@example.com",
		"ops", "jim",
		"boss", "Boss <b@x>",
		NULL
	};
	struct collect c;
	struct perr err;

	set_aliases(cfg, al);
	set_str(&cfg->domain, "example.net");
	set_catchall(cfg, "catch@example.com");
	res_ok(cfg, "root", "admin@example.com", "alias wins over catch-all");
	res_ok(cfg, "whoever", "catch@example.com", "catch-all");
	res_ok(cfg, "ops", "catch@example.com",
	    "target with no alias goes to the catch-all");
	res_ok(cfg, "x@y", "x@y", "catch-all leaves full addresses alone");

	set_catchall(cfg, "boss, postmaster");
	res_ok(cfg, "whoever", "b@x|postmaster@example.net",
	    "catch-all to an alias, and a name qualified, not re-caught");
	res_ok(cfg, "ops", "b@x|postmaster@example.net",
	    "alias target caught, once");

	set_str(&cfg->domain, NULL);
	res_err(cfg, "whoever", EX_CONFIG, "leads to \"postmaster\"",
	    "catch-all to a plain name without a domain");
	set_catchall(cfg, "catch@example.com");
	res_ok(cfg, "whoever", "catch@example.com",
	    "catch-all without a domain");

	set_catchall(cfg, NULL);
	is_int(resolve(cfg, "root2", &c, &err), -1,
	    "no alias, catch-all or domain: fails");
	is_int(err.code, EX_NOUSER, "no domain: EX_NOUSER");
	is_str(err.msg, "root2: local name with no [aliases] entry and no "
	    "[sender] domain; set one of them", "no domain: message");
	is_int(c.n, 0, "no domain: nothing passed on");
	set_str(&cfg->domain, "");
	res_err(cfg, "root2", EX_NOUSER, "no [sender] domain",
	    "empty domain counts as none");
	res_err(cfg, "ops", EX_NOUSER, "jim: local name",
	    "error names the unresolved target");
	res_err(cfg, "", EX_NOUSER, "empty recipient", "empty recipient");
}

static void
test_errors_and_cb(struct config *cfg)
{
	static const char *const al[] = {
		"many", "a@x, b@x, c@x, d@x",
		"fan", "f1,f1,f1,f1,f1,f1,f1,f1,f1,f1",
		"f1", "f2,f2,f2,f2,f2,f2,f2,f2,f2,f2",
		"f2", "f3,f3,f3,f3,f3,f3,f3,f3,f3,f3",
		"f3", "f4,f4,f4,f4,f4,f4,f4,f4,f4,f4",
		"f4", "f5,f5,f5,f5,f5,f5,f5,f5,f5,f5",
		"f5", "z@x,z@x,z@x,z@x,z@x,z@x,z@x,z@x,z@x,z@x",
		NULL
	};
	struct collect c;
	struct perr err;

	set_aliases(cfg, al);
	set_str(&cfg->domain, "example.net");
	/* a value that is no list of addresses never loads (t_config) */
	perr_clear(&err);
	is_int(config_alias_parse("a@x, <broken", &c.sv, &err), -1,
	    "syntax error in a value");
	is_str(err.msg, "cannot parse \"a@x, <broken\" as a list of "
	    "addresses", "syntax error: message");
	is_int(c.sv.n, 0, "syntax error: no targets kept");
	perr_clear(&err);
	is_int(config_alias_parse(" , ,", &c.sv, &err), -1,
	    "value with no addresses");
	is_str(err.msg, "no addresses in \" , ,\"", "no addresses: message");
	is_int(config_alias_parse("Ops <ops@x> (night), root, \"a b\"@y",
	    &c.sv, &err), 0, "a list parses");
	ok(c.sv.n == 3 && strcmp(c.sv.v[0], "ops@x") == 0 &&
	    strcmp(c.sv.v[1], "root") == 0 &&
	    strcmp(c.sv.v[2], "\"a b\"@y") == 0, "targets as addr-specs");
	strvec_free(&c.sv);
	res_err(cfg, "fan", EX_CONFIG, "more than 100000 addresses",
	    "runaway fan-out is capped");

	memset(&c, 0, sizeof(c));
	memset(&err, 0, sizeof(err));
	c.stop_at = 2;
	is_int(alias_resolve(cfg, "many", collect_cb, &c, &err), 7,
	    "callback value returned");
	is_str(c.buf, "a@x|b@x", "expansion stopped at the callback's word");
	is_int(err.code, 0, "callback stop sets no error");

	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	is_int(alias_resolve(cfg, "full@x", collect_cb, &c, &err), 7,
	    "callback value returned for a full address");
}

static void
test_qualify(struct config *cfg)
{
	char out[64], host[256], want[300];

	set_str(&cfg->domain, "example.net");
	is_int(alias_qualify(cfg, "root", out, sizeof(out)), 0, "qualify");
	is_str(out, "root@example.net", "qualify with domain");
	is_int(alias_qualify(cfg, "me@else.org", out, sizeof(out)), 0,
	    "full address");
	is_str(out, "me@else.org", "full address copied");
	is_int(alias_qualify(cfg, "", out, sizeof(out)), 0, "null sender");
	is_str(out, "", "null sender stays null");
	is_int(alias_qualify(cfg, "\"a b\"", out, sizeof(out)), 0, "quoted");
	is_str(out, "\"a b\"@example.net", "quoted local part qualified");
	is_int(alias_qualify(cfg, "averyveryverylongname", out, 20), -1,
	    "too small for the result");
	is_int(alias_qualify(cfg, "a@b.c", out, 5), -1,
	    "too small for a copy");

	set_str(&cfg->domain, NULL);
	host_name(host, sizeof(host));
	(void)snprintf(want, sizeof(want), "daemon@%s", host);
	is_int(alias_qualify(cfg, "daemon", out, sizeof(out)), 0,
	    "qualify without domain");
	is_str(out, want, "no domain: host name used");
	set_str(&cfg->domain, "");
	is_int(alias_qualify(cfg, "daemon", out, sizeof(out)), 0,
	    "qualify with empty domain");
	is_str(out, want, "empty domain: host name used");
}

int
main(void)
{
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	test_basic(&cfg);
	test_loops(&cfg);
	test_depth(&cfg);
	test_catchall(&cfg);
	test_errors_and_cb(&cfg);
	test_qualify(&cfg);
	set_aliases(&cfg, NULL);
	free(cfg.domain);
	strvec_free(&cfg.catchall);
	return done_testing();
}
