/* SPDX-License-Identifier: ISC */
/*
 * posta --check, the first session with the smart host (checkpriv.h):
 * a probe that walks the dialogue one step at a time (resolve,
 * connect, TLS, greeting, EHLO, STARTTLS, EHLO) and reports each step,
 * with TLS in inspect mode so that a certificate that would be refused
 * can still be described. It sends nothing secret: the login is
 * check.c's, through the code that delivers mail.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "check.h"
#include "checkpriv.h"
#include "conn.h"
#include "esmtp.h"
#include "posta.h"
#include "tls.h"
#include "util.h"

#define CMD_LINE 1024 /* one probe command */

static int
check_resolve(struct check *ck)
{
	const struct config *cfg = ck->cfg;
	struct addrinfo hints, *res = NULL, *ai;
	char list[512], one[INET6_ADDRSTRLEN];
	const void *a;
	size_t len;
	int gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(cfg->host, NULL, &hints, &res)) != 0) {
		if (gai == EAI_NONAME)
			check_say(ck, CHECK_FAIL, EX_NOHOST,
			    "resolve %s: %s: check host", cfg->host,
			    gai_strerror(gai));
		else
			check_say(ck, CHECK_FAIL, EX_UNAVAILABLE,
			    "resolve %s: %s", cfg->host,
			    gai == EAI_SYSTEM ? strerror(errno) :
						gai_strerror(gai));
		return -1;
	}
	list[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			a = &((struct sockaddr_in *)(void *)ai->ai_addr)
				 ->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((struct sockaddr_in6 *)(void *)ai->ai_addr)
				 ->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, a, one, sizeof(one)) == NULL ||
		    strstr(list, one) != NULL)
			continue;
		len = strlen(list);
		if (xsnprintf(list + len, sizeof(list) - len, "%s%s",
			len > 0 ? ", " : "", one) == -1) {
			list[len] = '\0';
			break;
		}
	}
	freeaddrinfo(res);
	check_say(ck, CHECK_OK, 0, "resolve %s: %s", cfg->host, list);
	return 0;
}

/* -v: the probe's dialogue, like smtp.c's transcript. */
static void
trace(const struct check *ck, const char *dir, const char *line)
{
	char clean[MAX_REPLY_LINE + 1];

	if (!ck->p->verbose)
		return;
	(void)xstrlcpy(clean, line, sizeof(clean));
	str_blank_ctl(clean);
	(void)fprintf(stderr, "%s %s\n", dir, clean);
}

static int
probe_reply(struct check *ck, struct conn *c, struct esmtp_reply *r,
    struct perr *err)
{
	char line[MAX_REPLY_LINE + 1];
	int rc;

	memset(r, 0, sizeof(*r));
	do {
		if (conn_getline(c, line, sizeof(line), err) == -1)
			return -1;
		trace(ck, "<<<", line);
		if ((rc = esmtp_reply_feed(r, line, err)) == -1)
			return -1;
	} while (rc == 0);
	return 0;
}

static int
probe_cmd(struct check *ck, struct conn *c, const char *cmd,
    struct esmtp_reply *r, struct perr *err)
{
	trace(ck, ">>>", cmd);
	if (conn_write(c, cmd, strlen(cmd), err) == -1 ||
	    conn_write(c, "\r\n", 2, err) == -1)
		return -1;
	return probe_reply(ck, c, r, err);
}

static void
check_cert(struct check *ck, const struct tls_peer *pe)
{
	const struct config *cfg = ck->cfg;
	char pin[128], date[32], cfgpin[128];
	enum check_level lv;
	struct tm tm;
	long days;

	check_say(ck, CHECK_OK, 0, "certificate subject: %s", pe->subject);
	check_say(ck, CHECK_OK, 0, "certificate issuer: %s", pe->issuer);
	date[0] = '\0';
	if (pe->not_after != 0 && gmtime_r(&pe->not_after, &tm) != NULL)
		(void)strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	lv = check_expiry(pe->not_after, time(NULL), &days);
	if (pe->not_after == 0)
		check_say(ck, CHECK_WARN, 0, "certificate expiry: unknown");
	else if (lv == CHECK_OK)
		check_say(ck, CHECK_OK, 0,
		    "certificate expires %s: %ld days left", date, days);
	else if (lv == CHECK_WARN)
		check_say(ck, CHECK_WARN, 0,
		    "certificate expires in %ld day%s (%s): "
		    "the server's certificate must be renewed",
		    days, days == 1 ? "" : "s", date);
	else
		check_say(ck, cfg->has_pin ? CHECK_WARN : CHECK_FAIL,
		    EX_UNAVAILABLE,
		    "certificate expired %ld day%s ago (%s): the server's "
		    "certificate must be renewed",
		    -days, days == -1 ? "" : "s", date);

	check_pin_text(pe->pin, pin, sizeof(pin));
	if (cfg->has_pin) {
		check_pin_text(cfg->pin, cfgpin, sizeof(cfgpin));
		if (memcmp(pe->pin, cfg->pin, sizeof(pe->pin)) == 0)
			check_say(ck, CHECK_OK, 0,
			    "certificate pin: matches "
			    "fingerprint (name and chain are not checked)");
		else
			check_say(ck, CHECK_FAIL, EX_CONFIG,
			    "certificate pin: the "
			    "server's is fingerprint = %s, not %s: update "
			    "fingerprint if the certificate was replaced",
			    pin, cfgpin);
		return;
	}
	if (pe->name_ok)
		check_say(ck, CHECK_OK, 0, "certificate name: matches %s",
		    cfg->host);
	else
		check_say(ck, CHECK_FAIL, EX_CONFIG,
		    "certificate name: %s is not "
		    "among %s: set host to a name the certificate carries",
		    cfg->host, pe->names[0] != '\0' ? pe->names : pe->subject);
	switch (pe->chain) {
	case TLS_CHAIN_OK:
		check_say(ck, CHECK_OK, 0,
		    "certificate chain: verified against %s",
		    cfg->ca_file != NULL ? cfg->ca_file :
					   "the system trust store");
		break;
	case TLS_CHAIN_UNKNOWN_CA:
		check_say(ck, CHECK_FAIL, EX_CONFIG,
		    "certificate chain: %s (unknown "
		    "CA): set ca_file to the CA that issued it, or fix the "
		    "server's chain",
		    pe->chain_error);
		break;
	default:
		/* an expired certificate: the expiry line said it */
		if (pe->chain != TLS_CHAIN_EXPIRED || lv != CHECK_FAIL)
			check_say(ck, CHECK_FAIL, EX_UNAVAILABLE,
			    "certificate "
			    "chain: %s",
			    pe->chain_error);
		break;
	}
	check_say(ck, CHECK_OK, 0, "certificate pin: fingerprint = %s", pin);
}

/* TLS in inspect mode, then the lines about it and the certificate. */
static int
probe_tls(struct check *ck, struct conn *c, struct perr *err)
{
	struct tls_params tp;
	struct tls_peer pe;

	memset(&tp, 0, sizeof(tp));
	tp.servername = ck->cfg->host;
	tp.ca_file = ck->cfg->ca_file;
	tp.cert_file = ck->cfg->cert_file;
	tp.key_file = ck->cfg->key_file;
	tp.min_version = ck->cfg->tls_min_version;
	if (conn_start_tls_inspect(c, &tp, err) == -1)
		return -1;
	check_say(ck, CHECK_OK, 0, "TLS: %s", conn_tls_describe(c));
	if (tls_peer(c->tls, ck->cfg->host, &pe, err) == -1)
		return -1;
	check_cert(ck, &pe);
	return 0;
}

/*
 * tls = starttls got no greeting: a server that waits for a TLS
 * handshake is an implicit TLS port.
 */
static int
speaks_tls(struct check *ck)
{
	const struct config *cfg = ck->cfg;
	struct tls_params tp;
	struct perr e = { 0, "" };
	struct conn c;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	memset(&tp, 0, sizeof(tp));
	tp.servername = cfg->host;
	if (conn_open(&c, cfg->host, cfg->port, CHECK_GREETING_WAIT, &e) == 0 &&
	    conn_start_tls_inspect(&c, &tp, &e) == 0)
		rc = 1;
	conn_close(&c);
	return rc;
}

/* tls = implicit failed its handshake: does the port greet in clear? */
static int
speaks_plain(struct check *ck)
{
	const struct config *cfg = ck->cfg;
	struct perr e = { 0, "" };
	struct conn c;
	char line[MAX_REPLY_LINE + 1];
	int rc = 0;

	memset(&c, 0, sizeof(c));
	if (conn_open(&c, cfg->host, cfg->port, CHECK_GREETING_WAIT, &e) == 0 &&
	    conn_getline(&c, line, sizeof(line), &e) >= 0 &&
	    strncmp(line, "220", 3) == 0)
		rc = 1;
	conn_close(&c);
	return rc;
}

static int
probe_greeting(struct check *ck, struct conn *c)
{
	const struct config *cfg = ck->cfg;
	struct perr e = { 0, "" };
	char line[MAX_REPLY_TEXT + 16];
	struct esmtp_reply r;

	if (cfg->tls != TLS_IMPLICIT && cfg->timeout > CHECK_GREETING_WAIT)
		conn_set_timeout(c, CHECK_GREETING_WAIT);
	if (probe_reply(ck, c, &r, &e) == -1) {
		if (cfg->tls != TLS_IMPLICIT && speaks_tls(ck))
			check_say(ck, CHECK_FAIL, EX_CONFIG,
			    "greeting: none, but "
			    "the server speaks TLS at once: port %d is an "
			    "implicit TLS port: set tls = implicit",
			    cfg->port);
		else
			check_say(ck, CHECK_FAIL, EX_UNAVAILABLE,
			    "greeting: %s", e.msg);
		return -1;
	}
	conn_set_timeout(c, cfg->timeout);
	if (r.code != 220) {
		check_say(ck, CHECK_FAIL,
		    r.code / 100 == 4 ? EX_TEMPFAIL : EX_UNAVAILABLE,
		    "greeting: %s: the server refuses this "
		    "client",
		    esmtp_reply_line(&r, line, sizeof(line)));
		return -1;
	}
	check_say(ck, CHECK_OK, 0, "greeting: %s",
	    esmtp_reply_line(&r, line, sizeof(line)));
	return 0;
}

/* EHLO; the offer goes into the arguments. */
static int
probe_ehlo(struct check *ck, struct conn *c, char *text, size_t cap, int *ext,
    unsigned long long *size_max, char *auth, size_t acap)
{
	char name[256], cmd[CMD_LINE], line[MAX_REPLY_TEXT + 16];
	struct perr e = { 0, "" };
	struct esmtp_reply r;

	if (ck->cfg->helo != NULL && ck->cfg->helo[0] != '\0')
		(void)xstrlcpy(name, ck->cfg->helo, sizeof(name));
	else
		host_name(name, sizeof(name));
	(void)xsnprintf(cmd, sizeof(cmd), "EHLO %s", name);
	if (probe_cmd(ck, c, cmd, &r, &e) == -1) {
		check_say(ck, CHECK_FAIL, EX_UNAVAILABLE, "EHLO: %s", e.msg);
		return -1;
	}
	/* smtp.c falls back to HELO when it needs neither TLS nor AUTH */
	if (r.code / 100 == 5 && ck->cfg->tls == TLS_NONE &&
	    (ck->cfg->username == NULL || ck->cfg->username[0] == '\0')) {
		check_say(ck, CHECK_WARN, 0,
		    "EHLO refused (%s): posta will use "
		    "HELO, without extensions",
		    esmtp_reply_line(&r, line, sizeof(line)));
		*ext = 0;
		*size_max = 0;
		auth[0] = '\0';
		text[0] = '\0';
		return 0;
	}
	if (r.code != 250) {
		check_say(ck, CHECK_FAIL, EX_UNAVAILABLE, "EHLO %s: %s", name,
		    esmtp_reply_line(&r, line, sizeof(line)));
		return -1;
	}
	*ext = esmtp_ehlo_parse(r.text, size_max, auth, acap);
	(void)xstrlcpy(text, r.text, cap);
	return 0;
}

static int
probe_starttls(struct check *ck, struct conn *c, int ext)
{
	const struct config *cfg = ck->cfg;
	char line[MAX_REPLY_TEXT + 16];
	struct perr e = { 0, "" };
	struct esmtp_reply r;

	if (!(ext & ESMTP_EXT_STARTTLS)) {
		check_say(ck, CHECK_FAIL, EX_CONFIG,
		    "STARTTLS: not offered by "
		    "%s:%d: use the provider's submission port with TLS (587 "
		    "with tls = starttls, or 465 with tls = implicit)",
		    cfg->host, cfg->port);
		return -1;
	}
	if (probe_cmd(ck, c, "STARTTLS", &r, &e) == -1) {
		check_say(ck, CHECK_FAIL, EX_UNAVAILABLE, "STARTTLS: %s",
		    e.msg);
		return -1;
	}
	if (r.code != 220) {
		check_say(ck, CHECK_FAIL, EX_UNAVAILABLE,
		    "STARTTLS refused: %s",
		    esmtp_reply_line(&r, line, sizeof(line)));
		return -1;
	}
	if (probe_tls(ck, c, &e) == -1) {
		check_say(ck, CHECK_FAIL, EX_UNAVAILABLE, "TLS: %s", e.msg);
		return -1;
	}
	return 0;
}

/* The EHLO keywords but AUTH and SIZE, which get lines of their own. */
static void
keywords(const char *text, char *buf, size_t cap)
{
	const char *p, *eol;
	size_t len, kw, n;

	buf[0] = '\0';
	for (p = strchr(text, '\n'); p != NULL; p = eol) {
		p++;
		eol = strchr(p, '\n');
		len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		kw = strcspn(p, " =\n");
		if (kw > len)
			kw = len;
		if ((kw == 4 &&
			(strncasecmp(p, "AUTH", 4) == 0 ||
			    strncasecmp(p, "SIZE", 4) == 0)) ||
		    kw == 0)
			continue;
		n = strlen(buf);
		if (n + kw + 2 >= cap)
			break;
		if (n > 0)
			buf[n++] = ' ';
		memcpy(buf + n, p, kw);
		buf[n + kw] = '\0';
	}
}

static void
check_offer(struct check *ck, const char *text, int ext,
    unsigned long long size_max, const char *auth)
{
	const struct config *cfg = ck->cfg;
	int login = cfg->username != NULL && cfg->username[0] != '\0';
	char list[512], hint[256];

	if ((ext & ESMTP_EXT_SIZE) && size_max > 0)
		check_say(ck, CHECK_OK, 0,
		    "SIZE: messages up to %llu octets (%.1f MB)", size_max,
		    (double)size_max / (1024 * 1024));
	else
		check_say(ck, CHECK_OK, 0, "SIZE: no limit announced");
	keywords(text, list, sizeof(list));
	check_say(ck, CHECK_OK, 0, "extensions: %s",
	    list[0] != '\0' ? list : "none");
	if (!login) {
		check_say(ck, CHECK_OK, 0, "AUTH: %s%s (not used: no username)",
		    (ext & ESMTP_EXT_AUTH) ? "offered " : "not offered",
		    (ext & ESMTP_EXT_AUTH) ? auth : "");
		return;
	}
	if (!(ext & ESMTP_EXT_AUTH)) {
		check_say(ck, CHECK_FAIL, EX_CONFIG,
		    "AUTH: not offered%s: check "
		    "host and port, or remove username if this server needs "
		    "no login",
		    cfg->tls == TLS_NONE ? " without TLS" : "");
		return;
	}
	if (check_auth_hint(auth, cfg->auth, hint, sizeof(hint)) == 0) {
		(void)xstrlcpy(ck->mech, hint, sizeof(ck->mech));
		check_say(ck, CHECK_OK, 0, "AUTH: offered %s; posta uses %s",
		    auth, hint);
	} else
		check_say(ck, CHECK_FAIL, EX_CONFIG,
		    "the server offers AUTH %s: %s", auth, hint);
}

/* The first session: every step on its own line. */
static int
probe(struct check *ck)
{
	const struct config *cfg = ck->cfg;
	char text[MAX_REPLY_TEXT], auth[MAX_REPLY_LINE];
	unsigned long long size_max = 0;
	struct perr e = { 0, "" };
	struct esmtp_reply r;
	struct conn c;
	double t0;
	int ext = 0, rc = -1;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	t0 = mono_now();
	if (conn_open(&c, cfg->host, cfg->port, cfg->timeout, &e) == -1) {
		check_say(ck, CHECK_FAIL, EX_UNAVAILABLE,
		    "connect: %s: check host "
		    "and port, and that a firewall lets the connection out",
		    e.msg);
		goto out;
	}
	check_say(ck, CHECK_OK, 0, "connect: %s in %.0f ms", c.peer,
	    (mono_now() - t0) * 1000);
	if (cfg->tls == TLS_IMPLICIT && probe_tls(ck, &c, &e) == -1) {
		if (speaks_plain(ck))
			check_say(ck, CHECK_FAIL, EX_CONFIG,
			    "TLS: %s: port %d "
			    "greets in clear text, it is not an implicit TLS "
			    "port: set tls = starttls",
			    e.msg, cfg->port);
		else
			check_say(ck, CHECK_FAIL, EX_UNAVAILABLE, "TLS: %s",
			    e.msg);
		goto out;
	}
	if (probe_greeting(ck, &c) == -1 ||
	    probe_ehlo(ck, &c, text, sizeof(text), &ext, &size_max, auth,
		sizeof(auth)) == -1)
		goto out;
	if (cfg->tls == TLS_STARTTLS &&
	    (probe_starttls(ck, &c, ext) == -1 ||
		probe_ehlo(ck, &c, text, sizeof(text), &ext, &size_max, auth,
		    sizeof(auth)) == -1))
		goto out;
	if (cfg->tls == TLS_NONE && (ext & ESMTP_EXT_STARTTLS))
		check_say(ck, CHECK_WARN, 0,
		    "STARTTLS: offered but not used: set tls = starttls");
	check_offer(ck, text, ext, size_max, auth);
	(void)probe_cmd(ck, &c, "QUIT", &r, &e);
	rc = 0;
out:
	conn_close(&c);
	return rc;
}

int
check_probe(struct check *ck)
{
	if (check_resolve(ck) == -1)
		return -1;
	return probe(ck);
}
