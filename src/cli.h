/* SPDX-License-Identifier: ISC */
/*
 * The sendmail command line -> struct opts. No I/O: errors come back
 * in the error record (EX_USAGE) and main() prints them.
 */
#ifndef POSTA_CLI_H
#define POSTA_CLI_H

#include "perr.h"

enum mode {
	MODE_SEND,	    /* -bm, the default: message on stdin */
	MODE_SMTP_STDIO,    /* -bs: SMTP server on stdin/stdout */
	MODE_LIST,	    /* -bp, mailq */
	MODE_RUN,	    /* -q, -qINTERVAL, -qI/-qR/-qS */
	MODE_NOOP,	    /* -bi, newaliases */
	MODE_DELETE,	    /* --delete ID...: remove queued entries */
	MODE_VERSION,	    /* -bV / --version */
	MODE_DAEMON,	    /* -bd, -bD, -bl: SMTP listener, see listen.h */
	MODE_OAUTH_LOGIN,   /* --oauth-login[=device|=loopback:PORT] */
	MODE_OAUTH_IMPORT,  /* --oauth-import: refresh token on stdin */
	MODE_OAUTH_STATUS,  /* --oauth-status */
	MODE_OAUTH_REFRESH, /* --oauth-refresh */
	MODE_CHECK	    /* --check [ADDR]: diagnose, see check.h */
};

enum body_type { BODY_UNSET, BODY_7BIT, BODY_8BITMIME };

struct opts {
	enum mode mode;
	const char *conf_path; /* -C, NULL for the default */
	const char *sender;    /* -f/-r as given, NULL when absent */
	const char *fullname;  /* -F */
	char *const *rcpts;    /* arguments after the options (borrowed) */
	int nrcpts;
	int from_headers; /* -t */
	int dot_ends;	  /* a lone "." ends input; cleared by -i/-oi */
	int verbose;	  /* -v */
	int delivery;	  /* -odi/-odb/-odq as enum delivery_mode, or -1 */
	long interval;	  /* -qINTERVAL in seconds; 0 = one run */
	char qsel;	  /* 'I', 'R', 'S' or 0 (also with 'Q': failed/) */
	const char *qsel_arg;
	int list_failed;	/* -bp -qQ / mailq -qQ: list failed/ */
	int json;		/* -bp --json: the listing as JSON */
	const char *dsn_notify; /* -N */
	const char *dsn_ret;	/* -R */
	const char *dsn_envid;	/* -V */
	enum body_type body;	/* -B */
	int oauth_port;		/* --oauth-login=loopback:PORT; 0: device */
	int loopback_only;	/* -bl: the listener on loopback only */
};

/*
 * Parse argv as sendmail does. progname is the basename of argv[0]:
 * "mailq" selects MODE_LIST, "newaliases" MODE_NOOP. Flags may be
 * clustered where sendmail allows it ("-ti"), option arguments may be
 * attached or separate ("-fme@x", "-f me@x"). "--" ends the options.
 * Accepted and ignored: -o* (except -oi, -od*), -O*, -G, -L TAG, -U,
 * -h N, -m, -n, -X FILE, -bm. -bd and -bD (the listener, always in
 * the foreground) and -bl (the same on loopback only) take a -q
 * interval for a queue runner beside it. Refused with EX_USAGE naming
 * the flag: -bh, -bH, -bt, -bv and any unknown flag, a missing option
 * argument, an invalid -q interval, -N/-R/-B values that are not
 * valid. Returns 0 or -1 with err.
 */
int cli_parse(int argc, char *argv[], const char *progname, struct opts *o,
    struct perr *err);

/* The one-line usage summary printed after a usage error. */
const char *cli_usage(void);

#endif /* POSTA_CLI_H */
