/* SPDX-License-Identifier: ISC */
/*
 * The pure parts of smtp.c: the reply parser and its one-line form,
 * EHLO keyword parsing and RFC 3461 xtext.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "perr.h"
#include "posta.h"
#include "smtp.h"
#include "tap.h"

/* Feed lines until the parser says done or fails; returns its last answer. */
static int
feed_all(struct smtp_reply *r, struct perr *err, const char *const *lines,
    size_t n)
{
	size_t i;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	for (i = 0; i < n; i++) {
		rc = smtp_reply_feed(r, lines[i], err);
		if (rc != 0)
			break;
	}
	return rc;
}

static void
one_bad(const char *line, const char *name)
{
	struct smtp_reply r;
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
	struct smtp_reply r;
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
	is_int(smtp_reply_feed(&r, multi[0], &err), 0, "250- wants more");
	is_int(smtp_reply_feed(&r, multi[1], &err), 0, "second 250- too");
	is_int(smtp_reply_feed(&r, multi[2], &err), 1, "250 SP ends it");
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
		rc = smtp_reply_feed(&r, big, &err);
	big[3] = ' ';
	if (rc == 0)
		rc = smtp_reply_feed(&r, big, &err);
	is_int(rc, 1, "long reply completes");
	is_int(strlen(r.text), MAX_REPLY_TEXT - 1, "text cut at the limit");
	is_int(err.code, 0, "cut text is not an error");

	/* the first error wins */
	memset(&err, 0, sizeof(err));
	memset(&r, 0, sizeof(r));
	(void)smtp_reply_feed(&r, "bad", &err);
	memset(&r, 0, sizeof(r));
	(void)smtp_reply_feed(&r, "also bad", &err);
	ok(strstr(err.msg, "\"bad\"") != NULL, "first error kept (%s)",
	    err.msg);
}

static void
test_reply_line(void)
{
	static const char *const multi[] = { "550-5.1.1 first", "550 5.1.1 second" };
	static const char *const single[] = { "550 5.1.1 <a@b>: no such user" };
	static const char *const bare[] = { "354" };
	struct smtp_reply r;
	struct perr err;
	char buf[64], small[8];

	(void)feed_all(&r, &err, single, 1);
	is_str(smtp_reply_line(&r, buf, sizeof(buf)),
	    "550 5.1.1 <a@b>: no such user", "one line: code SP text");
	(void)feed_all(&r, &err, multi, 2);
	is_str(smtp_reply_line(&r, buf, sizeof(buf)),
	    "550 5.1.1 first / 5.1.1 second", "lines joined by \" / \"");
	(void)feed_all(&r, &err, bare, 1);
	is_str(smtp_reply_line(&r, buf, sizeof(buf)), "354",
	    "no text: just the code");
	memset(&r, 0, sizeof(r));
	is_str(smtp_reply_line(&r, buf, sizeof(buf)), "(no reply)",
	    "code 0: no reply");

	(void)feed_all(&r, &err, multi, 2);
	memset(small, '#', sizeof(small));
	is_str(smtp_reply_line(&r, small, 6), "550 5", "cut to the buffer");
	is_int(small[6], '#', "nothing written past cap");
	is_str(smtp_reply_line(&r, small, 4), "550", "cap exactly the code");
	ok(strchr(smtp_reply_line(&r, buf, sizeof(buf)), '\n') == NULL,
	    "one line: no LF left");
}

static void
test_ehlo(void)
{
	unsigned long long size;
	char auth[256], tiny[6];
	int ext;

	ext = smtp_ehlo_parse("smtp.example.com Hello [127.0.0.1]\n"
	    "PIPELINING\nSIZE 10240000\nVRFY\nETRN\nSTARTTLS\n"
	    "AUTH PLAIN LOGIN SCRAM-SHA-256\nENHANCEDSTATUSCODES\n8BITMIME\n"
	    "DSN\nSMTPUTF8\nCHUNKING", &size, auth, sizeof(auth));
	is_int(ext, SMTP_EXT_STARTTLS | SMTP_EXT_AUTH | SMTP_EXT_PIPELINING |
	    SMTP_EXT_8BITMIME | SMTP_EXT_SIZE | SMTP_EXT_SMTPUTF8 |
	    SMTP_EXT_DSN | SMTP_EXT_ENHANCED, "Postfix-like EHLO: all bits");
	is_int(size, 10240000, "SIZE value");
	is_str(auth, "PLAIN LOGIN SCRAM-SHA-256", "AUTH parameters");

	ext = smtp_ehlo_parse("STARTTLS", &size, auth, sizeof(auth));
	is_int(ext, 0, "the first line is the server name, not a keyword");

	ext = smtp_ehlo_parse("host\nAUTH=LOGIN PLAIN", &size, auth,
	    sizeof(auth));
	is_int(ext, SMTP_EXT_AUTH, "old AUTH= form sets AUTH");
	is_str(auth, "LOGIN PLAIN", "old AUTH= form parameters");

	(void)smtp_ehlo_parse("host\nAUTH=LOGIN\nAUTH PLAIN CRAM-MD5", &size,
	    auth, sizeof(auth));
	is_str(auth, "PLAIN CRAM-MD5", "AUTH line wins over AUTH= (after)");
	(void)smtp_ehlo_parse("host\nAUTH PLAIN CRAM-MD5\nAUTH=LOGIN", &size,
	    auth, sizeof(auth));
	is_str(auth, "PLAIN CRAM-MD5", "AUTH line wins over AUTH= (before)");

	ext = smtp_ehlo_parse("host\npipelining\nauth plain\nStartTLS",
	    &size, auth, sizeof(auth));
	is_int(ext, SMTP_EXT_PIPELINING | SMTP_EXT_AUTH | SMTP_EXT_STARTTLS,
	    "keywords are case-insensitive");
	is_str(auth, "plain", "lower-case AUTH parameters kept");

	ext = smtp_ehlo_parse("host\nPIPELININGX\nXSTARTTLS\nSTARTTLSX\n"
	    "DSNX\nAUTHX PLAIN\nSIZEX 5", &size, auth, sizeof(auth));
	is_int(ext, 0, "look-alike keywords do not count");
	is_str(auth, "", "no AUTH offer");
	is_int(size, 0, "no SIZE");

	ext = smtp_ehlo_parse("host\nSIZE", &size, auth, sizeof(auth));
	is_int(ext, SMTP_EXT_SIZE, "SIZE without a value");
	is_int(size, 0, "SIZE without a value: no limit");
	(void)smtp_ehlo_parse("host\nSIZE 12x", &size, auth, sizeof(auth));
	is_int(size, 0, "SIZE with junk: no limit");
	(void)smtp_ehlo_parse("host\nSIZE 99999999999999999999999", &size,
	    auth, sizeof(auth));
	is_int(size, 0, "SIZE overflow: no limit");
	(void)smtp_ehlo_parse("host\nSIZE -5", &size, auth, sizeof(auth));
	is_int(size, 0, "negative SIZE: no limit");
	(void)smtp_ehlo_parse("host\nSIZE   35882577", &size, auth,
	    sizeof(auth));
	is_int(size, 35882577, "SIZE after several spaces");

	ext = smtp_ehlo_parse("host\nAUTH", &size, auth, sizeof(auth));
	is_int(ext, SMTP_EXT_AUTH, "AUTH without mechanisms");
	is_str(auth, "", "AUTH without mechanisms: empty offer");

	(void)smtp_ehlo_parse("host\nAUTH PLAIN LOGIN", &size, tiny,
	    sizeof(tiny));
	is_str(tiny, "PLAIN", "AUTH offer cut to its buffer");

	ext = smtp_ehlo_parse("just one line", &size, auth, sizeof(auth));
	is_int(ext, 0, "one-line EHLO: no extensions");
	ext = smtp_ehlo_parse("", &size, auth, sizeof(auth));
	is_int(ext, 0, "empty EHLO text: no extensions");
}

static void
test_xtext(void)
{
	char out[32], four[4];

	is_int(smtp_xtext("abc-123.x@y", out, sizeof(out)), 0, "plain");
	is_str(out, "abc-123.x@y", "printable ASCII stays");
	is_int(smtp_xtext("a+b=c", out, sizeof(out)), 0, "+ and =");
	is_str(out, "a+2Bb+3Dc", "+ and = are encoded");
	(void)smtp_xtext("a b\t\x7f", out, sizeof(out));
	is_str(out, "a+20b+09+7F", "space, tab, DEL encoded");
	(void)smtp_xtext("\xc3\xa9", out, sizeof(out));
	is_str(out, "+C3+A9", "8-bit bytes encoded in upper-case hex");
	(void)smtp_xtext("!~", out, sizeof(out));
	is_str(out, "!~", "range ends stay");
	is_int(smtp_xtext("", out, sizeof(out)), 0, "empty");
	is_str(out, "", "empty stays empty");

	is_int(smtp_xtext("abc", four, sizeof(four)), 0, "exact fit");
	is_str(four, "abc", "exact fit text");
	is_int(smtp_xtext("abcd", four, sizeof(four)), -1, "one too many");
	is_int(smtp_xtext("a+", four, sizeof(four)), -1,
	    "escape that does not fit");
	is_str(four, "a", "cut output stays terminated");
	is_int(smtp_xtext("a", four, 0), -1, "no room at all");
}

int
main(void)
{
	test_reply();
	test_reply_line();
	test_ehlo();
	test_xtext();
	return done_testing();
}
