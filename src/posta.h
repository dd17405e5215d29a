/* SPDX-License-Identifier: ISC */
/*
 * Build-wide constants: limits, version, attributes. The default paths
 * are in paths.h, which make writes from SYSCONFDIR and SPOOLDIR.
 * Every limit posta enforces is named here and listed in posta(8).
 *
 * The layers of src/, from the top. A file includes only the headers
 * of its own layer and of the layers below it, so calls and data go
 * down and never back up. A module is a file name without .c or .h;
 * `make lint` checks every #include against this table
 * (tests/layers.sh), and a new module must be added to it.
 *
 *	8 main:      main
 *	7 modes:     submit listen runner mailq mailqjson oauthlogin check
 *	             checkprobe checkpriv
 *	6 policy:    deliver dsn
 *	5 protocol:  smtp smtpd message dlog oauth oauthreq loopback
 *	4 transport: conn http
 *	3 rules:     cli alias sender auth
 *	2 state:     config cfgpriv cfgkeys cfgoauth cfgalias cfgenv secret
 *	             tls tlscert tlscache trust tokcache spool
 *	1 grammar:   addr header esmtp dotstuff json jsonw jwt cidr qualify
 *	             envelope envpriv envfile
 *	0 base:      posta paths util buf perr log b64 tlsparams ossl
 *
 * modes: what main() dispatches to; policy: what is delivered, retried
 * or failed; protocol: SMTP client and -bs server, intake, the log
 * lines of intake and delivery, OAuth;
 * transport: bytes over TCP and TLS; rules: argv, aliases, the sender,
 * SASL; state: the configuration, TLS, secrets, the token cache and the
 * spool; grammar: pure parsers and formats; base: helpers of everyone.
 */
#ifndef POSTA_H
#define POSTA_H

#define POSTA_VERSION "0.1.0"

#define MAX_HEADER_BLOCK (1024 * 1024) /* header section inspected */
#define MAX_RCPTS	 100000	       /* recipients per message */
#define MAX_ADDR	 998	       /* one address, octets */
#define MAX_REPLY_LINES	 50	       /* lines of one SMTP reply */
#define MAX_REPLY_LINE	 1024	       /* octets of one reply line */
#define MAX_REPLY_TEXT	 2048	       /* reply text kept */
#define MAX_AUTH_LINE	 512	       /* AUTH line with CR LF (RFC 4954 4) */
#define PIPELINE_WINDOW	 100	       /* commands sent before reading */
#define MAX_ALIAS_DEPTH	 16	       /* alias-to-alias chain */
#define MAX_SECRET	 16384	       /* password or token */
#define MAX_REASON	 512	       /* one stored reason, octets */
#define MAX_REASONS	 1000	       /* distinct reasons per envelope */
#define MAX_ENVELOPE \
	(128 * 1024 * 1024)	   /* envelope file; at least
					   what MAX_RCPTS, MAX_ADDR and the
					   above can make (envelope.h) */
#define IO_CHUNK	     65536 /* read/write size */
#define FLUSH_BUDGET	     5	   /* seconds of opportunistic flush */
#define BACKOFF_MIN	     60	   /* first retry after, seconds */
#define BACKOFF_MAX	     3600  /* retry at least hourly */
#define DEFAULT_MAX_AGE	     (5 * 24 * 3600) /* then fail definitively */
#define DEFAULT_TIMEOUT	     60		     /* seconds per SMTP step */
#define DEFAULT_SEND_TIMEOUT 30		     /* seconds a caller waits in all */
#define JSON_MAX_DOC	     (64 * 1024)     /* JSON document parsed */
#define JSON_MAX_DEPTH	     32		 /* nested JSON arrays and objects */
#define JSON_MAX_FIELDS	     32		 /* members taken from one document */
#define JSON_MAX_STRING	     (16 * 1024) /* JSON string taken, by default */
#define HTTP_MAX_URL	     2048	 /* an https:// URL */
#define HTTP_MAX_LINE	     8192	 /* one HTTP status or header line */
#define HTTP_MAX_HEADER	     (16 * 1024) /* HTTP response header section */
#define HTTP_MAX_BODY	     (64 * 1024) /* HTTP response body */
#define HTTP_MAX_FORM	     (64 * 1024) /* HTTP request body (a form) */

#define __dead	     __attribute__((__noreturn__))
#define PRINTF(a, b) __attribute__((__format__(__printf__, a, b)))
#define UNUSED	     __attribute__((__unused__))

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif /* POSTA_H */
