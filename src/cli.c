/* SPDX-License-Identifier: ISC */
/*
 * The sendmail command line -> struct opts, read the way sendmail 8 and
 * Postfix's sendmail(1) read it. No I/O: errors go into the error record.
 *
 * Choices, where sendmail implementations differ or the header is silent:
 * - Options come before the recipients. The first argument that does not
 *   start with '-' ends them, as with Postfix on Linux (getopt with "+").
 *   A later "-x" is refused as a usage error rather than taken as an
 *   address, so "sendmail root -oi" fails loudly instead of mailing
 *   "-oi"; "--" ends the options and lets a recipient start with '-'.
 * - Boolean flags cluster ("-ti", "-tiv"); a flag taking an argument may
 *   end a cluster and take the rest of the word or the next word
 *   ("-tfme@x", "-tf me@x"). -q takes only an attached value, as in
 *   sendmail: "-qRexample.com"; "-qR example.com" is an error.
 * - -qINTERVAL: numbers with units s, m, h, d, w, summed ("1h30m"); a
 *   number without a unit is minutes, as sendmail 8's convtime(optarg,
 *   'm') reads it, so "-q30" is half an hour; "-q0" is one run.
 * - -qQ (the failed/ queue) only narrows a listing (-bp, mailq).
 * - Arguments after the options are refused in every mode but sending
 *   and --delete, so "-bs root" cannot silently drop a recipient.
 * - -f/-r or -N/-R/-V/-B given twice: the last one wins (Postfix).
 * - -b given twice: the last one wins. -q selects MODE_RUN unless a mode
 *   was chosen explicitly; with -bp or mailq it only narrows the listing;
 *   with -bd an interval also runs the queue, as "sendmail -bd -q30m".
 * - -bV and --version print the version (sendmail 8 has no -bV; the
 *   letter is otherwise unused). --help is a usage error whose message
 *   points at the usage line that main() prints after it.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cli.h"
#include "config.h"
#include "esmtp.h"
#include "posta.h"
#include "util.h"

#define MAX_INTERVAL (365L * 24 * 3600)

struct cli {
	int argc;
	char **argv;
	int i;	       /* next argv element */
	int explicit;  /* mode chosen: -b, long option, name */
	int qseen;     /* some -q was given */
	int qinterval; /* -q with an interval */
	int qfailed;   /* -qQ */
	int dashdash;  /* the options ended with "--" */
};

static const char usage[] =
    "usage: posta [-itv] [-f sender] [-F name] [-C file] "
    "[-odi|-odb|-odq] [-N dsn] [-R ret] [-V envid] [-B type] "
    "recipient ... | -bs | -bd|-bl [-qinterval] | -bp [--json] | "
    "-q[interval] | -q{I,R,S}substr | "
    "--oauth-login[=loopback:port] | --oauth-import | --oauth-status | "
    "--oauth-refresh";

const char *
cli_usage(void)
{
	return usage;
}

/*
 * The value of option c: the rest of the word when there is one,
 * otherwise the next word.
 */
static int
take_arg(struct cli *st, char c, const char *rest, const char **val,
    struct perr *err)
{
	if (*rest != '\0') {
		*val = rest;
		return 0;
	}
	if (st->i >= st->argc)
		return perr_set(err, EX_USAGE,
		    "option -%c requires an argument", c);
	*val = st->argv[st->i++];
	return 0;
}

/* -q, -qINTERVAL, -qI/-qR/-qS<substr>, -qQ. */
static int
opt_q(struct cli *st, struct opts *o, const char *v, struct perr *err)
{
	long secs;

	st->qseen = 1;
	switch (*v) {
	case 'I':
	case 'R':
	case 'S':
		if (v[1] == '\0')
			return perr_set(err, EX_USAGE,
			    "-q%c requires an "
			    "attached substring, as in -q%cexample",
			    *v, *v);
		if (o->qsel != 0 && o->qsel != *v)
			return perr_set(err, EX_USAGE,
			    "-q%c and -q%c cannot be combined", o->qsel, *v);
		o->qsel = *v;
		o->qsel_arg = v + 1;
		return 0;
	case 'Q':
		if (v[1] != '\0')
			return perr_set(err, EX_USAGE,
			    "invalid queue option "
			    "-q%s: -qQ takes no value",
			    v);
		st->qfailed = 1;
		return 0;
	case '\0':
		o->interval = 0;
		return 0;
	default:
		break;
	}
	if (*v < '0' || *v > '9')
		return perr_set(err, EX_USAGE, "unsupported queue option -q%s",
		    v);
	if ((secs = duration_parse(v, DUR_QUEUE, MAX_INTERVAL)) == -1)
		return perr_set(err, EX_USAGE,
		    "invalid queue interval -q%s: "
		    "use a number with s, m, h, d or w (at most 365d), "
		    "e.g. -q15m",
		    v);
	o->interval = secs;
	st->qinterval = 1;
	return 0;
}

/* -b modes: the supported ones, then a reason for each refused one. */
static int
opt_b(struct cli *st, struct opts *o, const char *v, struct perr *err)
{
	const char *why = NULL;

	if (v[0] == '\0' || v[1] != '\0')
		return perr_set(err, EX_USAGE, "unknown mode -b%s", v);
	switch (*v) {
	case 'm':
		o->mode = MODE_SEND;
		break;
	case 's':
		o->mode = MODE_SMTP_STDIO;
		break;
	case 'p':
		o->mode = MODE_LIST;
		break;
	case 'i':
		o->mode = MODE_NOOP;
		break;
	case 'V':
		o->mode = MODE_VERSION;
		break;
	case 'd':
	case 'D': /* sendmail's "in the foreground": posta always is */
	case 'l':
		o->mode = MODE_DAEMON;
		o->loopback_only = *v == 'l';
		break;
	case 'h':
	case 'H':
		/* host status: Postfix ignores these, and posta keeps none */
		o->mode = MODE_NOOP;
		break;
	case 't':
		why = "address test mode is not supported";
		break;
	case 'v':
		why = "address verification is not supported: posta hands "
		      "every address to the smart host";
		break;
	case 'a':
		why = "ARPANET mode is not supported; use -bs";
		break;
	default:
		return perr_set(err, EX_USAGE, "unknown mode -b%s", v);
	}
	if (why != NULL)
		return perr_set(err, EX_USAGE, "-b%c: %s", *v, why);
	st->explicit = 1;
	return 0;
}

/* sendmail's atobool(): empty or t/T/y/Y is true. */
static int
is_true(const char *s)
{
	return *s == '\0' || strchr("tTyY", *s) != NULL;
}

/* -oi, -od{i,b,q,d}; every other -o option is accepted and ignored. */
static int
opt_o(struct opts *o, const char *v, struct perr *err)
{
	if (v[0] == 'i') {
		o->dot_ends = !is_true(v + 1);
		return 0;
	}
	if (v[0] != 'd')
		return 0;
	if (v[1] == '\0' || v[2] != '\0')
		return perr_set(err, EX_USAGE,
		    "invalid delivery mode -o%s: "
		    "use -odi, -odb or -odq",
		    v);
	switch (v[1]) {
	case 'i':
		o->delivery = DELIVERY_FOREGROUND;
		break;
	case 'b':
		o->delivery = DELIVERY_BACKGROUND;
		break;
	case 'q':
	case 'd': /* deferred: sendmail also only queues */
		o->delivery = DELIVERY_QUEUE;
		break;
	default:
		return perr_set(err, EX_USAGE,
		    "invalid delivery mode -o%s: "
		    "use -odi, -odb or -odq",
		    v);
	}
	return 0;
}

/* -N, -R, -V, -B. */
static int
opt_dsn(struct opts *o, char c, const char *v, struct perr *err)
{
	switch (c) {
	case 'N':
		if (!esmtp_notify_valid(v))
			return perr_set(err, EX_USAGE,
			    "invalid -N value "
			    "\"%s\": use never, or a comma list of success, "
			    "failure and delay",
			    v);
		o->dsn_notify = v;
		return 0;
	case 'R':
		if (!esmtp_ret_valid(v))
			return perr_set(err, EX_USAGE,
			    "invalid -R value "
			    "\"%s\": use full or hdrs",
			    v);
		o->dsn_ret = v;
		return 0;
	case 'V':
		if (!esmtp_envid_valid(v))
			return perr_set(err, EX_USAGE,
			    "invalid -V value: "
			    "use 1 to %d printable characters without spaces",
			    ESMTP_ENVID_MAX);
		o->dsn_envid = v;
		return 0;
	default:
		break;
	}
	if (strcasecmp(v, "8bitmime") == 0)
		o->body = BODY_8BITMIME;
	else if (strcasecmp(v, "7bit") == 0)
		o->body = BODY_7BIT;
	else
		return perr_set(err, EX_USAGE,
		    "invalid -B value \"%s\": use "
		    "8BITMIME or 7BIT",
		    v);
	return 0;
}

/* An option that takes an argument, with its value. */
static int
opt_value(struct cli *st, struct opts *o, char c, const char *v,
    struct perr *err)
{
	switch (c) {
	case 'f':
	case 'r':
		if (has_ctl(v))
			return perr_set(err, EX_USAGE,
			    "-%c: address contains "
			    "a control character",
			    c);
		o->sender = v;
		return 0;
	case 'F':
		if (has_ctl(v))
			return perr_set(err, EX_USAGE,
			    "-F: name contains a "
			    "control character");
		o->fullname = v;
		return 0;
	case 'C':
		if (*v == '\0')
			return perr_set(err, EX_USAGE, "-C: empty file name");
		o->conf_path = v;
		return 0;
	case 'b':
		return opt_b(st, o, v, err);
	case 'o':
		return opt_o(o, v, err);
	case 'N':
	case 'R':
	case 'V':
	case 'B':
		return opt_dsn(o, c, v, err);
	default:
		return 0; /* -A, -e, -h, -L, -O, -p, -X: ignored */
	}
}

/* One word of flags: "-t", "-ti", "-tfme@x", "-odq", "-q15m". */
static int
parse_cluster(struct cli *st, struct opts *o, const char *word,
    struct perr *err)
{
	const char *p, *v = NULL;

	for (p = word + 1; *p != '\0'; p++) {
		switch (*p) {
		case 't':
			o->from_headers = 1;
			break;
		case 'i':
			o->dot_ends = 0;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'G':
		case 'U':
		case 'm':
		case 'n':
		case 'c': /* -c, -x: in Postfix's getopt, ignored */
		case 'x':
			break;
		case 'I': /* Postfix: newaliases, as -bi */
			if (opt_b(st, o, "i", err) == -1)
				return -1;
			break;
		case 'q':
			return opt_q(st, o, p + 1, err);
		case 'f':
		case 'r':
		case 'F':
		case 'C':
		case 'b':
		case 'o':
		case 'O':
		case 'N':
		case 'R':
		case 'V':
		case 'B':
		case 'h':
		case 'L':
		case 'X':
		case 'A': /* -Am, -Ac: Postfix ignores them */
		case 'e': /* -e, -p: Postfix takes and ignores a value */
		case 'p':
			if (take_arg(st, *p, p + 1, &v, err) == -1)
				return -1;
			return opt_value(st, o, *p, v, err);
		default:
			return perr_set(err, EX_USAGE, "unknown option -%c",
			    *p);
		}
	}
	return 0;
}

/*
 * --oauth-*: values only after '=', so that no word after them can be
 * taken for a recipient or for their value.
 */
static int
parse_oauth(struct cli *st, struct opts *o, const char *word, struct perr *err)
{
	static const struct {
		const char *name;
		enum mode mode;
	} words[] = {
		{ "--oauth-login", MODE_OAUTH_LOGIN },
		{ "--oauth-login=device", MODE_OAUTH_LOGIN },
		{ "--oauth-import", MODE_OAUTH_IMPORT },
		{ "--oauth-status", MODE_OAUTH_STATUS },
		{ "--oauth-refresh", MODE_OAUTH_REFRESH },
	};
	const char *p;
	size_t i;
	long port = 0;

	st->explicit = 1;
	for (i = 0; i < nitems(words); i++) {
		if (strcmp(word, words[i].name) == 0) {
			o->mode = words[i].mode;
			return 0;
		}
	}
	if (strncmp(word, "--oauth-login=loopback:", 23) != 0)
		return perr_set(err, EX_USAGE,
		    "unknown option %s (use "
		    "--oauth-login, --oauth-login=loopback:PORT, "
		    "--oauth-import, --oauth-status or --oauth-refresh)",
		    word);
	for (p = word + 23; *p >= '0' && *p <= '9' && port <= 65535; p++)
		port = port * 10 + (*p - '0');
	if (p == word + 23 || *p != '\0' || port < 1 || port > 65535)
		return perr_set(err, EX_USAGE,
		    "%s: expected a port number "
		    "from 1 to 65535, as in --oauth-login=loopback:8765",
		    word);
	o->mode = MODE_OAUTH_LOGIN;
	o->oauth_port = (int)port;
	return 0;
}

/* --version, --delete, --check, --json, --help, --oauth-*. "--" itself is the caller's. */
static int
parse_long(struct cli *st, struct opts *o, const char *word, struct perr *err)
{
	if (strncmp(word, "--oauth-", 8) == 0)
		return parse_oauth(st, o, word, err);
	if (strcmp(word, "--version") == 0) {
		o->mode = MODE_VERSION;
		st->explicit = 1;
		return 0;
	}
	if (strcmp(word, "--delete") == 0) {
		o->mode = MODE_DELETE;
		st->explicit = 1;
		return 0;
	}
	if (strcmp(word, "--check") == 0) {
		o->mode = MODE_CHECK;
		st->explicit = 1;
		return 0;
	}
	if (strcmp(word, "--json") == 0) {
		o->json = 1; /* a form of the listing, not a mode */
		return 0;
	}
	if (strcmp(word, "--help") == 0)
		return perr_set(err, EX_USAGE,
		    "--help: the options are below "
		    "and in posta(8)");
	return perr_set(err, EX_USAGE, "unknown option %s", word);
}

/* The arguments after the options, whatever the mode will make of them. */
static int
check_args(const struct cli *st, const struct opts *o, struct perr *err)
{
	int k;

	if (o->nrcpts > MAX_RCPTS)
		return perr_set(err, EX_USAGE,
		    "too many recipients (at most %d)", MAX_RCPTS);
	for (k = 0; k < o->nrcpts; k++) {
		if (has_ctl(o->rcpts[k]))
			return perr_set(err, EX_USAGE,
			    "recipient contains a "
			    "control character");
		if (o->rcpts[k][0] == '-' && !st->dashdash)
			return perr_set(err, EX_USAGE,
			    "option %s after the "
			    "recipients: put options first, or \"--\" before "
			    "a recipient that starts with '-'",
			    o->rcpts[k]);
	}
	return 0;
}

/* What is left once the options are read: the -q rules, the arguments. */
static int
finish(struct cli *st, struct opts *o, struct perr *err)
{
	if (st->qseen && o->mode == MODE_DAEMON) {
		if (!st->qinterval || o->qsel != 0 || st->qfailed)
			return perr_set(err, EX_USAGE,
			    "-b%c takes only a -q "
			    "interval for the queue runner, as in -b%c -q15m",
			    o->loopback_only ? 'l' : 'd',
			    o->loopback_only ? 'l' : 'd');
	} else if (st->qseen && o->mode == MODE_LIST) {
		if (st->qinterval)
			return perr_set(err, EX_USAGE,
			    "a -q interval cannot "
			    "be used when listing the queue");
		o->list_failed = st->qfailed;
	} else if (st->qseen) {
		if (st->explicit)
			return perr_set(err, EX_USAGE,
			    "-q cannot be combined "
			    "with -b modes or long options");
		if (st->qfailed)
			return perr_set(err, EX_USAGE,
			    "-qQ only applies to "
			    "listing the queue: use mailq -qQ or -bp -qQ");
		o->mode = MODE_RUN;
	}
	if (o->json && o->mode != MODE_LIST)
		return perr_set(err, EX_USAGE,
		    "--json only applies to "
		    "listing the queue: posta -bp --json or mailq --json");
	if (check_args(st, o, err) == -1)
		return -1;
	switch (o->mode) {
	case MODE_SEND:
		if (o->nrcpts == 0 && !o->from_headers)
			return perr_set(err, EX_USAGE,
			    "no recipients given "
			    "(use -t to read them from the headers)");
		return 0;
	case MODE_DELETE:
		if (o->nrcpts == 0)
			return perr_set(err, EX_USAGE,
			    "--delete needs one or "
			    "more queue ids");
		return 0;
	case MODE_CHECK:
		if (o->nrcpts > 1)
			return perr_set(err, EX_USAGE,
			    "--check takes at most "
			    "one address, for a test message");
		return 0;
	default:
		if (o->nrcpts > 0)
			return perr_set(err, EX_USAGE,
			    "unexpected argument "
			    "\"%s\": recipients are only taken when sending",
			    o->rcpts[0]);
		return 0;
	}
}

static void
init(struct cli *st, int argc, char *argv[], const char *progname,
    struct opts *o)
{
	memset(st, 0, sizeof(*st));
	st->argc = argc;
	st->argv = argv;
	st->i = argc > 0 ? 1 : 0;
	memset(o, 0, sizeof(*o));
	o->mode = MODE_SEND;
	o->dot_ends = 1;
	o->delivery = -1;
	o->body = BODY_UNSET;
	if (progname != NULL && strcmp(progname, "mailq") == 0) {
		o->mode = MODE_LIST;
		st->explicit = 1;
	} else if (progname != NULL && strcmp(progname, "newaliases") == 0) {
		o->mode = MODE_NOOP;
		st->explicit = 1;
	}
}

int
cli_parse(int argc, char *argv[], const char *progname, struct opts *o,
    struct perr *err)
{
	struct cli st;
	const char *word;

	init(&st, argc, argv, progname, o);
	while (st.i < st.argc) {
		word = st.argv[st.i];
		if (word[0] != '-')
			break;
		st.i++;
		if (strcmp(word, "--") == 0) {
			st.dashdash = 1;
			break;
		}
		if (word[1] == '\0')
			return perr_set(err, EX_USAGE, "unknown option -");
		if (word[1] == '-') {
			if (parse_long(&st, o, word, err) == -1)
				return -1;
		} else if (parse_cluster(&st, o, word, err) == -1)
			return -1;
	}
	o->rcpts = st.argv + st.i;
	o->nrcpts = st.argc - st.i;
	return finish(&st, o, err);
}
