/* SPDX-License-Identifier: ISC */
/* Envelope file format: round trip, duplicates, and refusal of damage. */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "tap.h"

static int
roundtrip(const struct envelope *e, struct envelope *out, char *buf,
    size_t cap, size_t *len)
{
	struct perr err = { 0, "" };
	FILE *f = tmpfile();
	int rc;

	if (f == NULL || env_write(e, fileno(f), &err) == -1)
		return -1;
	*len = (size_t)pread(fileno(f), buf, cap, 0);
	rewind(f);
	rc = env_read(out, fileno(f), &err);
	fclose(f);
	return rc;
}

static int
parse_str(struct envelope *r, const char *s, struct perr *err)
{
	return env_parse(r, s, strlen(s), err);
}

int
main(void)
{
	struct envelope e, r;
	struct perr err = { 0, "" };
	char buf[8192];
	size_t len;
	int i;

	memset(&e, 0, sizeof(e));
	strcpy(e.id, "6561f0a2c3d4e5f6");
	e.created = 1700000000;
	e.attempts = 3;
	e.next_try = 1700000600;
	e.body8bit = 1;
	ok(env_set_sender(&e, "me@example.com", &err) == 0, "sender set");
	ok(env_set_str(&e.last_error, "451 4.3.0 try\r\nlater", &err) == 0,
	    "last error set");
	is_str(e.last_error, "451 4.3.0 try  later", "control chars replaced");
	ok(env_add_rcpt(&e, "a@example.com", &err) == 0, "rcpt a");
	ok(env_add_rcpt(&e, "\"john doe\"@example.com", &err) == 0,
	    "rcpt with quoted space");
	ok(env_add_rcpt(&e, "a@EXAMPLE.COM", &err) == 0, "duplicate accepted");
	is_int(e.nrcpts, 2, "duplicate ignored, the domain ignoring case");
	e.rcpts[1].state = RCPT_FAILED;
	ok(env_set_str(&e.rcpts[1].reason, "550 5.1.1 no", &err) == 0, "reason");

	ok(roundtrip(&e, &r, buf, sizeof(buf), &len) == 0, "round trip");
	ok(strstr(buf, "posta-envelope 1\n") == buf, "magic first");
	ok(strstr(buf, "\nend\n") != NULL, "end marker");
	is_str(r.id, "6561f0a2c3d4e5f6", "id");
	is_str(r.sender, "me@example.com", "sender");
	is_int(r.created, 1700000000, "created");
	is_int(r.attempts, 3, "attempts");
	is_int(r.next_try, 1700000600, "next try");
	is_int(r.body8bit, 1, "8bit");
	is_str(r.last_error, "451 4.3.0 try  later", "last error");
	is_int(r.nrcpts, 2, "two recipients");
	is_str(r.rcpts[1].addr, "\"john doe\"@example.com", "quoted addr");
	is_int(r.rcpts[1].state, RCPT_FAILED, "state kept");
	is_str(r.rcpts[1].reason, "550 5.1.1 no", "reason kept");
	is_int(r.rcpts[0].state, RCPT_PENDING, "pending kept");
	env_free(&r);

	/* null sender */
	ok(env_set_sender(&e, "", &err) == 0, "null sender");
	ok(roundtrip(&e, &r, buf, sizeof(buf), &len) == 0, "round trip null");
	is_str(r.sender, "", "null sender kept");
	ok(strstr(buf, "sender <>\n") != NULL, "written as <>");
	env_free(&r);

	/* damage is refused */
	perr_clear(&err);
	ok(env_parse(&r, buf, len - 4, &err) == -1, "cut before end refused");
	perr_clear(&err);
	ok(parse_str(&r, "posta-envelope 2\nid x\nsender <>\nend\n", &err) == -1, "other version refused");
	perr_clear(&err);
	ok(parse_str(&r, "posta-envelope 1\nid x\nsender <>\nfrobs 1\nend\n", &err) == -1, "unknown key refused");
	ok(strstr(err.msg, "line 4") != NULL, "error names the line: %s",
	    err.msg);
	perr_clear(&err);
	ok(parse_str(&r, "posta-envelope 1\nid x\nsender <>\nattempts -1\n"
	    "end\n", &err) == -1, "negative number refused");
	perr_clear(&err);
	ok(parse_str(&r, "posta-envelope 1\nid x\nsender <>\nend\n", &err) == 0, "minimal envelope parses");
	env_free(&r);

	/* the local part is case-sensitive (RFC 5321): two mailboxes */
	env_free(&e);
	ok(env_add_rcpt(&e, "Bob@example.com", &err) == 0 &&
	    env_add_rcpt(&e, "bob@example.com", &err) == 0 &&
	    env_add_rcpt(&e, "bob@Example.COM", &err) == 0 &&
	    env_add_rcpt(&e, "BOB@example.com", &err) == 0 &&
	    env_add_rcpt(&e, "\"a@B\"@x.org", &err) == 0 &&
	    env_add_rcpt(&e, "\"a@b\"@X.org", &err) == 0, "mixed-case adds");
	is_int(e.nrcpts, 5, "Bob@, bob@, BOB@ kept apart; domains folded");
	ok(e.nrcpts == 5 && strcmp(e.rcpts[0].addr, "Bob@example.com") == 0 &&
	    strcmp(e.rcpts[1].addr, "bob@example.com") == 0 &&
	    strcmp(e.rcpts[2].addr, "BOB@example.com") == 0 &&
	    strcmp(e.rcpts[4].addr, "\"a@b\"@X.org") == 0,
	    "... each as given");

	/* many recipients: duplicate detection stays correct while growing */
	env_free(&e);
	for (i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "u%d@example.com", i % 2500);
		if (env_add_rcpt(&e, buf, &err) == -1)
			break;
	}
	is_int(e.nrcpts, 2500, "5000 adds, 2500 distinct");
	env_free(&e);
	return done_testing();
}
