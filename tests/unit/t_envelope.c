/* SPDX-License-Identifier: ISC */
/* Envelope file format: round trip, duplicates, and refusal of damage. */
#include <sys/types.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "posta.h"
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


static void
init(struct envelope *e)
{
	struct perr err = { 0, "" };

	memset(e, 0, sizeof(*e));
	strcpy(e->id, "6561f0a2c3d4e5f6");
	e->created = 1700000000;
	(void)env_set_sender(e, "me@example.com", &err);
}

/* Write e to a temporary file; returns it rewound, or NULL. */
static FILE *
written(const struct envelope *e, struct perr *err)
{
	FILE *f = tmpfile();

	if (f == NULL || env_write(e, fileno(f), err) == -1) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	rewind(f);
	return f;
}

/* Version 1 files are read; their reasons come out shared. */
static void
test_v1(void)
{
	static const char v1[] = "posta-envelope 1\nid 6561f0a2c3d4e5f6\n"
	    "created 1700000000\nsender <me@example.com>\nattempts 2\n"
	    "next-try 1700000600\nlast-error 450 busy\nbody 7bit\n"
	    "dsn-notify FAILURE\n"
	    "rcpt pending <a@x>\nreason 450 4.2.0 busy\n"
	    "rcpt done <b@x>\n"
	    "rcpt pending <c@x>\nreason 450 4.2.0 busy\n"
	    "rcpt failed <d@x>\nreason 550 5.1.1 no such user\nend\n";
	struct perr err = { 0, "" };
	struct envelope e, r;
	char buf[8192];
	size_t len;

	ok(env_parse(&e, v1, strlen(v1), &err) == 0, "version 1 parses: %s",
	    err.msg);
	is_int(e.nrcpts, 4, "v1: four recipients");
	is_str(env_reason(&e, 0), "450 4.2.0 busy", "v1: reason of a");
	is_str(env_reason(&e, 1), NULL, "v1: b has none");
	is_str(env_reason(&e, 3), "550 5.1.1 no such user", "v1: reason of d");
	is_int(e.rcpts[3].state, RCPT_FAILED, "v1: state of d");
	ok(e.rcpts[0].reason == e.rcpts[2].reason, "v1: one copy of a reason "
	    "shared by two recipients");
	is_int(e.nreasons, 2, "v1: two distinct reasons");
	is_str(e.dsn_notify, "FAILURE", "v1: dsn-notify");
	ok(roundtrip(&e, &r, buf, sizeof(buf), &len) == 0, "v1 rewritten");
	ok(strstr(buf, "posta-envelope 2\n") == buf, "rewritten as version 2");
	ok(strstr(buf, "reason 1 450 4.2.0 busy\nreason 2 550 5.1.1 no such "
	    "user\nrcpt pending 1 <a@x>\nrcpt done 0 <b@x>\n"
	    "rcpt pending 1 <c@x>\nrcpt failed 2 <d@x>\nend\n") != NULL,
	    "each reason written once");
	is_str(env_reason(&r, 2), "450 4.2.0 busy", "re-read: reason of c");
	env_free(&r);
	env_free(&e);

	perr_clear(&err);
	ok(parse_str(&e, "posta-envelope 1\nid x\nsender <>\n"
	    "rcpt pending 0 <a@x>\nend\n", &err) == -1,
	    "v1 refuses the v2 rcpt form");
	perr_clear(&err);
	ok(parse_str(&e, "posta-envelope 2\nid x\nsender <>\n"
	    "rcpt pending <a@x>\nend\n", &err) == -1,
	    "v2 refuses the v1 rcpt form");
	perr_clear(&err);
	ok(parse_str(&e, "posta-envelope 2\nid x\nsender <>\n"
	    "rcpt pending 1 <a@x>\nend\n", &err) == -1,
	    "v2 refuses a reason number not defined");
	perr_clear(&err);
	ok(parse_str(&e, "posta-envelope 2\nid x\nsender <>\n"
	    "reason 2 450 x\nend\n", &err) == -1,
	    "v2 refuses reasons out of order");
	perr_clear(&err);
	ok(parse_str(&e, "posta-envelope 2\nid x\nsender <>\n"
	    "reason 1 450 x\nreason 2 450 y\nrcpt pending 2 <a@x>\n"
	    "rcpt failed 1 <b@x>\nend\n", &err) == 0, "v2 parses");
	is_str(env_reason(&e, 0), "450 y", "v2: reason by number");
	is_str(env_reason(&e, 1), "450 x", "v2: reason by number, 2");
	env_free(&e);
}

/*
 * Issue 12 item 2: 40,000 recipients each deferred with a 2 KB reply
 * naming the recipient made an 84 MB envelope that posta then refused
 * to read. Reasons are cut, kept once, and bounded in number.
 */
static void
test_reason_bounds(void)
{
	char reply[2100], addr[64];
	struct perr err = { 0, "" };
	struct envelope e, r;
	struct stat st;
	size_t i, n = 3000, longest = 0;
	FILE *f;

	init(&e);
	for (i = 0; i < n; i++) {
		(void)snprintf(addr, sizeof(addr), "user%zu@example.com", i);
		if (env_add_rcpt(&e, addr, &err) == -1)
			break;
		memset(reply, 'x', sizeof(reply) - 1);
		reply[sizeof(reply) - 1] = '\0';
		(void)snprintf(reply, sizeof(reply), "450 4.2.0 <%s>: busy ",
		    addr);
		reply[strlen(reply)] = 'x';
		if (env_set_reason(&e, i, reply, &err) == -1)
			break;
	}
	is_int(e.nrcpts, n, "%zu recipients with reasons", n);
	for (i = 0; i < e.nreasons; i++)
		if (strlen(e.reasons[i]) > longest)
			longest = strlen(e.reasons[i]);
	ok(longest <= MAX_REASON, "reasons cut to %d octets (%zu)", MAX_REASON,
	    longest);
	ok(e.nreasons <= ENV_MAX_REASONS, "distinct reasons bounded: %zu",
	    e.nreasons);
	is_str(env_reason(&e, n - 1), "450 (reply not kept: more than 1000 "
	    "different replies)", "beyond MAX_REASONS only the code is kept");
	ok(strncmp(env_reason(&e, 0), "450 4.2.0 <user0@example.com>: busy x",
	    37) == 0, "the first ones are kept");
	ok((f = written(&e, &err)) != NULL, "written");
	ok(f != NULL && fstat(fileno(f), &st) == 0 &&
	    (size_t)st.st_size < n * 48 + MAX_REASONS * (MAX_REASON + 16) + 4096,
	    "size bounded: %lld", f != NULL ? (long long)st.st_size : -1LL);
	ok(f != NULL && env_read(&r, fileno(f), &err) == 0,
	    "and read back: %s", err.msg);
	is_int(r.nrcpts, n, "all recipients back");
	is_str(env_reason(&r, 0), env_reason(&e, 0), "reason 0 back");
	is_str(env_reason(&r, n - 1), env_reason(&e, n - 1), "last reason back");
	if (f != NULL)
		fclose(f);
	env_free(&r);

	/* a reason cut inside a UTF-8 sequence is cut before it */
	env_free(&e);
	init(&e);
	(void)env_add_rcpt(&e, "a@x", &err);
	memset(reply, 'y', MAX_REASON - 1);
	memcpy(reply + MAX_REASON - 1, "\xc3\xa9z", 4);
	ok(env_set_reason(&e, 0, reply, &err) == 0, "reason with UTF-8 at "
	    "the cut");
	is_int(strlen(env_reason(&e, 0)), MAX_REASON - 1, "cut before the "
	    "two-octet character");
	env_free(&e);
}

/*
 * Whatever env_write() makes, env_read() takes: the longest lines and
 * a full table of reasons, and the size stays within the per-line
 * bounds that ENV_MAX_SIZE (<= MAX_ENVELOPE) is made of.
 */
static void
test_worst_case(void)
{
	char addr[MAX_ADDR + 1], reply[MAX_REASON + 100];
	struct perr err = { 0, "" };
	struct envelope e, r;
	size_t i, n = 2000, longest = 0, cur = 0;
	int c, same = 1;
	long long size = 0;
	FILE *f;

	init(&e);
	memset(addr, 'a', MAX_ADDR);
	addr[MAX_ADDR] = '\0';
	addr[MAX_ADDR - 12] = '@';
	(void)env_set_sender(&e, addr, &err);
	for (i = 0; i < n; i++) {
		(void)snprintf(addr, 12, "%011zu", i);
		addr[11] = 'a';
		memset(reply, 'r', sizeof(reply) - 1);
		reply[sizeof(reply) - 1] = '\0';
		(void)snprintf(reply, 16, "%03zu %010zu", 200 + i % 400, i);
		reply[strlen(reply)] = 'r';
		if (i == n - 1)		/* the one reason without a code */
			reply[0] = 'r';
		if (env_add_rcpt(&e, addr, &err) == -1 ||
		    env_set_reason(&e, i, reply, &err) == -1)
			break;
		e.rcpts[i].state = RCPT_PENDING;
	}
	(void)env_set_str(&e.last_error, reply, &err);
	is_int(e.nrcpts, n, "%zu recipients of %d octets", n, MAX_ADDR);
	is_int(e.nreasons, ENV_MAX_REASONS, "the table of reasons is full");
	ok((f = written(&e, &err)) != NULL, "worst case written: %s", err.msg);
	while (f != NULL && (c = getc(f)) != EOF) {
		size++;
		if (c == '\n') {
			if (cur > longest)
				longest = cur;
			cur = 0;
		} else
			cur++;
	}
	ok(longest <= ENV_MAX_LINE, "longest line %zu <= ENV_MAX_LINE %d",
	    longest, ENV_MAX_LINE);
	ok(size <= (long long)(n * (MAX_ADDR + 48 + 1) + ENV_MAX_REASONS *
	    (MAX_REASON + 32 + 1) + 16 * (ENV_MAX_LINE + 1)),
	    "size %lld within the bound ENV_MAX_SIZE is built from", size);
	ok((long long)ENV_MAX_SIZE <= MAX_ENVELOPE, "ENV_MAX_SIZE %lld <= "
	    "MAX_ENVELOPE", (long long)ENV_MAX_SIZE);
	if (f != NULL)
		rewind(f);
	ok(f != NULL && env_read(&r, fileno(f), &err) == 0,
	    "worst case read back: %s", err.msg);
	for (i = 0; i < n && i < r.nrcpts; i++)
		if (strcmp(r.rcpts[i].addr, e.rcpts[i].addr) != 0 ||
		    strcmp(env_reason(&r, i), env_reason(&e, i)) != 0)
			same = 0;
	ok(r.nrcpts == n && same, "every address and reason back");
	is_int(strlen(r.last_error), MAX_REASON, "last error cut when written");
	if (f != NULL)
		fclose(f);
	env_free(&r);
	env_free(&e);

	/* the other fields are refused, not cut */
	init(&e);
	memset(addr, 'a', MAX_ADDR);
	addr[MAX_ADDR] = '\0';
	ok(env_add_rcpt(&e, addr, &err) == 0, "address of MAX_ADDR octets");
	perr_clear(&err);
	ok(env_add_rcpt(&e, "b@x", &err) == 0, "another");
	{
		char big[MAX_ADDR + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ok(env_add_rcpt(&e, big, &err) == -1, "longer refused");
		perr_clear(&err);
		(void)env_set_sender(&e, big, &err);
		ok(env_write(&e, -1, &err) == -1 && strstr(err.msg, "sender"),
		    "an overlong sender is not written: %s", err.msg);
	}
	env_free(&e);
	perr_clear(&err);
	{
		char file[MAX_ADDR + 64];

		memset(addr, 'e', ENV_MAX_DSN + 1);
		addr[ENV_MAX_DSN + 1] = '\0';
		(void)snprintf(file, sizeof(file), "posta-envelope 2\nid x\n"
		    "sender <>\ndsn-envid %s\nend\n", addr);
		ok(parse_str(&r, file, &err) == -1,
		    "an overlong DSN field refused");
		addr[ENV_MAX_DSN] = '\0';
		(void)snprintf(file, sizeof(file), "posta-envelope 2\nid x\n"
		    "sender <>\ndsn-envid %s\nend\n", addr);
		perr_clear(&err);
		ok(parse_str(&r, file, &err) == 0, "one of ENV_MAX_DSN taken");
		env_free(&r);
	}
}

/* A damaged envelope still gives its sender and recipients. */
static void
test_salvage(void)
{
	static const char bad[] = "posta-envelope 2\nid 6561f0a2c3d4e5f6\n"
	    "created 1700000000\nsender <me@example.com>\n\001\002 junk\n"
	    "rcpt pending 3 <a@x>\nrcpt pending <b@x>\nrcpt done 0 <c@x>\n"
	    "frobnicate 1\nrcpt pen";
	struct perr err = { 0, "" };
	struct envelope e;
	FILE *f = tmpfile();

	ok(f != NULL && fwrite(bad, 1, sizeof(bad) - 1, f) == sizeof(bad) - 1,
	    "damaged file");
	if (f == NULL)
		return;
	fflush(f);
	rewind(f);
	ok(env_read(&e, fileno(f), &err) == -1, "not readable");
	rewind(f);
	perr_clear(&err);
	ok(env_salvage(&e, fileno(f), &err) == 0, "salvaged: %s", err.msg);
	is_str(e.sender, "me@example.com", "sender found");
	is_int(e.nrcpts, 3, "recipients found");
	is_int(e.rcpts[2].state, RCPT_DONE, "their states");
	env_free(&e);
	fclose(f);

	f = tmpfile();
	fputs("\377\377 nothing\n", f);
	fflush(f);
	rewind(f);
	perr_clear(&err);
	ok(env_salvage(&e, fileno(f), &err) == -1, "no sender: -1");
	env_free(&e);
	fclose(f);
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
	ok(env_set_reason(&e, 1, "550 5.1.1 no", &err) == 0, "reason");

	ok(roundtrip(&e, &r, buf, sizeof(buf), &len) == 0, "round trip");
	ok(strstr(buf, "posta-envelope 2\n") == buf, "magic first");
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
	is_str(env_reason(&r, 1), "550 5.1.1 no", "reason kept");
	is_str(env_reason(&r, 0), NULL, "no reason kept");
	ok(strstr(buf, "\nreason 1 550 5.1.1 no\n") != NULL &&
	    strstr(buf, "\nrcpt failed 1 <\"john doe\"@example.com>\n") !=
	    NULL && strstr(buf, "\nrcpt pending 0 <a@example.com>\n") != NULL,
	    "version 2 lines");
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
	ok(parse_str(&r, "posta-envelope 3\nid x\nsender <>\nend\n", &err) == -1, "other version refused");
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

	/* issue 12 item 9: a second line for one address is refused, not
	 * applied to the recipient before it */
	perr_clear(&err);
	ok(parse_str(&r, "posta-envelope 1\nid x\nsender <>\n"
	    "rcpt done <a@x>\nrcpt pending <b@x>\nrcpt failed <a@x>\n"
	    "reason 550 no\nend\n", &err) == -1,
	    "duplicate rcpt line refused");
	ok(strstr(err.msg, "line 6") != NULL, "names the duplicate: %s",
	    err.msg);

	/* what is compared is what is stored: a write and a re-read never
	 * merges two recipients */
	env_free(&e);
	memset(&e, 0, sizeof(e));
	strcpy(e.id, "6561f0a2c3d4e5f6");
	ok(env_set_sender(&e, "", &err) == 0, "sender");
	ok(env_add_rcpt(&e, "a\001@x", &err) == 0, "rcpt with ^A");
	ok(env_add_rcpt(&e, "a\002@x", &err) == 0, "rcpt with ^B");
	is_int(e.nrcpts, 1, "both stored as \"a @x\": one recipient");
	is_str(e.rcpts[0].addr, "a @x", "stored blanked");
	ok(env_add_rcpt(&e, "b@x", &err) == 0, "rcpt b");
	e.rcpts[1].state = RCPT_DONE;
	ok(roundtrip(&e, &r, buf, sizeof(buf), &len) == 0,
	    "round trip of blanked addresses");
	is_int(r.nrcpts, 2, "still two recipients");
	is_int(r.rcpts[1].state, RCPT_DONE, "states not shifted");
	env_free(&r);
	env_free(&e);

	/* attempts: the largest value parses, and counting saturates */
	perr_clear(&err);
	ok(parse_str(&r, "posta-envelope 1\nid x\nsender <>\n"
	    "attempts 2147483647\nend\n", &err) == 0, "INT_MAX attempts");
	is_int(r.attempts, 2147483647, "kept");
	env_attempted(&r);
	is_int(r.attempts, 2147483647, "one more attempt saturates");
	env_free(&r);
	perr_clear(&err);
	ok(parse_str(&r, "posta-envelope 1\nid x\nsender <>\n"
	    "attempts 2147483648\nend\n", &err) == -1,
	    "attempts beyond INT_MAX refused");

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
	test_v1();
	test_reason_bounds();
	test_worst_case();
	test_salvage();
	return done_testing();
}
