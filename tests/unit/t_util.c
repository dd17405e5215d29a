/* SPDX-License-Identifier: ISC */
/*
 * util.c: the one duration parser (posta.conf and -q styles) and its
 * printer, control-character blanking, hex digits, RFC 5322 dates.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "posta.h"
#include "util.h"
#include "tap.h"

static void
test_duration_config(void)
{
	const long M = LONG_MAX;

	is_int(duration_parse("90", DUR_CONFIG, M), 90, "bare seconds");
	is_int(duration_parse("90s", DUR_CONFIG, M), 90, "s");
	is_int(duration_parse("15m", DUR_CONFIG, M), 900, "m");
	is_int(duration_parse("2h", DUR_CONFIG, M), 7200, "h");
	is_int(duration_parse("5d", DUR_CONFIG, M), 432000, "d");
	is_int(duration_parse("1w", DUR_CONFIG, M), 604800, "w");
	is_int(duration_parse("2M", DUR_CONFIG, M), 120, "upper-case unit");
	is_int(duration_parse("1h30m", DUR_CONFIG, M), 5400, "sum");
	is_int(duration_parse("0", DUR_CONFIG, M), 0, "zero");
	is_int(duration_parse("", DUR_CONFIG, M), -1, "empty");
	is_int(duration_parse(NULL, DUR_CONFIG, M), -1, "NULL");
	is_int(duration_parse("-5", DUR_CONFIG, M), -1, "negative");
	is_int(duration_parse("+5", DUR_CONFIG, M), -1, "plus sign");
	is_int(duration_parse(" 5", DUR_CONFIG, M), -1, "leading blank");
	is_int(duration_parse("5 m", DUR_CONFIG, M), -1, "inner blank");
	is_int(duration_parse("5x", DUR_CONFIG, M), -1, "bad unit");
	is_int(duration_parse("m", DUR_CONFIG, M), -1, "unit alone");
	is_int(duration_parse("1h30", DUR_CONFIG, M), -1,
	    "bare number after a unit");
	is_int(duration_parse("0h5", DUR_CONFIG, M), -1,
	    "bare number after a zero term");
	is_int(duration_parse("5mm", DUR_CONFIG, M), -1, "double unit");
	is_int(duration_parse("99999999999999999999", DUR_CONFIG, M), -1,
	    "overflow");
	is_int(duration_parse("9223372036854775807", DUR_CONFIG, M),
	    9223372036854775807L, "LONG_MAX seconds");
	is_int(duration_parse("9223372036854775807m", DUR_CONFIG, M), -1,
	    "overflow in the unit");
	is_int(duration_parse("15250284452472w", DUR_CONFIG, M), -1,
	    "overflow in weeks");
	is_int(duration_parse("1d", DUR_CONFIG, 86400), 86400, "at max");
	is_int(duration_parse("86401", DUR_CONFIG, 86400), -1, "past max");
	is_int(duration_parse("1d1s", DUR_CONFIG, 86400), -1,
	    "past max in a sum");
}

static void
test_duration_queue(void)
{
	const long M = 365L * 86400;

	is_int(duration_parse("30", DUR_QUEUE, M), 1800, "bare minutes");
	is_int(duration_parse("15m", DUR_QUEUE, M), 900, "m");
	is_int(duration_parse("45s", DUR_QUEUE, M), 45, "s");
	is_int(duration_parse("1m2", DUR_QUEUE, M), 180,
	    "bare minutes after a unit");
	is_int(duration_parse("1h1m1s", DUR_QUEUE, M), 3661, "sum");
	is_int(duration_parse("0", DUR_QUEUE, M), 0, "zero");
	is_int(duration_parse("365d", DUR_QUEUE, M), M, "at max");
	is_int(duration_parse("366d", DUR_QUEUE, M), -1, "past max");
	is_int(duration_parse("53w", DUR_QUEUE, M), -1, "past max in weeks");
	is_int(duration_parse("15M", DUR_QUEUE, M), -1,
	    "upper-case unit refused, as sendmail does");
	is_int(duration_parse("15mm", DUR_QUEUE, M), -1, "double unit");
	is_int(duration_parse("1.5h", DUR_QUEUE, M), -1, "fraction");
	is_int(duration_parse("99999999999999999999", DUR_QUEUE, M), -1,
	    "overflow");
	is_int(duration_parse("", DUR_QUEUE, M), -1, "empty");
}

static void
test_fmt_duration(void)
{
	static const struct {
		long		 secs;
		const char	*want;
		long		 back;	/* what the text reads back as */
	} t[] = {
		{ -5, "0s", 0 }, { 0, "0s", 0 }, { 59, "59s", 59 },
		{ 60, "1m", 60 }, { 3599, "59m", 3540 }, { 3600, "1h0m", 3600 },
		{ 5400, "1h30m", 5400 }, { 86400, "1d0h", 86400 },
		{ 3 * 86400 + 4 * 3600 + 59, "3d4h", 3 * 86400 + 4 * 3600 },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		fmt_duration(t[i].secs, buf, sizeof(buf));
		is_str(buf, t[i].want, "fmt_duration(%ld)", t[i].secs);
		is_int(duration_parse(buf, DUR_CONFIG, LONG_MAX), t[i].back,
		    "\"%s\" reads back", buf);
	}
}

static void
test_ctl(void)
{
	char s[] = "a\tb\r\nc\x1b[31md\x7f" "e\x80\xff";

	ok(has_ctl("a\tb"), "tab is a control character");
	ok(has_ctl("\x7f"), "DEL is one");
	ok(!has_ctl("plain text, \x80\xff high bytes"), "high bytes are not");
	ok(!has_ctl(""), "empty string has none");
	str_blank_ctl(s);
	is_str(s, "a b  c [31md e\x80\xff",
	    "every control byte blanked, the rest kept");
	ok(!has_ctl(s), "nothing left to blank");

	/* C1: 8-bit CSI, U+009B in UTF-8, a lone 0x85; UTF-8 text kept */
	char t[] = "a\x9b" "31m b\xc2\x9b" "31m c\x85 \xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80 \xc2\xa0\xa9\x1b";

	str_blank_term(t);
	is_str(t, "a 31m b  31m c  \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 "
	    "\xc2\xa0\xa9 ", "C1 controls blanked, UTF-8 and Latin-1 text kept");
}

static void
test_hexval(void)
{
	const char *d = "0123456789abcdef", *u = "ABCDEF";
	int i, all = 1;

	for (i = 0; i < 16; i++)
		all &= hexval(d[i]) == i;
	for (i = 0; i < 6; i++)
		all &= hexval(u[i]) == 10 + i;
	ok(all, "0-9, a-f, A-F");
	is_int(hexval('g'), -1, "g");
	is_int(hexval(':'), -1, ":");
	is_int(hexval('\0'), -1, "NUL");
	is_int(hexval(-23), -1, "a negative char");
}

static void
test_fmt_date(void)
{
	char buf[64];

	/* POSIX TZ strings: no dependency on the tz database */
	(void)setenv("TZ", "UTC0", 1);
	tzset();
	fmt_date(0, buf, sizeof(buf));
	is_str(buf, "Thu, 01 Jan 1970 00:00:00 +0000", "the epoch in UTC");
	fmt_date(1796117400, buf, sizeof(buf));
	is_str(buf, "Tue, 01 Dec 2026 09:30:00 +0000", "a December date");
	(void)setenv("TZ", "XST-1", 1);
	tzset();
	fmt_date(1796117400, buf, sizeof(buf));
	is_str(buf, "Tue, 01 Dec 2026 10:30:00 +0100", "east of UTC");
	(void)setenv("TZ", "YST9:30", 1);
	tzset();
	fmt_date(1796117400, buf, sizeof(buf));
	is_str(buf, "Tue, 01 Dec 2026 00:00:00 -0930", "half-hour zone west");
}

int
main(void)
{
	test_duration_config();
	test_duration_queue();
	test_fmt_duration();
	test_ctl();
	test_hexval();
	test_fmt_date();
	return done_testing();
}
