/* SPDX-License-Identifier: ISC */
/*
 * esmtp.c, the grammar client and server share: the reply parser and
 * its one-line and server forms, EHLO keywords, verbs, paths, MAIL and
 * RCPT parameters both ways, xtext both ways, the DSN value checks.
 * The AUTH offer is checked with the buffer smtp.c keeps it in.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "auth.h"
#include "esmtp.h"
#include "perr.h"
#include "posta.h"
#include "smtp.h"
#include "tap.h"

/* Feed lines until the parser says done or fails; returns its last answer. */
static int
feed_all(struct esmtp_reply *r, struct perr *err, const char *const *lines,
    size_t n)
{
	size_t i;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	for (i = 0; i < n; i++) {
		rc = esmtp_reply_feed(r, lines[i], err);
		if (rc != 0)
			break;
	}
	return rc;
}

static void
one_bad(const char *line, const char *name)
{
	struct esmtp_reply r;
	struct perr err;
	const char *lines[1];

	lines[0] = line;
	is_int(feed_all(&r, &err, lines, 1), -1, "bad line: %s", name);
	is_int(err.code, EX_PROTOCOL, "bad line is EX_PROTOCOL: %s", name);
}

static void
test_reply(void)
{
	static const char *const single[] = { "250 2.0.0 Ok: queued as 123" };
	static const char *const multi[] = { "250-first", "250-second",
	    "250 third" };
	static const char *const mism[] = { "250-first", "251 second" };
	static const char *const bare[] = { "250" };
	static const char *const ctl[] = { "250 a\tb\033[31mc\177d" };
	static const char *const esc[] = {
	    "550 5.1.1 <x@y>: Recipient address rejected" };
	static const char *const dash_empty[] = { "220-", "220 ready" };
	struct esmtp_reply r;
	struct perr err;
	char many[MAX_REPLY_LINES + 1][8], big[MAX_REPLY_LINE + 1];
	const char *lines[MAX_REPLY_LINES + 1];
	size_t i;
	int rc;

	is_int(feed_all(&r, &err, single, 1), 1, "single line is complete");
	is_int(r.code, 250, "single: code");
	is_int(r.nlines, 1, "single: one line");
	is_str(r.text, "2.0.0 Ok: queued as 123", "single: text after code");

	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	is_int(esmtp_reply_feed(&r, multi[0], &err), 0, "250- wants more");
	is_int(esmtp_reply_feed(&r, multi[1], &err), 0, "second 250- too");
	is_int(esmtp_reply_feed(&r, multi[2], &err), 1, "250 SP ends it");
	is_int(r.nlines, 3, "multi: three lines");
	is_str(r.text, "first\nsecond\nthird", "multi: lines joined by LF");
	is_int(err.code, 0, "multi: no error");

	is_int(feed_all(&r, &err, mism, 2), -1, "code change is an error");
	is_int(err.code, EX_PROTOCOL, "code change: EX_PROTOCOL");
	ok(strstr(err.msg, "250") != NULL && strstr(err.msg, "251") != NULL,
	    "code change: message names both codes (%s)", err.msg);

	is_int(feed_all(&r, &err, bare, 1), 1, "bare code is complete");
	is_int(r.code, 250, "bare code: code");
	is_str(r.text, "", "bare code: no text");

	is_int(feed_all(&r, &err, dash_empty, 2), 1, "empty continuation");
	is_str(r.text, "\nready", "empty continuation keeps its line");

	is_int(feed_all(&r, &err, ctl, 1), 1, "control chars accepted");
	is_str(r.text, "a b [31mc d", "control chars replaced by spaces");

	is_int(feed_all(&r, &err, esc, 1), 1, "enhanced status reply");
	is_int(r.code, 550, "enhanced: code");
	is_str(r.text, "5.1.1 <x@y>: Recipient address rejected",
	    "enhanced status code kept in the text");

	one_bad("2x0 nope", "2x0");
	one_bad("25", "two digits");
	one_bad("", "empty line");
	one_bad("2500 x", "four digits");
	one_bad("250x", "no separator");
	one_bad("250\tx", "tab separator");
	one_bad("650 x", "first digit 6");
	one_bad("150 x", "first digit 1");
	one_bad("abc def", "letters");
	one_bad(" 250 x", "leading space");

	/* exactly MAX_REPLY_LINES lines are fine, one more is not */
	for (i = 0; i <= MAX_REPLY_LINES; i++) {
		(void)snprintf(many[i], sizeof(many[i]), "250-%zu", i % 100);
		lines[i] = many[i];
	}
	many[MAX_REPLY_LINES - 1][3] = ' ';
	rc = feed_all(&r, &err, lines, MAX_REPLY_LINES);
	is_int(rc, 1, "%d lines are allowed", MAX_REPLY_LINES);
	is_int(r.nlines, MAX_REPLY_LINES, "all %d lines counted",
	    MAX_REPLY_LINES);
	many[MAX_REPLY_LINES - 1][3] = '-';
	many[MAX_REPLY_LINES][3] = ' ';
	rc = feed_all(&r, &err, lines, MAX_REPLY_LINES + 1);
	is_int(rc, -1, "line %d is refused", MAX_REPLY_LINES + 1);
	is_int(err.code, EX_PROTOCOL, "too many lines: EX_PROTOCOL");

	/* long text is cut, not an error, and stays terminated */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "250-", 4);
	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	rc = 0;
	for (i = 0; i < 5 && rc == 0; i++)
		rc = esmtp_reply_feed(&r, big, &err);
	big[3] = ' ';
	if (rc == 0)
		rc = esmtp_reply_feed(&r, big, &err);
	is_int(rc, 1, "long reply completes");
	is_int(strlen(r.text), MAX_REPLY_TEXT - 1, "text cut at the limit");
	is_int(err.code, 0, "cut text is not an error");

	/* the first error wins */
	memset(&err, 0, sizeof(err));
	memset(&r, 0, sizeof(r));
	(void)esmtp_reply_feed(&r, "bad", &err);
	memset(&r, 0, sizeof(r));
	(void)esmtp_reply_feed(&r, "also bad", &err);
	ok(strstr(err.msg, "\"bad\"") != NULL, "first error kept (%s)",
	    err.msg);
}

static void
test_reply_line(void)
{
	static const char *const multi[] = { "550-5.1.1 first", "550 5.1.1 second" };
	static const char *const single[] = { "550 5.1.1 <a@b>: no such user" };
	static const char *const bare[] = { "354" };
	struct esmtp_reply r;
	struct perr err;
	char buf[64], small[8];

	(void)feed_all(&r, &err, single, 1);
	is_str(esmtp_reply_line(&r, buf, sizeof(buf)),
	    "550 5.1.1 <a@b>: no such user", "one line: code SP text");
	(void)feed_all(&r, &err, multi, 2);
	is_str(esmtp_reply_line(&r, buf, sizeof(buf)),
	    "550 5.1.1 first / 5.1.1 second", "lines joined by \" / \"");
	(void)feed_all(&r, &err, bare, 1);
	is_str(esmtp_reply_line(&r, buf, sizeof(buf)), "354",
	    "no text: just the code");
	memset(&r, 0, sizeof(r));
	is_str(esmtp_reply_line(&r, buf, sizeof(buf)), "(no reply)",
	    "code 0: no reply");

	(void)feed_all(&r, &err, multi, 2);
	memset(small, '#', sizeof(small));
	is_str(esmtp_reply_line(&r, small, 6), "550 5", "cut to the buffer");
	is_int(small[6], '#', "nothing written past cap");
	is_str(esmtp_reply_line(&r, small, 4), "550", "cap exactly the code");
	ok(strchr(esmtp_reply_line(&r, buf, sizeof(buf)), '\n') == NULL,
	    "one line: no LF left");
}

static void
test_ehlo(void)
{
	/* an offer cut to its buffer: a cut word could name a mechanism the
	 * server does not offer */
	static const struct {
		const char *text, *want, *what;
	} cuts[] = {
		{ "host\nAUTH PLAIN LOGIN", "PLAIN",
		    "AUTH offer cut to its buffer" },
		{ "host\nAUTH PLAINX LOGIN", "",
		    "AUTH offer cut: no part of a word kept" },
		{ "host\nAUTH LOGIN PLAINX", "LOGIN",
		    "AUTH offer cut after the last whole word" },
		{ "host\nAUTH LOGIN   PLAIN", "LOGIN",
		    "AUTH offer cut: no blanks kept at the end" },
	};
	unsigned long long size;
	char auth[256], tiny[6];
	size_t i;
	int ext;

	ext = esmtp_ehlo_parse("smtp.example.com Hello [127.0.0.1]\n"
	    "PIPELINING\nSIZE 10240000\nVRFY\nETRN\nSTARTTLS\n"
	    "AUTH PLAIN LOGIN SCRAM-SHA-256\nENHANCEDSTATUSCODES\n8BITMIME\n"
	    "DSN\nSMTPUTF8\nCHUNKING", &size, auth, sizeof(auth));
	is_int(ext, ESMTP_EXT_STARTTLS | ESMTP_EXT_AUTH | ESMTP_EXT_PIPELINING |
	    ESMTP_EXT_8BITMIME | ESMTP_EXT_SIZE | ESMTP_EXT_SMTPUTF8 |
	    ESMTP_EXT_DSN | ESMTP_EXT_ENHANCED, "Postfix-like EHLO: all bits");
	is_int(size, 10240000, "SIZE value");
	is_str(auth, "PLAIN LOGIN SCRAM-SHA-256", "AUTH parameters");

	ext = esmtp_ehlo_parse("STARTTLS", &size, auth, sizeof(auth));
	is_int(ext, 0, "the first line is the server name, not a keyword");

	ext = esmtp_ehlo_parse("host\nAUTH=LOGIN PLAIN", &size, auth,
	    sizeof(auth));
	is_int(ext, ESMTP_EXT_AUTH, "old AUTH= form sets AUTH");
	is_str(auth, "LOGIN PLAIN", "old AUTH= form parameters");

	(void)esmtp_ehlo_parse("host\nAUTH=LOGIN\nAUTH PLAIN CRAM-MD5", &size,
	    auth, sizeof(auth));
	is_str(auth, "PLAIN CRAM-MD5", "AUTH line wins over AUTH= (after)");
	(void)esmtp_ehlo_parse("host\nAUTH PLAIN CRAM-MD5\nAUTH=LOGIN", &size,
	    auth, sizeof(auth));
	is_str(auth, "PLAIN CRAM-MD5", "AUTH line wins over AUTH= (before)");

	ext = esmtp_ehlo_parse("host\npipelining\nauth plain\nStartTLS",
	    &size, auth, sizeof(auth));
	is_int(ext, ESMTP_EXT_PIPELINING | ESMTP_EXT_AUTH | ESMTP_EXT_STARTTLS,
	    "keywords are case-insensitive");
	is_str(auth, "plain", "lower-case AUTH parameters kept");

	ext = esmtp_ehlo_parse("host\nPIPELININGX\nXSTARTTLS\nSTARTTLSX\n"
	    "DSNX\nAUTHX PLAIN\nSIZEX 5", &size, auth, sizeof(auth));
	is_int(ext, 0, "look-alike keywords do not count");
	is_str(auth, "", "no AUTH offer");
	is_int(size, 0, "no SIZE");

	ext = esmtp_ehlo_parse("host\nSIZE", &size, auth, sizeof(auth));
	is_int(ext, ESMTP_EXT_SIZE, "SIZE without a value");
	is_int(size, 0, "SIZE without a value: no limit");
	(void)esmtp_ehlo_parse("host\nSIZE 12x", &size, auth, sizeof(auth));
	is_int(size, 0, "SIZE with junk: no limit");
	(void)esmtp_ehlo_parse("host\nSIZE 99999999999999999999999", &size,
	    auth, sizeof(auth));
	is_int(size, 0, "SIZE overflow: no limit");
	(void)esmtp_ehlo_parse("host\nSIZE -5", &size, auth, sizeof(auth));
	is_int(size, 0, "negative SIZE: no limit");
	(void)esmtp_ehlo_parse("host\nSIZE   35882577", &size, auth,
	    sizeof(auth));
	is_int(size, 35882577, "SIZE after several spaces");

	ext = esmtp_ehlo_parse("host\nAUTH", &size, auth, sizeof(auth));
	is_int(ext, ESMTP_EXT_AUTH, "AUTH without mechanisms");
	is_str(auth, "", "AUTH without mechanisms: empty offer");

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		(void)esmtp_ehlo_parse(cuts[i].text, &size, tiny, sizeof(tiny));
		is_str(tiny, cuts[i].want, "%s", cuts[i].what);
	}

	ext = esmtp_ehlo_parse("just one line", &size, auth, sizeof(auth));
	is_int(ext, 0, "one-line EHLO: no extensions");
	ext = esmtp_ehlo_parse("", &size, auth, sizeof(auth));
	is_int(ext, 0, "empty EHLO text: no extensions");
}

/*
 * An EHLO reply whose AUTH line is about len octets long, made-up
 * mechanisms first and last at the end, parsed into the buffer smtp.c
 * keeps the offer in: the whole line is kept and auth_pick() with want
 * picks last.
 */
static void
long_auth(size_t len, const char *last, enum auth_mech want,
    enum auth_mech picked)
{
	struct esmtp_reply r;
	struct perr err;
	struct smtp s;
	char line[MAX_REPLY_LINE + 1];
	unsigned long long size;
	enum auth_mech m = AUTH_AUTO;
	size_t n;

	memset(&r, 0, sizeof(r));
	memset(&err, 0, sizeof(err));
	ok(esmtp_reply_feed(&r, "250-mx.example.com", &err) == 0,
	    "AUTH of %zu: first line", len);
	n = (size_t)snprintf(line, sizeof(line), "250-AUTH");
	/* made-up mechanisms of 8 octets: X-MECH00, X-MECH01, ... */
	while (n + 9 + 1 + strlen(last) <= len)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " X-MECH%02zu",
		    (n - 8) / 9 % 100);
	(void)snprintf(line + n, sizeof(line) - n, " %s", last);
	ok(strlen(line) > len - 9 && strlen(line) <= len,
	    "AUTH of %zu: line of %zu octets", len, strlen(line));
	ok(esmtp_reply_feed(&r, line, &err) == 0, "AUTH of %zu: line", len);
	ok(esmtp_reply_feed(&r, "250 8BITMIME", &err) == 1,
	    "AUTH of %zu: last line", len);

	ok(esmtp_ehlo_parse(r.text, &size, s.auth_offer,
	       sizeof(s.auth_offer)) &
		ESMTP_EXT_AUTH,
	    "AUTH of %zu: AUTH offered", len);
	is_str(s.auth_offer, line + 9, "AUTH of %zu: the whole offer is kept",
	    len);
	is_int(auth_pick(s.auth_offer, want, &m, &err), 0,
	    "AUTH of %zu: %s, offered last, is picked", len, last);
	is_int(m, picked, "AUTH of %zu: the mechanism picked is %s", len,
	    last);
}

/*
 * Servers that offer many mechanisms (over 300 octets of them) with
 * the one posta needs last, up to an AUTH line as long as a reply line
 * can be.
 */
static void
test_ehlo_long_auth(void)
{
	long_auth(330, "XOAUTH2", AUTH_XOAUTH2, AUTH_XOAUTH2);
	long_auth(330, "OAUTHBEARER", AUTH_OAUTHBEARER, AUTH_OAUTHBEARER);
	long_auth(330, "PLAIN", AUTH_AUTO, AUTH_PLAIN);
	long_auth(MAX_REPLY_LINE, "XOAUTH2", AUTH_XOAUTH2, AUTH_XOAUTH2);
}

static void
test_xtext(void)
{
	char out[32], four[4];

	is_int(esmtp_xtext_encode("abc-123.x@y", out, sizeof(out)), 0, "plain");
	is_str(out, "abc-123.x@y", "printable ASCII stays");
	is_int(esmtp_xtext_encode("a+b=c", out, sizeof(out)), 0, "+ and =");
	is_str(out, "a+2Bb+3Dc", "+ and = are encoded");
	(void)esmtp_xtext_encode("a b\t\x7f", out, sizeof(out));
	is_str(out, "a+20b+09+7F", "space, tab, DEL encoded");
	(void)esmtp_xtext_encode("\xc3\xa9", out, sizeof(out));
	is_str(out, "+C3+A9", "8-bit bytes encoded in upper-case hex");
	(void)esmtp_xtext_encode("!~", out, sizeof(out));
	is_str(out, "!~", "range ends stay");
	is_int(esmtp_xtext_encode("", out, sizeof(out)), 0, "empty");
	is_str(out, "", "empty stays empty");

	is_int(esmtp_xtext_encode("abc", four, sizeof(four)), 0, "exact fit");
	is_str(four, "abc", "exact fit text");
	is_int(esmtp_xtext_encode("abcd", four, sizeof(four)), -1, "one too many");
	is_int(esmtp_xtext_encode("a+", four, sizeof(four)), -1,
	    "escape that does not fit");
	is_str(four, "a", "cut output stays terminated");
	is_int(esmtp_xtext_encode("a", four, 0), -1, "no room at all");
}

static size_t PRINTF(3, 4)
vfmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = esmtp_reply_vfmt(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

static void
test_reply_vfmt(void)
{
	char buf[MAX_REPLY_LINE], small[8];
	size_t n;

	n = vfmt(buf, sizeof(buf), "250 %s", "2.0.0 Ok");
	is_mem(buf, n, "250 2.0.0 Ok\r\n", 14, "one line with CR LF");
	n = vfmt(buf, sizeof(buf), "550 %s", "a\r\n250 b\033c");
	is_mem(buf, n, "550 a  250 b c\r\n", 16,
	    "line breaks and escapes in the text are blanked");
	n = vfmt(small, sizeof(small), "250 %s", "long text");
	is_mem(small, n, "250 l\r\n", 7, "cut to the buffer, CR LF kept");
	is_int(vfmt(small, 2, "250"), 0, "no room for CR LF: nothing");
	n = vfmt(small, 3, "250");
	is_mem(small, n, "\r\n", 2, "room for CR LF only");
}

static void
test_verbs(void)
{
	char line[64], *args;
	size_t len;

	ok(esmtp_word_is("mail", 4, "MAIL"), "verbs ignore case");
	ok(!esmtp_word_is("MAILX", 5, "MAIL"), "a longer word is another");
	ok(!esmtp_word_is("MAI", 3, "MAIL"), "a prefix is another");
	ok(esmtp_word_is("", 0, ""), "empty is empty");

	(void)snprintf(line, sizeof(line), "MAIL \t FROM:<a@b>");
	args = esmtp_args(line, &len);
	is_int(len, 4, "verb length");
	is_str(args, "FROM:<a@b>", "arguments after the blanks");
	(void)snprintf(line, sizeof(line), "QUIT");
	args = esmtp_args(line, &len);
	is_int(len, 4, "verb alone");
	is_str(args, "", "no arguments");
}

/* esmtp_path_parse on a copy of in; the address, or "ERR". */
static const char *
path(const char *in, const char *kw, char *addr, size_t cap, char *params,
    size_t pcap)
{
	char buf[512], *p;

	(void)snprintf(buf, sizeof(buf), "%s", in);
	if (esmtp_path_parse(buf, kw, addr, cap, &p) == -1)
		return "ERR";
	(void)snprintf(params, pcap, "%s", p);
	return addr;
}

static void
test_path(void)
{
	char addr[64], par[64], tiny[4];

	is_str(path("FROM:<a@b.example>", "FROM:", addr, sizeof(addr), par,
	    sizeof(par)), "a@b.example", "plain path");
	is_str(par, "", "no parameters");
	is_str(path("from: <a@b> SIZE=10  BODY=8BITMIME", "FROM:", addr,
	    sizeof(addr), par, sizeof(par)), "a@b",
	    "keyword in any case, blank after the colon");
	is_str(par, "SIZE=10  BODY=8BITMIME", "parameters after the path");
	is_str(path("FROM:<>", "FROM:", addr, sizeof(addr), par,
	    sizeof(par)), "", "null sender");
	is_str(path("TO:a@b", "TO:", addr, sizeof(addr), par, sizeof(par)),
	    "a@b", "path without angle brackets");
	is_str(path("TO:<@r1,@r2:a@b>", "TO:", addr, sizeof(addr), par,
	    sizeof(par)), "a@b", "source route dropped");
	is_str(path("TO:<\"a>b\"@c>", "TO:", addr, sizeof(addr), par,
	    sizeof(par)), "\"a>b\"@c", "'>' inside a quoted local part");
	is_str(path("TO:<\"a\\\">\"@c>", "TO:", addr, sizeof(addr), par,
	    sizeof(par)), "\"a\\\">\"@c", "escaped quote inside quotes");
	is_str(path("TO:<a@b", "TO:", addr, sizeof(addr), par, sizeof(par)),
	    "ERR", "unclosed path");
	is_str(path("TO:<a@b>x", "TO:", addr, sizeof(addr), par, sizeof(par)),
	    "ERR", "junk right after the path");
	is_str(path("TO:", "TO:", addr, sizeof(addr), par, sizeof(par)),
	    "ERR", "no path");
	is_str(path("FROM:<a@b>", "TO:", addr, sizeof(addr), par,
	    sizeof(par)), "ERR", "wrong keyword");
	is_str(path("TO:<@r1>", "TO:", addr, sizeof(addr), par, sizeof(par)),
	    "ERR", "source route without a colon");
	is_str(path("TO:<abcd>", "TO:", tiny, sizeof(tiny), par, sizeof(par)),
	    "ERR", "address longer than the buffer");
	is_str(path("TO:<abc>", "TO:", tiny, sizeof(tiny), par, sizeof(par)),
	    "abc", "an address that just fits");
}

/* esmtp_mail_parse on a copy of in. */
static int
mail(const char *in, struct esmtp_mail *m, char *key, size_t kcap)
{
	char buf[512];
	const char *k = "";
	int rc;

	(void)snprintf(buf, sizeof(buf), "%s", in);
	memset(m, 0, sizeof(*m));
	rc = esmtp_mail_parse(buf, m, &k);
	(void)snprintf(key, kcap, "%s", rc != 0 ? k : "");
	return rc;
}

static void
test_mail_params(void)
{
	struct esmtp_mail m;
	char key[32];

	is_int(mail("", &m, key, sizeof(key)), 0, "no parameters");
	is_int(mail("SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=hdrs "
	    "ENVID=QQ+2B1", &m, key, sizeof(key)), 0, "every parameter");
	is_int(m.size, 1000, "SIZE kept");
	is_int(m.body8bit, 1, "BODY=8BITMIME");
	is_int(m.smtputf8, 1, "SMTPUTF8");
	is_str(m.ret, "HDRS", "RET in canonical case");
	is_str(m.envid, "QQ+1", "ENVID decoded");
	is_int(mail("body=7bit size=0", &m, key, sizeof(key)), 0,
	    "keys and values in any case");
	is_int(m.body8bit, 0, "BODY=7BIT");
	is_int(mail("SIZE=99999999999999999999", &m, key, sizeof(key)), 0,
	    "20 digits");
	is_int(m.size, LLONG_MAX, "saturated");
	is_int(mail("SIZE=123456789012345678901", &m, key, sizeof(key)), -1,
	    "21 digits");
	is_str(key, "SIZE", "the key that failed");
	is_int(mail("SIZE", &m, key, sizeof(key)), -1, "SIZE without value");
	is_int(mail("SIZE=-1", &m, key, sizeof(key)), -1, "negative SIZE");
	is_int(mail("BODY=BINARYMIME", &m, key, sizeof(key)), -1,
	    "unknown BODY");
	is_int(mail("SMTPUTF8=yes", &m, key, sizeof(key)), -1,
	    "SMTPUTF8 takes no value");
	is_int(mail("RET=ALL", &m, key, sizeof(key)), -1, "bad RET");
	is_int(mail("ENVID=a+2x", &m, key, sizeof(key)), -1,
	    "bad xtext in ENVID");
	is_int(mail("ENVID=a+20b", &m, key, sizeof(key)), -1,
	    "a space in ENVID");
	is_int(mail("SIZE=1 AUTH=<>", &m, key, sizeof(key)), 1,
	    "AUTH= is not supported");
	is_str(key, "AUTH", "unsupported key named");
	is_int(mail("X=1 SIZE=x", &m, key, sizeof(key)), 1,
	    "the first problem decides");
}

static void
test_mail_format(void)
{
	struct esmtp_mail m, back;
	char buf[512], small[12], key[32];
	int all = ESMTP_EXT_SIZE | ESMTP_EXT_8BITMIME | ESMTP_EXT_DSN;

	memset(&m, 0, sizeof(m));
	m.size = 1234;
	m.body8bit = 1;
	m.smtputf8 = 1;
	m.ret = "FULL";
	(void)snprintf(m.envid, sizeof(m.envid), "id+=x");
	is_int(esmtp_mail_format(&m, all, buf, sizeof(buf)), 0, "format");
	is_str(buf, " SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=FULL "
	    "ENVID=id+2B+3Dx", "every parameter, ENVID in xtext");
	is_int(mail(buf, &back, key, sizeof(key)), 0, "parsed back");
	ok(back.size == m.size && back.body8bit == m.body8bit &&
	    back.smtputf8 == m.smtputf8 && strcmp(back.ret, m.ret) == 0 &&
	    strcmp(back.envid, m.envid) == 0, "round trip");

	is_int(esmtp_mail_format(&m, 0, buf, sizeof(buf)), 0,
	    "nothing offered");
	is_str(buf, " SMTPUTF8", "only SMTPUTF8, which the caller checked");
	m.size = 0;
	is_int(esmtp_mail_format(&m, ESMTP_EXT_SIZE, buf, sizeof(buf)), 0,
	    "size 0");
	is_str(buf, " SMTPUTF8", "no SIZE=0");
	is_int(esmtp_mail_format(&m, all, small, sizeof(small)), -1,
	    "too long for the buffer");
	memset(&m, 0, sizeof(m));
	is_int(esmtp_mail_format(&m, all, small, sizeof(small)), 0,
	    "empty");
	is_str(small, "", "no parameters");
	is_int(esmtp_mail_format(&m, all, small, 0), -1, "no room at all");
}

/* esmtp_rcpt_parse on a copy of in; NOTIFY into notify. */
static int
rcpt(const char *in, char *notify, size_t ncap, char *key, size_t kcap)
{
	char buf[256];
	const char *n = NULL, *k = "";
	int rc;

	(void)snprintf(buf, sizeof(buf), "%s", in);
	rc = esmtp_rcpt_parse(buf, &n, &k);
	(void)snprintf(notify, ncap, "%s", n != NULL ? n : "(none)");
	(void)snprintf(key, kcap, "%s", rc != 0 ? k : "");
	return rc;
}

static void
test_rcpt_params(void)
{
	char notify[64], key[32];

	is_int(rcpt("", notify, sizeof(notify), key, sizeof(key)), 0,
	    "no parameters");
	is_str(notify, "(none)", "no NOTIFY");
	is_int(rcpt("NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@b", notify,
	    sizeof(notify), key, sizeof(key)), 0, "NOTIFY and ORCPT");
	is_str(notify, "FAILURE,DELAY", "NOTIFY kept as given");
	is_int(rcpt("NOTIFY=NEVER,FAILURE", notify, sizeof(notify), key,
	    sizeof(key)), -1, "NEVER with others");
	is_str(key, "NOTIFY", "key named");
	is_int(rcpt("ORCPT=a@b", notify, sizeof(notify), key, sizeof(key)),
	    -1, "ORCPT without its type");
	is_int(rcpt("FOO", notify, sizeof(notify), key, sizeof(key)), 1,
	    "unknown parameter");
	is_str(key, "FOO", "unknown key named");
}

static void
test_xtext_decode(void)
{
	static const char *const plain[] = {
		"a", "x+y=z", "<id@host>", "!~", "0123456789ABCDEF"
	};
	char out[ESMTP_ENVID_MAX + 1], enc[3 * ESMTP_ENVID_MAX + 1], four[4];
	size_t i;

	is_int(esmtp_xtext_decode("a+2Bb+3D", out, sizeof(out)), 0,
	    "decode");
	is_str(out, "a+b=", "escapes decoded");
	is_int(esmtp_xtext_decode("a+2b", out, sizeof(out)), -1,
	    "lower-case hex refused");
	is_int(esmtp_xtext_decode("a+2", out, sizeof(out)), -1,
	    "short escape");
	is_int(esmtp_xtext_decode("a=b", out, sizeof(out)), -1,
	    "bare '=' refused");
	is_int(esmtp_xtext_decode("a+0A", out, sizeof(out)), -1,
	    "control character refused");
	is_int(esmtp_xtext_decode("+C3+A9", out, sizeof(out)), -1,
	    "8-bit refused");
	is_int(esmtp_xtext_decode("", out, sizeof(out)), -1, "empty refused");
	is_int(esmtp_xtext_decode("abc", four, sizeof(four)), 0, "exact fit");
	is_int(esmtp_xtext_decode("abcd", four, sizeof(four)), -1,
	    "one too many");
	is_int(esmtp_xtext_decode("a", four, 0), -1, "no room at all");
	for (i = 0; i < nitems(plain); i++) {
		ok(esmtp_xtext_encode(plain[i], enc, sizeof(enc)) == 0 &&
		    esmtp_xtext_decode(enc, out, sizeof(out)) == 0 &&
		    strcmp(out, plain[i]) == 0, "round trip: %s", plain[i]);
		ok(esmtp_envid_valid(plain[i]), "valid ENVID: %s", plain[i]);
	}
}

static void
test_dsn_values(void)
{
	char big[ESMTP_ENVID_MAX + 2];

	ok(esmtp_notify_valid("never"), "NEVER");
	ok(esmtp_notify_valid("Success,Failure,Delay"), "all three");
	ok(!esmtp_notify_valid("success,success"), "twice");
	ok(!esmtp_notify_valid("never,success"), "NEVER with another");
	ok(!esmtp_notify_valid(""), "empty");
	ok(!esmtp_notify_valid("failure,"), "trailing comma");
	ok(esmtp_ret_valid("full") && esmtp_ret_valid("HDRS"), "RET values");
	ok(!esmtp_ret_valid("headers") && !esmtp_ret_valid(""), "bad RET");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(!esmtp_envid_valid(big), "ENVID of 101");
	big[sizeof(big) - 2] = '\0';
	ok(esmtp_envid_valid(big), "ENVID of 100");
	ok(!esmtp_envid_valid(""), "empty ENVID");
	ok(!esmtp_envid_valid("a b"), "ENVID with a space");
	ok(!esmtp_envid_valid("\xc3\xa9"), "8-bit ENVID");
}

int
main(void)
{
	test_reply();
	test_reply_line();
	test_ehlo();
	test_ehlo_long_auth();
	test_xtext();
	test_reply_vfmt();
	test_verbs();
	test_path();
	test_mail_params();
	test_mail_format();
	test_rcpt_params();
	test_xtext_decode();
	test_dsn_values();
	return done_testing();
}
