/* SPDX-License-Identifier: ISC */
/*
 * SASL client mechanisms: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195),
 * SCRAM-SHA-256 (RFC 5802, 7677), XOAUTH2 and OAUTHBEARER (RFC 7628).
 * No I/O here; every buffer that held the secret or a key derived from
 * it is wiped before return.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "auth.h"
#include "b64.h"
#include "ossl.h"
#include "posta.h"
#include "util.h"

#define AUTH_MAX_USER	   1024	    /* user name, octets */
#define AUTH_MAX_CHALLENGE 2048	    /* decoded server challenge */
#define SCRAM_MIN_ITER	   4096	    /* RFC 7677 4 */
#define SCRAM_MAX_ITER	   10000000 /* beyond this a server is stalling us */
#define SCRAM_KEYLEN	   32	    /* SHA-256 */

static const char *test_nonce;

void
auth_test_nonce(const char *nonce)
{
	test_nonce = nonce;
}

static const struct {
	enum auth_mech mech;
	const char *name;
} mechs[] = {
	{ AUTH_AUTO, "auto" },
	{ AUTH_PLAIN, "PLAIN" },
	{ AUTH_LOGIN, "LOGIN" },
	{ AUTH_CRAM_MD5, "CRAM-MD5" },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256" },
	{ AUTH_XOAUTH2, "XOAUTH2" },
	{ AUTH_OAUTHBEARER, "OAUTHBEARER" },
};

/* AUTH_AUTO's preference; XOAUTH2 is never guessed, its secret is a token. */
static const enum auth_mech auto_order[] = { AUTH_PLAIN, AUTH_LOGIN,
	AUTH_SCRAM_SHA_256, AUTH_CRAM_MD5 };

const char *
auth_name(enum auth_mech m)
{
	size_t i;

	for (i = 0; i < nitems(mechs); i++)
		if (mechs[i].mech == m)
			return mechs[i].name;
	return "?";
}

/* 1 when the space-separated list offered holds name, in any case. */
static int
auth_offered(const char *offered, const char *name)
{
	const char *p = offered;
	size_t n, len;

	n = strlen(name);
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, " \t");
		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

int
auth_pick(const char *offered, enum auth_mech want, enum auth_mech *out,
    struct perr *err)
{
	size_t i;

	if (offered == NULL)
		offered = "";
	if (want != AUTH_AUTO) {
		if (!auth_offered(offered, auth_name(want)))
			return perr_set(err, EX_UNAVAILABLE,
			    "server does not offer AUTH %s (offered: %.200s)",
			    auth_name(want),
			    *offered != '\0' ? offered : "nothing");
		*out = want;
		return 0;
	}
	for (i = 0; i < nitems(auto_order); i++) {
		if (auth_offered(offered, auth_name(auto_order[i]))) {
			*out = auto_order[i];
			return 0;
		}
	}
	return perr_set(err, EX_UNAVAILABLE,
	    "server offers no AUTH mechanism posta supports (offered: %.200s)",
	    *offered != '\0' ? offered : "nothing");
}

static int
auth_bad(struct auth *a, const char *why, struct perr *err)
{
	return perr_set(err, EX_PROTOCOL, "AUTH %s: %s", auth_name(a->mech),
	    why);
}

static int
auth_toolong(struct auth *a, struct perr *err)
{
	return perr_set(err, EX_SOFTWARE, "AUTH %s: response too long",
	    auth_name(a->mech));
}

/*
 * The tail every initial response shares: base64 of the LEN octets of
 * RAW (LEN == -1 when building RAW overflowed), then RAW wiped, since it
 * holds the secret in clear.
 */
static int
auth_encode(struct auth *a, char *raw, size_t rawcap, int len, char *out,
    size_t cap, struct perr *err)
{
	int rc = len < 0 ? -1 : b64_encode(raw, (size_t)len, out, cap);

	explicit_bzero(raw, rawcap);
	return rc == -1 ? auth_toolong(a, err) : 0;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd, with an empty authzid. */
static int
auth_plain(struct auth *a, char *out, size_t cap, struct perr *err)
{
	char raw[AUTH_MAX_USER + MAX_SECRET + 2];
	size_t ul = strlen(a->user), sl = strlen(a->secret);

	if (ul >= AUTH_MAX_USER || sl >= MAX_SECRET)
		return auth_encode(a, raw, sizeof(raw), -1, out, cap, err);
	raw[0] = '\0';
	memcpy(raw + 1, a->user, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, a->secret, sl);
	return auth_encode(a, raw, sizeof(raw), (int)(ul + sl + 2), out, cap,
	    err);
}

/* "user=U ^A auth=Bearer T ^A ^A", as Google and Microsoft document it. */
static int
auth_xoauth2(struct auth *a, char *out, size_t cap, struct perr *err)
{
	char raw[AUTH_MAX_USER + MAX_SECRET + 32];
	int len = -1;

	if (xsnprintf(raw, sizeof(raw), "user=%s\001auth=Bearer %s\001\001",
		a->user, a->secret) == 0)
		len = (int)strlen(raw);
	return auth_encode(a, raw, sizeof(raw), len, out, cap, err);
}

static int scram_saslname(const char *, char *, size_t);

/*
 * RFC 7628 3.1: the GS2 header "n,a=USER," then ^A-separated
 * key=value pairs host, port and auth, and ^A ^A at the end. The user
 * is a saslname as in SCRAM (',' and '=' escaped).
 */
static int
auth_oauthbearer(struct auth *a, char *out, size_t cap, struct perr *err)
{
	char raw[AUTH_MAX_USER * 3 + MAX_SECRET + 320];
	char name[AUTH_MAX_USER * 3 + 1], hp[300];
	int len = -1;

	hp[0] = '\0';
	if (a->host != NULL &&
	    (has_ctl(a->host) ||
		xsnprintf(hp, sizeof(hp), "host=%s\001port=%d\001", a->host,
		    a->port) == -1))
		return perr_set(err, EX_SOFTWARE,
		    "AUTH OAUTHBEARER: unusable host");
	if (scram_saslname(a->user, name, sizeof(name)) == 0 &&
	    xsnprintf(raw, sizeof(raw), "n,a=%s,\001%sauth=Bearer %s\001\001",
		name, hp, a->secret) == 0)
		len = (int)strlen(raw);
	return auth_encode(a, raw, sizeof(raw), len, out, cap, err);
}

/* RFC 5802 5.1: saslname escapes ',' and '='. */
static int
scram_saslname(const char *user, char *out, size_t cap)
{
	size_t n = 0;
	const char *esc;

	for (; *user != '\0'; user++) {
		esc = *user == ',' ? "=2C" : *user == '=' ? "=3D" : NULL;
		if (n + (esc != NULL ? 3 : 1) >= cap)
			return -1;
		if (esc != NULL) {
			memcpy(out + n, esc, 3);
			n += 3;
		} else
			out[n++] = *user;
	}
	out[n] = '\0';
	return 0;
}

/* client-first: "n,,n=saslname,r=nonce"; the bare part is kept for the proof. */
static int
scram_first(struct auth *a, char *out, size_t cap, struct perr *err)
{
	unsigned char rnd[18];
	char name[AUTH_MAX_USER * 3 + 1];
	char msg[sizeof(a->client_first_bare) + 3];

	if (test_nonce != NULL) {
		if (xstrlcpy(a->nonce, test_nonce, sizeof(a->nonce)) == -1)
			return auth_toolong(a, err);
	} else {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return perr_set(err, EX_SOFTWARE,
			    "AUTH SCRAM-SHA-256: no random bytes");
		/* 18 bytes give 24 printable characters without ',' */
		if (b64_encode(rnd, sizeof(rnd), a->nonce, sizeof(a->nonce)) ==
		    -1)
			return auth_toolong(a, err);
	}
	if (scram_saslname(a->user, name, sizeof(name)) == -1 ||
	    xsnprintf(a->client_first_bare, sizeof(a->client_first_bare),
		"n=%s,r=%s", name, a->nonce) == -1 ||
	    xsnprintf(msg, sizeof(msg), "n,,%s", a->client_first_bare) == -1 ||
	    b64_encode(msg, strlen(msg), out, cap) == -1)
		return auth_toolong(a, err);
	return 0;
}

int
auth_start(struct auth *a, enum auth_mech m, const char *user,
    const char *secret, char *out, size_t cap, struct perr *err)
{
	const char *host = a->host;
	int port = a->port;

	auth_clear(a);
	a->host = host;
	a->port = port;
	a->mech = m;
	a->user = user;
	a->secret = secret;
	if (cap == 0)
		return auth_toolong(a, err);
	out[0] = '\0';
	if (user == NULL || *user == '\0' || has_ctl(user) ||
	    strlen(user) > AUTH_MAX_USER)
		return perr_set(err, EX_CONFIG, "AUTH %s: unusable user name",
		    auth_name(m));
	/* never echo the secret itself, not even a part of it */
	if (secret == NULL || *secret == '\0' || strlen(secret) > MAX_SECRET)
		return perr_set(err, EX_CONFIG,
		    "AUTH %s: empty or too long secret", auth_name(m));
	if ((m == AUTH_XOAUTH2 || m == AUTH_OAUTHBEARER) && has_ctl(secret))
		return perr_set(err, EX_CONFIG,
		    "AUTH %s: control character in the token", auth_name(m));

	switch (m) {
	case AUTH_PLAIN:
		return auth_plain(a, out, cap, err);
	case AUTH_LOGIN:
	case AUTH_CRAM_MD5:
		return 0;
	case AUTH_SCRAM_SHA_256:
		return scram_first(a, out, cap, err);
	case AUTH_XOAUTH2:
		return auth_xoauth2(a, out, cap, err);
	case AUTH_OAUTHBEARER:
		return auth_oauthbearer(a, out, cap, err);
	case AUTH_AUTO:
	default:
		return perr_set(err, EX_SOFTWARE, "AUTH: no mechanism chosen");
	}
}

/* LOGIN: the prompts' text varies between servers; the step decides. */
static int
auth_login(struct auth *a, char *out, size_t cap, struct perr *err)
{
	const char *s;

	if (a->step == 0)
		s = a->user;
	else if (a->step == 1)
		s = a->secret;
	else
		return auth_bad(a, "unexpected third challenge", err);
	if (b64_encode(s, strlen(s), out, cap) == -1)
		return auth_toolong(a, err);
	return 0;
}

/* RFC 2195: "user " + lower-case hex of HMAC-MD5(secret, challenge). */
static int
auth_cram(struct auth *a, const unsigned char *ch, size_t chlen, char *out,
    size_t cap, struct perr *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	char resp[AUTH_MAX_USER + 2 + 2 * 16 + 1];
	size_t maclen = 0, ul, i;
	int rc = -1;

	if (a->step != 0) {
		auth_bad(a, "unexpected second challenge", err);
		goto out;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, a->secret,
		strlen(a->secret), ch, chlen, mac, sizeof(mac),
		&maclen) == NULL ||
	    maclen != 16) {
		perr_set(err, EX_SOFTWARE, "AUTH CRAM-MD5: HMAC-MD5 failed");
		goto out;
	}
	ul = strlen(a->user);
	memcpy(resp, a->user, ul);
	resp[ul] = ' ';
	for (i = 0; i < maclen; i++) {
		resp[ul + 1 + 2 * i] = hex[mac[i] >> 4];
		resp[ul + 2 + 2 * i] = hex[mac[i] & 0xf];
	}
	if (b64_encode(resp, ul + 1 + 2 * maclen, out, cap) == -1) {
		auth_toolong(a, err);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(mac, sizeof(mac));
	explicit_bzero(resp, sizeof(resp));
	return rc;
}

static int
hmac256(const void *key, size_t klen, const void *data, size_t dlen,
    unsigned char out[SCRAM_KEYLEN])
{
	size_t n = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen, data, dlen,
		out, SCRAM_KEYLEN, &n) == NULL ||
	    n != SCRAM_KEYLEN)
		return -1;
	return 0;
}

/*
 * The value of attribute name, which must be the pos-th (from 0) of the
 * SCRAM message because RFC 5802 5.1 fixes their order, into val.
 * Returns 0 or -1.
 */
static int
scram_attr(const char *msg, int pos, char name, char *val, size_t cap)
{
	const char *p = msg;
	size_t len;

	for (; pos > 0; pos--) {
		p = strchr(p, ',');
		if (p == NULL)
			return -1;
		p++;
	}
	if (p[0] != name || p[1] != '=')
		return -1;
	p += 2;
	len = strcspn(p, ",");
	if (len >= cap)
		return -1;
	memcpy(val, p, len);
	val[len] = '\0';
	return 0;
}

struct scram_keys {
	unsigned char salted[SCRAM_KEYLEN];
	unsigned char client_key[SCRAM_KEYLEN];
	unsigned char stored_key[SCRAM_KEYLEN];
	unsigned char client_sig[SCRAM_KEYLEN];
	unsigned char proof[SCRAM_KEYLEN];
	unsigned char server_key[SCRAM_KEYLEN];
};

/* RFC 5802 3: the key schedule, from the password to proof and signature. */
static int
scram_keys(struct auth *a, const unsigned char *salt, size_t saltlen, long iter,
    const char *authmsg, struct scram_keys *k)
{
	unsigned int mdlen = 0;
	size_t i;

	if (PKCS5_PBKDF2_HMAC(a->secret, (int)strlen(a->secret), salt,
		(int)saltlen, (int)iter, EVP_sha256(), SCRAM_KEYLEN,
		k->salted) != 1 ||
	    hmac256(k->salted, SCRAM_KEYLEN, "Client Key", 10, k->client_key) ==
		-1 ||
	    EVP_Digest(k->client_key, SCRAM_KEYLEN, k->stored_key, &mdlen,
		EVP_sha256(), NULL) != 1 ||
	    mdlen != SCRAM_KEYLEN ||
	    hmac256(k->stored_key, SCRAM_KEYLEN, authmsg, strlen(authmsg),
		k->client_sig) == -1 ||
	    hmac256(k->salted, SCRAM_KEYLEN, "Server Key", 10, k->server_key) ==
		-1 ||
	    hmac256(k->server_key, SCRAM_KEYLEN, authmsg, strlen(authmsg),
		a->server_signature) == -1)
		return -1;
	for (i = 0; i < SCRAM_KEYLEN; i++)
		k->proof[i] = k->client_key[i] ^ k->client_sig[i];
	return 0;
}

/* server-first "r=..,s=..,i=.." -> client-final "c=biws,r=..,p=..". */
static int
scram_final(struct auth *a, const char *sfirst, char *out, size_t cap,
    struct perr *err)
{
	struct scram_keys k;
	unsigned char salt[256];
	char nonce[512], salt64[400], iters[16], proof64[64];
	char final[sizeof(nonce) + 128];
	char authmsg[sizeof(a->client_first_bare) + AUTH_MAX_CHALLENGE +
	    sizeof(final)];
	ssize_t saltlen;
	char *end;
	long iter;
	size_t nl;
	int rc = -1;

	nl = strlen(a->nonce);
	if (sfirst[0] == 'm' && sfirst[1] == '=') {
		auth_bad(a, "server requires an unknown extension", err);
		goto out;
	}
	if (scram_attr(sfirst, 0, 'r', nonce, sizeof(nonce)) == -1 ||
	    scram_attr(sfirst, 1, 's', salt64, sizeof(salt64)) == -1 ||
	    scram_attr(sfirst, 2, 'i', iters, sizeof(iters)) == -1) {
		auth_bad(a, "malformed server-first message", err);
		goto out;
	}
	/* RFC 5802 5.1: the server appends to our nonce, it never replaces it */
	if (strncmp(nonce, a->nonce, nl) != 0 || strlen(nonce) <= nl ||
	    has_ctl(nonce)) {
		auth_bad(a, "server nonce does not extend ours", err);
		goto out;
	}
	errno = 0;
	iter = strtol(iters, &end, 10);
	if (errno != 0 || end == iters || *end != '\0' ||
	    iter < SCRAM_MIN_ITER || iter > SCRAM_MAX_ITER) {
		perr_set(err, EX_PROTOCOL,
		    "AUTH SCRAM-SHA-256: iteration "
		    "count %.15s refused (allowed: %d to %d)",
		    iters, SCRAM_MIN_ITER, SCRAM_MAX_ITER);
		goto out;
	}
	saltlen = b64_decode(salt64, salt, sizeof(salt));
	if (saltlen <= 0) {
		auth_bad(a, "bad salt", err);
		goto out;
	}
	/* "biws" is base64("n,,"): no channel binding, no authzid */
	if (xsnprintf(final, sizeof(final), "c=biws,r=%s", nonce) == -1 ||
	    xsnprintf(authmsg, sizeof(authmsg), "%s,%s,%s",
		a->client_first_bare, sfirst, final) == -1) {
		auth_toolong(a, err);
		goto out;
	}
	if (scram_keys(a, salt, (size_t)saltlen, iter, authmsg, &k) == -1) {
		perr_set(err, EX_SOFTWARE,
		    "AUTH SCRAM-SHA-256: key "
		    "derivation failed");
		goto out;
	}
	if (b64_encode(k.proof, sizeof(k.proof), proof64, sizeof(proof64)) ==
		-1 ||
	    xsnprintf(final + strlen(final), sizeof(final) - strlen(final),
		",p=%s", proof64) == -1 ||
	    b64_encode(final, strlen(final), out, cap) == -1) {
		auth_toolong(a, err);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(&k, sizeof(k));
	explicit_bzero(proof64, sizeof(proof64));
	explicit_bzero(final, sizeof(final));
	return rc;
}

/* server-final: "v=<signature>" proves the server knew the password too. */
static int
scram_verify(struct auth *a, const char *sfinal, struct perr *err)
{
	unsigned char sig[64];
	char val[128];
	unsigned char diff = 0;
	ssize_t n;
	size_t i;

	if (scram_attr(sfinal, 0, 'e', val, sizeof(val)) == 0)
		return perr_set(err, EX_NOPERM,
		    "AUTH SCRAM-SHA-256: server error: %s", val);
	if (scram_attr(sfinal, 0, 'v', val, sizeof(val)) == -1)
		return auth_bad(a, "malformed server-final message", err);
	n = b64_decode(val, sig, sizeof(sig));
	if (n != SCRAM_KEYLEN)
		return auth_bad(a, "malformed server signature", err);
	for (i = 0; i < SCRAM_KEYLEN; i++)
		diff |= sig[i] ^ a->server_signature[i];
	if (diff != 0)
		return auth_bad(a,
		    "server signature mismatch: the server "
		    "does not know the password (impostor?)",
		    err);
	return 0;
}

static int
auth_scram(struct auth *a, const char *msg, char *out, size_t cap,
    struct perr *err)
{
	if (a->step == 0)
		return scram_final(a, msg, out, cap, err);
	if (a->step == 1) {
		/* the client's answer to a server-final is empty */
		if (scram_verify(a, msg, err) == -1)
			return -1;
		return 0;
	}
	return auth_bad(a, "unexpected challenge after server-final", err);
}

int
auth_step(struct auth *a, const char *challenge, char *out, size_t cap,
    struct perr *err)
{
	unsigned char ch[AUTH_MAX_CHALLENGE + 1];
	ssize_t chlen;
	int rc = -1;

	if (cap == 0)
		return auth_toolong(a, err);
	out[0] = '\0';
	chlen = b64_decode(challenge != NULL ? challenge : "", ch, sizeof(ch));
	if (chlen < 0) {
		auth_bad(a, "challenge is not valid base64", err);
		goto out;
	}
	if (a->mech != AUTH_CRAM_MD5 && memchr(ch, '\0', (size_t)chlen)) {
		auth_bad(a, "NUL in challenge", err);
		goto out;
	}
	switch (a->mech) {
	case AUTH_LOGIN:
		rc = auth_login(a, out, cap, err);
		break;
	case AUTH_CRAM_MD5:
		rc = auth_cram(a, ch, (size_t)chlen, out, cap, err);
		break;
	case AUTH_SCRAM_SHA_256:
		rc = auth_scram(a, (const char *)ch, out, cap, err);
		break;
	case AUTH_XOAUTH2:
		/* an error in JSON: answer empty, the final reply follows */
		if (a->step == 0)
			rc = 0;
		else
			auth_bad(a, "unexpected second challenge", err);
		break;
	case AUTH_OAUTHBEARER:
		/* RFC 7628 3.2.3: a lone ^A asks for the final failure */
		if (a->step == 0)
			rc = b64_encode("\001", 1, out, cap);
		else
			auth_bad(a, "unexpected second challenge", err);
		if (a->step == 0 && rc == -1)
			auth_toolong(a, err);
		break;
	case AUTH_PLAIN:
		/* the initial response was sent: nothing more to say */
		auth_bad(a, "unexpected challenge", err);
		break;
	case AUTH_AUTO:
	default:
		perr_set(err, EX_SOFTWARE, "AUTH: no mechanism chosen");
		break;
	}
	a->step++;
out:
	if (rc == -1)
		explicit_bzero(out, cap);
	explicit_bzero(ch, sizeof(ch));
	return rc;
}

/*
 * The base64 token of a 235 text: "[235 ][x.y.z ]token ...". Returns
 * a pointer into text and its length in *len, or NULL.
 */
static const char *
auth_235_token(const char *text, size_t *len)
{
	const char *p = text;

	while (*p == ' ')
		p++;
	if (strncmp(p, "235", 3) == 0 && (p[3] == ' ' || p[3] == '-'))
		p += 4;
	while (*p == ' ')
		p++;
	/* RFC 3463 enhanced status code */
	if (isdigit((unsigned char)p[0]) && p[1] == '.') {
		p += strcspn(p, " ");
		while (*p == ' ')
			p++;
	}
	*len = strcspn(p, " \r\n");
	return *len > 0 ? p : NULL;
}

int
auth_finish(struct auth *a, const char *text235, struct perr *err)
{
	unsigned char sf[AUTH_MAX_CHALLENGE + 1];
	char tok[AUTH_MAX_CHALLENGE * 4 / 3 + 8];
	const char *p;
	size_t len;

	if (a->mech != AUTH_SCRAM_SHA_256 || a->step >= 2)
		return 0;
	if (a->step == 0)
		return auth_bad(a, "server accepted without a SCRAM exchange",
		    err);
	/* RFC 5802: the client must check the server's proof, or fail */
	p = auth_235_token(text235 != NULL ? text235 : "", &len);
	if (p == NULL || len >= sizeof(tok))
		return auth_bad(a, "server did not send its signature", err);
	memcpy(tok, p, len);
	tok[len] = '\0';
	if (b64_decode(tok, sf, sizeof(sf)) <= 0 ||
	    (strncmp((char *)sf, "v=", 2) != 0 &&
		strncmp((char *)sf, "e=", 2) != 0))
		return auth_bad(a, "server did not send its signature", err);
	if (scram_verify(a, (char *)sf, err) == -1)
		return -1;
	a->step++;
	return 0;
}

void
auth_clear(struct auth *a)
{
	explicit_bzero(a, sizeof(*a));
}

int
auth_initial_fits(const char *name, const char *resp)
{
	size_t n = strlen("AUTH ") + strlen(name) + strlen("\r\n");

	if (resp[0] != '\0')
		n += 1 + strlen(resp);
	return n <= MAX_AUTH_LINE;
}

/* The enhanced status code at the start of text into esc, or "". */
static void
auth_esc(const char *text, char *esc, size_t cap)
{
	size_t n = strspn(text, "0123456789.");

	if (n == 0 || n >= cap || !isdigit((unsigned char)text[0]) ||
	    text[1] != '.' ||
	    (text[n] != ' ' && text[n] != '\0' && text[n] != '\n'))
		n = 0;
	memcpy(esc, text, n);
	esc[n] = '\0';
}

const char *
auth_hint(int code, const char *text, int oauth)
{
	char esc[32];

	auth_esc(text != NULL ? text : "", esc, sizeof(esc));
	if (strcmp(esc, "5.7.30") == 0)
		return oauth ?
		    "Microsoft 365 refused basic authentication "
		    "although a token was sent; check auth = xoauth2 and the "
		    "[oauth] scope" :
		    "Microsoft 365 has turned basic "
		    "authentication off: use auth = xoauth2 with an [oauth] "
		    "section (see posta.conf(5))";
	if (strcmp(esc, "5.7.139") == 0)
		return "SMTP AUTH is disabled for this mailbox or tenant: "
		       "enable Authenticated SMTP for the mailbox in the "
		       "Microsoft 365 admin center (Set-CASMailbox "
		       "-SmtpClientAuthenticationDisabled $false)";
	if (code == 534 && strcmp(esc, "5.7.9") == 0)
		return oauth ?
		    "Gmail wants OAuth with the scope "
		    "https://mail.google.com/; check the [oauth] scope" :
		    "Gmail needs an application-specific password, or OAuth: "
		    "use auth = xoauth2 with an [oauth] section (see "
		    "posta.conf(5))";
	return NULL;
}

int
auth_token_refused(int code, const char *text)
{
	char esc[32];

	if (code / 100 != 5 || auth_hint(code, text, 1) != NULL)
		return 0;
	auth_esc(text != NULL ? text : "", esc, sizeof(esc));
	return code == 535 || strncmp(esc, "5.7.", 4) == 0 ||
	    strcmp(esc, "5.5.127") == 0;
}
