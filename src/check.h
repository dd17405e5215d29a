/* SPDX-License-Identifier: ISC */
/*
 * posta --check [ADDR]: diagnose the configuration, the spool and the
 * smart host without sending mail (with ADDR, one test message). One
 * line per check on out, "ok", "warning", "FAIL" (saying what to
 * change) or "skip", then a summary line.
 */
#ifndef POSTA_CHECK_H
#define POSTA_CHECK_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "perr.h"

#define CHECK_EXPIRY_WARN   14	 /* days: a certificate ending sooner */
#define CHECK_QUEUE_WARN    3600 /* seconds: an older queued entry */
#define CHECK_GREETING_WAIT 10	 /* seconds: greeting, tls = starttls */

enum check_level { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

struct check_params {
	const struct config *cfg;
	const char *addr; /* test message to, or NULL */
	int verbose;	  /* SMTP transcript on stderr */
	FILE *out;
};

/*
 * In order: the secret, the spool (entries queued, the oldest one's
 * age, failed/ and corrupt/), the host's addresses, the connection,
 * TLS and the certificate (subject, issuer, expiry, name, chain, pin),
 * SIZE, extensions and AUTH mechanisms, a login through smtp_open()
 * (the code that delivers mail), and with addr a test message. Returns
 * 0 when every check passed, 1 when some only warned, else the
 * sysexits code of the first FAIL.
 */
int check_run(const struct check_params *p);

/* The FAIL line for a configuration that did not load; returns err's code. */
int check_config_failed(const struct perr *err, FILE *out);

/*
 * Pure: the level of a certificate expiring at not_after, seen at now
 * (FAIL once expired, warning within CHECK_EXPIRY_WARN days), and in
 * *days the whole days left (negative: days since it expired).
 */
enum check_level check_expiry(time_t not_after, time_t now, long *days);

/* Pure: "sha256:AB:CD:..." (fingerprint's syntax) of a digest; cap >= 104. */
void check_pin_text(const unsigned char pin[32], char *buf, size_t cap);

/*
 * Pure: when the AUTH offer (EHLO's "PLAIN LOGIN") does not suit want,
 * what to set, into buf ("set auth = login"); returns 0 when it suits
 * (buf gets the mechanism posta will use), -1 otherwise.
 */
int check_auth_hint(const char *offered, enum auth_mech want, char *buf,
    size_t cap);

#endif /* POSTA_CHECK_H */
