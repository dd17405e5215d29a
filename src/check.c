/* SPDX-License-Identifier: ISC */
/*
 * posta --check. Two sessions with the smart host:
 *
 *   1. a probe that walks the dialogue one step at a time (connect,
 *      TLS, greeting, EHLO, STARTTLS, EHLO) and reports each step,
 *      with TLS in inspect mode so that a certificate that would be
 *      refused can still be described (checkprobe.c);
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
#include <sys/stat.h>

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
#include "checkpriv.h"
#include "oauth.h"
#include "posta.h"
#include "secret.h"
#include "sender.h"
#include "smtp.h"
#include "spool.h"
#include "util.h"

#define LINE_MAX_OUT 2048 /* one output line */

static const char *const level_word[] = { "ok", "warning", "FAIL", "skip" };

void
check_say(struct check *ck, enum check_level lv, int ex, const char *fmt, ...)
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
	    ck->n[CHECK_OK], ck->n[CHECK_WARN],
	    ck->n[CHECK_WARN] == 1 ? "" : "s", ck->n[CHECK_FAIL],
	    ck->n[CHECK_SKIP] > 0 ? ", some skipped" : "");
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
check_auth_hint(const char *offered, enum auth_mech want, char *buf, size_t cap)
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
		(void)xstrlcpy(buf,
		    "set auth = xoauth2: this server wants "
		    "an OAuth token, not a password",
		    cap);
	else
		(void)xstrlcpy(buf,
		    "posta supports none of them; ask the "
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
		check_say(ck, CHECK_OK, 0, "configuration: %s", cfg->path);
	else
		check_say(ck, CHECK_OK, 0,
		    "configuration: from the environment (no file)");
	if (cfg->tls == TLS_NONE)
		check_say(ck, CHECK_WARN, 0,
		    "tls = none: mail to %s:%d travels in "
		    "clear text; set tls = starttls or implicit if the "
		    "server offers it",
		    cfg->host, cfg->port);
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
		check_say(ck, CHECK_OK, 0,
		    "credentials: none configured (no "
		    "username): posta will not log in");
		return 0;
	}
	if (cfg->oauth.set &&
	    (cfg->auth == AUTH_XOAUTH2 || cfg->auth == AUTH_OAUTHBEARER)) {
		if (oauth_token(cfg, 0, secret, sizeof(secret), &e) == -1) {
			check_say(ck, CHECK_FAIL, e.code,
			    "credentials: OAuth token: %s", e.msg);
			rc = -1;
		} else
			check_say(ck, CHECK_OK, 0,
			    "credentials: %s, OAuth access token from %s",
			    cfg->username, cfg->oauth.token_url);
	} else if (secret_get(cfg, secret, sizeof(secret), &e) == -1) {
		check_say(ck, CHECK_FAIL, e.code, "credentials: %s", e.msg);
		rc = -1;
	} else if (cfg->password_file != NULL)
		check_say(ck, CHECK_OK, 0, "credentials: %s, password from %s",
		    cfg->username, cfg->password_file);
	else if (cfg->password_command != NULL)
		check_say(ck, CHECK_OK, 0,
		    "credentials: %s, password from "
		    "password_command",
		    cfg->username);
	else
		check_say(ck, CHECK_OK, 0,
		    "credentials: %s, password in the "
		    "configuration",
		    cfg->username);
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
		check_say(ck, CHECK_WARN, 0, "queue: %s", e.msg);
		return;
	}
	if (nids == 0)
		check_say(ck, CHECK_OK, 0, "queue: empty");
	else if (spool_peek(sp, ids[0], 0, &ent, &e) != 0)
		check_say(ck, CHECK_WARN, 0,
		    "queue: %zu queued; the oldest cannot be read: %s", nids,
		    e.code != 0 ? e.msg : "gone");
	else {
		fmt_duration(now - ent.env.created, age, sizeof(age));
		if (now - ent.env.created >= CHECK_QUEUE_WARN)
			check_say(ck, CHECK_WARN, 0,
			    "queue: %zu queued, the oldest "
			    "for %s: see its last error with posta -bp",
			    nids, age);
		else
			check_say(ck, CHECK_OK, 0,
			    "queue: %zu queued, the oldest for %s", nids, age);
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
		check_say(ck, CHECK_OK, 0,
		    "spool %s: not created yet, nothing "
		    "queued",
		    dir);
		return;
	}
	if (spool_open(&sp, dir, 0, &e) == -1) {
		check_say(ck, CHECK_WARN, 0, "spool: %s", e.msg);
		return;
	}
	check_say(ck, CHECK_OK, 0, "spool: %s", dir);
	check_queue(ck, &sp);
	if (spool_list(&sp, 1, &ids, &nids, &e) == -1)
		check_say(ck, CHECK_WARN, 0, "failed: %s", e.msg);
	else if (nids > 0)
		check_say(ck, CHECK_WARN, 0,
		    "failed: %zu entr%s: see posta -bp -qQ, "
		    "remove with posta --delete ID",
		    nids, nids == 1 ? "y" : "ies");
	else
		check_say(ck, CHECK_OK, 0, "failed: none");
	spool_list_free(ids, nids);
	if ((n = count_files(sp.corruptfd)) > 0)
		check_say(ck, CHECK_WARN, 0,
		    "corrupt: %ld file%s in %s/corrupt: "
		    "look at them, then remove them",
		    n, n == 1 ? "" : "s", dir);
	spool_close(&sp);
}

/* A refused login, with what to do about it. */
static void
login_failed(struct check *ck, const struct esmtp_reply *last,
    const struct perr *e)
{
	char line[MAX_REPLY_TEXT + 16];

	if (last->code == 0) {
		check_say(ck, CHECK_FAIL,
		    e->code == EX_CONFIG ? EX_CONFIG : EX_UNAVAILABLE,
		    "login: %s", e->msg);
		return;
	}
	esmtp_reply_line(last, line, sizeof(line));
	if (last->code == 535)
		check_say(ck, CHECK_FAIL, EX_NOPERM,
		    "login: wrong password: %s: "
		    "check username %s and the password",
		    line, ck->cfg->username);
	else if (last->code == 534 || last->code == 538)
		check_say(ck, CHECK_FAIL, EX_NOPERM,
		    "login: %s: the provider wants "
		    "another way to log in (an app password, OAuth or a "
		    "stronger mechanism)",
		    line);
	else if (last->code / 100 == 4)
		check_say(ck, CHECK_FAIL, EX_TEMPFAIL,
		    "login: %s: the server is "
		    "busy or limits logins; try again later",
		    line);
	else
		check_say(ck, CHECK_FAIL, EX_NOPERM, "login: %s", line);
}

/* The reply to the test message, or the step that refused it. */
static void
tx_report(struct check *ck, const struct smtp_tx *tx, const char *sender)
{
	char line[MAX_REPLY_TEXT + 16];
	const struct esmtp_reply *r;

	r = &tx->mail;
	if (r->code / 100 != 2) {
		check_say(ck, CHECK_FAIL,
		    r->code / 100 == 4 ? EX_TEMPFAIL : EX_CONFIG,
		    "test "
		    "message: MAIL FROM:<%s> refused: %s: set [sender] from to "
		    "an address this account may send as",
		    sender, esmtp_reply_line(r, line, sizeof(line)));
		return;
	}
	r = &ck->rcpt_reply;
	if (tx->rcpts[0].code / 100 != 2) {
		check_say(ck, CHECK_FAIL,
		    r->code / 100 == 4 ? EX_TEMPFAIL : EX_UNAVAILABLE,
		    "test message: RCPT TO:<%s> refused: %s", ck->rcpt,
		    esmtp_reply_line(r, line, sizeof(line)));
		return;
	}
	r = &tx->data;
	if (r->code / 100 != 2)
		check_say(ck, CHECK_FAIL,
		    r->code / 100 == 4 ? EX_TEMPFAIL : EX_UNAVAILABLE,
		    "test message to %s refused: %s", ck->rcpt,
		    esmtp_reply_line(r, line, sizeof(line)));
	else
		check_say(ck, CHECK_OK, 0, "test message to %s: %s", ck->rcpt,
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
	(void)fprintf(f,
	    "From: posta check <%s>\r\nTo: <%s>\r\n"
	    "Subject: posta --check test message\r\nDate: %s\r\n"
	    "Message-ID: <check.%lld.%ld@%s>\r\n"
	    "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "This is a test message from posta --check on %s,\r\n"
	    "sent through %s:%d.\r\n",
	    sender, ck->rcpt, date, (long long)now, (long)getpid(), host, host,
	    ck->cfg->host, ck->cfg->port);
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
		check_say(ck, CHECK_FAIL, EX_CANTCREAT,
		    "test message: cannot write a temporary file: %s",
		    strerror(errno));
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
		check_say(ck, CHECK_FAIL,
		    e.code == EX_TEMPFAIL ? EX_UNAVAILABLE : e.code,
		    "test message: %s", e.msg);
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

	/* NULL: smtp_open() fetches the secret (with [oauth], the token) */
	if (smtp_open(&s, cfg, NULL, ck->p->verbose, &last, &e) == -1) {
		login_failed(ck, &last, &e);
		if (ck->p->addr != NULL)
			check_say(ck, CHECK_SKIP, 0, "test message: not sent");
		return;
	}
	if (cfg->username != NULL && cfg->username[0] != '\0')
		check_say(ck, CHECK_OK, 0, "login: %s accepted with AUTH %s",
		    cfg->username, ck->mech[0] != '\0' ? ck->mech : "?");
	if (ck->rcpt[0] != '\0')
		send_test(ck, &s);
	else if (ck->p->addr != NULL)
		check_say(ck, CHECK_SKIP, 0, "test message: not sent");
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
		check_say(ck, CHECK_FAIL, EX_USAGE,
		    "test message: invalid address %s%s%s", ck->p->addr,
		    why != NULL ? ": " : "", why != NULL ? why : "");
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
		(void)check_addr(&ck); /* a bad one only skips the message */
	check_spool(&ck);
	nfail = ck.n[CHECK_FAIL];
	if (check_probe(&ck) == 0 && ck.n[CHECK_FAIL] == nfail && secret_ok)
		login(&ck);
	else if (ck.cfg->username != NULL || p->addr != NULL)
		check_say(&ck, CHECK_SKIP, 0,
		    "login%s: not tried after the failures above",
		    p->addr != NULL ? " and test message" : "");
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
	check_say(&ck, CHECK_FAIL, err->code, "configuration: %s", err->msg);
	return summary(&ck);
}
