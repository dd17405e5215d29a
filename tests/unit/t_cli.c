/* SPDX-License-Identifier: ISC */
/*
 * cli_parse(): every flag, clusters, attached and separate arguments,
 * ignored flags, refused modes, -q forms, personalities, error texts.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "config.h"
#include "tap.h"

#define MAXARGS	32

static struct opts o;
static struct perr err;
static char store[MAXARGS][256];
static char *av[MAXARGS + 1];
static int ac;

/* Arguments after argv[0], NULL-terminated; copied so argv is writable. */
#define A(...)	((const char *[]){ __VA_ARGS__, NULL })
#define NONE	((const char *[]){ NULL })

static int
run(const char *prog, const char *const *args)
{
	int n;

	memset(&err, 0, sizeof(err));
	memset(store, 0, sizeof(store));
	(void)snprintf(store[0], sizeof(store[0]), "%s", prog);
	av[0] = store[0];
	for (n = 0; args[n] != NULL && n + 1 < MAXARGS; n++) {
		(void)snprintf(store[n + 1], sizeof(store[n + 1]), "%s",
		    args[n]);
		av[n + 1] = store[n + 1];
	}
	ac = n + 1;
	av[ac] = NULL;
	return cli_parse(ac, av, prog, &o, &err);
}

/* "prog a b c" for test names. */
static const char *
show(const char *prog, const char *const *args)
{
	static char line[512];
	size_t len;
	int n;

	(void)snprintf(line, sizeof(line), "%s", prog);
	for (n = 0; args[n] != NULL; n++) {
		len = strlen(line);
		(void)snprintf(line + len, sizeof(line) - len, " '%s'",
		    args[n]);
	}
	return line;
}

static void
test_defaults(void)
{
	is_int(run("posta", A("root")), 0, "posta root parses");
	is_int(o.mode, MODE_SEND, "default mode is send");
	is_int(o.nrcpts, 1, "one recipient");
	ok(o.rcpts == av + 1, "recipients are borrowed from argv");
	is_str(o.rcpts[0], "root", "recipient is root");
	is_int(o.dot_ends, 1, "a lone dot ends input by default");
	is_int(o.delivery, -1, "delivery defaults to -1 (config)");
	ok(o.sender == NULL && o.fullname == NULL && o.conf_path == NULL,
	    "no sender, name or config by default");
	is_int(o.from_headers, 0, "-t off by default");
	is_int(o.verbose, 0, "not verbose by default");
	is_int(o.interval, 0, "interval 0 by default");
	is_int(o.qsel, 0, "no queue selection by default");
	is_int(o.list_failed, 0, "list_failed off by default");
	ok(o.dsn_notify == NULL && o.dsn_ret == NULL && o.dsn_envid == NULL,
	    "no DSN parameters by default");
	is_int(o.body, BODY_UNSET, "body type unset by default");
	is_int(err.code, 0, "no error recorded on success");

	is_int(run("posta", A("a@x", "b@y", "c")), 0, "three recipients");
	is_int(o.nrcpts, 3, "nrcpts 3");
	is_str(o.rcpts[2], "c", "third recipient");

	is_int(run("sendmail", A("root")), 0, "sendmail personality");
	is_int(o.mode, MODE_SEND, "sendmail name sends");
	is_int(run("whatever", A("root")), 0, "any other name");
	is_int(o.mode, MODE_SEND, "any other name sends");
}

static void
test_real_callers(void)
{
	/* cron (cronie, Debian cron) */
	is_int(run("sendmail", A("-i", "-FCronDaemon", "-B8BITMIME", "-oem",
	    "root")), 0, "cron's command line");
	is_int(o.dot_ends, 0, "cron: -i");
	is_str(o.fullname, "CronDaemon", "cron: -F attached");
	is_int(o.body, BODY_8BITMIME, "cron: -B8BITMIME");
	is_int(o.nrcpts, 1, "cron: -oem does not eat root");
	is_str(o.rcpts[0], "root", "cron: recipient root");

	/* PHP mail() */
	is_int(run("sendmail", A("-t", "-i")), 0, "PHP's -t -i");
	is_int(o.from_headers, 1, "PHP: -t");
	is_int(o.dot_ends, 0, "PHP: -i");
	is_int(o.nrcpts, 0, "PHP: no argument recipients");

	/* Symfony Mailer */
	is_int(run("sendmail", A("-bs")), 0, "Symfony's -bs");
	is_int(o.mode, MODE_SMTP_STDIO, "-bs: SMTP on stdio");

	/* git send-email, mutt: -oi -oem -f sender -- rcpts */
	is_int(run("sendmail", A("-oi", "-oem", "-f", "me@x", "--", "a@y",
	    "b@z")), 0, "git send-email style");
	is_int(o.dot_ends, 0, "-oi");
	is_str(o.sender, "me@x", "-f separate");
	is_int(o.nrcpts, 2, "two recipients after --");
}

static void
test_sender_name(void)
{
	is_int(run("posta", A("-f", "<>", "root")), 0, "-f <>");
	is_str(o.sender, "<>", "-f <> kept raw");
	is_int(run("posta", A("-f", "", "root")), 0, "-f ''");
	is_str(o.sender, "", "-f '' kept raw");
	is_int(run("posta", A("-fme@x", "root")), 0, "-f attached");
	is_str(o.sender, "me@x", "-fme@x");
	is_int(run("posta", A("-f", "<me@x>", "root")), 0, "-f <addr>");
	is_str(o.sender, "<me@x>", "-f <me@x> kept with brackets");
	is_int(run("posta", A("-r", "me@x", "root")), 0, "-r separate");
	is_str(o.sender, "me@x", "-r sets the sender");
	is_int(run("posta", A("-rme@x", "root")), 0, "-r attached");
	is_str(o.sender, "me@x", "-rme@x");
	is_int(run("posta", A("-f", "a@x", "-f", "b@x", "root")), 0,
	    "-f twice");
	is_str(o.sender, "b@x", "the last -f wins");
	is_int(run("posta", A("-f", "-x", "root")), 0, "-f value with a dash");
	is_str(o.sender, "-x", "an option value may start with '-'");
	is_int(o.nrcpts, 1, "and root is still the recipient");

	is_int(run("posta", A("-F", "Jane Doe", "root")), 0, "-F separate");
	is_str(o.fullname, "Jane Doe", "-F value with a space");
	is_int(run("posta", A("-FJane", "root")), 0, "-F attached");
	is_str(o.fullname, "Jane", "-FJane");

	is_int(run("posta", A("-C", "/tmp/p.conf", "root")), 0, "-C separate");
	is_str(o.conf_path, "/tmp/p.conf", "-C path");
	is_int(run("posta", A("-C/tmp/q.conf", "root")), 0, "-C attached");
	is_str(o.conf_path, "/tmp/q.conf", "-C attached path");
}

static void
test_clusters(void)
{
	is_int(run("posta", A("-ti")), 0, "-ti");
	ok(o.from_headers == 1 && o.dot_ends == 0, "-ti sets t and i");
	is_int(run("posta", A("-it")), 0, "-it");
	ok(o.from_headers == 1 && o.dot_ends == 0, "-it sets t and i");
	is_int(run("posta", A("-tif", "me@x", "root")), 0, "-tif me@x root");
	ok(o.from_headers == 1 && o.dot_ends == 0, "-tif: t and i");
	is_str(o.sender, "me@x", "-tif: f takes the next word");
	is_int(o.nrcpts, 1, "-tif: root stays a recipient");
	is_int(run("posta", A("-tfme@x")), 0, "-tfme@x");
	is_str(o.sender, "me@x", "-tfme@x: f takes the rest of the word");
	is_int(o.from_headers, 1, "-tfme@x: t");
	is_int(run("posta", A("-tf", "me@x")), 0, "-tf me@x");
	is_str(o.sender, "me@x", "-tf me@x");
	is_int(run("posta", A("-vv", "root")), 0, "-vv");
	is_int(o.verbose, 2, "-vv counts twice");
	is_int(run("posta", A("-tiv")), 0, "-tiv");
	is_int(o.verbose, 1, "-tiv: v");
	is_int(run("posta", A("-toi")), 0, "-toi");
	is_int(o.dot_ends, 0, "-toi: o takes 'i'");
	is_int(run("posta", A("-tGUmn")), 0, "-tGUmn");
	ok(o.from_headers == 1 && o.dot_ends == 1 && o.verbose == 0,
	    "-G -U -m -n are ignored in a cluster");
	is_int(run("posta", A("-vbs")), 0, "-vbs");
	ok(o.verbose == 1 && o.mode == MODE_SMTP_STDIO, "-vbs: v and -bs");
	is_int(run("posta", A("-vq")), 0, "-vq");
	ok(o.verbose == 1 && o.mode == MODE_RUN && o.interval == 0,
	    "-vq: v and a single queue run");
	is_int(run("posta", A("-vq15m")), 0, "-vq15m");
	is_int(o.interval, 900, "-vq15m: interval");
	is_int(run("posta", A("-tB", "7bit")), 0, "-tB 7bit");
	is_int(o.body, BODY_7BIT, "-tB takes the next word");
}

static void
test_dot_delivery(void)
{
	is_int(run("posta", A("-i", "root")), 0, "-i");
	is_int(o.dot_ends, 0, "-i clears dot_ends");
	is_int(run("posta", A("-oi", "root")), 0, "-oi");
	is_int(o.dot_ends, 0, "-oi clears dot_ends");
	is_int(run("posta", A("-o", "i", "root")), 0, "-o i");
	is_int(o.dot_ends, 0, "-o i clears dot_ends");
	is_int(run("posta", A("-oitrue", "root")), 0, "-oitrue");
	is_int(o.dot_ends, 0, "-oitrue clears dot_ends");
	is_int(run("posta", A("-oiyes", "root")), 0, "-oiyes");
	is_int(o.dot_ends, 0, "-oiyes clears dot_ends");
	is_int(run("posta", A("-oifalse", "root")), 0, "-oifalse");
	is_int(o.dot_ends, 1, "-oifalse keeps dot_ends");
	is_int(run("posta", A("-i", "-oifalse", "root")), 0, "-i -oifalse");
	is_int(o.dot_ends, 1, "-oifalse after -i restores dot_ends");

	is_int(run("posta", A("-odi", "root")), 0, "-odi");
	is_int(o.delivery, DELIVERY_FOREGROUND, "-odi: foreground");
	is_int(run("posta", A("-odb", "root")), 0, "-odb");
	is_int(o.delivery, DELIVERY_BACKGROUND, "-odb: background");
	is_int(run("posta", A("-odq", "root")), 0, "-odq");
	is_int(o.delivery, DELIVERY_QUEUE, "-odq: queue");
	is_int(run("posta", A("-odd", "root")), 0, "-odd");
	is_int(o.delivery, DELIVERY_QUEUE, "-odd: queue only");
	is_int(run("posta", A("-o", "db", "root")), 0, "-o db");
	is_int(o.delivery, DELIVERY_BACKGROUND, "-o db separate");
	is_int(run("posta", A("-odq", "-odi", "root")), 0, "-odq -odi");
	is_int(o.delivery, DELIVERY_FOREGROUND, "the last -od wins");
}

static void
test_ignored(void)
{
	static const struct {
		const char *args[10];
		int nrcpts;
	} cases[] = {
		{ { "-oem", "root", NULL }, 1 },
		{ { "-oee", "root", NULL }, 1 },
		{ { "-om", "root", NULL }, 1 },
		{ { "-oQ/var/spool/x", "root", NULL }, 1 },
		{ { "-oL9", "root", NULL }, 1 },
		{ { "-o", "Timeout=5", "root", NULL }, 1 },
		{ { "-OTimeout=5", "root", NULL }, 1 },
		{ { "-O", "Timeout=5", "root", NULL }, 1 },
		{ { "-G", "root", NULL }, 1 },
		{ { "-U", "root", NULL }, 1 },
		{ { "-m", "root", NULL }, 1 },
		{ { "-n", "root", NULL }, 1 },
		{ { "-h", "5", "root", NULL }, 1 },
		{ { "-h5", "root", NULL }, 1 },
		{ { "-L", "mytag", "root", NULL }, 1 },
		{ { "-Lmytag", "root", NULL }, 1 },
		{ { "-X", "/tmp/log", "root", NULL }, 1 },
		{ { "-X/tmp/log", "root", NULL }, 1 },
		{ { "-bm", "root", NULL }, 1 },
		{ { "-h", "5", "-L", "t", "-X", "f", "a", "b" }, 2 },
		/* Postfix's sendmail(1) options with no meaning here */
		{ { "-Am", "root", NULL }, 1 },
		{ { "-Ac", "root", NULL }, 1 },
		{ { "-A", "m", "root", NULL }, 1 },
		{ { "-XV", "root", NULL }, 1 },
		{ { "-oA/etc/aliases", "root", NULL }, 1 },
		{ { "-o7", "-o8", "root", NULL }, 1 },
		{ { "-c", "root", NULL }, 1 },
		{ { "-x", "root", NULL }, 1 },
		{ { "-e", "m", "root", NULL }, 1 },
		{ { "-psmtp", "root", NULL }, 1 },
		{ { "-Amc", "-GU", "root", NULL }, 1 },
	};
	size_t k;

	for (k = 0; k < nitems(cases); k++) {
		const char *name = show("posta", cases[k].args);

		is_int(run("posta", cases[k].args), 0, "ignored: %s", name);
		is_int(o.mode, MODE_SEND, "ignored, still sends: %s", name);
		is_int(o.nrcpts, cases[k].nrcpts, "recipients: %s", name);
		is_str(o.nrcpts > 0 ? o.rcpts[0] : NULL,
		    cases[k].nrcpts == 1 ? "root" : "a",
		    "first recipient: %s", name);
		ok(o.dot_ends == 1 && o.delivery == -1 && o.sender == NULL,
		    "nothing else changed: %s", name);
	}
}

static void
test_dsn_body(void)
{
	static const char *const notify_ok[] = {
		"never", "NEVER", "Never", "success", "failure", "delay",
		"success,delay,failure", "FAILURE,DELAY", "delay,success",
	};
	static const char *const notify_bad[] = {
		"", "never,success", "success,never", "success,,delay",
		"success,", ",success", "success,success", "succ",
		"success ", "always", "success;delay",
	};
	char envid[128];
	size_t k;

	for (k = 0; k < nitems(notify_ok); k++) {
		const char *n = notify_ok[k];

		is_int(run("posta", A("-N", n, "root")), 0, "-N %s accepted",
		    n);
		ok(o.dsn_notify != NULL && strcmp(o.dsn_notify, n) == 0,
		    "-N %s kept", n);
	}
	for (k = 0; k < nitems(notify_bad); k++) {
		is_int(run("posta", A("-N", notify_bad[k], "root")), -1,
		    "-N '%s' refused", notify_bad[k]);
		is_int(err.code, EX_USAGE, "-N '%s': EX_USAGE", notify_bad[k]);
	}
	is_int(run("posta", A("-Nsuccess,failure", "root")), 0, "-N attached");
	is_str(o.dsn_notify, "success,failure", "-N attached value");
	is_int(run("posta", A("-N", "bogus", "root")), -1, "-N bogus");
	is_str(err.msg, "invalid -N value \"bogus\": use never, or a comma "
	    "list of success, failure and delay", "-N error text");

	is_int(run("posta", A("-R", "full", "root")), 0, "-R full");
	is_str(o.dsn_ret, "full", "-R full kept");
	is_int(run("posta", A("-RHDRS", "root")), 0, "-RHDRS");
	is_str(o.dsn_ret, "HDRS", "-R HDRS kept");
	is_int(run("posta", A("-R", "headers", "root")), -1, "-R headers");
	is_str(err.msg, "invalid -R value \"headers\": use full or hdrs",
	    "-R error text");

	is_int(run("posta", A("-V", "abc.123+x", "root")), 0, "-V");
	is_str(o.dsn_envid, "abc.123+x", "-V kept");
	memset(envid, 'e', 100);
	envid[100] = '\0';
	is_int(run("posta", A("-V", envid, "root")), 0, "-V of 100 chars");
	envid[100] = 'e';
	envid[101] = '\0';
	is_int(run("posta", A("-V", envid, "root")), -1, "-V of 101 refused");
	is_int(run("posta", A("-V", "a b", "root")), -1, "-V with space");
	is_int(run("posta", A("-V", "", "root")), -1, "-V empty");
	is_int(run("posta", A("-V", "caf\xc3\xa9", "root")), -1,
	    "-V non-ASCII refused");
	is_str(err.msg, "invalid -V value: use 1 to 100 printable characters "
	    "without spaces", "-V error text");

	is_int(run("posta", A("-B", "8BITMIME", "root")), 0, "-B 8BITMIME");
	is_int(o.body, BODY_8BITMIME, "body 8bitmime");
	is_int(run("posta", A("-B8bitmime", "root")), 0, "-B8bitmime");
	is_int(o.body, BODY_8BITMIME, "body 8bitmime, lower case");
	is_int(run("posta", A("-B", "7BIT", "root")), 0, "-B 7BIT");
	is_int(o.body, BODY_7BIT, "body 7bit");
	is_int(run("posta", A("-B7bit", "root")), 0, "-B7bit");
	is_int(o.body, BODY_7BIT, "body 7bit, lower case");
	is_int(run("posta", A("-B", "BINARYMIME", "root")), -1, "-B binary");
	is_str(err.msg, "invalid -B value \"BINARYMIME\": use 8BITMIME or "
	    "7BIT", "-B error text");
}

static void
test_modes(void)
{
	static const struct {
		const char *prog;
		const char *args[6];
		enum mode mode;
		int nrcpts;
	} cases[] = {
		{ "posta", { "-bs", NULL }, MODE_SMTP_STDIO, 0 },
		{ "posta", { "-b", "s", NULL }, MODE_SMTP_STDIO, 0 },
		{ "posta", { "-bp", NULL }, MODE_LIST, 0 },
		{ "posta", { "-bi", NULL }, MODE_NOOP, 0 },
		{ "posta", { "-I", NULL }, MODE_NOOP, 0 },
		{ "newaliases", { "-I", NULL }, MODE_NOOP, 0 },
		{ "posta", { "-bh", NULL }, MODE_NOOP, 0 },
		{ "posta", { "-bH", NULL }, MODE_NOOP, 0 },
		{ "posta", { "-bV", NULL }, MODE_VERSION, 0 },
		{ "posta", { "--version", NULL }, MODE_VERSION, 0 },
		{ "posta", { "-bm", "a", "b", NULL }, MODE_SEND, 2 },
		{ "posta", { "-bp", "-bs", NULL }, MODE_SMTP_STDIO, 0 },
		{ "posta", { "--delete", "ID1", "ID2", NULL }, MODE_DELETE, 2 },
		{ "posta", { "-C", "f", "--delete", "ID1", NULL },
		    MODE_DELETE, 1 },
		{ "mailq", { NULL }, MODE_LIST, 0 },
		{ "mailq", { "-v", "-C", "/x.conf", NULL }, MODE_LIST, 0 },
		{ "newaliases", { NULL }, MODE_NOOP, 0 },
		{ "posta", { "-q", NULL }, MODE_RUN, 0 },
		{ "posta", { "-t", NULL }, MODE_SEND, 0 },
	};
	size_t k;

	for (k = 0; k < nitems(cases); k++) {
		const char *name = show(cases[k].prog, cases[k].args);

		is_int(run(cases[k].prog, cases[k].args), 0, "%s", name);
		is_int(o.mode, cases[k].mode, "mode: %s", name);
		is_int(o.nrcpts, cases[k].nrcpts, "arguments: %s", name);
	}
	is_int(run("posta", A("--delete", "ID1", "ID2")), 0, "--delete ids");
	ok(o.nrcpts == 2 && strcmp(o.rcpts[0], "ID1") == 0 &&
	    strcmp(o.rcpts[1], "ID2") == 0, "--delete: ids in rcpts");
	is_int(run("mailq", A("-v", "-C", "/x.conf")), 0, "mailq -v -C");
	ok(o.verbose == 1 && strcmp(o.conf_path, "/x.conf") == 0,
	    "mailq takes -v and -C");
}

static void
test_queue(void)
{
	static const struct {
		const char *arg;
		long secs;
	} iv[] = {
		{ "-q15m", 900 }, { "-q30", 1800 }, { "-q1h30m", 5400 },
		{ "-q2h", 7200 }, { "-q1d", 86400 }, { "-q1w", 604800 },
		{ "-q45s", 45 }, { "-q0", 0 }, { "-q1m2", 180 },
		{ "-q1h1m1s", 3661 }, { "-q365d", 365L * 86400 },
		{ "-q90s", 90 },
	};
	static const char *const bad[] = {
		"-q15x", "-q1h30x", "-q366d", "-q53w", "-q99999999999999999999",
		"-q15mm", "-q1.5h",
	};
	size_t k;

	for (k = 0; k < nitems(iv); k++) {
		is_int(run("posta", A(iv[k].arg)), 0, "%s", iv[k].arg);
		is_int(o.mode, MODE_RUN, "%s: run mode", iv[k].arg);
		is_int(o.interval, iv[k].secs, "%s: %ld seconds", iv[k].arg,
		    iv[k].secs);
	}
	for (k = 0; k < nitems(bad); k++) {
		is_int(run("posta", A(bad[k])), -1, "%s refused", bad[k]);
		is_int(err.code, EX_USAGE, "%s: EX_USAGE", bad[k]);
	}
	is_int(run("posta", A("-q15x")), -1, "-q15x");
	is_str(err.msg, "invalid queue interval -q15x: use a number with s, "
	    "m, h, d or w (at most 365d), e.g. -q15m", "-q15x error text");

	is_int(run("posta", A("-qRexample")), 0, "-qRexample");
	ok(o.mode == MODE_RUN && o.qsel == 'R' &&
	    strcmp(o.qsel_arg, "example") == 0, "-qR selects by recipient");
	is_int(run("posta", A("-qIabc")), 0, "-qIabc");
	ok(o.qsel == 'I' && strcmp(o.qsel_arg, "abc") == 0, "-qI by id");
	is_int(run("posta", A("-qSfoo@bar")), 0, "-qSfoo@bar");
	ok(o.qsel == 'S' && strcmp(o.qsel_arg, "foo@bar") == 0,
	    "-qS by sender");
	is_int(run("posta", A("-qRa", "-qRb")), 0, "-qRa -qRb");
	is_str(o.qsel_arg, "b", "the last -qR wins");
	is_int(run("posta", A("-q15m", "-qRx")), 0, "-q15m -qRx");
	ok(o.interval == 900 && o.qsel == 'R', "interval and selection");
	is_int(run("posta", A("-qRa", "-qIb")), -1, "-qR with -qI");
	is_str(err.msg, "-qR and -qI cannot be combined", "-qR -qI text");
	is_int(run("posta", A("-qR")), -1, "-qR without substring");
	is_str(err.msg, "-qR requires an attached substring, as in "
	    "-qRexample", "-qR alone text");
	is_int(run("posta", A("-qR", "example")), -1, "-qR separate value");
	is_int(run("posta", A("-q!Rfoo")), -1, "-q! refused");
	is_str(err.msg, "unsupported queue option -q!Rfoo", "-q! text");
	is_int(run("posta", A("-qp")), -1, "-qp refused");
	is_int(run("posta", A("-qQ")), -1, "-qQ alone refused");
	is_str(err.msg, "-qQ only applies to listing the queue: use mailq "
	    "-qQ or -bp -qQ", "-qQ text");
	is_int(run("posta", A("-qQx")), -1, "-qQx refused");
	is_int(run("posta", A("-bs", "-q")), -1, "-bs -q refused");
	is_str(err.msg, "-q cannot be combined with -b modes or long options",
	    "-bs -q text");
	is_int(run("newaliases", A("-q")), -1, "newaliases -q refused");
	is_int(run("posta", A("-q", "root")), -1, "-q with an argument");
	is_str(err.msg, "unexpected argument \"root\": recipients are only "
	    "taken when sending", "-q root text");

	/* listing */
	is_int(run("mailq", A("-qQ")), 0, "mailq -qQ");
	ok(o.mode == MODE_LIST && o.list_failed == 1, "mailq -qQ: failed/");
	is_int(run("posta", A("-bp", "-qQ")), 0, "-bp -qQ");
	ok(o.mode == MODE_LIST && o.list_failed == 1, "-bp -qQ: failed/");
	is_int(run("posta", A("-qQ", "-bp")), 0, "-qQ -bp");
	ok(o.mode == MODE_LIST && o.list_failed == 1, "-qQ before -bp");
	is_int(run("mailq", NONE), 0, "mailq");
	is_int(o.list_failed, 0, "mailq lists the live queue");
	is_int(run("mailq", A("-qRexample")), 0, "mailq -qRexample");
	ok(o.mode == MODE_LIST && o.qsel == 'R' && o.list_failed == 0,
	    "mailq -qR narrows the listing");
	is_int(run("mailq", A("-q15m")), -1, "mailq -q15m refused");
	is_str(err.msg, "a -q interval cannot be used when listing the queue",
	    "mailq -q15m text");
	is_int(run("mailq", A("root")), -1, "mailq root refused");

	/* --json: a form of the listing */
	is_int(run("posta", A("-bp", "--json")), 0, "-bp --json");
	ok(o.mode == MODE_LIST && o.json == 1, "-bp --json: JSON listing");
	is_int(run("posta", A("--json", "-bp", "-qQ")), 0, "--json -bp -qQ");
	ok(o.mode == MODE_LIST && o.json && o.list_failed, "--json before -bp");
	is_int(run("mailq", A("--json")), 0, "mailq --json");
	ok(o.mode == MODE_LIST && o.json == 1, "mailq --json");
	is_int(run("mailq", NONE), 0, "mailq");
	is_int(o.json, 0, "mailq without --json: the human layout");
	is_int(run("posta", A("--json", "root")), -1, "--json when sending");
	is_str(err.msg, "--json only applies to listing the queue: posta -bp "
	    "--json or mailq --json", "--json text");
	is_int(run("posta", A("-q", "--json")), -1, "-q --json refused");
	is_int(run("posta", A("-bs", "--json")), -1, "-bs --json refused");
	/* the listener, with or without a queue runner beside it */
	is_int(run("posta", A("-bd")), 0, "-bd");
	ok(o.mode == MODE_DAEMON && o.interval == 0 && !o.loopback_only,
	    "-bd: listener, no runner");
	is_int(run("posta", A("-bD", "-C", "/x.conf")), 0, "-bD");
	ok(o.mode == MODE_DAEMON && !o.loopback_only, "-bD is -bd");
	is_int(run("posta", A("-q30m", "-bd", "-odq")), 0, "-q30m -bd -odq");
	ok(o.mode == MODE_DAEMON && o.interval == 1800 &&
	    o.delivery == DELIVERY_QUEUE, "-bd with a runner every 30m");
	is_int(run("posta", A("-bl", "-q1h")), 0, "-bl -q1h");
	ok(o.mode == MODE_DAEMON && o.loopback_only && o.interval == 3600,
	    "-bl: loopback only");
	is_int(run("posta", A("-bl", "-bd")), 0, "-bl -bd");
	ok(o.mode == MODE_DAEMON && !o.loopback_only, "the last -b wins");
}

static void
test_errors(void)
{
	static const struct {
		const char *prog;
		const char *args[6];
		const char *msg;
	} cases[] = {
		{ "posta", { "-y", "root", NULL }, "unknown option -y" },
		{ "posta", { "-ty", "root", NULL }, "unknown option -y" },
		{ "posta", { "-d0.1", "root", NULL }, "unknown option -d" },
		{ "posta", { "-", "root", NULL }, "unknown option -" },
		{ "posta", { "--foo", "root", NULL }, "unknown option --foo" },
		{ "posta", { "--help", NULL },
		    "--help: the options are below and in posta(8)" },
		{ "posta", { "-f", NULL }, "option -f requires an argument" },
		{ "posta", { "-t", "-F", NULL },
		    "option -F requires an argument" },
		{ "posta", { "-tC", NULL }, "option -C requires an argument" },
		{ "posta", { "-h", NULL }, "option -h requires an argument" },
		{ "posta", { "-o", NULL }, "option -o requires an argument" },
		{ "posta", { "-b", NULL }, "option -b requires an argument" },
		{ "posta", { "-N", NULL }, "option -N requires an argument" },
		{ "posta", { "-C", "", "root", NULL }, "-C: empty file name" },
		{ "posta", { NULL },
		    "no recipients given (use -t to read them from the "
		    "headers)" },
		{ "posta", { "-i", "-v", NULL },
		    "no recipients given (use -t to read them from the "
		    "headers)" },
		{ "posta", { "-f", "a\rb", "root", NULL },
		    "-f: address contains a control character" },
		{ "posta", { "-f", "a\nRCPT TO:<x>", "root", NULL },
		    "-f: address contains a control character" },
		{ "posta", { "-r", "a\nb", "root", NULL },
		    "-r: address contains a control character" },
		{ "posta", { "-F", "x\nBcc: y", "root", NULL },
		    "-F: name contains a control character" },
		{ "posta", { "a\r\nb", NULL },
		    "recipient contains a control character" },
		{ "posta", { "root", "x\ny", NULL },
		    "recipient contains a control character" },
		{ "posta", { "root", "-oi", NULL },
		    "option -oi after the recipients: put options first, or "
		    "\"--\" before a recipient that starts with '-'" },
		{ "posta", { "-bd", "root", NULL },
		    "unexpected argument \"root\": recipients are only taken "
		    "when sending" },
		{ "posta", { "-bd", "-q", NULL },
		    "-bd takes only a -q interval for the queue runner, as in "
		    "-bd -q15m" },
		{ "posta", { "-bl", "-qRexample", NULL },
		    "-bl takes only a -q interval for the queue runner, as in "
		    "-bl -q15m" },
		{ "posta", { "-bd", "-q15m", "-qQ", NULL },
		    "-bd takes only a -q interval for the queue runner, as in "
		    "-bd -q15m" },
		{ "posta", { "-I", "root", NULL },
		    "unexpected argument \"root\": recipients are only taken when sending" },
		{ "posta", { "-bt", NULL },
		    "-bt: address test mode is not supported" },
		{ "posta", { "-bv", "root", NULL },
		    "-bv: address verification is not supported: posta hands "
		    "every address to the smart host" },
		{ "posta", { "-ba", NULL },
		    "-ba: ARPANET mode is not supported; use -bs" },
		{ "posta", { "-bz", NULL }, "unknown mode -bz" },
		{ "posta", { "-bss", NULL }, "unknown mode -bss" },
		{ "posta", { "-odx", "root", NULL },
		    "invalid delivery mode -odx: use -odi, -odb or -odq" },
		{ "posta", { "-od", "root", NULL },
		    "invalid delivery mode -od: use -odi, -odb or -odq" },
		{ "posta", { "-odqq", "root", NULL },
		    "invalid delivery mode -odqq: use -odi, -odb or -odq" },
		{ "posta", { "--delete", NULL },
		    "--delete needs one or more queue ids" },
		{ "posta", { "-bs", "root", NULL },
		    "unexpected argument \"root\": recipients are only taken "
		    "when sending" },
		{ "newaliases", { "x", NULL },
		    "unexpected argument \"x\": recipients are only taken "
		    "when sending" },
	};
	size_t k;

	for (k = 0; k < nitems(cases); k++) {
		const char *name = show(cases[k].prog, cases[k].args);

		is_int(run(cases[k].prog, cases[k].args), -1, "refused: %s",
		    name);
		is_int(err.code, EX_USAGE, "EX_USAGE: %s", name);
		is_str(err.msg, cases[k].msg, "message: %s", name);
	}
}

static void
test_dashdash(void)
{
	is_int(run("posta", A("--", "-weird")), 0, "-- -weird");
	is_int(o.nrcpts, 1, "-- -weird: one recipient");
	is_str(o.rcpts[0], "-weird", "-- lets a recipient start with '-'");
	is_int(run("posta", A("-i", "--", "root", "-oi")), 0, "-- root -oi");
	ok(o.nrcpts == 2 && strcmp(o.rcpts[1], "-oi") == 0,
	    "after --, -oi is a recipient");
	is_int(o.dot_ends, 0, "-i before -- still applies");
	is_int(run("posta", A("-t", "--")), 0, "-t -- with no recipients");
	is_int(o.nrcpts, 0, "-t --: none");
	is_int(run("posta", A("--", "--")), 0, "-- --");
	is_str(o.rcpts[0], "--", "a second -- is a recipient");
	is_int(run("posta", A("-f", "--", "root")), 0, "-f --");
	is_str(o.sender, "--", "-f takes -- as its value");
	is_int(run("posta", A("-f", "--", "root", "-x")), -1,
	    "-f --: -- was a value, so a later -x is refused");
}

static void
test_oauth(void)
{
	is_int(run("posta", A("--oauth-login")), 0, "--oauth-login");
	is_int(o.mode, MODE_OAUTH_LOGIN, "--oauth-login: mode");
	is_int(o.oauth_port, 0, "--oauth-login: device flow");
	is_int(run("posta", A("--oauth-login=device")), 0,
	    "--oauth-login=device");
	is_int(o.oauth_port, 0, "=device: device flow");
	is_int(run("posta", A("-C", "/x.conf", "--oauth-login=loopback:8765")),
	    0, "--oauth-login=loopback:8765 with -C");
	is_int(o.oauth_port, 8765, "loopback port");
	is_str(o.conf_path, "/x.conf", "-C honoured");
	is_int(run("posta", A("--oauth-login=loopback:0")), -1, "port 0");
	is_str(err.msg, "--oauth-login=loopback:0: expected a port number "
	    "from 1 to 65535, as in --oauth-login=loopback:8765", "port text");
	is_int(run("posta", A("--oauth-login=loopback:65536")), -1,
	    "port 65536");
	is_int(run("posta", A("--oauth-login=loopback:99999999999999999999")),
	    -1, "huge port");
	is_int(run("posta", A("--oauth-login=loopback:")), -1, "no port");
	is_int(run("posta", A("--oauth-login=loopback:80x")), -1, "port 80x");
	is_int(run("posta", A("--oauth-login", "8765")), -1,
	    "no separate value");
	is_int(run("posta", A("--oauth-import")), 0, "--oauth-import");
	is_int(o.mode, MODE_OAUTH_IMPORT, "import mode");
	is_int(run("posta", A("--oauth-status")), 0, "--oauth-status");
	is_int(o.mode, MODE_OAUTH_STATUS, "status mode");
	is_int(run("posta", A("--oauth-refresh")), 0, "--oauth-refresh");
	is_int(o.mode, MODE_OAUTH_REFRESH, "refresh mode");
	is_int(run("posta", A("--oauth-status", "root")), -1,
	    "no recipients after --oauth-status");
	is_int(run("posta", A("--oauth-refresh", "-q")), -1,
	    "--oauth-refresh -q refused");
	is_int(run("posta", A("--oauth-token")), -1, "unknown --oauth-*");
	is_str(err.msg, "unknown option --oauth-token (use --oauth-login, "
	    "--oauth-login=loopback:PORT, --oauth-import, --oauth-status or "
	    "--oauth-refresh)", "unknown --oauth-* text");
	is_int(run("posta", A("--", "--oauth-status")), 0,
	    "after --, a recipient");
	is_int(o.mode, MODE_SEND, "after --: sending");
}

static void
test_misc(void)
{
	char *empty[] = { NULL };
	char big[64];

	memset(&err, 0, sizeof(err));
	is_int(cli_parse(0, empty, "posta", &o, &err), -1, "argc 0");
	is_int(o.nrcpts, 0, "argc 0: no recipients");
	memset(&err, 0, sizeof(err));
	is_int(cli_parse(1, av, NULL, &o, &err), -1,
	    "NULL progname behaves as sendmail");
	ok(strncmp(cli_usage(), "usage: posta ", 13) == 0,
	    "usage starts with 'usage: posta '");
	ok(strchr(cli_usage(), '\n') == NULL, "usage is one line");
	ok(strstr(cli_usage(), "-bs") != NULL &&
	    strstr(cli_usage(), "-q[interval]") != NULL,
	    "usage names -bs and -q");

	/* a direct call with an argv not built by run() */
	memset(&err, 0, sizeof(err));
	(void)snprintf(big, sizeof(big), "-y");
	av[0] = store[0];
	av[1] = big;
	av[2] = NULL;
	is_int(cli_parse(2, av, "posta", &o, &err), -1, "-y again");
	is_str(err.msg, "unknown option -y", "direct call message");
}

int
main(void)
{
	test_defaults();
	test_real_callers();
	test_sender_name();
	test_clusters();
	test_dot_delivery();
	test_ignored();
	test_dsn_body();
	test_modes();
	test_queue();
	test_errors();
	test_dashdash();
	test_misc();
	test_oauth();
	return done_testing();
}
