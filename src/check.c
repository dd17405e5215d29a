/* SPDX-License-Identifier: ISC */
/*
 * posta --check. Two sessions with the smart host:
 *
 *   1. a probe that walks the dialogue one step at a time (connect,
 *      TLS, greeting, EHLO, STARTTLS, EHLO) and reports each step,
 *      with TLS in inspect mode so that a certificate that would be
 *      refused can still be described;
 *   2. when the probe found nothing fatal, smtp_open(): the code that
 *      delivers mail logs in with whatever secret source it uses, so a
 *      passing check means delivery can log in too; with ADDR the test
 *      message goes over that session with smtp_send().
 *
 * A FAIL is worth one sysexits code, chosen by who has to act:
 * EX_CONFIG when posta.conf must change, EX_NOPERM when the smart host
 * refuses the credentials, EX_NOHOST when the name does not resolve,
 * EX_UNAVAILABLE when the server or the network is at fault,
 * EX_TEMPFAIL when the server says "try later".
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "auth.h"
#include "check.h"
#include "conn.h"
#include "oauth.h"
#include "posta.h"
#include "secret.h"
#include "sender.h"
#include "smtp.h"
#include "spool.h"
#include "tls.h"
#include "util.h"

#define CMD_LINE	1024	/* one probe command */
#define LINE_MAX_OUT	2048	/* one output line */

struct check {
	const struct check_params *p;
	const struct config	*cfg;
	int			 n[4];		/* lines per enum check_level */
	int			 ex;		/* code of the first FAIL */
	char			 mech[32];	/* AUTH mechanism to be used */
	char			 rcpt[MAX_ADDR + 1];	/* the test message's */
	struct esmtp_reply	 rcpt_reply;	/* the server's word on it */
};

static const char *const level_word[] = {
	"ok", "warning", "FAIL", "skip"
};

static void PRINTF(4, 5)
say(struct check *ck, enum check_level lv, int ex, const char *fmt, ...)
{
	char line[LINE_MAX_OUT], *s;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* replies and certificates come from the network */
	for (s = line; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	ck->n[lv]++;
	if (lv == CHECK_FAIL && ck->ex == 0)
		ck->ex = ex != 0 ? ex : EX_SOFTWARE;
	(void)fprintf(ck->p->out, "%-8s %s\n", level_word[lv], line);
	(void)fflush(ck->p->out);
}

static int
summary(struct check *ck)
{
	(void)fprintf(ck->p->out, "check: %d ok, %d warning%s, %d failed%s\n",
	    ck->n[CHECK_OK], ck->n[CHECK_WARN], ck->n[CHECK_WARN] == 1 ? "" :
	    "s", ck->n[CHECK_FAIL], ck->n[CHECK_SKIP] > 0 ? ", some skipped" :
	    "");
	(void)fflush(ck->p->out);
	if (ck->n[CHECK_FAIL] > 0)
		return ck->ex;
	return ck->n[CHECK_WARN] > 0 ? 1 : 0;
}

enum check_level
check_expiry(time_t not_after, time_t now, long *days)
{
	long long d = (long long)not_after - (long long)now;

	/* whole days, rounded towards minus infinity: -0.5 d is "expired" */
	*days = (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
	if (d <= 0)
		return CHECK_FAIL;
	if (*days < CHECK_EXPIRY_WARN)
		return CHECK_WARN;
	return CHECK_OK;
}

void
check_pin_text(const unsigned char pin[32], char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n;

	if (cap < 7 + 32 * 3)
		return;
	memcpy(buf, "sha256:", 7);
	n = 7;
	for (i = 0; i < 32; i++) {
		if (i > 0)
			buf[n++] = ':';
		buf[n++] = hex[pin[i] >> 4];
		buf[n++] = hex[pin[i] & 0x0f];
	}
	buf[n] = '\0';
}

/* 1 when the offer (space separated, any case) holds word. */
static int
offers(const char *offered, const char *word)
{
	size_t n = strlen(word), len;
	const char *p = offered;

	while (*p != '\0') {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (len == n && strncasecmp(p, word, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

int
check_auth_hint(const char *offered, enum auth_mech want, char *buf,
    size_t cap)
{
	struct perr e = { 0, "" };
	enum auth_mech m;
	char lower[32];

	if (auth_pick(offered, want, &m, &e) == 0) {
		(void)xstrlcpy(buf, auth_name(m), cap);
		return 0;
	}
	perr_clear(&e);
	if (auth_pick(offered, AUTH_AUTO, &m, &e) == 0) {
		(void)xstrlcpy(lower, auth_name(m), sizeof(lower));
		str_lower(lower);
		(void)xsnprintf(buf, cap, "set auth = %s (or auto)", lower);
	} else if (offers(offered, "XOAUTH2"))
		(void)xstrlcpy(buf, "set auth = xoauth2: this server wants "
		    "an OAuth token, not a password", cap);
	else
		(void)xstrlcpy(buf, "posta supports none of them; ask the "
		    "provider for PLAIN, LOGIN, CRAM-MD5 or SCRAM-SHA-256",
		    cap);
	return -1;
}

/* The configuration, as far as it can be judged without the network. */
static void
check_settings(struct check *ck)
{
	const struct config *cfg = ck->cfg;

	if (cfg->path != NULL)
		say(ck, CHECK_OK, 0, "configuration: %s", cfg->path);
	else
		say(ck, CHECK_OK, 0, "configuration: from the environment "
		    "(no file)");
	if (cfg->tls == TLS_NONE)
		say(ck, CHECK_WARN, 0, "tls = none: mail to %s:%d travels in "
		    "clear text; set tls = starttls or implicit if the "
		    "server offers it", cfg->host, cfg->port);
}

/*
 * The secret delivery would use: with [oauth] and auth = xoauth2 or
 * oauthbearer that is a current access token (renewed here when due,
 * exactly as a delivery would), else the password source.
 */
static int
check_secret(struct check *ck)
{
	const struct config *cfg = ck->cfg;
	char secret[MAX_SECRET + 1];
	struct perr e = { 0, "" };
	int rc = 0;

	if (cfg->username == NULL || cfg->username[0] == '\0') {
		say(ck, CHECK_OK, 0, "credentials: none configured (no "
		    "username): posta will not log in");
		return 0;
	}
	if (cfg->oauth.set && (cfg->auth == AUTH_XOAUTH2 ||
	    cfg->auth == AUTH_OAUTHBEARER)) {
		if (oauth_token(cfg, 0, secret, sizeof(secret), &e) == -1) {
			say(ck, CHECK_FAIL, e.code, "credentials: OAuth token: "
			    "%s", e.msg);
			rc = -1;
		} else
			say(ck, CHECK_OK, 0, "credentials: %s, OAuth access "
			    "token from %s", cfg->username,
			    cfg->oauth.token_url);
	} else if (secret_get(cfg, secret, sizeof(secret), &e) == -1) {
		say(ck, CHECK_FAIL, e.code, "credentials: %s", e.msg);
		rc = -1;
	} else if (cfg->password_file != NULL)
		say(ck, CHECK_OK, 0, "credentials: %s, password from %s",
		    cfg->username, cfg->password_file);
	else if (cfg->password_command != NULL)
		say(ck, CHECK_OK, 0, "credentials: %s, password from "
		    "password_command", cfg->username);
	else
		say(ck, CHECK_OK, 0, "credentials: %s, password in the "
		    "configuration", cfg->username);
	secret_wipe(secret, sizeof(secret));
	return rc;
}

/* Names in the directory dirfd but dot files; dirfd stays open. */
static long
count_files(int dirfd)
{
	struct dirent *d;
	DIR *dir;
	long n = 0;
	int fd;

	if (dirfd == -1 || (fd = dup(dirfd)) == -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	rewinddir(dir);
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	(void)closedir(dir);
	return n;
}

static void
check_queue(struct check *ck, struct spool *sp)
{
	struct spool_entry ent;
	struct perr e = { 0, "" };
	char **ids = NULL, age[32];
	size_t nids = 0;
	time_t now = time(NULL);

	if (spool_list(sp, 0, &ids, &nids, &e) == -1) {
		say(ck, CHECK_WARN, 0, "queue: %s", e.msg);
		return;
	}
	if (nids == 0)
		say(ck, CHECK_OK, 0, "queue: empty");
	else if (spool_peek(sp, ids[0], 0, &ent, &e) != 0)
		say(ck, CHECK_WARN, 0, "queue: %zu queued; the oldest cannot "
		    "be read: %s", nids, e.code != 0 ? e.msg : "gone");
	else {
		fmt_duration(now - ent.env.created, age, sizeof(age));
		if (now - ent.env.created >= CHECK_QUEUE_WARN)
			say(ck, CHECK_WARN, 0, "queue: %zu queued, the oldest "
			    "for %s: see its last error with posta -bp", nids,
			    age);
		else
			say(ck, CHECK_OK, 0, "queue: %zu queued, the oldest "
			    "for %s", nids, age);
		spool_release(&ent);
	}
	spool_list_free(ids, nids);
}

/* The spool: queued entries, the oldest one's age, failed/, corrupt/. */
static void
check_spool(struct check *ck)
{
	const char *dir = ck->cfg->spooldir;
	struct perr e = { 0, "" };
	struct spool sp;
	struct stat st;
	char **ids = NULL;
	size_t nids = 0;
	long n;

	if (stat(dir, &st) == -1 && errno == ENOENT) {
		say(ck, CHECK_OK, 0, "spool %s: not created yet, nothing "
		    "queued", dir);
		return;
	}
	if (spool_open(&sp, dir, 0, &e) == -1) {
		say(ck, CHECK_WARN, 0, "spool: %s", e.msg);
		return;
	}
	say(ck, CHECK_OK, 0, "spool: %s", dir);
	check_queue(ck, &sp);
	if (spool_list(&sp, 1, &ids, &nids, &e) == -1)
		say(ck, CHECK_WARN, 0, "failed: %s", e.msg);
	else if (nids > 0)
		say(ck, CHECK_WARN, 0, "failed: %zu entr%s: see posta -bp -qQ, "
		    "remove with posta --delete ID", nids, nids == 1 ? "y" :
		    "ies");
	else
		say(ck, CHECK_OK, 0, "failed: none");
	spool_list_free(ids, nids);
	if ((n = count_files(sp.corruptfd)) > 0)
		say(ck, CHECK_WARN, 0, "corrupt: %ld file%s in %s/corrupt: "
		    "look at them, then remove them", n, n == 1 ? "" : "s",
		    dir);
	spool_close(&sp);
}

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
			say(ck, CHECK_FAIL, EX_NOHOST, "resolve %s: %s: check "
			    "host", cfg->host, gai_strerror(gai));
		else
			say(ck, CHECK_FAIL, EX_UNAVAILABLE, "resolve %s: %s",
			    cfg->host, gai == EAI_SYSTEM ? strerror(errno) :
			    gai_strerror(gai));
		return -1;
	}
	list[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			a = &((struct sockaddr_in *)(void *)ai->ai_addr)->
			    sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((struct sockaddr_in6 *)(void *)ai->ai_addr)->
			    sin6_addr;
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
	say(ck, CHECK_OK, 0, "resolve %s: %s", cfg->host, list);
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

	say(ck, CHECK_OK, 0, "certificate subject: %s", pe->subject);
	say(ck, CHECK_OK, 0, "certificate issuer: %s", pe->issuer);
	date[0] = '\0';
	if (pe->not_after != 0 && gmtime_r(&pe->not_after, &tm) != NULL)
		(void)strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	lv = check_expiry(pe->not_after, time(NULL), &days);
	if (pe->not_after == 0)
		say(ck, CHECK_WARN, 0, "certificate expiry: unknown");
	else if (lv == CHECK_OK)
		say(ck, CHECK_OK, 0, "certificate expires %s: %ld days left",
		    date, days);
	else if (lv == CHECK_WARN)
		say(ck, CHECK_WARN, 0, "certificate expires in %ld day%s (%s): "
		    "the server's certificate must be renewed", days,
		    days == 1 ? "" : "s", date);
	else
		say(ck, cfg->has_pin ? CHECK_WARN : CHECK_FAIL, EX_UNAVAILABLE,
		    "certificate expired %ld day%s ago (%s): the server's "
		    "certificate must be renewed", -days, days == -1 ? "" : "s",
		    date);

	check_pin_text(pe->pin, pin, sizeof(pin));
	if (cfg->has_pin) {
		check_pin_text(cfg->pin, cfgpin, sizeof(cfgpin));
		if (memcmp(pe->pin, cfg->pin, sizeof(pe->pin)) == 0)
			say(ck, CHECK_OK, 0, "certificate pin: matches "
			    "fingerprint (name and chain are not checked)");
		else
			say(ck, CHECK_FAIL, EX_CONFIG, "certificate pin: the "
			    "server's is fingerprint = %s, not %s: update "
			    "fingerprint if the certificate was replaced", pin,
			    cfgpin);
		return;
	}
	if (pe->name_ok)
		say(ck, CHECK_OK, 0, "certificate name: matches %s", cfg->host);
	else
		say(ck, CHECK_FAIL, EX_CONFIG, "certificate name: %s is not "
		    "among %s: set host to a name the certificate carries",
		    cfg->host, pe->names[0] != '\0' ? pe->names : pe->subject);
	switch (pe->chain) {
	case TLS_CHAIN_OK:
		say(ck, CHECK_OK, 0, "certificate chain: verified against %s",
		    cfg->ca_file != NULL ? cfg->ca_file : "the system trust "
		    "store");
		break;
	case TLS_CHAIN_UNKNOWN_CA:
		say(ck, CHECK_FAIL, EX_CONFIG, "certificate chain: %s (unknown "
		    "CA): set ca_file to the CA that issued it, or fix the "
		    "server's chain", pe->chain_error);
		break;
	default:
		/* an expired certificate: the expiry line said it */
		if (pe->chain != TLS_CHAIN_EXPIRED || lv != CHECK_FAIL)
			say(ck, CHECK_FAIL, EX_UNAVAILABLE, "certificate "
			    "chain: %s", pe->chain_error);
		break;
	}
	say(ck, CHECK_OK, 0, "certificate pin: fingerprint = %s", pin);
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
	say(ck, CHECK_OK, 0, "TLS: %s", conn_tls_describe(c));
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
	if (conn_open(&c, cfg->host, cfg->port, CHECK_GREETING_WAIT,
	    &e) == 0 && conn_start_tls_inspect(&c, &tp, &e) == 0)
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
	if (conn_open(&c, cfg->host, cfg->port, CHECK_GREETING_WAIT,
	    &e) == 0 && conn_getline(&c, line, sizeof(line), &e) >= 0 &&
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
			say(ck, CHECK_FAIL, EX_CONFIG, "greeting: none, but "
			    "the server speaks TLS at once: port %d is an "
			    "implicit TLS port: set tls = implicit", cfg->port);
		else
			say(ck, CHECK_FAIL, EX_UNAVAILABLE, "greeting: %s",
			    e.msg);
		return -1;
	}
	conn_set_timeout(c, cfg->timeout);
	if (r.code != 220) {
		say(ck, CHECK_FAIL, r.code / 100 == 4 ? EX_TEMPFAIL :
		    EX_UNAVAILABLE, "greeting: %s: the server refuses this "
		    "client", esmtp_reply_line(&r, line, sizeof(line)));
		return -1;
	}
	say(ck, CHECK_OK, 0, "greeting: %s", esmtp_reply_line(&r, line,
	    sizeof(line)));
	return 0;
}

/* EHLO; the offer goes into the arguments. */
static int
probe_ehlo(struct check *ck, struct conn *c, char *text, size_t cap,
    int *ext, unsigned long long *size_max, char *auth, size_t acap)
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
		say(ck, CHECK_FAIL, EX_UNAVAILABLE, "EHLO: %s", e.msg);
		return -1;
	}
	/* smtp.c falls back to HELO when it needs neither TLS nor AUTH */
	if (r.code / 100 == 5 && ck->cfg->tls == TLS_NONE &&
	    (ck->cfg->username == NULL || ck->cfg->username[0] == '\0')) {
		say(ck, CHECK_WARN, 0, "EHLO refused (%s): posta will use "
		    "HELO, without extensions", esmtp_reply_line(&r, line,
		    sizeof(line)));
		*ext = 0;
		*size_max = 0;
		auth[0] = '\0';
		text[0] = '\0';
		return 0;
	}
	if (r.code != 250) {
		say(ck, CHECK_FAIL, EX_UNAVAILABLE, "EHLO %s: %s", name,
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
		say(ck, CHECK_FAIL, EX_CONFIG, "STARTTLS: not offered by "
		    "%s:%d: use the provider's submission port with TLS (587 "
		    "with tls = starttls, or 465 with tls = implicit)",
		    cfg->host, cfg->port);
		return -1;
	}
	if (probe_cmd(ck, c, "STARTTLS", &r, &e) == -1) {
		say(ck, CHECK_FAIL, EX_UNAVAILABLE, "STARTTLS: %s", e.msg);
		return -1;
	}
	if (r.code != 220) {
		say(ck, CHECK_FAIL, EX_UNAVAILABLE, "STARTTLS refused: %s",
		    esmtp_reply_line(&r, line, sizeof(line)));
		return -1;
	}
	if (probe_tls(ck, c, &e) == -1) {
		say(ck, CHECK_FAIL, EX_UNAVAILABLE, "TLS: %s", e.msg);
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
		if ((kw == 4 && (strncasecmp(p, "AUTH", 4) == 0 ||
		    strncasecmp(p, "SIZE", 4) == 0)) || kw == 0)
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
		say(ck, CHECK_OK, 0, "SIZE: messages up to %llu octets (%.1f "
		    "MB)", size_max, (double)size_max / (1024 * 1024));
	else
		say(ck, CHECK_OK, 0, "SIZE: no limit announced");
	keywords(text, list, sizeof(list));
	say(ck, CHECK_OK, 0, "extensions: %s", list[0] != '\0' ? list :
	    "none");
	if (!login) {
		say(ck, CHECK_OK, 0, "AUTH: %s%s (not used: no username)",
		    (ext & ESMTP_EXT_AUTH) ? "offered " : "not offered",
		    (ext & ESMTP_EXT_AUTH) ? auth : "");
		return;
	}
	if (!(ext & ESMTP_EXT_AUTH)) {
		say(ck, CHECK_FAIL, EX_CONFIG, "AUTH: not offered%s: check "
		    "host and port, or remove username if this server needs "
		    "no login", cfg->tls == TLS_NONE ? " without TLS" : "");
		return;
	}
	if (check_auth_hint(auth, cfg->auth, hint, sizeof(hint)) == 0) {
		(void)xstrlcpy(ck->mech, hint, sizeof(ck->mech));
		say(ck, CHECK_OK, 0, "AUTH: offered %s; posta uses %s", auth,
		    hint);
	} else
		say(ck, CHECK_FAIL, EX_CONFIG, "the server offers AUTH %s: %s",
		    auth, hint);
}

/* The first session: every step on its own line. */
static int
probe(struct check *ck)
{
	const struct config *cfg = ck->cfg;
	char text[MAX_REPLY_TEXT], auth[256];
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
		say(ck, CHECK_FAIL, EX_UNAVAILABLE, "connect: %s: check host "
		    "and port, and that a firewall lets the connection out",
		    e.msg);
		goto out;
	}
	say(ck, CHECK_OK, 0, "connect: %s in %.0f ms", c.peer,
	    (mono_now() - t0) * 1000);
	if (cfg->tls == TLS_IMPLICIT && probe_tls(ck, &c, &e) == -1) {
		if (speaks_plain(ck))
			say(ck, CHECK_FAIL, EX_CONFIG, "TLS: %s: port %d "
			    "greets in clear text, it is not an implicit TLS "
			    "port: set tls = starttls", e.msg, cfg->port);
		else
			say(ck, CHECK_FAIL, EX_UNAVAILABLE, "TLS: %s", e.msg);
		goto out;
	}
	if (probe_greeting(ck, &c) == -1 ||
	    probe_ehlo(ck, &c, text, sizeof(text), &ext, &size_max, auth,
	    sizeof(auth)) == -1)
		goto out;
	if (cfg->tls == TLS_STARTTLS && (probe_starttls(ck, &c, ext) == -1 ||
	    probe_ehlo(ck, &c, text, sizeof(text), &ext, &size_max, auth,
	    sizeof(auth)) == -1))
		goto out;
	if (cfg->tls == TLS_NONE && (ext & ESMTP_EXT_STARTTLS))
		say(ck, CHECK_WARN, 0, "STARTTLS: offered but not used: set "
		    "tls = starttls");
	check_offer(ck, text, ext, size_max, auth);
	(void)probe_cmd(ck, &c, "QUIT", &r, &e);
	rc = 0;
out:
	conn_close(&c);
	return rc;
}

/* A refused login, with what to do about it. */
static void
login_failed(struct check *ck, const struct esmtp_reply *last,
    const struct perr *e)
{
	char line[MAX_REPLY_TEXT + 16];

	if (last->code == 0) {
		say(ck, CHECK_FAIL, e->code == EX_CONFIG ? EX_CONFIG :
		    EX_UNAVAILABLE, "login: %s", e->msg);
		return;
	}
	esmtp_reply_line(last, line, sizeof(line));
	if (last->code == 535)
		say(ck, CHECK_FAIL, EX_NOPERM, "login: wrong password: %s: "
		    "check username %s and the password", line,
		    ck->cfg->username);
	else if (last->code == 534 || last->code == 538)
		say(ck, CHECK_FAIL, EX_NOPERM, "login: %s: the provider wants "
		    "another way to log in (an app password, OAuth or a "
		    "stronger mechanism)", line);
	else if (last->code / 100 == 4)
		say(ck, CHECK_FAIL, EX_TEMPFAIL, "login: %s: the server is "
		    "busy or limits logins; try again later", line);
	else
		say(ck, CHECK_FAIL, EX_NOPERM, "login: %s", line);
}

/* The reply to the test message, or the step that refused it. */
static void
tx_report(struct check *ck, const struct smtp_tx *tx, const char *sender)
{
	char line[MAX_REPLY_TEXT + 16];
	const struct esmtp_reply *r;

	r = &tx->mail;
	if (r->code / 100 != 2) {
		say(ck, CHECK_FAIL, r->code / 100 == 4 ? EX_TEMPFAIL :
		    EX_CONFIG, "test "
		    "message: MAIL FROM:<%s> refused: %s: set [sender] from to "
		    "an address this account may send as", sender,
		    esmtp_reply_line(r, line, sizeof(line)));
		return;
	}
	r = &ck->rcpt_reply;
	if (tx->rcpts[0].code / 100 != 2) {
		say(ck, CHECK_FAIL, r->code / 100 == 4 ? EX_TEMPFAIL :
		    EX_UNAVAILABLE, "test message: RCPT TO:<%s> refused: %s",
		    ck->rcpt, esmtp_reply_line(r, line, sizeof(line)));
		return;
	}
	r = &tx->data;
	if (r->code / 100 != 2)
		say(ck, CHECK_FAIL, r->code / 100 == 4 ? EX_TEMPFAIL :
		    EX_UNAVAILABLE, "test message to %s refused: %s", ck->rcpt,
		    esmtp_reply_line(r, line, sizeof(line)));
	else
		say(ck, CHECK_OK, 0, "test message to %s: %s", ck->rcpt,
		    esmtp_reply_line(r, line, sizeof(line)));
}

static int
write_test(struct check *ck, FILE *f, const char *sender)
{
	char date[64], host[256];
	struct tm tm;
	time_t now = time(NULL);

	host_name(host, sizeof(host));
	(void)localtime_r(&now, &tm);
	(void)strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	(void)fprintf(f, "From: posta check <%s>\r\nTo: <%s>\r\n"
	    "Subject: posta --check test message\r\nDate: %s\r\n"
	    "Message-ID: <check.%lld.%ld@%s>\r\n"
	    "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "This is a test message from posta --check on %s,\r\n"
	    "sent through %s:%d.\r\n", sender, ck->rcpt, date,
	    (long long)now, (long)getpid(), host, host, ck->cfg->host,
	    ck->cfg->port);
	if (fflush(f) != 0 || ferror(f))
		return -1;
	return 0;
}

/* smtp_send() hands each RCPT reply here: keep the one of the test. */
static void
keep_rcpt_reply(void *arg, size_t i, const struct esmtp_reply *r)
{
	struct check *ck = arg;

	if (i == 0)
		ck->rcpt_reply = *r;
}

static void
send_test(struct check *ck, struct smtp *s)
{
	char sender[MAX_ADDR + 1];
	struct perr e = { 0, "" };
	struct smtp_rcpt rc;
	const char *why;
	struct smtp_tx tx;
	FILE *f;
	long size;

	/* the sender of a message sent without -f (sender.h) */
	(void)sender_envelope(ck->cfg, NULL, sender, sizeof(sender), &why);
	if ((f = tmpfile()) == NULL || write_test(ck, f, sender) == -1 ||
	    (size = ftell(f)) < 0) {
		say(ck, CHECK_FAIL, EX_CANTCREAT, "test message: cannot write "
		    "a temporary file: %s", strerror(errno));
		goto out;
	}
	memset(&rc, 0, sizeof(rc));
	memset(&tx, 0, sizeof(tx));
	rc.addr = ck->rcpt;
	tx.sender = sender;
	tx.size = size;
	tx.rcpts = &rc;
	tx.nrcpts = 1;
	tx.fd = fileno(f);
	tx.rcpt_reply = keep_rcpt_reply;
	tx.arg = ck;
	memset(&ck->rcpt_reply, 0, sizeof(ck->rcpt_reply));
	if (smtp_send(s, &tx, &e) == -1)
		say(ck, CHECK_FAIL, e.code == EX_TEMPFAIL ? EX_UNAVAILABLE :
		    e.code, "test message: %s", e.msg);
	else
		tx_report(ck, &tx, sender);
out:
	if (f != NULL)
		(void)fclose(f);
}

/* The second session: log in as delivery does, then the test message. */
static void
login(struct check *ck)
{
	const struct config *cfg = ck->cfg;
	struct esmtp_reply last;
	struct perr e = { 0, "" };
	struct smtp s;

	if (smtp_open(&s, cfg, ck->p->verbose, &last, &e) == -1) {
		login_failed(ck, &last, &e);
		if (ck->p->addr != NULL)
			say(ck, CHECK_SKIP, 0, "test message: not sent");
		return;
	}
	if (cfg->username != NULL && cfg->username[0] != '\0')
		say(ck, CHECK_OK, 0, "login: %s accepted with AUTH %s",
		    cfg->username, ck->mech[0] != '\0' ? ck->mech : "?");
	if (ck->rcpt[0] != '\0')
		send_test(ck, &s);
	else if (ck->p->addr != NULL)
		say(ck, CHECK_SKIP, 0, "test message: not sent");
	smtp_close(&s);
}

/* ADDR: qualified as a recipient on the command line would be. */
static int
check_addr(struct check *ck)
{
	char raw[MAX_ADDR + 1];
	const char *why = NULL;

	if (addr_strip_angle(ck->p->addr, raw, sizeof(raw)) == -1 ||
	    alias_qualify(ck->cfg, raw, ck->rcpt, sizeof(ck->rcpt)) == -1 ||
	    addr_check_envelope(ck->rcpt, 0, &why) == -1) {
		say(ck, CHECK_FAIL, EX_USAGE, "test message: invalid address "
		    "%s%s%s", ck->p->addr, why != NULL ? ": " : "",
		    why != NULL ? why : "");
		ck->rcpt[0] = '\0';
		return -1;
	}
	return 0;
}

int
check_run(const struct check_params *p)
{
	struct check ck;
	int secret_ok, nfail;

	memset(&ck, 0, sizeof(ck));
	ck.p = p;
	ck.cfg = p->cfg;
	check_settings(&ck);
	secret_ok = check_secret(&ck) == 0;
	if (p->addr != NULL)
		(void)check_addr(&ck);	/* a bad one only skips the message */
	check_spool(&ck);
	nfail = ck.n[CHECK_FAIL];
	if (check_resolve(&ck) == 0 && probe(&ck) == 0 &&
	    ck.n[CHECK_FAIL] == nfail && secret_ok)
		login(&ck);
	else if (ck.cfg->username != NULL || p->addr != NULL)
		say(&ck, CHECK_SKIP, 0, "login%s: not tried after the failures "
		    "above", p->addr != NULL ? " and test message" : "");
	return summary(&ck);
}

int
check_config_failed(const struct perr *err, FILE *out)
{
	struct check_params p;
	struct check ck;

	memset(&p, 0, sizeof(p));
	memset(&ck, 0, sizeof(ck));
	p.out = out;
	ck.p = &p;
	say(&ck, CHECK_FAIL, err->code, "configuration: %s", err->msg);
	return summary(&ck);
}
