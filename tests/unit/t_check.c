/* SPDX-License-Identifier: ISC */
/*
 * check.c's pure parts: the days-left rule for certificates, the pin in
 * the fingerprint key's syntax, the AUTH hint; and --check on the
 * command line.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "check.h"
#include "cli.h"
#include "tap.h"

#define DAY	86400L

static void
expiry_is(long long left, enum check_level want, long want_days)
{
	const time_t now = 1700000000;
	enum check_level lv;
	long days = 12345;

	lv = check_expiry((time_t)(now + left), now, &days);
	is_int(lv, want, "%lld s left: level", left);
	is_int(days, want_days, "%lld s left: days", left);
}

static void
test_expiry(void)
{
	expiry_is(400 * DAY, CHECK_OK, 400);
	expiry_is(14 * DAY, CHECK_OK, 14);
	expiry_is(14 * DAY - 1, CHECK_WARN, 13);
	expiry_is(9 * DAY + 3600, CHECK_WARN, 9);
	expiry_is(DAY, CHECK_WARN, 1);
	expiry_is(DAY - 1, CHECK_WARN, 0);
	expiry_is(1, CHECK_WARN, 0);
	expiry_is(0, CHECK_FAIL, 0);
	expiry_is(-1, CHECK_FAIL, -1);
	expiry_is(-DAY, CHECK_FAIL, -1);
	expiry_is(-DAY - 1, CHECK_FAIL, -2);
	expiry_is(-2161 * DAY, CHECK_FAIL, -2161);
}

static void
test_pin(void)
{
	unsigned char pin[32];
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(pin); i++)
		pin[i] = (unsigned char)(i * 17 + 10);
	check_pin_text(pin, buf, sizeof(buf));
	is_str(buf, "sha256:0A:1B:2C:3D:4E:5F:70:81:92:A3:B4:C5:D6:E7:F8:09:"
	    "1A:2B:3C:4D:5E:6F:80:91:A2:B3:C4:D5:E6:F7:08:19", "pin text");
	is_int(strlen(buf), 7 + 32 * 3 - 1, "pin text length");
}

static void
hint_is(const char *offered, enum auth_mech want, int rc, const char *text)
{
	char buf[256];

	is_int(check_auth_hint(offered, want, buf, sizeof(buf)), rc,
	    "'%s' want %d: result", offered, (int)want);
	is_str(buf, text, "'%s' want %d: text", offered, (int)want);
}

static void
test_auth_hint(void)
{
	hint_is("PLAIN LOGIN", AUTH_AUTO, 0, "PLAIN");
	hint_is("LOGIN PLAIN", AUTH_LOGIN, 0, "LOGIN");
	hint_is("login xoauth2", AUTH_AUTO, 0, "LOGIN");
	hint_is("LOGIN XOAUTH2", AUTH_XOAUTH2, 0, "XOAUTH2");
	hint_is("LOGIN XOAUTH2", AUTH_PLAIN, -1, "set auth = login (or auto)");
	hint_is("PLAIN LOGIN", AUTH_CRAM_MD5, -1, "set auth = plain (or auto)");
	hint_is("XOAUTH2 OAUTHBEARER", AUTH_AUTO, -1, "set auth = xoauth2: "
	    "this server wants an OAuth token, not a password");
	hint_is("XOAUTH2", AUTH_PLAIN, -1, "set auth = xoauth2: this server "
	    "wants an OAuth token, not a password");
	hint_is("GSSAPI NTLM", AUTH_AUTO, -1, "posta supports none of them; "
	    "ask the provider for PLAIN, LOGIN, CRAM-MD5 or SCRAM-SHA-256");
}

static int
parse(const char *a1, const char *a2, const char *a3, struct opts *o,
    struct perr *err)
{
	char s0[] = "posta", s1[64], s2[64], s3[64];
	char *av[5] = { s0, s1, s2, s3, NULL };
	int ac = 1;

	memset(err, 0, sizeof(*err));
	if (a1 != NULL) {
		(void)snprintf(s1, sizeof(s1), "%s", a1);
		ac++;
	}
	if (a2 != NULL) {
		(void)snprintf(s2, sizeof(s2), "%s", a2);
		ac++;
	}
	if (a3 != NULL) {
		(void)snprintf(s3, sizeof(s3), "%s", a3);
		ac++;
	}
	av[ac] = NULL;
	return cli_parse(ac, av, "posta", o, err);
}

static void
test_cli(void)
{
	struct opts o;
	struct perr err;

	ok(parse("--check", NULL, NULL, &o, &err) == 0 &&
	    o.mode == MODE_CHECK && o.nrcpts == 0, "--check");
	ok(parse("--check", "me@example.com", NULL, &o, &err) == 0 &&
	    o.mode == MODE_CHECK && o.nrcpts == 1 &&
	    strcmp(o.rcpts[0], "me@example.com") == 0, "--check ADDR");
	ok(parse("-C/x.conf", "--check", "a@b", &o, &err) == 0 &&
	    o.mode == MODE_CHECK && strcmp(o.conf_path, "/x.conf") == 0,
	    "-C FILE --check ADDR");
	ok(parse("--check", "a@b", "c@d", &o, &err) == -1 &&
	    err.code == EX_USAGE, "--check with two addresses");
	is_str(err.msg, "--check takes at most one address, for a test "
	    "message", "two addresses: message");
	ok(parse("--check", "-q", NULL, &o, &err) == -1, "--check -q");
}

int
main(void)
{
	test_expiry();
	test_pin();
	test_auth_hint();
	test_cli();
	return done_testing();
}
