/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for dlog.c: the delivery log line (fields, quoting,
 * control characters, the recipient limit, long values) and the
 * enhanced status code it shows.
 */
#include <string.h>

#include "dlog.h"
#include "tap.h"

static const char *
dsn(const char *status, const char *reply)
{
	static char out[16];

	dlog_dsn(status, reply, out, sizeof(out));
	return out;
}

static void
base(struct dlog *d)
{
	memset(d, 0, sizeof(*d));
	d->id = "6561f0a2c3d4e5f6";
	d->from = "a@x";
	d->to[0] = "b@y";
	d->nto = 1;
	d->size = 1234;
	d->host = "smtp.example.com";
	d->port = 587;
	d->tls = "TLSv1.3";
	d->auth = "PLAIN";
	d->delay = 0.4249;
	d->attempt = 1;
}

int
main(void)
{
	char line[DLOG_MAX_LINE], big[2000];
	struct dlog d;
	const char *s;

	base(&d);
	d.nsent = 1;
	(void)strcpy(d.sent, "250 2.0.0 Ok: queued as 4XyZ");
	is_str(dlog_format(&d, line, sizeof(line)), "6561f0a2c3d4e5f6: "
	    "from=<a@x> to=<b@y> size=1234 relay=smtp.example.com:587 "
	    "tls=TLSv1.3 auth=PLAIN delay=0.42 attempt=1 status=sent "
	    "dsn=2.0.0 reply=\"250 2.0.0 Ok: queued as 4XyZ\"", "sent");

	base(&d);
	d.from = "";
	d.to[1] = "c@y";
	d.nto = 2;
	d.tls = "";
	d.auth = NULL;
	d.attempt = 3;
	d.ndeferred = 2;
	d.reply = "smtp.example.com:587: connect: Connection refused";
	is_str(dlog_format(&d, line, sizeof(line)), "6561f0a2c3d4e5f6: "
	    "from=<> to=<b@y>,<c@y> size=1234 relay=smtp.example.com:587 "
	    "tls=none auth=none delay=0.42 attempt=3 status=deferred "
	    "dsn=4.0.0 reply=\"smtp.example.com:587: connect: Connection "
	    "refused\"", "deferred by the session: null sender, no TLS");

	base(&d);
	d.to[1] = "c@y";
	d.to[2] = "d@y";
	d.nto = 3;
	d.nsent = 2;
	d.nbounced = 1;
	d.reply = "<d@y>: 550 5.1.1 <d@y>: Recipient address rejected";
	(void)strcpy(d.sent, "250 2.0.0 Ok: queued as 4XyZ");
	s = dlog_format(&d, line, sizeof(line));
	ok(strstr(s, " status=bounced dsn=5.1.1 reply=\"<d@y>: 550 5.1.1 "
	    "<d@y>: Recipient address rejected\" sent=2 deferred=0 bounced=1 "
	    "sent_reply=\"250 2.0.0 Ok: queued as 4XyZ\"") != NULL,
	    "mixed: bounced, counts, the 250 too: %s", s);

	base(&d);
	d.from = "\"we\\\"ird\"@x";
	d.to[0] = "\"sp ace\"@y";
	d.nsent = 1;
	(void)strcpy(d.sent, "250 ok\x01\x7f");
	s = dlog_format(&d, line, sizeof(line));
	ok(strstr(s, " from=\"<\\\"we\\\\\\\"ird\\\"@x>\" "
	    "to=\"<\\\"sp ace\\\"@y>\" ") != NULL,
	    "quotes and backslashes escaped, blanks quoted: %s", s);
	ok(strstr(s, " reply=\"250 ok\\x01\\x7f\"") != NULL,
	    "control characters as \\xHH: %s", s);
	ok(strchr(s, '\n') == NULL && strchr(s, '\x01') == NULL, "one line");

	base(&d);
	d.to[1] = "c@y";
	d.to[2] = "d@y";
	d.to[3] = "e@y";
	d.to[4] = "f@y";
	d.nto = 8;
	d.nsent = 8;
	s = dlog_format(&d, line, sizeof(line));
	ok(strstr(s, " to=<b@y>,<c@y>,<d@y>,<e@y>,<f@y> more=3 size=") != NULL,
	    "five recipients named, the rest counted: %s", s);
	ok(strstr(s, "reply=") == NULL, "no reply known: no reply=");

	base(&d);
	memset(big, 'a', sizeof(big));
	(void)memcpy(big + DLOG_MAX_ADDR - 1, "\xc3\xa9", 2);
	(void)strcpy(big + sizeof(big) - 3, "@y");
	d.to[0] = big;
	d.host = "::1";
	d.port = 25;
	d.ndeferred = 1;
	d.reply = big;
	s = dlog_format(&d, line, sizeof(line));
	ok(strlen(s) < 1000, "long values cut: %zu octets", strlen(s));
	ok(strstr(s, "a...> ") != NULL, "a long address cut before a split "
	    "UTF-8 character, with ...");
	ok(strstr(s, " relay=[::1]:25 ") != NULL, "IPv6 relay in brackets");

	(void)dlog_format(&d, line, 20);
	is_int(strlen(line), 19, "cut at the buffer");

	is_str(dsn("sent", "250 2.0.0 Ok: queued as X"), "2.0.0", "sent");
	is_str(dsn("sent", "250 Ok"), "2.0.0", "sent, no enhanced code");
	is_str(dsn("sent", ""), "2.0.0", "sent, no reply");
	is_str(dsn("deferred", "<c@y>: 451 4.3.0 try later"), "4.3.0",
	    "deferred by a 451 after the address");
	is_str(dsn("deferred", "h:587: AUTH PLAIN failed: 535 5.7.8 Error: "
	    "authentication failed"), "4.7.8", "a 5xx that defers: class 4");
	is_str(dsn("deferred", "h:25: connect: Connection refused"), "4.0.0",
	    "deferred without a code");
	is_str(dsn("deferred", "421 closing"), "4.0.0", "421 without enhanced");
	is_str(dsn("bounced", "<c@y>: 550 5.1.1 no such user"), "5.1.1",
	    "bounced");
	is_str(dsn("bounced", "553 5.6.7 non-ASCII address"), "5.6.7",
	    "bounced, SMTPUTF8");
	is_str(dsn("bounced", "451 4.3.0 later"), "4.4.7",
	    "a temporary reply behind a bounce: expired");
	is_str(dsn("bounced", "h:25: connect: Connection refused"), "4.4.7",
	    "no reply behind a bounce: expired");
	is_str(dsn("bounced", "554 transaction failed"), "5.0.0",
	    "bounced without enhanced code");
	is_str(dsn("bounced", "550 4.1.1 mismatch"), "5.0.0",
	    "an enhanced code of another class is not taken");
	is_str(dsn("deferred", "port 4500 450 4.2.0 busy"), "4.2.0",
	    "a number that is not a code is passed over");
	is_str(dsn("deferred", "450 4.2.01234 x"), "4.0.0",
	    "detail longer than 3 digits: not a code");
	/* the intake line */
	{
		struct dlog_intake in = { "6561f0a2c3d4e5f6", 1000, "alice",
		    "alice@example.com", 2, 1234, NULL };

		is_str(dlog_intake_format(&in, line, sizeof(line)),
		    "6561f0a2c3d4e5f6: intake uid=1000 user=alice "
		    "from=<alice@example.com> nrcpt=2 size=1234",
		    "intake line");
		in.user = "";
		in.from = "";
		in.client = "[192.0.2.1]";
		is_str(dlog_intake_format(&in, line, sizeof(line)),
		    "6561f0a2c3d4e5f6: intake uid=1000 from=<> nrcpt=2 "
		    "size=1234 client=[192.0.2.1]",
		    "intake line: no name, null sender, a client");
	}
	return done_testing();
}
