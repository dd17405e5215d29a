/* SPDX-License-Identifier: ISC */
/* Intake into a real spool in a temporary directory. */
#define _GNU_SOURCE	/* memmem */
#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <pwd.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "message.h"
#include "spool.h"
#include "tap.h"

static struct config cfg;
static struct spool sp;
static char dir[] = "/tmp/t_message.XXXXXX";
static char got[1 << 21];
static const char *fullname = "Cron Daemon";
static size_t gotlen, rcvdlen;	/* rcvdlen: the Received: field in got */
static const char *client, *client_helo, *protocol;

static const char FIXED[] = "From: a@example.com\nDate: Mon, 1 Jan 2024 "
    "00:00:00 +0000\nMessage-ID: <x@y>\n";

/* Run one intake in chunks of chunk bytes; read back the q/ or failed/ file. */
static int
intake(const char *in, size_t len, size_t chunk, int t, int dot_ends,
    struct envelope *env, struct perr *err)
{
	struct msg_params p;
	struct spool_entry ent;
	struct msg *m;
	char path[256];
	size_t off, n;
	int fd, rc, r = 0;

	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.sender = "me@example.com";
	p.from_addr = "me@example.com";
	p.fullname = fullname;
	p.from_headers = t;
	p.dot_ends = dot_ends;
	p.client = client;
	p.client_helo = client_helo;
	p.protocol = protocol;
	perr_clear(err);
	if ((m = msg_begin(&sp, &p, err)) == NULL)
		return -1;
	if (!t && msg_add_rcpt(m, "rcpt@example.com", err) == -1)
		return -1;
	for (off = 0; off < len && r == 0; off += n) {
		n = len - off < chunk ? len - off : chunk;
		r = msg_write(m, in + off, n, err);
	}
	rc = msg_end(m, &ent, err);
	snprintf(path, sizeof(path), "%s/%s/%s.msg", dir,
	    rc == 0 ? "q" : "failed", ent.id);
	gotlen = 0;
	if ((fd = open(path, O_RDONLY)) != -1) {
		gotlen = (size_t)read(fd, got, sizeof(got) - 1);
		close(fd);
	}
	got[gotlen] = '\0';
	/* the field posta puts first, with its continuation lines */
	rcvdlen = 0;
	if (strncmp(got, "Received: ", 10) == 0) {
		char *nl = got;

		while ((nl = strstr(nl, "\r\n")) != NULL && nl[2] == '\t')
			nl += 2;
		rcvdlen = nl != NULL ? (size_t)(nl + 2 - got) : 0;
	}
	if (env != NULL) {
		struct perr e2 = { 0, "" };
		struct spool_entry pe;

		memset(env, 0, sizeof(*env));
		if (spool_peek(&sp, ent.id, rc != 0, &pe, &e2) == 0)
			*env = pe.env;
	}
	if (rc == 0) {
		spool_remove(&sp, &ent, err);
		spool_release(&ent);
	}
	return rc;
}

static int
run(const char *in, int t, int dot_ends, struct envelope *env,
    struct perr *err)
{
	return intake(in, strlen(in), 65536, t, dot_ends, env, err);
}

int
main(void)
{
	struct perr err = { 0, "" };
	struct envelope env;
	char in[4096], e41[83], *big, *whole;
	size_t wholelen, chunk, k;

	if (mkdtemp(dir) == NULL)
		return 1;
	for (k = 0; k < 41; k++)
		memcpy(e41 + 2 * k, "\xc3\xa9", 3);
	cfg.domain = (char *)"example.com";
	cfg.from = (char *)"robot@example.com";
	if (spool_open(&sp, dir, 1, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}

	/* line ends and the lone dot */
	snprintf(in, sizeof(in), "%sSubject: x\n\nline1\r\nline2\rline3\n.x\n"
	    "..\nlast", FIXED);
	ok(run(in, 0, 1, NULL, &err) == 0, "plain intake: %s", err.msg);
	ok(strstr(got, "\r\n\r\nline1\r\nline2\r\nline3\r\n.x\r\n..\r\nlast\r\n")
	    != NULL, "LF, CR LF, bare CR -> CR LF; dots kept; final CR LF added");
	ok(strstr(got, "Subject: x\r\n") != NULL, "header kept");
	ok(strstr(got, "\n\n") == NULL, "no bare LF left");

	snprintf(in, sizeof(in), "%s\nbody\n.\nafter\n", FIXED);
	ok(run(in, 0, 1, NULL, &err) == 0, "lone dot intake");
	ok(strstr(got, "body\r\n") != NULL && strstr(got, "after") == NULL,
	    "lone dot ends input");
	ok(run(in, 0, 0, NULL, &err) == 0, "-i intake");
	ok(strstr(got, "body\r\n.\r\nafter\r\n") != NULL, "-i keeps the dot");

	/* without -i only a dot line ending in LF ends it (sendmail, Postfix) */
	snprintf(in, sizeof(in), "%s\nline1\r.\rline3\n", FIXED);
	ok(run(in, 0, 1, NULL, &err) == 0, "dot between bare CRs");
	ok(strstr(got, "\r\nline1\r\n.\r\nline3\r\n") != NULL,
	    "... is text: the whole input is queued");
	snprintf(in, sizeof(in), "%s\nb1\r.\nb2\n.\r\r\nb3\n.\rb4\n.\r\n"
	    "after\n", FIXED);
	ok(run(in, 0, 1, NULL, &err) == 0, "dots after a bare CR or before one");
	ok(strstr(got, "\r\nb1\r\n.\r\nb2\r\n.\r\n\r\nb3\r\n.\r\nb4\r\n") !=
	    NULL && strstr(got, "after") == NULL,
	    "... are text; a dot line ending in CR LF ends the input");
	snprintf(in, sizeof(in), "%s\nb1\n.\r", FIXED);
	ok(run(in, 0, 1, NULL, &err) == 0 &&
	    strstr(got, "\r\nb1\r\n.\r\n") != NULL,
	    "a dot and a CR at the end of input are text");
	snprintf(in, sizeof(in), "%s\nb1\n.\nafter\n", FIXED);
	ok(run(in, 0, 1, NULL, &err) == 0 && strstr(got, "after") == NULL &&
	    strstr(got, "\r\nb1\r\n") != NULL, "a dot line ending in LF ends it");
	/* the same, cut anywhere */
	snprintf(in, sizeof(in), "%s\nb1\r.\nb2\n.\r\r\nb3\n.\rb4\r\n."
	    "\r\nafter\n", FIXED);
	ok(run(in, 0, 1, NULL, &err) == 0, "reference dot intake");
	whole = strdup(got + rcvdlen);
	wholelen = gotlen - rcvdlen;
	for (chunk = 1; chunk < 9; chunk++) {
		intake(in, strlen(in), chunk, 0, 1, NULL, &err);
		if (gotlen - rcvdlen != wholelen ||
		    memcmp(got + rcvdlen, whole, wholelen) != 0)
			break;
	}
	is_int(chunk, 9, "same bytes with chunks of 1..8 (dot rule)");
	ok(strstr(whole, "b4\r\n") != NULL && strstr(whole, "after") == NULL,
	    "... and the dot line after b4 ended it");
	free(whole);

	/* generated headers */
	ok(run("Subject: s\n\nb\n", 0, 1, NULL, &err) == 0, "minimal message");
	ok(strstr(got, "From: Cron Daemon <me@example.com>\r\n") != NULL,
	    "From generated with -F");
	ok(strstr(got, "\r\nDate: ") != NULL, "Date generated");
	ok(strstr(got, "\r\nMessage-ID: <") != NULL, "Message-ID generated");
	ok(strstr(got, "@example.com>\r\n\r\nb\r\n") != NULL,
	    "generated headers before the blank line");
	ok(run(in, 0, 1, NULL, &err) == 0 && strstr(got, "Cron") == NULL,
	    "existing From/Date/Message-ID kept, nothing added");
	/* "été " nine times, then "été": 59 bytes */
	fullname = "\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 "
	    "\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 "
	    "\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 "
	    "\xc3\xa9t\xc3\xa9";
	ok(run("Subject: s\n\nb\n", 0, 1, NULL, &err) == 0, "UTF-8 -F");
	ok(strstr(got, "From: =?UTF-8?B?w6l0w6kgw6l0w6kgw6l0w6kgw6l0w6kg"
	    "w6l0w6kgw6l0w6kgw6l0w6kg?=\r\n "
	    "=?UTF-8?B?w6l0w6kgw6l0w6kgw6l0w6k=?= "
	    "<me@example.com>\r\n") != NULL,
	    "a long UTF-8 -F: two words within 76 columns, not one of 92");
	/* "é" 41 times: the second word ends at column 69 */
	fullname = e41;
	ok(run("Subject: s\n\nb\n", 0, 1, NULL, &err) == 0, "UTF-8 -F 2");
	ok(strstr(got, "w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqQ==?=\r\n "
	    "<me@example.com>\r\n") != NULL,
	    "the address on a line of its own rather than past column 76");
	fullname = "Cron Daemon";

	/* no blank line after headers; body-only input; empty input */
	ok(run("Subject: s\nthis is body\n", 0, 1, NULL, &err) == 0, "no blank");
	ok(strstr(got, "Subject: s\r\n") != NULL &&
	    strstr(got, ">\r\n\r\nthis is body\r\n") != NULL,
	    "blank line inserted before the first non-header line");
	ok(run("just text\n", 0, 1, NULL, &err) == 0, "body only");
	ok(strstr(got, "\r\n\r\njust text\r\n") != NULL &&
	    strncmp(got + rcvdlen, "From: ", 6) == 0,
	    "headers generated for body-only");
	ok(run("", 0, 1, NULL, &err) == 0, "empty input accepted");
	ok(strstr(got, "Date: ") != NULL && gotlen - rcvdlen < 300,
	    "empty input: generated headers only");
	ok(run("From me@x Mon Jan 1\nSubject: m\n\nb\n", 0, 1, NULL, &err) ==
	    0 && strstr(got, "From me@x") == NULL, "mbox From line dropped");
	ok(run("Subject: s\n folded\n\tmore\n\nb\n", 0, 1, NULL, &err) == 0 &&
	    strstr(got, "Subject: s\r\n folded\r\n\tmore\r\n") != NULL,
	    "folded header kept");

	/* -t */
	snprintf(in, sizeof(in), "%sTo: \"Doe, John\" <j@example.com>, "
	    "root\nCc: team: t1@example.com, (c) t2@example.com;\nBcc: "
	    "hidden@example.com\nTo: undisclosed-recipients:;\n\nbody\n",
	    FIXED);
	ok(run(in, 1, 1, &env, &err) == 0, "-t intake: %s", err.msg);
	is_int(env.nrcpts, 5, "five recipients from To, Cc, Bcc");
	ok(env.nrcpts == 5 && strcmp(env.rcpts[0].addr, "j@example.com") == 0 &&
	    strcmp(env.rcpts[1].addr, "root@example.com") == 0 &&
	    strcmp(env.rcpts[4].addr, "hidden@example.com") == 0,
	    "addresses, bare name qualified");
	ok(strstr(got, "Bcc") == NULL && strstr(got, "hidden") == NULL,
	    "Bcc removed");
	ok(strstr(got, "Cc: team:") != NULL, "Cc kept");
	env_free(&env);
	snprintf(in, sizeof(in), "%sTo: a@example.com\nResent-To: "
	    "r@example.com\nResent-Bcc: rhidden@example.com\n\nbody\n",
	    FIXED);
	ok(run(in, 1, 1, &env, &err) == 0 && env.nrcpts == 1 &&
	    strstr(got, "Resent-Bcc") == NULL && strstr(got, "rhidden") ==
	    NULL && strstr(got, "Resent-To: r@example.com") != NULL,
	    "Resent-Bcc removed, Resent-To kept and not read: %s", err.msg);
	env_free(&env);
	ok(run(in, 0, 1, NULL, &err) == 0 && strstr(got, "rhidden") == NULL,
	    "Resent-Bcc removed without -t too");
	snprintf(in, sizeof(in), "%sSubject: none\n\nbody\n", FIXED);
	ok(run(in, 1, 1, &env, &err) == -1 && err.code == EX_DATAERR,
	    "-t without recipients is a data error");
	ok(strstr(err.msg, "failed") != NULL && strstr(got, "body") != NULL,
	    "... and the message is kept in failed/: %s", err.msg);
	ok(env.last_error != NULL && strstr(env.last_error, "no recipients"),
	    "... with the reason in its envelope");
	env_free(&env);

	/* a NUL in To/Cc/Bcc: refused, never a list cut at the NUL */
	{
		static const char nul[] = "To: a@example.com\0, b@example.com\n"
		    "Bcc: c@example.com\0, d@example.com\n\nx\n";

		ok(intake(nul, sizeof(nul) - 1, 65536, 1, 1, &env, &err) == -1 &&
		    err.code == EX_DATAERR, "-t: NUL in To and Bcc refused");
		ok(strstr(err.msg, "To header: contains a NUL") != NULL &&
		    strstr(err.msg, "failed") != NULL, "... saying why: %s",
		    err.msg);
		env_free(&env);
		ok(intake(nul + 34, sizeof(nul) - 35, 65536, 1, 1, &env,
		    &err) == -1 && err.code == EX_DATAERR &&
		    strstr(err.msg, "Bcc header") != NULL,
		    "-t: NUL in Bcc alone refused: %s", err.msg);
		env_free(&env);
		ok(intake(nul + 34, sizeof(nul) - 35, 65536, 0, 1, &env,
		    &err) == 0, "without -t the fields are not read");
		env_free(&env);
	}

	/* force_from */
	cfg.force_from = 1;
	ok(run("From: \"Web Site\" <www-data@host>\nSubject: f\n\nb\n", 0, 1,
	    NULL, &err) == 0, "force_from intake");
	ok(strstr(got, "From: \"Web Site\" <robot@example.com>\r\n") != NULL,
	    "From rewritten, display name kept");
	cfg.force_from = 0;

	/* chunk boundaries do not matter */
	snprintf(in, sizeof(in), "%sSubject: c\r\n\r\n.a\r\n\r\nx\ry\n\n.\r\n"
	    "tail\n", FIXED);
	ok(run(in, 0, 0, NULL, &err) == 0, "reference intake");
	/* the Received: field differs (id, time): the rest is compared */
	whole = strdup(got + rcvdlen);
	wholelen = gotlen - rcvdlen;
	for (chunk = 1; chunk < 9; chunk++) {
		intake(in, strlen(in), chunk, 0, 0, NULL, &err);
		if (gotlen - rcvdlen != wholelen ||
		    memcmp(got + rcvdlen, whole, wholelen) != 0)
			break;
	}
	is_int(chunk, 9, "same bytes with chunks of 1..8");
	free(whole);

	/* Received: first, naming the real uid and its login name */
	{
		struct passwd *pw = getpwuid(getuid());
		char want[512], *id;

		ok(run("Subject: r\n\nb\n", 0, 1, NULL, &err) == 0,
		    "Received intake");
		snprintf(want, sizeof(want), " (posta, from userid %lu (%s))"
		    "\r\n\tid ", (unsigned long)getuid(), pw != NULL ?
		    pw->pw_name : "?");
		ok(strncmp(got, "Received: by ", 13) == 0 && rcvdlen > 0 &&
		    strstr(got, want) != NULL && strstr(got, want) < got +
		    rcvdlen, "Received: names the user: %.*s", (int)rcvdlen,
		    got);
		id = strstr(got, "\tid ");
		ok(id != NULL && strlen(id) > 22 && id[20] == ';' &&
		    strncmp(got + rcvdlen, "Subject: r\r\n", 12) == 0,
		    "... with the queue id and a date, then the message");
		/* a network client, with an EHLO name that is not a name */
		client = "[192.0.2.7]";
		client_helo = "evil)\r\nX-Injected: 1 (";
		protocol = "ESMTP";
		ok(run("Subject: r\n\nb\n", 0, 1, NULL, &err) == 0,
		    "client intake");
		ok(strncmp(got, "Received: from unknown ([192.0.2.7])\r\n"
		    "\tby ", 40) == 0 && strstr(got, ") with ESMTP\r\n\tid ")
		    != NULL && strstr(got, "Injected") == NULL,
		    "from the client, its EHLO name left out: %.*s",
		    (int)rcvdlen, got);
		client_helo = "mx.example.org";
		ok(run("Subject: r\n\nb\n", 0, 1, NULL, &err) == 0 &&
		    strncmp(got, "Received: from mx.example.org ([192.0.2.7])"
		    "\r\n\tby ", 49) == 0, "a plain EHLO name is kept");
		client = client_helo = protocol = NULL;
	}

	/* NUL and 8-bit pass through */
	memcpy(in, "Subject: n\n\na\0b\xc3\xa9\n", 19);
	ok(intake(in, 19, 65536, 0, 1, &env, &err) == 0, "NUL intake");
	ok(memmem(got, gotlen, "a\0b\xc3\xa9\r\n", 7) != NULL, "NUL and UTF-8 kept");
	is_int(env.body8bit, 1, "8-bit body noticed");
	env_free(&env);

	/* a header section over the cap is kept in failed/ */
	big = malloc(MAX_HEADER_BLOCK + 100);
	memcpy(big, "X-Big: ", 7);
	memset(big + 7, 'a', MAX_HEADER_BLOCK + 80);
	memcpy(big + MAX_HEADER_BLOCK + 87, "\n\nbody\n", 7);
	ok(intake(big, MAX_HEADER_BLOCK + 94, 65536, 0, 1, NULL, &err) == -1 &&
	    err.code == EX_DATAERR, "huge header refused: %s", err.msg);
	ok(gotlen > MAX_HEADER_BLOCK && memmem(got, gotlen, "body", 4),
	    "... but kept whole in failed/");
	/* a 1 MB header is below the cap */
	memset(big + 7, 'a', 1000000);
	memcpy(big + 1000007, "\n\nbody\n", 7);
	ok(intake(big, 1000014, 65536, 0, 1, NULL, &err) == 0,
	    "1 MB header accepted");
	free(big);

	spool_close(&sp);
	return done_testing();
}
