/* SPDX-License-Identifier: ISC */
/*
 * qualify.c: bare local names in address fields get a domain; nothing
 * else in the field changes, and broken fields are left alone.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "qualify.h"
#include "tap.h"

static void
q_ok(const char *in, const char *want, const char *what)
{
	struct buf b;
	int rc;

	buf_init(&b, 65536);
	rc = qualify_value(in, strlen(in), "example.org", &b);
	is_int(rc, 1, "%s: rewritten", what);
	is_str(buf_str(&b), want, "%s: value", what);
	buf_free(&b);
}

static void
q_same(const char *in, const char *what)
{
	struct buf b;
	int rc;

	buf_init(&b, 65536);
	(void)buf_adds(&b, "keep");
	rc = qualify_value(in, strlen(in), "example.org", &b);
	is_int(rc, 0, "%s: left as it is", what);
	is_str(buf_str(&b), "keep", "%s: out untouched", what);
	buf_free(&b);
}

int
main(void)
{
	struct buf b;

	q_ok(" root\r\n", " root@example.org\r\n", "bare name");
	q_ok(" Fail2Ban <fail2ban>\r\n", " Fail2Ban <fail2ban@example.org>\r\n",
	    "display name kept");
	q_ok(" \"Cron Daemon\" <root>\r\n",
	    " \"Cron Daemon\" <root@example.org>\r\n", "quoted display name");
	q_ok(" root (Cron Daemon)\r\n", " root@example.org (Cron Daemon)\r\n",
	    "comment after a bare name");
	q_ok(" root, a@b.example,\r\n\tbob <bob>\r\n",
	    " root@example.org, a@b.example,\r\n\tbob <bob@example.org>\r\n",
	    "folded list, qualified names kept");
	q_ok(" admins: root, x@y.example;, www-data\r\n",
	    " admins: root@example.org, x@y.example;, www-data@example.org\r\n",
	    "group kept");
	q_ok(" first.last\r\n", " first.last@example.org\r\n",
	    "dotted local part");
	q_ok(" \"john doe\"\r\n", " \"john doe\"@example.org\r\n",
	    "quoted local part");
	q_ok(" =?UTF-8?Q?J=C3=B6rg?= <joerg>\r\n",
	    " =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>\r\n", "encoded word");

	q_same(" a@b.example\r\n", "already qualified");
	q_same(" Name <a@b.example>, c@d.example\r\n", "all qualified");
	q_same(" undisclosed-recipients:;\r\n", "empty group");
	q_same(" root, <broken\r\n", "syntax error");
	q_same(" root junk <\r\n", "junk after a name");
	q_same("\r\n", "empty");

	buf_init(&b, 10);
	is_int(qualify_value(" root\r\n", 7, "example.org", &b), -1,
	    "over the cap: -1");
	is_int((int)b.len, 0, "over the cap: out unchanged");
	buf_free(&b);
	buf_init(&b, 100);
	is_int(qualify_value(" root\r\n", 7, "", &b), 0, "no domain: unchanged");
	buf_free(&b);

	ok(qualify_field_is("From", 4), "From");
	ok(qualify_field_is("reply-to", 8), "reply-to, any case");
	ok(qualify_field_is("Resent-Cc", 9), "Resent-Cc");
	ok(qualify_field_is("Sender", 6), "Sender");
	ok(!qualify_field_is("Subject", 7), "not Subject");
	ok(!qualify_field_is("Message-ID", 10), "not Message-ID");
	ok(!qualify_field_is("Fro", 3), "not a prefix");
	return done_testing();
}
