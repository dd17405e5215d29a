/* SPDX-License-Identifier: ISC */
/*
 * addr.c: address lists, mailboxes, envelope checks, angle stripping.
 * Many cases come from RFC 5322 appendix A.
 */
#include <stdio.h>
#include <string.h>

#include "posta.h"
#include "addr.h"
#include "tap.h"

struct collect {
	char	buf[8192];	/* addresses joined by '|' */
	int	n;
	int	stop_at;	/* return 7 from the callback at this count */
};

static int
collect_cb(const char *addr, void *arg)
{
	struct collect *c = arg;
	size_t len = strlen(c->buf);

	(void)snprintf(c->buf + len, sizeof(c->buf) - len, "%s%s",
	    c->n > 0 ? "|" : "", addr);
	c->n++;
	if (c->stop_at > 0 && c->n == c->stop_at)
		return 7;
	return 0;
}

/* Parse s, return the parser's result, the addresses in c. */
static int
list(const char *s, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	return addr_list_parse(s, strlen(s), collect_cb, c);
}

static void
list_ok(const char *s, const char *want, const char *what)
{
	struct collect c;
	int rc;

	rc = list(s, &c);
	is_int(rc, 0, "%s: parses", what);
	is_str(c.buf, want, "%s: addresses", what);
}

static void
list_bad(const char *s, const char *want_before, const char *what)
{
	struct collect c;
	int rc;

	rc = list(s, &c);
	is_int(rc, -1, "%s: refused", what);
	is_str(c.buf, want_before, "%s: addresses before the error", what);
}

static void
test_list_basic(void)
{
	list_ok("a@example.com", "a@example.com", "plain addr-spec");
	list_ok("  a@example.com  ", "a@example.com", "surrounding space");
	list_ok("a@x, b@y,c@z", "a@x|b@y|c@z", "comma list");
	list_ok("", "", "empty field");
	list_ok("   ", "", "white space only");
	list_ok("a@x, , ,b@y,", "a@x|b@y", "empty list elements");
	list_ok(",,,", "", "only commas");
	list_ok("root", "root", "bare local name");
	list_ok("root, daemon@x", "root|daemon@x", "local name in a list");
	list_ok("john.q.public@example.com", "john.q.public@example.com",
	    "dot-atom local part");
	list_ok("user+tag@sub.example.co.uk", "user+tag@sub.example.co.uk",
	    "plus tag and subdomains");
	list_ok("Mary.Smith@Example.NET", "Mary.Smith@Example.NET",
	    "case kept");
	list_ok("a@x\r\n ,\r\n\tb@y", "a@x|b@y", "folding white space");
}

static void
test_list_display(void)
{
	list_ok("John Doe <jdoe@machine.example>", "jdoe@machine.example",
	    "display name atoms");
	list_ok("\"Joe Q. Public\" <john.q.public@example.com>",
	    "john.q.public@example.com", "quoted display name");
	list_ok("\"Doe, John\" <j@x>, Jane <k@y>", "j@x|k@y",
	    "comma inside quoted display name");
	list_ok("\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	    "sysservices@example.net", "escaped quotes in display name");
	list_ok("Joe Q. Public <john.q.public@example.com>",
	    "john.q.public@example.com", "obsolete phrase with a dot");
	list_ok("=?UTF-8?B?SsO8cmdlbg==?= <j@x>", "j@x",
	    "encoded word display name");
	list_ok("=?iso-8859-1?q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
	    "PIRARD@vm1.ulg.ac.be", "encoded word then atom");
	list_ok("J\xc3\xbcrgen M\xc3\xbcller <jm@example.de>",
	    "jm@example.de", "raw UTF-8 display name");
	list_ok("Who? <one@y.test>", "one@y.test", "question mark atom");
	list_ok("<boss@nil.test>", "boss@nil.test", "angle address alone");
	list_ok("<root>", "root", "local name in angle brackets");
}

static void
test_list_comments(void)
{
	list_ok("Pete(A nice \\) chap) <pete(his account)@silly.test(his "
	    "host)>", "pete@silly.test", "RFC 5322 A.5 comments everywhere");
	list_ok("a@x (Alice)", "a@x", "trailing comment");
	list_ok("(lead) a@x", "a@x", "leading comment");
	list_ok("a@x (outer (inner (innermost)) text), b@y", "a@x|b@y",
	    "nested comments");
	list_ok("a@x (paren \\( escaped), b@y", "a@x|b@y",
	    "escaped paren in comment");
	list_ok("John Doe <jdoe@machine(comment).  example>",
	    "jdoe@machine.example", "RFC 5322 A.6.3 comment in domain");
	list_ok("jdoe@test  . example", "jdoe@test.example",
	    "obsolete domain with spaces");
	list_ok("john . doe @ x", "john.doe@x", "obsolete local part");
	list_bad("a@x (unterminated", "", "unterminated comment");
	list_bad("a@x (a (b)", "", "unbalanced nested comment");
	list_bad("a@x )", "", "stray close paren");
}

static void
test_list_quoted(void)
{
	list_ok("\"john doe\"@example.com", "\"john doe\"@example.com",
	    "quoted local part with a space, quotes kept");
	list_ok("\"a,b\"@x, c@y", "\"a,b\"@x|c@y",
	    "quoted local part with a comma");
	list_ok("\"a\\\"b\"@x", "\"a\\\"b\"@x", "escaped quote kept");
	list_ok("Name <\"john doe\"@x>", "\"john doe\"@x",
	    "quoted local part in angle address");
	list_ok("\"x@y\"@z", "\"x@y\"@z", "quoted @ in local part");
	list_ok("jdoe@[192.168.0.1]", "jdoe@[192.168.0.1]", "domain literal");
	list_ok("jdoe@[ IPv6:2001:db8::1 ]", "jdoe@[IPv6:2001:db8::1]",
	    "domain literal, folding space dropped");
	list_ok("<a@[1.2.3.4]>, b@y", "a@[1.2.3.4]|b@y",
	    "domain literal in angle address");
	list_bad("\"unterminated@x", "", "unterminated quoted string");
	list_bad("\"a\r\nb\"@x", "", "CRLF inside quoted local part");
	list_bad("a@[1.2.3.4", "", "unterminated domain literal");
	list_bad("a@[1.2[3]", "", "bracket inside domain literal");
}

static void
test_list_groups(void)
{
	list_ok("team: a@x, B <b@y>;", "a@x|b@y", "group");
	list_ok("undisclosed-recipients:;", "", "empty group");
	list_ok("undisclosed-recipients: ;", "", "empty group with space");
	list_ok("a@x, team: b@y; , c@z", "a@x|b@y|c@z",
	    "group between addresses");
	list_ok("team: a@x, b@y", "a@x|b@y", "group missing its ';'");
	list_ok("A Group(Some people):Chris Jones <c@(Chris's host.)public"
	    ".example>, joe@example.org, John <jdoe@one.test> (my dear "
	    "friend); (the end of the group)",
	    "c@public.example|joe@example.org|jdoe@one.test",
	    "RFC 5322 A.1.3 group with comments");
	list_ok("\"My Team\": a@x;", "a@x", "quoted group name");
	list_ok("g1: a@x; g2: b@y;", "a@x|b@y", "two groups");
	list_ok("team: , a@x, ,;", "a@x", "empty elements in a group");
	list_bad("a@x; b@y", "", "';' outside a group");
	list_bad("g: a@x; junk", "a@x", "word after a group");
	list_bad("g: a@x; b@y", "a@x", "addr-spec after a group, no comma");
	list_ok("g: a@x; <b@y>", "a@x|b@y", "angle after a group, no comma");
	list_bad("g: a@x, h: b@y;", "a@x", "nested group");
	list_bad(": a@x;", "", "group without a name");
}

static void
test_list_obsolete(void)
{
	list_ok("<@r1,@r2:u@d>", "u@d", "route address");
	list_ok("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . "
	    "example", "mary@example.net|jdoe@test.example",
	    "RFC 5322 A.6.1 route and empty element");
	list_ok("<,@a , @b.c:u@d>", "u@d", "route with leading comma");
	list_ok("<a@x> <b@y>", "a@x|b@y", "missing comma between angles");
	list_ok("A <a@x> B <b@y> \"C\" <c@z>", "a@x|b@y|c@z",
	    "missing commas between name-addrs");
	list_ok("team: <a@x> B <b@y>; <c@z>", "a@x|b@y|c@z",
	    "missing commas inside a group");
	list_ok("<a@x> Joe Q. Public <b@y>", "a@x|b@y",
	    "missing comma before an obsolete phrase");
	list_bad("<a@x> junk", "", "words after an angle address");
	list_bad("<a@x> junk, b@y", "", "words then comma after an angle");
	list_bad("A <a@x> b@y", "", "addr-spec after an angle, no comma");
	list_bad("<@r1:>", "", "route without address");
	list_bad("<@r1 u@d>", "", "route without colon");
	list_bad("<:u@d>", "", "colon without route");
}

static void
test_list_errors(void)
{
	list_bad("a@x b@y", "", "missing comma between addr-specs");
	list_bad("a@x, b@y junk", "a@x", "trailing garbage after the second");
	list_bad("a@x >", "", "stray >");
	list_bad("<a@x", "", "unclosed angle");
	list_bad("<a@x>>", "", "doubled >");
	list_bad("<>", "", "empty angle address");
	list_bad("John Doe", "", "display name without address");
	list_bad("a@", "", "missing domain");
	list_bad("@x", "", "missing local part");
	list_bad("a@@x", "", "double @");
	list_bad("a..b@x", "", "empty word between dots");
	list_bad(".a@x", "", "leading dot");
	list_bad("a.@x", "", "trailing dot in local part");
	list_bad("a@x.", "", "trailing dot in domain");
	list_bad("a@x..y", "", "empty domain label");
	list_bad("a\\b@x", "", "backslash outside quotes");
	list_bad("a@x\x01", "", "control character");
	list_bad("a@x, b\x7f@y", "a@x", "DEL");
	list_bad("a@x]", "", "stray ]");
}

static void
test_list_len_and_nul(void)
{
	char big[MAX_ADDR + 64];
	struct collect c;
	size_t n;

	/* exactly MAX_ADDR octets: accepted */
	memset(big, 'a', MAX_ADDR - 2);
	memcpy(big + MAX_ADDR - 2, "@x", 3);
	n = strlen(big);
	is_int(n, MAX_ADDR, "test address is MAX_ADDR long");
	is_int(list(big, &c), 0, "MAX_ADDR octets accepted");
	is_int(strlen(c.buf), MAX_ADDR, "MAX_ADDR octets passed on whole");

	/* one more: refused */
	memset(big, 'a', MAX_ADDR - 1);
	memcpy(big + MAX_ADDR - 1, "@x", 3);
	is_int(list(big, &c), -1, "MAX_ADDR+1 octets refused");
	is_int(c.n, 0, "nothing passed for the overlong address");

	/* long display name and comments do not count */
	memset(big, 'n', 900);
	memcpy(big + 900, " <a@x> (", 8);
	memset(big + 908, 'c', 40);
	memcpy(big + 948, ")", 2);
	list_ok(big, "a@x", "long display name and comment");

	/* embedded NUL within len */
	memset(&c, 0, sizeof(c));
	is_int(addr_list_parse("a@x, b\0c@y", 10, collect_cb, &c), -1,
	    "NUL inside the field refused");
	is_str(c.buf, "a@x", "address before the NUL passed on");

	/* len bounds the input: no read past it */
	memset(&c, 0, sizeof(c));
	is_int(addr_list_parse("a@x, garbage<<<", 3, collect_cb, &c), 0,
	    "len limits the parse");
	is_str(c.buf, "a@x", "only the first len bytes read");
}

static void
test_list_utf8_and_cb(void)
{
	struct collect c;

	list_ok("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>",
	    "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "UTF-8 address");
	list_ok("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90."
	    "\xe5\xb9\xbf\xe5\x91\x8a", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe"
	    "\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", "RFC 6530 example");

	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	is_int(addr_list_parse("a@x, b@y, c@z", 13, collect_cb, &c), 7,
	    "callback value returned");
	is_str(c.buf, "a@x|b@y", "parse stopped at the callback's word");
}

static void
mbox_ok(const char *s, const char *wdisp, const char *waddr,
    const char *what)
{
	char disp[256], addr[MAX_ADDR + 1];
	int rc;

	rc = addr_mailbox_parse(s, strlen(s), disp, sizeof(disp), addr,
	    sizeof(addr));
	is_int(rc, 0, "mailbox %s: parses", what);
	if (rc == 0) {
		is_str(disp, wdisp, "mailbox %s: display name", what);
		is_str(addr, waddr, "mailbox %s: address", what);
	}
}

static void
mbox_bad(const char *s, const char *what)
{
	char disp[256], addr[MAX_ADDR + 1];

	is_int(addr_mailbox_parse(s, strlen(s), disp, sizeof(disp), addr,
	    sizeof(addr)), -1, "mailbox %s: refused", what);
}

static void
test_mailbox(void)
{
	char disp[8], addr[8];

	mbox_ok("John Doe <jdoe@example.com>", "John Doe",
	    "jdoe@example.com", "name-addr");
	mbox_ok("  \"Doe, John\"   <j@x>  ", "\"Doe, John\"", "j@x",
	    "quoted name kept quoted");
	mbox_ok("=?UTF-8?Q?J=C3=BCrgen?= <j@x>", "=?UTF-8?Q?J=C3=BCrgen?=",
	    "j@x", "encoded word untouched");
	mbox_ok("<a@b>", "", "a@b", "angle only");
	mbox_ok("a@b", "", "a@b", "addr-spec only");
	mbox_ok("a@b (Alice Smith)", "Alice Smith", "a@b", "comment name");
	mbox_ok("root (Cron Daemon)", "Cron Daemon", "root",
	    "local name with comment, as cron writes");
	mbox_ok("a@b ( Alice (the (great)) )", "Alice (the (great))", "a@b",
	    "nested comment name");
	mbox_ok("a@b (first) (second)", "first", "a@b",
	    "first comment is the name");
	mbox_ok("Pete(A nice \\) chap) <pete(his account)@silly.test>",
	    "Pete", "pete@silly.test", "comments around name-addr");
	mbox_ok("Joe Q. Public <jq@x> (ignored)", "Joe Q. Public", "jq@x",
	    "comment after name-addr ignored");
	mbox_ok("Mary\r\n Smith <m@x>", "Mary Smith", "m@x",
	    "folded display name unfolded");
	mbox_ok("\"john doe\"@x", "", "\"john doe\"@x", "quoted local part");
	mbox_ok("Route <@r:u@d>", "Route", "u@d", "route address");

	mbox_bad("", "empty");
	mbox_bad("a@b, c@d", "two mailboxes");
	mbox_bad("a@b,", "trailing comma");
	mbox_bad("team: a@b;", "group");
	mbox_bad("John <a@b> junk", "trailing garbage");
	mbox_bad("John Doe", "name without address");
	mbox_bad("<a@b", "unclosed angle");

	is_int(addr_mailbox_parse("Long Name <a@b>", 15, disp, sizeof(disp),
	    addr, sizeof(addr)), -1, "display name too long for its buffer");
	is_int(addr_mailbox_parse("N <abcdefgh@b>", 14, disp, sizeof(disp),
	    addr, sizeof(addr)), -1, "address too long for its buffer");
	is_int(addr_mailbox_parse("N <a@b>", 7, disp, sizeof(disp), addr,
	    sizeof(addr)), 0, "small buffers suffice when it fits");
	is_str(disp, "N", "small buffer display");
}

static void
env_bad(const char *s, const char *wwhy, const char *what)
{
	const char *why = NULL;

	is_int(addr_check_envelope(s, 1, &why), -1, "envelope %s: refused",
	    what);
	is_str(why, wwhy, "envelope %s: reason", what);
}

static void
test_envelope(void)
{
	char big[MAX_ADDR + 2];
	const char *why;

	is_int(addr_check_envelope("me@example.com", 0, &why), 0, "plain");
	is_int(addr_check_envelope("root", 0, &why), 0, "local name");
	is_int(addr_check_envelope("\"john doe\"@x", 0, &why), 0,
	    "quoted space");
	is_int(addr_check_envelope("\"a@b\"@x", 0, &why), 0, "quoted @");
	is_int(addr_check_envelope("\"a\\\"<b\"@x", 0, &why), 0,
	    "escaped quote and quoted <");
	is_int(addr_check_envelope("j\xc3\xb6rg@example.de", 0, &why), 0,
	    "UTF-8");
	is_int(addr_check_envelope("", 1, &why), 0, "null sender allowed");
	why = NULL;
	is_int(addr_check_envelope("", 0, &why), -1, "null refused");
	ok(why != NULL && strstr(why, "empty") != NULL,
	    "null refused: reason says empty");
	is_int(addr_check_envelope(NULL, 1, &why), -1, "NULL refused");

	env_bad("a@x\r\nRCPT TO:<evil@y>", "line break (CR or LF) in address",
	    "CRLF injection");
	env_bad("a@x\n", "line break (CR or LF) in address", "LF");
	env_bad("a@x\r", "line break (CR or LF) in address", "CR");
	env_bad("\"a\r\"@x", "line break (CR or LF) in address",
	    "CR inside quotes");
	env_bad("a\tb@x", "control character in address", "tab");
	env_bad("a\x7f@x", "control character in address", "DEL");
	env_bad("a b@x", "unquoted white space in address", "space");
	env_bad("<a@x>", "angle bracket in address", "angle brackets");
	env_bad("a@x>", "angle bracket in address", "lone >");
	env_bad("a@b@c", "more than one unquoted @ in address", "two @");
	env_bad("@x", "address starts or ends with @", "leading @");
	env_bad("a@", "address starts or ends with @", "trailing @");
	env_bad("\"a@x", "unterminated quoted string in address",
	    "open quote");
	env_bad("\"a\\\"@x", "unterminated quoted string in address",
	    "escaped closing quote");

	/* a NUL ends a C string: what follows it is never seen */
	is_int(addr_check_envelope("a@x\0\r\nQUIT", 0, &why), 0,
	    "NUL ends the string");

	memset(big, 'a', MAX_ADDR);
	big[MAX_ADDR] = '\0';
	is_int(addr_check_envelope(big, 0, &why), 0, "MAX_ADDR octets ok");
	big[MAX_ADDR] = 'a';
	big[MAX_ADDR + 1] = '\0';
	env_bad(big, "address longer than 998 octets", "overlong");
}

static void
strip_ok(const char *s, const char *want, const char *what)
{
	char out[64];

	is_int(addr_strip_angle(s, out, sizeof(out)), 0, "strip %s: ok",
	    what);
	is_str(out, want, "strip %s: result", what);
}

static void
test_strip(void)
{
	char out[4];

	strip_ok("<me@x>", "me@x", "brackets");
	strip_ok("  < me@x >  ", "me@x", "brackets and white space");
	strip_ok("me@x", "me@x", "no brackets");
	strip_ok("  me@x\t", "me@x", "no brackets, white space");
	strip_ok("<>", "", "null sender");
	strip_ok("< >", "", "null sender with space");
	strip_ok("", "", "empty");
	strip_ok("<<a@b>>", "<a@b>", "only one pair stripped");
	out[0] = 'x';
	is_int(addr_strip_angle("<me@x", out, sizeof(out)), -1,
	    "missing >");
	is_int(addr_strip_angle("me@x>", out, sizeof(out)), -1,
	    "missing <");
	is_int(addr_strip_angle("<", out, sizeof(out)), -1, "lone <");
	is_int(addr_strip_angle(">", out, sizeof(out)), -1, "lone >");
	is_int(addr_strip_angle("<a@b> x", out, sizeof(out)), -1,
	    "text after >");
	is_int(addr_strip_angle("<abcd>", out, sizeof(out)), -1,
	    "does not fit");
	is_int(addr_strip_angle("<abc>", out, sizeof(out)), 0, "just fits");
	is_str(out, "abc", "just fits: result");
}

static void
test_predicates(void)
{
	is_int(addr_is_local("root"), 1, "root is local");
	is_int(addr_is_local("root@x"), 0, "root@x is not local");
	is_int(addr_is_local("\"a@b\""), 1, "quoted @ does not count");
	is_int(addr_is_local("\"a@b\"@x"), 0, "unquoted @ after quotes");
	is_int(addr_is_local("\"a\\\"@b\""), 1, "escaped quote inside quotes");
	is_int(addr_is_local(""), 1, "empty is local");
	is_int(addr_is_utf8("a@x"), 0, "ASCII is not UTF-8");
	is_int(addr_is_utf8("j\xc3\xb6rg@x"), 1, "local part UTF-8");
	is_int(addr_is_utf8("a@b\xc3\xbc" "cher.de"), 1, "domain UTF-8");
	is_int(addr_is_utf8("~!#$%&'*+-/=?^_`{|}@x"), 0, "all atext ASCII");
}

int
main(void)
{
	test_list_basic();
	test_list_display();
	test_list_comments();
	test_list_quoted();
	test_list_groups();
	test_list_obsolete();
	test_list_errors();
	test_list_len_and_nul();
	test_list_utf8_and_cb();
	test_mailbox();
	test_envelope();
	test_strip();
	test_predicates();
	return done_testing();
}
