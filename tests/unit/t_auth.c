/* SPDX-License-Identifier: ISC */
/*
 * SASL mechanisms against the RFCs' own examples: RFC 2195 (CRAM-MD5),
 * RFC 7677 (SCRAM-SHA-256), RFC 7628 (OAUTHBEARER), plus PLAIN, LOGIN,
 * XOAUTH2, auth_pick, the RFC 4954 line rule and the provider hints.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/evp.h>

#include "auth.h"
#include "tap.h"

/* RFC 7677 3: the server-first, client-final and server-final messages */
#define R7677_SFIRST	"cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRD" \
			"QWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VF" \
			"amI2Z1E9PSxpPTQwOTY="
#define R7677_CFINAL	"Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBX" \
			"VWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lr" \
			"NGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ=="
#define R7677_SFINAL	"dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxU" \
			"SlJzamw5NUc0PQ=="
/* the same with the signature's first byte changed */
#define BAD_SFINAL	"dj03cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxU" \
			"SlJzamw5NUc0PQ=="

static char out[32768];

static void
test_names(void)
{
	is_str(auth_name(AUTH_PLAIN), "PLAIN", "name PLAIN");
	is_str(auth_name(AUTH_SCRAM_SHA_256), "SCRAM-SHA-256", "name SCRAM");
	is_str(auth_name(AUTH_AUTO), "auto", "name auto");
	is_str(auth_name(AUTH_OAUTHBEARER), "OAUTHBEARER", "name OAUTHBEARER");
}

static void
test_pick(void)
{
	struct perr err = { 0, "" };
	enum auth_mech m = AUTH_AUTO;

	ok(auth_pick("LOGIN PLAIN", AUTH_AUTO, &m, &err) == 0 &&
	    m == AUTH_PLAIN, "auto prefers PLAIN over LOGIN");
	ok(auth_pick("cram-md5 scram-sha-256", AUTH_AUTO, &m, &err) == 0 &&
	    m == AUTH_SCRAM_SHA_256, "auto: SCRAM before CRAM, any case");
	ok(auth_pick("CRAM-MD5 XOAUTH2", AUTH_AUTO, &m, &err) == 0 &&
	    m == AUTH_CRAM_MD5, "auto: CRAM-MD5 when it is the only one");
	ok(auth_pick("  login\tXOAUTH2 ", AUTH_AUTO, &m, &err) == 0 &&
	    m == AUTH_LOGIN, "auto: tabs and spaces separate");
	ok(auth_pick("XOAUTH2", AUTH_XOAUTH2, &m, &err) == 0 &&
	    m == AUTH_XOAUTH2, "explicit XOAUTH2 when offered");
	ok(auth_pick("PLAINX XPLAIN", AUTH_PLAIN, &m, &err) == -1,
	    "PLAIN is not a substring match");
	is_int(err.code, EX_UNAVAILABLE, "not offered is EX_UNAVAILABLE");
	ok(strstr(err.msg, "PLAINX XPLAIN") != NULL &&
	    strstr(err.msg, "PLAIN") != NULL, "message names the offer: %s",
	    err.msg);
	perr_clear(&err);
	ok(auth_pick("XOAUTH2 GSSAPI", AUTH_AUTO, &m, &err) == -1,
	    "auto never picks XOAUTH2");
	is_int(err.code, EX_UNAVAILABLE, "no usable mechanism code");
	perr_clear(&err);
	ok(auth_pick("OAUTHBEARER", AUTH_AUTO, &m, &err) == -1,
	    "auto never picks OAUTHBEARER");
	perr_clear(&err);
	ok(auth_pick("XOAUTH2 oauthbearer", AUTH_OAUTHBEARER, &m, &err) == 0 &&
	    m == AUTH_OAUTHBEARER, "explicit OAUTHBEARER when offered");
	perr_clear(&err);
	ok(auth_pick("", AUTH_LOGIN, &m, &err) == -1, "empty offer refused");
	perr_clear(&err);
}

static void
test_plain(void)
{
	struct perr err = { 0, "" };
	struct auth a;
	char small[8];

	ok(auth_start(&a, AUTH_PLAIN, "user", "pencil", out, sizeof(out),
	    &err) == 0, "PLAIN start");
	/* "\0user\0pencil" */
	is_str(out, "AHVzZXIAcGVuY2ls", "PLAIN initial response");
	ok(auth_step(&a, "", out, sizeof(out), &err) == -1,
	    "PLAIN refuses a challenge after the initial response");
	auth_clear(&a);
	perr_clear(&err);
	ok(auth_start(&a, AUTH_PLAIN, "user", "pencil", small, sizeof(small),
	    &err) == -1, "PLAIN: too small a buffer is an error");
	perr_clear(&err);
	ok(auth_start(&a, AUTH_PLAIN, "", "pencil", out, sizeof(out),
	    &err) == -1, "empty user refused");
	perr_clear(&err);
	ok(auth_start(&a, AUTH_PLAIN, "user", "", out, sizeof(out),
	    &err) == -1, "empty secret refused");
	ok(strstr(err.msg, "pencil") == NULL, "message has no secret");
	perr_clear(&err);
	auth_clear(&a);
}

static void
test_login(void)
{
	struct perr err = { 0, "" };
	struct auth a;

	ok(auth_start(&a, AUTH_LOGIN, "user", "pencil", out, sizeof(out),
	    &err) == 0, "LOGIN start");
	is_str(out, "", "LOGIN waits for the challenge");
	ok(auth_step(&a, "VXNlcm5hbWU6", out, sizeof(out), &err) == 0,
	    "LOGIN Username: step");
	is_str(out, "dXNlcg==", "answered with the user");
	/* the step, not the prompt, decides: this prompt says "Username:" */
	ok(auth_step(&a, "VXNlcm5hbWU6", out, sizeof(out), &err) == 0,
	    "LOGIN second step");
	is_str(out, "cGVuY2ls", "answered with the password");
	ok(auth_step(&a, "UGFzc3dvcmQ6", out, sizeof(out), &err) == -1,
	    "LOGIN third challenge refused");
	is_int(err.code, EX_PROTOCOL, "third challenge is EX_PROTOCOL");
	is_str(out, "", "nothing to send after an error");
	perr_clear(&err);
	auth_clear(&a);

	ok(auth_start(&a, AUTH_LOGIN, "user", "pencil", out, sizeof(out),
	    &err) == 0, "LOGIN start again");
	ok(auth_step(&a, "not base64!", out, sizeof(out), &err) == -1,
	    "bad base64 challenge refused");
	perr_clear(&err);
	ok(auth_step(&a, "VXNlcm5hbWU", out, sizeof(out), &err) == -1,
	    "base64 of a wrong length refused");
	perr_clear(&err);
	auth_clear(&a);
}

static void
test_cram(void)
{
	struct perr err = { 0, "" };
	struct auth a;

	/* RFC 2195 2 */
	ok(auth_start(&a, AUTH_CRAM_MD5, "tim", "tanstaaftanstaaf", out,
	    sizeof(out), &err) == 0, "CRAM-MD5 start");
	is_str(out, "", "CRAM-MD5 waits for the challenge");
	ok(auth_step(&a, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1j"
	    "aS5uZXQ+", out, sizeof(out), &err) == 0, "CRAM-MD5 step");
	/* "tim b913a602c7eda7a495b4e6e7334d3890" */
	is_str(out, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
	    "RFC 2195 response");
	ok(auth_step(&a, "", out, sizeof(out), &err) == -1,
	    "CRAM-MD5 second challenge refused");
	perr_clear(&err);
	ok(auth_finish(&a, "2.7.0 Authentication successful", &err) == 0,
	    "CRAM-MD5 finish");
	auth_clear(&a);
}

static void
scram_begin(struct auth *a, const char *user, struct perr *err)
{
	auth_test_nonce("rOprNGfwEbeRWgbNEkqO");
	ok(auth_start(a, AUTH_SCRAM_SHA_256, user, "pencil", out,
	    sizeof(out), err) == 0, "SCRAM start");
	auth_test_nonce(NULL);
}

static void
test_scram(void)
{
	struct perr err = { 0, "" };
	struct auth a;

	/* RFC 7677 3 */
	scram_begin(&a, "user", &err);
	/* "n,,n=user,r=rOprNGfwEbeRWgbNEkqO" */
	is_str(out, "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=",
	    "RFC 7677 client-first");
	ok(auth_step(&a, R7677_SFIRST, out, sizeof(out), &err) == 0,
	    "server-first accepted");
	is_str(out, R7677_CFINAL, "RFC 7677 client-final with proof");
	ok(auth_step(&a, R7677_SFINAL, out, sizeof(out), &err) == 0,
	    "RFC 7677 server signature verified");
	is_str(out, "", "empty answer to the server-final");
	ok(auth_finish(&a, "2.7.0 Authentication successful", &err) == 0,
	    "finish after a verified 334");
	auth_clear(&a);

	scram_begin(&a, "user", &err);
	ok(auth_step(&a, R7677_SFIRST, out, sizeof(out), &err) == 0,
	    "server-first again");
	ok(auth_step(&a, BAD_SFINAL, out, sizeof(out), &err) == -1,
	    "bad server signature refused");
	is_int(err.code, EX_PROTOCOL, "bad signature is EX_PROTOCOL");
	ok(strstr(err.msg, "signature") != NULL, "message: %s", err.msg);
	perr_clear(&err);
	auth_clear(&a);

	/* the server-final can come with the 235 instead */
	scram_begin(&a, "user", &err);
	ok(auth_step(&a, R7677_SFIRST, out, sizeof(out), &err) == 0,
	    "server-first, final with 235");
	ok(auth_finish(&a, "2.7.0 " R7677_SFINAL, &err) == 0,
	    "signature in the 235 text verified");
	auth_clear(&a);
	scram_begin(&a, "user", &err);
	ok(auth_step(&a, R7677_SFIRST, out, sizeof(out), &err) == 0,
	    "server-first, bad final with 235");
	ok(auth_finish(&a, "235 2.7.0 " BAD_SFINAL, &err) == -1,
	    "bad signature in the 235 text refused");
	perr_clear(&err);
	auth_clear(&a);
	scram_begin(&a, "user", &err);
	ok(auth_step(&a, R7677_SFIRST, out, sizeof(out), &err) == 0,
	    "server-first, no final");
	ok(auth_finish(&a, "2.7.0 Authentication successful", &err) == -1,
	    "235 without the server's proof refused");
	perr_clear(&err);
	auth_clear(&a);

	scram_begin(&a, "user", &err);
	ok(auth_step(&a, R7677_SFIRST, out, sizeof(out), &err) == 0,
	    "server-first before an error");
	/* "e=invalid-proof" */
	ok(auth_step(&a, "ZT1pbnZhbGlkLXByb29m", out, sizeof(out),
	    &err) == -1, "server error e= reported");
	ok(strstr(err.msg, "invalid-proof") != NULL, "message: %s", err.msg);
	perr_clear(&err);
	auth_clear(&a);

	/* RFC 7677's server-first with i=4095 */
	scram_begin(&a, "user", &err);
	ok(auth_step(&a, "cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRD"
	    "QWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxp"
	    "PTQwOTU=", out, sizeof(out), &err) == -1,
	    "iteration count below 4096 refused");
	ok(strstr(err.msg, "4095") != NULL, "message: %s", err.msg);
	perr_clear(&err);
	auth_clear(&a);

	/* a server nonce that does not start with ours: r=XXXXNGfw... */
	scram_begin(&a, "user", &err);
	ok(auth_step(&a, "cj1YWFhYTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRD"
	    "QWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxp"
	    "PTQwOTY=", out, sizeof(out), &err) == -1,
	    "foreign server nonce refused");
	perr_clear(&err);
	auth_clear(&a);

	/* "m=ext," before the RFC 7677 server-first: mandatory extension */
	scram_begin(&a, "user", &err);
	ok(auth_step(&a, "bT1leHQscj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdV"
	    "YTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2"
	    "Z1E9PSxpPTQwOTY=", out, sizeof(out), &err) == -1,
	    "unknown mandatory extension refused");
	perr_clear(&err);
	auth_clear(&a);

	/* RFC 5802 5.1 saslname: "a,b=c" -> "a=2Cb=3Dc" */
	auth_test_nonce("abc");
	ok(auth_start(&a, AUTH_SCRAM_SHA_256, "a,b=c", "pencil", out,
	    sizeof(out), &err) == 0, "SCRAM start with , and =");
	auth_test_nonce(NULL);
	is_str(out, "biwsbj1hPTJDYj0zRGMscj1hYmM=", "user name escaped");
	auth_clear(&a);

	/* without the hook the nonce is random */
	ok(auth_start(&a, AUTH_SCRAM_SHA_256, "user", "pencil", out,
	    sizeof(out), &err) == 0, "SCRAM start with a random nonce");
	ok(strlen(a.nonce) >= 16 && strcmp(a.nonce, "rOprNGfwEbeRWgbNEkqO"),
	    "random nonce %s", a.nonce);
	auth_clear(&a);
	ok(a.nonce[0] == '\0' && a.user == NULL && a.server_signature[0] == 0,
	    "auth_clear wipes the state");
}

static void
test_xoauth2(void)
{
	struct perr err = { 0, "" };
	struct auth a;

	ok(auth_start(&a, AUTH_XOAUTH2, "me@example.com", "tok123", out,
	    sizeof(out), &err) == 0, "XOAUTH2 start");
	/* "user=me@example.com\1auth=Bearer tok123\1\1" */
	is_str(out, "dXNlcj1tZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB0b2sxMjMBAQ==",
	    "XOAUTH2 initial response");
	ok(auth_step(&a, "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2"
	    "NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==", out,
	    sizeof(out), &err) == 0, "XOAUTH2 error challenge answered");
	is_str(out, "", "with an empty line");
	auth_clear(&a);
	ok(auth_start(&a, AUTH_XOAUTH2, "me", "tok\001en", out, sizeof(out),
	    &err) == -1, "XOAUTH2 token with ^A refused");
	perr_clear(&err);
	auth_clear(&a);
}

/* Decode base64 text into buf (NUL-terminated); the length, or -1. */
static int
unb64(const char *text, char *buf, size_t cap)
{
	size_t len = strlen(text);
	int n;

	if (len / 4 * 3 + 1 > cap)
		return -1;
	n = EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)text,
	    (int)len);
	if (n < 0)
		return -1;
	while (len > 0 && text[--len] == '=')
		n--;
	buf[n] = '\0';
	return n;
}

static void
test_oauthbearer(void)
{
	struct perr err = { 0, "" };
	static char raw[32768], tok[MAX_SECRET + 1];
	struct auth a;
	int n;

	memset(&a, 0, sizeof(a));
	a.host = "smtp.gmail.com";
	a.port = 587;
	ok(auth_start(&a, AUTH_OAUTHBEARER, "user,x=y@example.com", "vF9dft4q",
	    out, sizeof(out), &err) == 0, "OAUTHBEARER start");
	n = unb64(out, raw, sizeof(raw));
#define GS2	"n,a=user=2Cx=3Dy@example.com,\001host=smtp.gmail.com\001" \
		"port=587\001auth=Bearer vF9dft4q\001\001"
	is_mem(raw, (size_t)n, GS2, sizeof(GS2) - 1,
	    "OAUTHBEARER GS2 header, host, port, token (RFC 7628)");
	is_str(a.host, "smtp.gmail.com", "host kept by auth_start");
	/* RFC 7628 3.2.3: the error challenge is answered with ^A */
	ok(auth_step(&a, "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=", out,
	    sizeof(out), &err) == 0, "OAUTHBEARER error challenge answered");
	is_str(out, "AQ==", "with a single ^A");
	ok(auth_step(&a, "", out, sizeof(out), &err) == -1,
	    "a second challenge is refused");
	perr_clear(&err);
	auth_clear(&a);

	memset(&a, 0, sizeof(a));
	ok(auth_start(&a, AUTH_OAUTHBEARER, "me", "t", out, sizeof(out),
	    &err) == 0, "OAUTHBEARER without host");
	n = unb64(out, raw, sizeof(raw));
	is_mem(raw, (size_t)n, "n,a=me,\001auth=Bearer t\001\001",
	    sizeof("n,a=me,\001auth=Bearer t\001\001") - 1,
	    "host and port left out when unknown");
	ok(auth_start(&a, AUTH_OAUTHBEARER, "me", "t\001", out, sizeof(out),
	    &err) == -1, "OAUTHBEARER token with ^A refused");
	perr_clear(&err);

	/* a 16 KB token (MAX_SECRET) fits both mechanisms */
	memset(tok, 'T', MAX_SECRET);
	tok[MAX_SECRET] = '\0';
	memset(&a, 0, sizeof(a));
	a.host = "smtp.office365.com";
	a.port = 587;
	ok(auth_start(&a, AUTH_OAUTHBEARER, "box@example.com", tok, out,
	    sizeof(out), &err) == 0, "16 KB token with OAUTHBEARER");
	n = unb64(out, raw, sizeof(raw));
	ok(n > MAX_SECRET && strstr(raw, "auth=Bearer TTTT") != NULL &&
	    raw[n - 3] == 'T', "the whole token is in the response");
	ok(auth_start(&a, AUTH_XOAUTH2, "box@example.com", tok, out,
	    sizeof(out), &err) == 0, "16 KB token with XOAUTH2");
	n = unb64(out, raw, sizeof(raw));
	is_int(n, strlen("user=box@example.com\001auth=Bearer \001\001") +
	    MAX_SECRET, "XOAUTH2 response length");
	tok[MAX_SECRET - 1] = '\0';
	ok(auth_start(&a, AUTH_XOAUTH2, "box@example.com", tok, out, 1000,
	    &err) == -1 && err.code == EX_SOFTWARE,
	    "a response that does not fit is refused");
	perr_clear(&err);
	auth_clear(&a);
}

static void
test_line_rule(void)
{
	static char resp[600];

	/* "AUTH XOAUTH2 " (13) + resp + CR LF (2) <= 512 */
	memset(resp, 'A', 497);
	resp[497] = '\0';
	ok(auth_initial_fits("XOAUTH2", resp), "512 octets: on the AUTH line");
	resp[497] = 'A';
	resp[498] = '\0';
	ok(!auth_initial_fits("XOAUTH2", resp), "513 octets: after a 334");
	ok(auth_initial_fits("LOGIN", ""), "no initial response fits");
	ok(auth_initial_fits("PLAIN", "AGZvbwBiYXI="), "short PLAIN fits");
}

static void
test_hints(void)
{
	const char *h;

	h = auth_hint(535, "5.7.139 Authentication unsuccessful, the user "
	    "credentials were incorrect", 1);
	ok(h != NULL && strstr(h, "SMTP AUTH is disabled") != NULL,
	    "5.7.139: enable SMTP AUTH");
	h = auth_hint(550, "5.7.30 Basic authentication is not supported for "
	    "Client Submission", 0);
	ok(h != NULL && strstr(h, "auth = xoauth2 with an [oauth] section") !=
	    NULL, "5.7.30: use xoauth2 with [oauth]");
	h = auth_hint(534, "5.7.9 Application-specific password required.", 0);
	ok(h != NULL && strstr(h, "application-specific password") != NULL,
	    "534 5.7.9: app password or OAuth");
	ok(auth_hint(535, "5.7.3 Authentication unsuccessful", 1) == NULL,
	    "5.7.3: no hint");
	ok(auth_hint(535, "5.7.300 x", 1) == NULL, "5.7.300 is not 5.7.30");
	ok(auth_hint(250, NULL, 0) == NULL, "NULL text");

	ok(auth_token_refused(535, "5.7.3 Authentication unsuccessful"),
	    "535 5.7.3: a new token may help");
	ok(auth_token_refused(535, ""), "535 without a status code");
	ok(auth_token_refused(530, "5.7.0 Authentication required"), "5.7.0");
	ok(auth_token_refused(554, "5.5.127 token rejected"), "5.5.127");
	ok(!auth_token_refused(535, "5.7.139 disabled"), "5.7.139: no");
	ok(!auth_token_refused(534, "5.7.9 app password"), "5.7.9: no");
	ok(!auth_token_refused(454, "4.7.0 try later"), "4xx: no");
	ok(!auth_token_refused(554, "5.5.1 bad sequence"), "5.5.1: no");
}

int
main(void)
{
	test_names();
	test_pick();
	test_plain();
	test_login();
	test_cram();
	test_scram();
	test_xoauth2();
	test_oauthbearer();
	test_line_rule();
	test_hints();
	return done_testing();
}
