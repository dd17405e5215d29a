/* SPDX-License-Identifier: ISC */
/*
 * SASL client mechanisms for SMTP AUTH (RFC 4954): choosing one from the
 * EHLO offer and computing each response. Pure: no I/O; smtp.c drives
 * the dialogue. Every buffer that saw the secret is wiped.
 */
#ifndef POSTA_AUTH_H
#define POSTA_AUTH_H

#include <stddef.h>

#include "config.h"
#include "perr.h"

struct auth {
	enum auth_mech mech;
	const char *user;   /* borrowed */
	const char *secret; /* borrowed; password or OAuth token */
	const char *host;   /* OAUTHBEARER host=, NULL (borrowed) */
	int port;	    /* OAUTHBEARER port=, or 0 */
	int step;
	/* SCRAM-SHA-256 (RFC 5802, 7677) state */
	char nonce[64];
	char client_first_bare[1200];
	unsigned char server_signature[32];
};

/*
 * Pick the mechanism: with want != AUTH_AUTO it must be offered;
 * AUTH_AUTO takes the first offered of PLAIN, LOGIN, SCRAM-SHA-256,
 * CRAM-MD5 (never XOAUTH2 or OAUTHBEARER, whose secret is a token).
 * offered is the EHLO AUTH keyword's parameter list ("PLAIN LOGIN"),
 * any case.
 * Returns 0, or -1 with err (EX_UNAVAILABLE) naming what was offered.
 */
int auth_pick(const char *offered, enum auth_mech want, enum auth_mech *out,
    struct perr *err);

/* "PLAIN", ..., "XOAUTH2", "OAUTHBEARER"; "auto" for AUTH_AUTO. */
const char *auth_name(enum auth_mech m);

/*
 * Begin: fills out with the base64 initial response to send as
 * "AUTH <name> <out>" (PLAIN, SCRAM-SHA-256, XOAUTH2, OAUTHBEARER), or
 * with "" when the mechanism waits for a challenge (LOGIN, CRAM-MD5).
 * a->host and a->port, set before the call, are kept: OAUTHBEARER
 * (RFC 7628) names them. Returns 0, or -1 with err when the result
 * does not fit or the user or secret is unusable.
 */
int auth_start(struct auth *a, enum auth_mech m, const char *user,
    const char *secret, char *out, size_t cap, struct perr *err);

/*
 * 1 when "AUTH <name> <resp>" CR LF fits in MAX_AUTH_LINE octets.
 * Otherwise RFC 4954 4 has the client send "AUTH <name>" alone and
 * the initial response as the answer to the server's empty 334.
 */
int auth_initial_fits(const char *name, const char *resp);

/*
 * Answer one 334 challenge (its base64 text, possibly empty) with the
 * base64 response in out. For SCRAM the server's final message is
 * verified here when it comes as a 334; auth_finish() covers the case
 * where it comes with the 235. An error challenge is answered with ""
 * (XOAUTH2) or "AQ==", a lone ^A (OAUTHBEARER, RFC 7628 3.2.3), so
 * that the server sends its final error reply. Returns 0, or -1 with
 * err (a challenge that cannot be decoded or verified).
 */
int auth_step(struct auth *a, const char *challenge, char *out, size_t cap,
    struct perr *err);

/*
 * After the 235: for SCRAM, check the server signature if it came in
 * the 235 text (base64 after the enhanced status code, may be absent
 * when it came in a 334 already). Returns 0 or -1 with err.
 */
int auth_finish(struct auth *a, const char *text235, struct perr *err);

/*
 * Test hook: when set, SCRAM uses this client nonce instead of a
 * random one, so that t_auth.c can replay RFC 7677's example exchange
 * byte for byte and fuzz_sasl can reach the server-first parser.
 * NULL: random again. Nothing else calls it.
 */
void auth_test_nonce(const char *nonce);

/* Wipe the state. */
void auth_clear(struct auth *a);

/*
 * Plain words for the AUTH refusals users meet with Microsoft 365
 * (5.7.30 basic authentication off, 5.7.139 SMTP AUTH off for the
 * mailbox) and Gmail (534 5.7.9): what to configure, or NULL. text
 * is the reply text after the code; oauth says [oauth] is in use.
 */
const char *auth_hint(int code, const char *text, int oauth);

/*
 * 1 when an AUTH refusal may mean that the token itself was stale or
 * revoked (535, 5.7.x other than the three above, 5.5.127): worth one
 * new token and one more try.
 */
int auth_token_refused(int code, const char *text);

#endif /* POSTA_AUTH_H */
