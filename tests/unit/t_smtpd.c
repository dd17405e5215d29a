/* SPDX-License-Identifier: ISC */
/*
 * -bs dialogue: scripted sessions fed from a file (or, to check when
 * replies are written, from a pipe with a forked server), then the
 * replies and the spool they leave behind.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "posta.h"
#include "smtpd.h"
#include "spool.h"
#include "tap.h"
#include "util.h"

static char s_host[] = "smtp.test", s_helo[] = "mx.test";
static char s_domain[] = "example.com", s_from[] = "robot@example.com";

/*
 * root, team, and "broken": a chain of aliases deeper than
 * MAX_ALIAS_DEPTH, which fails when it is expanded (a bad target never
 * loads: t_config).
 */
static struct alias aliases[3 + MAX_ALIAS_DEPTH];

static void
make_aliases(void)
{
	static char names[nitems(aliases)][32];
	static char values[nitems(aliases)][64];
	struct perr err = { 0, "" };
	size_t i;

	(void)snprintf(names[0], sizeof(names[0]), "root");
	(void)snprintf(values[0], sizeof(values[0]), "admin@example.com");
	(void)snprintf(names[1], sizeof(names[1]), "team");
	(void)snprintf(values[1], sizeof(values[1]), "root, bob@example.org");
	for (i = 2; i < nitems(aliases); i++) {
		/* broken, broken1, broken2, ... */
		if (i == 2)
			(void)snprintf(names[i], sizeof(names[i]), "broken");
		else
			(void)snprintf(names[i], sizeof(names[i]),
			    "broken%zu", i - 2);
		if (i + 1 < nitems(aliases))
			(void)snprintf(values[i], sizeof(values[i]),
			    "broken%zu", i - 1);
		else
			(void)snprintf(values[i], sizeof(values[i]),
			    "end@example.org");
	}
	for (i = 0; i < nitems(aliases); i++) {
		aliases[i].name = names[i];
		if (config_alias_parse(values[i], &aliases[i].targets,
		    &err) == -1)
			abort();
	}
}

static struct config cfg;
static struct spool sp;
static char spooldir[256];

/* Accepted ids as the callback saw them. */
static char acc[8][32];
static int nacc;

static void
accepted(void *arg, const char *id)
{
	(void)arg;
	if (nacc < (int)nitems(acc))
		snprintf(acc[nacc], sizeof(acc[0]), "%s", id);
	nacc++;
}

static struct smtpd_params
params(void)
{
	struct smtpd_params p;

	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.sp = &sp;
	p.sender = NULL;
	p.default_from = "www-data@example.com";
	p.accepted = accepted;
	p.arg = NULL;
	return p;
}

static void
reset_cfg(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = s_host;
	cfg.helo = s_helo;
	cfg.domain = s_domain;
	cfg.aliases = aliases;
	cfg.naliases = nitems(aliases);
	cfg.spooldir = spooldir;
}

static int
rm_files(const char *dir)
{
	char path[1024];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		(void)unlink(path);
	}
	closedir(d);
	return 0;
}

/* Empty the spool between cases. */
static void
spool_empty(void)
{
	static const char *const sub[] = { "tmp", "q", "failed", "corrupt" };
	char path[512];
	size_t i;

	for (i = 0; i < nitems(sub); i++) {
		snprintf(path, sizeof(path), "%s/%s", spooldir, sub[i]);
		(void)rm_files(path);
	}
	nacc = 0;
}

static size_t
count_files(const char *sub)
{
	char path[512];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", spooldir, sub);
	if ((d = opendir(path)) == NULL)
		return (size_t)-1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Read a whole file into a NUL-terminated buffer. */
static char *
slurp_fd(int fd, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1), *nb;
	ssize_t n;

	if (buf == NULL)
		return NULL;
	for (;;) {
		if (len == cap) {
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static char *
slurp(const char *path, size_t *lenp)
{
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf = slurp_fd(fd, lenp);
	close(fd);
	return buf;
}

static char *
msg_file(const char *id, int failed, size_t *lenp)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s.msg", spooldir,
	    failed ? "failed" : "q", id);
	return slurp(path, lenp);
}

/* A temporary file holding data, rewound; -1 on error. */
static int
tmpfile_with(const char *data, size_t len)
{
	char name[] = "/tmp/t_smtpd_inXXXXXX";
	int fd;

	if ((fd = mkstemp(name)) == -1)
		return -1;
	(void)unlink(name);
	if (write(fd, data, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Run one session over input; returns smtpd_run's value and the
 * replies in *out (caller frees).
 */
static int
session_p(const struct smtpd_params *p, const char *in, size_t inlen,
    char **out)
{
	struct perr err = { 0, "" };
	char name[] = "/tmp/t_smtpd_outXXXXXX";
	int infd, outfd, rc;

	*out = NULL;
	if ((infd = tmpfile_with(in, inlen)) == -1)
		return -2;
	if ((outfd = mkstemp(name)) == -1) {
		close(infd);
		return -2;
	}
	(void)unlink(name);
	rc = smtpd_run(infd, outfd, p, &err);
	if (rc != 0)
		fprintf(stderr, "# smtpd_run: %s\n", err.msg);
	(void)lseek(outfd, 0, SEEK_SET);
	*out = slurp_fd(outfd, NULL);
	close(infd);
	close(outfd);
	return rc;
}

static int
session(const char *in, char **out)
{
	struct smtpd_params p = params();

	return session_p(&p, in, strlen(in), out);
}

/* The n-th reply line (0 = greeting), copied without CR LF. */
static const char *
line_n(const char *out, int n, char *buf, size_t cap)
{
	const char *e;

	while (n-- > 0) {
		if ((out = strstr(out, "\r\n")) == NULL)
			return "";
		out += 2;
	}
	if ((e = strstr(out, "\r\n")) == NULL)
		return "";
	snprintf(buf, cap, "%.*s", (int)(e - out), out);
	return buf;
}

/* Reply codes, one per line, as "220 250 ...". */
static const char *
codes(const char *out, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	while (*out != '\0' && o + 5 < cap) {
		if (o > 0)
			buf[o++] = ' ';
		memcpy(buf + o, out, 3);
		o += 3;
		if (out[3] == '-')
			buf[o++] = '-';
		buf[o] = '\0';
		if ((out = strstr(out, "\r\n")) == NULL)
			break;
		out += 2;
	}
	return buf;
}

/* The ids in q/ (or failed/), oldest first; returns the count. */
static size_t
list_ids(int failed, char ids[][32], size_t max)
{
	struct perr err = { 0, "" };
	char **v = NULL;
	size_t n = 0, i;

	if (spool_list(&sp, failed, &v, &n, &err) == -1) {
		fprintf(stderr, "# spool_list: %s\n", err.msg);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (i < max)
			snprintf(ids[i], 32, "%s", v[i]);
		free(v[i]);
	}
	free(v);
	return n;
}

static int
peek(const char *id, int failed, struct spool_entry *ent)
{
	struct perr err = { 0, "" };

	if (spool_peek(&sp, id, failed, ent, &err) != 0) {
		fprintf(stderr, "# spool_peek %s: %s\n", id, err.msg);
		return -1;
	}
	return 0;
}

/* The id in a "250 2.0.0 Ok: queued as ID" line of out, or "". */
static const char *
queued_id(const char *out, int which, char *buf, size_t cap)
{
	const char *q = out;

	buf[0] = '\0';
	while ((q = strstr(q, "250 2.0.0 Ok: queued as ")) != NULL) {
		q += strlen("250 2.0.0 Ok: queued as ");
		if (which-- == 0) {
			snprintf(buf, cap, "%.*s", (int)strcspn(q, "\r\n"), q);
			break;
		}
	}
	return buf;
}

static int
has_line(const char *msg, const char *prefix)
{
	const char *p = msg;
	size_t n = strlen(prefix);

	for (;;) {
		if (strncmp(p, prefix, n) == 0)
			return 1;
		if ((p = strstr(p, "\r\n")) == NULL)
			return 0;
		p += 2;
		if (strncmp(p, "\r\n", 2) == 0)
			return 0;	/* end of the header section */
	}
}

/* The body: everything after the first empty line. */
static const char *
body_of(const char *msg)
{
	const char *b = strstr(msg, "\r\n\r\n");

	return b != NULL ? b + 4 : "";
}

static void
test_two_messages(void)
{
	char *out, buf[1024], id0[32], id1[32], ids[4][32], *m;
	struct spool_entry ent;
	size_t n;

	spool_empty();
	is_int(session(
	    "EHLO client.test\r\n"
	    "MAIL FROM:<alice@example.org>\r\n"
	    "RCPT TO:<root>\r\n"
	    "RCPT TO:<carol@example.net>\r\n"
	    "DATA\r\n"
	    "Subject: one\r\n"
	    "\r\n"
	    "first body\r\n"
	    ".\r\n"
	    "mail from:<bob@example.org> body=8bitmime\r\n"
	    "rcpt to:<team>\r\n"
	    "data\r\n"
	    "Subject: two\r\n"
	    "From: Bob <bob@example.org>\r\n"
	    "\r\n"
	    "caf\xc3\xa9\r\n"
	    ".\r\n"
	    "QUIT\r\n", &out), 0, "two messages: session ends with 0");
	is_str(codes(out, buf, sizeof(buf)), "220 250- 250- 250- 250- 250- "
	    "250- 250- 250 250 250 250 354 250 250 250 354 250 221",
	    "two messages: reply codes");
	is_str(line_n(out, 0, buf, sizeof(buf)), "220 mx.test ESMTP posta",
	    "greeting names the helo host");
	is_str(line_n(out, 1, buf, sizeof(buf)), "250-mx.test",
	    "EHLO first line");
	ok(strstr(out, "250-PIPELINING\r\n") && strstr(out, "250-8BITMIME\r\n")
	    && strstr(out, "250-SIZE 0\r\n") && strstr(out, "250-SMTPUTF8\r\n")
	    && strstr(out, "250-DSN\r\n") &&
	    strstr(out, "250-ENHANCEDSTATUSCODES\r\n") &&
	    strstr(out, "250 HELP\r\n"), "EHLO lists the extensions");
	is_str(line_n(out, 11, buf, sizeof(buf)), "250 2.1.5 Ok",
	    "RCPT reply");
	ok(strncmp(line_n(out, 12, buf, sizeof(buf)), "354 ", 4) == 0,
	    "DATA gets 354");
	queued_id(out, 0, id0, sizeof(id0));
	queued_id(out, 1, id1, sizeof(id1));
	ok(spool_valid_id(id0) && spool_valid_id(id1) &&
	    strcmp(id0, id1) != 0, "two distinct queue ids: %s %s", id0, id1);
	is_str(line_n(out, 18, buf, sizeof(buf)), "221 2.0.0 Bye", "QUIT");
	is_int(nacc, 2, "accepted() called twice");
	is_str(acc[0], id0, "accepted() got the first id");
	is_str(acc[1], id1, "accepted() got the second id");

	n = list_ids(0, ids, 4);
	is_int(n, 2, "two entries in q/");
	if (peek(id0, 0, &ent) == 0) {
		is_str(ent.env.sender, "alice@example.org", "1: sender");
		is_int(ent.env.nrcpts, 2, "1: two recipients");
		if (ent.env.nrcpts == 2) {
			is_str(ent.env.rcpts[0].addr, "admin@example.com",
			    "1: root went through [aliases]");
			is_str(ent.env.rcpts[1].addr, "carol@example.net",
			    "1: second recipient");
		}
		is_int(ent.env.body8bit, 0, "1: 7bit");
		ok(ent.env.dsn_ret == NULL && ent.env.dsn_notify == NULL &&
		    ent.env.dsn_envid == NULL, "1: no DSN parameters");
		spool_release(&ent);
	} else
		ok(0, "1: envelope readable");
	if (peek(id1, 0, &ent) == 0) {
		is_str(ent.env.sender, "bob@example.org", "2: sender");
		is_int(ent.env.nrcpts, 2, "2: team expanded to two");
		if (ent.env.nrcpts == 2) {
			is_str(ent.env.rcpts[0].addr, "admin@example.com",
			    "2: team -> root -> admin");
			is_str(ent.env.rcpts[1].addr, "bob@example.org",
			    "2: team -> bob");
		}
		is_int(ent.env.body8bit, 1, "2: BODY=8BITMIME kept");
		spool_release(&ent);
	} else
		ok(0, "2: envelope readable");

	if ((m = msg_file(id0, 0, NULL)) != NULL) {
		ok(has_line(m, "Subject: one\r\n"), "1: Subject kept");
		ok(has_line(m, "From: alice@example.org\r\n"),
		    "1: From added from the envelope sender");
		ok(has_line(m, "Date: "), "1: Date added");
		ok(has_line(m, "Message-ID: <"), "1: Message-ID added");
		is_str(body_of(m), "first body\r\n", "1: body, no end marker");
		free(m);
	} else
		ok(0, "1: message file readable");
	if ((m = msg_file(id1, 0, NULL)) != NULL) {
		ok(has_line(m, "From: Bob <bob@example.org>\r\n"),
		    "2: From kept");
		ok(!has_line(m, "From: bob@example.org"), "2: no second From");
		is_str(body_of(m), "caf\xc3\xa9\r\n", "2: 8-bit body");
		free(m);
	} else
		ok(0, "2: message file readable");
	is_int(count_files("tmp"), 0, "nothing left in tmp/");
	free(out);
}

static void
test_dot_unstuffing(void)
{
	char *out, buf[1024], id[32], *m;

	spool_empty();
	is_int(session(
	    "HELO c\r\n"
	    "MAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\n"
	    "DATA\r\n"
	    "Subject: dots\r\n"
	    "\r\n"
	    "..\r\n"
	    "...two\r\n"
	    ".x\r\n"
	    "mid.dle.\r\n"
	    ". \r\n"
	    "..\r\n"
	    ".\r\n"
	    "QUIT\r\n", &out), 0, "dots: session");
	is_str(codes(out, buf, sizeof(buf)), "220 250 250 250 354 250 221",
	    "dots: replies");
	is_str(line_n(out, 1, buf, sizeof(buf)), "250 mx.test", "HELO reply");
	queued_id(out, 0, id, sizeof(id));
	if ((m = msg_file(id, 0, NULL)) != NULL) {
		is_str(body_of(m), ".\r\n..two\r\nx\r\nmid.dle.\r\n \r\n.\r\n",
		    "leading dots unstuffed, others kept");
		free(m);
	} else
		ok(0, "dots: message file");
	free(out);
}

static void
test_bare_lf(void)
{
	char *out, buf[1024], id[32], *m;

	spool_empty();
	is_int(session(
	    "ehlo c\n"
	    "mail from:<a@example.org>\n"
	    "rcpt to:<b@example.org>\n"
	    "data\n"
	    "Subject: lf\n"
	    "\n"
	    "line\n"
	    "..dot\n"
	    ".\n"
	    "quit\n", &out), 0, "bare LF: session");
	is_str(codes(out, buf, sizeof(buf)), "220 250- 250- 250- 250- 250- "
	    "250- 250- 250 250 250 354 250 221", "bare LF: replies");
	queued_id(out, 0, id, sizeof(id));
	if ((m = msg_file(id, 0, NULL)) != NULL) {
		ok(has_line(m, "Subject: lf\r\n"), "bare LF: header in CR LF");
		is_str(body_of(m), "line\r\n.dot\r\n", "bare LF: body in CR LF");
		free(m);
	} else
		ok(0, "bare LF: message file");
	free(out);
}

static void
test_rset(void)
{
	char *out, buf[1024], ids[4][32];
	struct spool_entry ent;

	spool_empty();
	is_int(session(
	    "EHLO c\r\n"
	    "MAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<gone@example.org>\r\n"
	    "RSET\r\n"
	    "RCPT TO:<b@example.org>\r\n"
	    "DATA\r\n"
	    "MAIL FROM:<c@example.org>\r\n"
	    "MAIL FROM:<d@example.org>\r\n"
	    "RCPT TO:<e@example.org>\r\n"
	    "DATA\r\n"
	    "\r\n"
	    "x\r\n"
	    ".\r\n"
	    "QUIT\r\n", &out), 0, "RSET: session");
	is_str(codes(out, buf, sizeof(buf)), "220 250- 250- 250- 250- 250- "
	    "250- 250- 250 250 250 250 503 503 250 503 250 354 250 221",
	    "RSET: replies");
	is_str(line_n(out, 11, buf, sizeof(buf)), "250 2.0.0 Ok", "RSET 250");
	ok(strncmp(line_n(out, 12, buf, sizeof(buf)), "503 5.5.1 ", 10) == 0,
	    "RCPT after RSET needs MAIL again");
	ok(strncmp(line_n(out, 15, buf, sizeof(buf)), "503 5.5.1 ", 10) == 0,
	    "nested MAIL refused");
	is_int(list_ids(0, ids, 4), 1, "RSET: one message queued");
	if (peek(ids[0], 0, &ent) == 0) {
		is_str(ent.env.sender, "c@example.org",
		    "RSET: sender of the second transaction");
		ok(ent.env.nrcpts == 1 &&
		    strcmp(ent.env.rcpts[0].addr, "e@example.org") == 0,
		    "RSET: the dropped recipient is not there");
		spool_release(&ent);
	} else
		ok(0, "RSET: envelope");
	free(out);
}

static void
test_sequence_errors(void)
{
	char *out, buf[1024];

	spool_empty();
	is_int(session(
	    "RCPT TO:<b@example.org>\r\n"
	    "DATA\r\n"
	    "MAIL FROM:<a@example.org>\r\n"
	    "DATA\r\n"
	    "RCPT TO:<>\r\n"
	    "RCPT TO:<a b@example.org>\r\n"
	    "RCPT TO:<broken>\r\n"
	    "RCPT TO:b@example.org\r\n"
	    "RCPT TO <b@example.org>\r\n"
	    "RCPT TO:<b@example.org> FOO=1\r\n"
	    "RCPT TO:<b@example.org> NOTIFY=SOMETIMES\r\n"
	    "RSET\r\n"
	    "MAIL FROM:<a@example.org> XYZZY\r\n"
	    "MAIL FROM:<a@example.org> BODY=BINARYMIME\r\n"
	    "MAIL FROM:<a@example.org> SIZE=12ab\r\n"
	    "MAIL FROM:a@example.org\r\n"
	    "RSET\r\n"
	    "MAIL FROM:<a@@example.org>\r\n"
	    "MAIL TO:<a@example.org>\r\n"
	    "NOOP\r\n"
	    "VRFY root\r\n"
	    "HELP\r\n"
	    "STARTTLS\r\n"
	    "AUTH PLAIN AAAA\r\n"
	    "EXPN root\r\n"
	    "FROB\r\n"
	    "DATA extra\r\n"
	    "EHLO\r\n"
	    "QUIT\r\n", &out), 0, "errors: session");
	is_str(codes(out, buf, sizeof(buf)), "220 503 503 250 554 501 501 "
	    "550 250 501 555 501 250 555 501 501 250 250 501 501 250 252 "
	    "214 502 502 502 500 501 501 221", "errors: reply codes");
	ok(strncmp(line_n(out, 1, buf, sizeof(buf)), "503 5.5.1 ", 10) == 0,
	    "RCPT before MAIL: 503 5.5.1");
	ok(strncmp(line_n(out, 2, buf, sizeof(buf)), "503 5.5.1 ", 10) == 0,
	    "DATA before MAIL: 503 5.5.1");
	ok(strncmp(line_n(out, 4, buf, sizeof(buf)), "554 5.5.1 ", 10) == 0,
	    "DATA without RCPT: 554 5.5.1");
	ok(strncmp(line_n(out, 5, buf, sizeof(buf)), "501 5.1.3 ", 10) == 0,
	    "empty recipient: 501 5.1.3");
	ok(strncmp(line_n(out, 6, buf, sizeof(buf)), "501 5.1.3 ", 10) == 0,
	    "recipient with a space: 501 5.1.3");
	ok(strncmp(line_n(out, 7, buf, sizeof(buf)), "550 5.1.1 ", 10) == 0 &&
	    strstr(buf, "broken") != NULL, "bad alias: 550 5.1.1 with why: %s",
	    buf);
	ok(strncmp(line_n(out, 10, buf, sizeof(buf)), "555 5.5.4 ", 10) == 0,
	    "unknown RCPT parameter: 555 5.5.4");
	ok(strncmp(line_n(out, 11, buf, sizeof(buf)), "501 5.5.4 ", 10) == 0,
	    "bad NOTIFY: 501 5.5.4");
	ok(strncmp(line_n(out, 13, buf, sizeof(buf)), "555 5.5.4 ", 10) == 0,
	    "unknown MAIL parameter: 555 5.5.4");
	ok(strncmp(line_n(out, 14, buf, sizeof(buf)), "501 5.5.4 ", 10) == 0,
	    "BODY=BINARYMIME: 501 5.5.4");
	ok(strncmp(line_n(out, 18, buf, sizeof(buf)), "501 5.1.7 ", 10) == 0,
	    "bad sender: 501 5.1.7");
	ok(strncmp(line_n(out, 19, buf, sizeof(buf)), "501 5.5.4 ", 10) == 0,
	    "MAIL TO: syntax error 501 5.5.4");
	is_str(line_n(out, 20, buf, sizeof(buf)), "250 2.0.0 Ok", "NOOP");
	ok(strncmp(line_n(out, 21, buf, sizeof(buf)), "252 2.5.0 ", 10) == 0,
	    "VRFY: 252 2.5.0");
	ok(strncmp(line_n(out, 23, buf, sizeof(buf)), "502 5.5.1 ", 10) == 0,
	    "STARTTLS: 502 5.5.1");
	ok(strncmp(line_n(out, 26, buf, sizeof(buf)), "500 5.5.2 ", 10) == 0,
	    "unknown command: 500 5.5.2");
	is_int(list_ids(0, NULL, 0), 0, "errors: nothing queued");
	is_int(count_files("tmp"), 0, "errors: nothing in tmp/");
	free(out);
}

static void
test_long_lines(void)
{
	char *in, *out, buf[1024], id[32], *m, *exp;
	size_t body = 10 * 1024 + 123, cmd = 3000, i, o = 0;
	size_t cap = body + cmd + 1024;

	spool_empty();
	if ((in = malloc(cap)) == NULL || (exp = malloc(body + 3)) == NULL) {
		ok(0, "long lines: memory");
		free(in);
		return;
	}
	o += (size_t)snprintf(in + o, cap - o, "EHLO c\r\nNOOP ");
	for (i = 0; i < cmd; i++)
		in[o++] = 'n';
	o += (size_t)snprintf(in + o, cap - o, "\r\nNOOP\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
	    "DATA\r\nSubject: long\r\n\r\n");
	for (i = 0; i < body; i++)
		exp[i] = in[o++] = (char)('a' + i % 26);
	memcpy(exp + body, "\r\n", 3);
	o += (size_t)snprintf(in + o, cap - o, "\r\n.\r\nQUIT\r\n");
	{
		struct smtpd_params p = params();

		is_int(session_p(&p, in, o, &out), 0, "long lines: session");
	}
	is_str(codes(out, buf, sizeof(buf)), "220 250- 250- 250- 250- 250- "
	    "250- 250- 250 500 250 250 250 354 250 221", "long lines: replies");
	is_str(line_n(out, 9, buf, sizeof(buf)), "500 5.5.2 line too long",
	    "command over 2048 octets: 500 5.5.2");
	queued_id(out, 0, id, sizeof(id));
	if ((m = msg_file(id, 0, NULL)) != NULL) {
		is_str(body_of(m), exp, "a %zu-octet body line kept whole",
		    body);
		free(m);
	} else
		ok(0, "long lines: message file");
	free(exp);
	free(in);
	free(out);
}

static void
test_eof(void)
{
	char *out, buf[1024];

	spool_empty();
	is_int(session(
	    "EHLO c\r\n"
	    "MAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\n"
	    "DATA\r\n"
	    "Subject: cut\r\n"
	    "\r\n"
	    "half a mess", &out), 0, "EOF mid-DATA: returns 0");
	is_str(codes(out, buf, sizeof(buf)), "220 250- 250- 250- 250- 250- "
	    "250- 250- 250 250 250 354", "EOF mid-DATA: no reply after 354");
	is_int(list_ids(0, NULL, 0), 0, "EOF mid-DATA: nothing queued");
	is_int(list_ids(1, NULL, 0), 0, "EOF mid-DATA: nothing failed");
	is_int(count_files("tmp"), 0, "EOF mid-DATA: tmp/ cleaned");
	is_int(nacc, 0, "EOF mid-DATA: accepted() not called");
	free(out);

	is_int(session("EHLO c\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\n", &out), 0,
	    "EOF mid-transaction: returns 0");
	is_int(list_ids(0, NULL, 0), 0, "EOF mid-transaction: nothing queued");
	is_int(count_files("tmp"), 0, "EOF mid-transaction: tmp/ empty");
	free(out);

	is_int(session("", &out), 0, "empty input: returns 0");
	is_str(out, "220 mx.test ESMTP posta\r\n", "empty input: greeting only");
	free(out);
}

static void
test_senders(void)
{
	char *out, buf[1024], id[32], *m;
	struct smtpd_params p;
	struct spool_entry ent;
	const char *in;

	spool_empty();
	is_int(session(
	    "EHLO c\r\n"
	    "MAIL FROM:<>\r\n"
	    "RCPT TO:<root>\r\n"
	    "DATA\r\n"
	    "Subject: bounce\r\n"
	    "\r\n"
	    "b\r\n"
	    ".\r\n"
	    "QUIT\r\n", &out), 0, "null sender: session");
	queued_id(out, 0, id, sizeof(id));
	if (peek(id, 0, &ent) == 0) {
		is_str(ent.env.sender, "", "null sender kept null");
		spool_release(&ent);
	} else
		ok(0, "null sender: envelope");
	if ((m = msg_file(id, 0, NULL)) != NULL) {
		ok(has_line(m, "From: www-data@example.com\r\n"),
		    "null sender: From from default_from");
		free(m);
	} else
		ok(0, "null sender: message");
	free(out);

	/* bare local sender, DSN parameters, SMTPUTF8 */
	spool_empty();
	is_int(session(
	    "EHLO c\r\n"
	    "MAIL FROM:<www-data> RET=hdrs ENVID=ab+2Bc SIZE=100 SMTPUTF8\r\n"
	    "RCPT TO:<b@example.org> NOTIFY=success,failure "
	    "ORCPT=rfc822;b@example.org\r\n"
	    "RCPT TO:<j\xc3\xb6rg@example.org> NOTIFY=NEVER\r\n"
	    "DATA\r\n"
	    "\r\n"
	    "b\r\n"
	    ".\r\n"
	    "QUIT\r\n", &out), 0, "DSN: session");
	is_str(codes(out, buf, sizeof(buf)), "220 250- 250- 250- 250- 250- "
	    "250- 250- 250 250 250 250 354 250 221", "DSN: replies");
	queued_id(out, 0, id, sizeof(id));
	if (peek(id, 0, &ent) == 0) {
		is_str(ent.env.sender, "www-data@example.com",
		    "bare sender qualified with the domain");
		is_str(ent.env.dsn_ret, "HDRS", "RET kept");
		is_str(ent.env.dsn_envid, "ab+c", "ENVID xtext decoded");
		is_str(ent.env.dsn_notify, "success,failure",
		    "NOTIFY of the first recipient kept");
		is_int(ent.env.smtputf8, 1, "UTF-8 recipient marks SMTPUTF8");
		ok(ent.env.nrcpts == 2 && strcmp(ent.env.rcpts[1].addr,
		    "j\xc3\xb6rg@example.org") == 0, "UTF-8 recipient kept");
		spool_release(&ent);
	} else
		ok(0, "DSN: envelope");
	free(out);

	/* -f overrides MAIL FROM, even <> */
	spool_empty();
	p = params();
	p.sender = "forced@example.com";
	in = "MAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n\r\nb\r\n"
	    ".\r\nQUIT\r\n";
	is_int(session_p(&p, in, strlen(in), &out), 0, "-f: session");
	queued_id(out, 0, id, sizeof(id));
	if (peek(id, 0, &ent) == 0) {
		is_str(ent.env.sender, "forced@example.com",
		    "-f overrides MAIL FROM");
		spool_release(&ent);
	} else
		ok(0, "-f: envelope");
	free(out);

	/* force_from replaces a non-null sender, never the null one */
	spool_empty();
	cfg.force_from = 1;
	cfg.from = s_from;
	p = params();
	in = "MAIL FROM:<me@example.org>\r\nRCPT TO:<b@example.org>\r\n"
	    "DATA\r\n\r\nb\r\n.\r\n"
	    "MAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\n"
	    "DATA\r\n\r\nb\r\n.\r\nQUIT\r\n";
	is_int(session_p(&p, in, strlen(in), &out), 0, "force_from: session");
	queued_id(out, 0, id, sizeof(id));
	if (peek(id, 0, &ent) == 0) {
		is_str(ent.env.sender, "robot@example.com",
		    "force_from sets the envelope sender");
		spool_release(&ent);
	} else
		ok(0, "force_from: envelope");
	queued_id(out, 1, id, sizeof(id));
	if (peek(id, 0, &ent) == 0) {
		is_str(ent.env.sender, "", "force_from keeps the null sender");
		spool_release(&ent);
	} else
		ok(0, "force_from: null envelope");
	reset_cfg();
	free(out);
}

static void
test_failed_and_ioerr(void)
{
	char *in, *out, buf[1024], ids[2][32];
	size_t cap = MAX_HEADER_BLOCK + 200000, o = 0;
	int saved;

	/* a header section over the cap: kept in failed/, refused */
	spool_empty();
	if ((in = malloc(cap)) == NULL) {
		ok(0, "failed: memory");
		return;
	}
	o += (size_t)snprintf(in + o, cap - o, "MAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\nDATA\r\n");
	while (o < MAX_HEADER_BLOCK + 100000)
		o += (size_t)snprintf(in + o, cap - o, "X-Pad: %0100d\r\n", 7);
	o += (size_t)snprintf(in + o, cap - o, "\r\nbody\r\n.\r\nNOOP\r\n"
	    "QUIT\r\n");
	{
		struct smtpd_params p = params();

		is_int(session_p(&p, in, o, &out), 0, "failed: session");
	}
	is_str(codes(out, buf, sizeof(buf)), "220 250 250 354 554 250 221",
	    "failed: replies");
	ok(strncmp(line_n(out, 4, buf, sizeof(buf)), "554 5.6.0 ", 10) == 0 &&
	    strstr(buf, "header section") != NULL,
	    "header section over the cap: 554 5.6.0 with why: %.80s", buf);
	is_int(list_ids(0, NULL, 0), 0, "failed: nothing in q/");
	is_int(list_ids(1, ids, 2), 1, "failed: kept in failed/");
	is_int(nacc, 0, "failed: accepted() not called");
	free(in);
	free(out);

	/* the spool cannot take the message: 451, nothing kept */
	spool_empty();
	saved = sp.tmpfd;
	sp.tmpfd = -1;
	is_int(session("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
	    "DATA\r\nNOOP\r\nQUIT\r\n", &out), 0, "I/O error: session");
	sp.tmpfd = saved;
	is_str(codes(out, buf, sizeof(buf)), "220 250 250 451 250 221",
	    "I/O error: replies");
	ok(strncmp(line_n(out, 3, buf, sizeof(buf)), "451 4.3.0 ", 10) == 0,
	    "spool error: 451 4.3.0: %s", buf);
	is_int(list_ids(0, NULL, 0), 0, "I/O error: nothing queued");
	free(out);
}

/* Wait for one record on a SOCK_SEQPACKET socket: one write of the server. */
static ssize_t
read_record(int fd, char *buf, size_t cap)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, 10000) != 1)
		return -1;
	n = read(fd, buf, cap - 1);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int
send_str(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Interactive, with a forked server: every reply the client waits for
 * arrives before the server blocks, and a pipelined batch is answered
 * in one write.
 */
static void
test_pipelining(void)
{
	char buf[4096], id[32], ids[2][32];
	int in[2], out[2], status;
	pid_t pid;
	struct perr err = { 0, "" };
	struct smtpd_params p = params();

	spool_empty();
	if (pipe(in) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, out) == -1) {
		ok(0, "pipelining: pipe/socketpair: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		ok(0, "pipelining: fork");
		return;
	}
	if (pid == 0) {
		close(in[1]);
		close(out[0]);
		_exit(smtpd_run(in[0], out[1], &p, &err) == 0 ? 0 : 1);
	}
	close(in[0]);
	close(out[1]);

	ok(read_record(out[0], buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "220 mx.test ESMTP posta\r\n") == 0,
	    "greeting written before the first read");
	(void)send_str(in[1], "EHLO c\r\n");
	ok(read_record(out[0], buf, sizeof(buf)) > 0 &&
	    strncmp(buf, "250-mx.test\r\n", 13) == 0 &&
	    strstr(buf, "250 HELP\r\n") != NULL,
	    "EHLO reply in one write");
	(void)send_str(in[1], "MAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\nRCPT TO:<root>\r\nDATA\r\n");
	ok(read_record(out[0], buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n") == 0,
	    "pipelined MAIL RCPT RCPT DATA: four replies in one write");
	(void)send_str(in[1], "Subject: p\r\n\r\nbody\r\n");
	(void)send_str(in[1], ".\r\n");
	ok(read_record(out[0], buf, sizeof(buf)) > 0 &&
	    strncmp(buf, "250 2.0.0 Ok: queued as ", 24) == 0,
	    "250 after the end of data: %.60s", buf);
	queued_id(buf, 0, id, sizeof(id));
	is_int(list_ids(0, ids, 2), 1, "queued before the 250 was read");
	is_str(ids[0], id, "the queued id is the one announced");
	(void)send_str(in[1], "NOOP\r\nRSET\r\nQUIT\r\n");
	ok(read_record(out[0], buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n")
	    == 0, "NOOP RSET QUIT answered in one write");
	close(in[1]);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "server returned 0");
	close(out[0]);
}

static void
test_write_error(void)
{
	struct smtpd_params p = params();
	struct perr err = { 0, "" };
	int in[2], out[2];

	/* nobody reads the replies: smtpd_run reports an I/O error */
	if (pipe(in) == -1 || pipe(out) == -1) {
		ok(0, "write error: pipe");
		return;
	}
	close(out[0]);
	(void)send_str(in[1], "NOOP\r\n");
	close(in[1]);
	is_int(smtpd_run(in[0], out[1], &p, &err), -1,
	    "closed output: -1");
	ok(err.code != 0 && strstr(err.msg, "reply") != NULL,
	    "closed output: err says why: %s", err.msg);
	close(in[0]);
	close(out[1]);
}

/* -bd limits: message size, commands per session. */
static void
test_limits(void)
{
	struct smtpd_limits lim = { 100, 0, 0, NULL };
	struct smtpd_params p = params();
	char *out = NULL, buf[512];
	const char *in;

	spool_empty();
	p.lim = &lim;
	in = "EHLO c\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\nDATA\r\n"
	    "Subject: small\r\n\r\nfits\r\n.\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
	    "Subject: big\r\n\r\n"
	    "0123456789012345678901234567890123456789\r\n"
	    "0123456789012345678901234567890123456789\r\n"
	    "0123456789012345678901234567890123456789\r\n.\r\nQUIT\r\n";
	is_int(session_p(&p, in, strlen(in), &out), 0, "size: session ends "
	    "normally");
	ok(out != NULL && strstr(out, "250-SIZE 100\r\n") != NULL,
	    "max_size advertised in EHLO");
	is_str(codes(out, buf, sizeof(buf)), "220 250- 250- 250- 250- 250- "
	    "250- 250- 250 250 250 354 250 250 250 354 552 221",
	    "size: small one queued, big one 552, session goes on");
	ok(out != NULL && strstr(out, "552 5.3.4 message larger than 100 "
	    "octets\r\n") != NULL, "552 says why");
	is_int(list_ids(0, NULL, 0), 1, "size: only the small one queued");
	is_int(count_files("tmp"), 0, "size: nothing left in tmp/");
	is_int(count_files("failed"), 0, "size: nothing kept in failed/");
	free(out);

	spool_empty();
	lim.max_size = 0;
	lim.max_commands = 3;
	in = "NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n";
	is_int(session_p(&p, in, strlen(in), &out), -1, "commands: -1");
	is_str(codes(out, buf, sizeof(buf)), "220 250 250 250 421",
	    "fourth command: 421");
	ok(out != NULL && strstr(out, "421 4.7.0 mx.test too many commands, "
	    "closing the connection\r\n") != NULL, "421 text");
	free(out);

	/* the data lines of a message are not commands */
	lim.max_commands = 5;
	in = "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
	    "a\r\nb\r\nc\r\nd\r\ne\r\nf\r\n.\r\nQUIT\r\n";
	is_int(session_p(&p, in, strlen(in), &out), 0, "data lines: 0");
	is_str(codes(out, buf, sizeof(buf)), "220 250 250 354 250 221",
	    "data lines do not count as commands");
	free(out);
}

static volatile sig_atomic_t stop_flag;

static void
on_usr1(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* A forked server with limits; the client ends of its pipes. */
static pid_t
limited_server(const struct smtpd_limits *lim, int *to, int *from)
{
	struct smtpd_params p = params();
	struct perr err = { 0, "" };
	struct sigaction sa;
	int in[2], out[2];
	pid_t pid;

	if (pipe(in) == -1 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0,
	    out) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) != 0) {
		close(in[0]);
		close(out[1]);
		*to = in[1];
		*from = out[0];
		return pid;
	}
	close(in[1]);
	close(out[0]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART, as the listener */
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR1, &sa, NULL);
	p.lim = lim;
	_exit(smtpd_run(in[0], out[1], &p, &err) == 0 ? 0 : 1);
}

/* Idle timeout; a stop request while idle and during DATA. */
static void
test_timeout_stop(void)
{
	struct smtpd_limits lim = { 0, 0, 1, &stop_flag };
	char buf[4096];
	int to, from, status;
	pid_t pid;
	double t0;

	spool_empty();
	if ((pid = limited_server(&lim, &to, &from)) == -1) {
		ok(0, "timeout: fork");
		return;
	}
	t0 = mono_now();
	ok(read_record(from, buf, sizeof(buf)) > 0, "timeout: greeting");
	ok(read_record(from, buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "421 4.4.2 mx.test idle too long, closing the "
	    "connection\r\n") == 0, "idle client: 421 4.4.2: %s", buf);
	ok(mono_now() - t0 > 0.9 && mono_now() - t0 < 3,
	    "after the timeout (%.1f s)", mono_now() - t0);
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 1, "idle: the dialogue ends with -1");
	close(to);
	close(from);

	lim.timeout = 30;
	if ((pid = limited_server(&lim, &to, &from)) == -1) {
		ok(0, "stop: fork");
		return;
	}
	(void)read_record(from, buf, sizeof(buf));
	t0 = mono_now();
	(void)kill(pid, SIGUSR1);
	ok(read_record(from, buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "421 4.3.2 mx.test shutting down, closing the "
	    "connection\r\n") == 0, "stop while idle: 421 4.3.2: %s", buf);
	ok(mono_now() - t0 < 2.5, "at once (%.1f s)", mono_now() - t0);
	(void)waitpid(pid, &status, 0);
	close(to);
	close(from);

	if ((pid = limited_server(&lim, &to, &from)) == -1) {
		ok(0, "stop in DATA: fork");
		return;
	}
	(void)read_record(from, buf, sizeof(buf));
	(void)send_str(to, "MAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.org>\r\nDATA\r\n");
	(void)read_record(from, buf, sizeof(buf));
	(void)send_str(to, "Subject: stop\r\n\r\nfirst half\r\n");
	(void)kill(pid, SIGUSR1);
	usleep(1200 * 1000);	/* more than a poll slice */
	(void)send_str(to, "second half\r\n.\r\n");
	ok(read_record(from, buf, sizeof(buf)) > 0 &&
	    strncmp(buf, "250 2.0.0 Ok: queued as ", 24) == 0,
	    "stop during DATA: the message is finished, 250: %s", buf);
	ok(read_record(from, buf, sizeof(buf)) > 0 &&
	    strncmp(buf, "421 4.3.2 ", 10) == 0,
	    "then 421 without waiting for a command: %s", buf);
	is_int(list_ids(0, NULL, 0), 1, "stop during DATA: queued");
	(void)waitpid(pid, &status, 0);
	close(to);
	close(from);
}

int
main(void)
{
	struct perr err = { 0, "" };
	char tmpl[] = "/tmp/t_smtpd.XXXXXX";

	(void)signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tmpl) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	snprintf(spooldir, sizeof(spooldir), "%s/spool", tmpl);
	make_aliases();
	reset_cfg();
	if (spool_open(&sp, spooldir, 1, &err) == -1) {
		ok(0, "spool_open: %s", err.msg);
		return done_testing();
	}
	test_two_messages();
	test_dot_unstuffing();
	test_bare_lf();
	test_rset();
	test_sequence_errors();
	test_long_lines();
	test_eof();
	test_senders();
	test_failed_and_ioerr();
	test_pipelining();
	test_write_error();
	test_limits();
	test_timeout_stop();

	spool_empty();
	spool_close(&sp);
	{
		char path[512];
		static const char *const sub[] = { "tmp", "q", "failed",
		    "corrupt" };
		size_t i;

		for (i = 0; i < nitems(sub); i++) {
			snprintf(path, sizeof(path), "%s/%s", spooldir, sub[i]);
			(void)rmdir(path);
		}
		(void)rmdir(spooldir);
		(void)rmdir(tmpl);
	}
	return done_testing();
}
