/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the login's pure parts (percent-encoding, base64url,
 * PKCE against RFC 7636 Appendix B, the authorization URL, the redirect
 * parser, the endpoint's replies) and the loopback listener (loopback.c),
 * driven by in-process clients.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "jwt.h"
#include "loopback.h"
#include "oauthlogin.h"
#include "perr.h"
#include "util.h"
#include "tap.h"

#define R(s)	(s), strlen(s)

/* A client connected to 127.0.0.1:port that sent req (NULL: nothing yet). */
static int
client(int port, const char *req)
{
	struct sockaddr_in sin;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (req != NULL && write_all(fd, req, strlen(req)) == -1)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What the listener answered on fd: its status line. */
static void
status_line(int fd, char *buf, size_t cap)
{
	ssize_t n;
	size_t len = 0;
	char *nl;

	buf[0] = '\0';
	while (len < cap - 1 && wait_fd(fd, POLLIN, mono_now() + 2) == 1) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if ((nl = strstr(buf, "\r\n")) != NULL)
		*nl = '\0';
}

static void
test_pkce(void)
{
	/* RFC 7636 Appendix B */
	static const unsigned char octets[32] = {
		116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216,
		173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5,
		88, 83, 132, 141, 121
	};
	char out[128];

	ok(jwt_b64url(octets, sizeof(octets), out, sizeof(out)) == 0 &&
	    strlen(out) == 43, "RFC 7636 B: 32 octets give 43 characters");
	is_str(out, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
	    "RFC 7636 B: code_verifier");
	ok(loopback_pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
	    out, sizeof(out)) == 0, "S256 challenge computed");
	is_str(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
	    "RFC 7636 B: code_challenge");
	ok(loopback_pkce_s256("x", out, 44) == 0 && strlen(out) == 43,
	    "a 44-octet buffer holds any challenge");
}

static void
test_auth_url(void)
{
	struct loopback_authreq r = {
		.auth_url = "https://accounts.google.com/o/oauth2/v2/auth",
		.client_id = "123-abc.apps.googleusercontent.com",
		.scope = "https://mail.google.com/",
		.state = "st4te",
		.challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		.port = 8087,
		.offline = 1,
	};
	struct buf b;

	buf_init(&b, 4096);
	ok(loopback_auth_url(&b, &r) == 0, "Google authorization URL");
	is_str(buf_str(&b), "https://accounts.google.com/o/oauth2/v2/auth"
	    "?client_id=123-abc.apps.googleusercontent.com"
	    "&response_type=code"
	    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8087%2F"
	    "&scope=https%3A%2F%2Fmail.google.com%2F"
	    "&state=st4te"
	    "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	    "&code_challenge_method=S256"
	    "&access_type=offline&prompt=consent",
	    "every parameter, offline access for Google");
	buf_reset(&b);
	r.auth_url = "https://login.example/authorize?tenant=x";
	r.offline = 0;
	r.scope = "https://outlook.office.com/SMTP.Send offline_access";
	ok(loopback_auth_url(&b, &r) == 0, "URL with a query of its own");
	/* http_form_add: the WHATWG form encoding, '+' for a space */
	is_str(buf_str(&b), "https://login.example/authorize?tenant=x"
	    "&client_id=123-abc.apps.googleusercontent.com"
	    "&response_type=code"
	    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8087%2F"
	    "&scope=https%3A%2F%2Foutlook.office.com%2FSMTP.Send+offline_access"
	    "&state=st4te"
	    "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	    "&code_challenge_method=S256",
	    "joined with '&', no offline parameters");
	buf_free(&b);
}

static void
test_redirect(void)
{
	struct loopback_redirect r;
	char big[6000];

	is_int(loopback_redirect_parse(R("GET /?state=s1&code=4%2F0Ab-x+y"
	    "&scope=https%3A%2F%2Fmail.google.com%2F HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8087\r\n\r\n"), &r), 1, "a redirect with a code");
	is_str(r.code, "4/0Ab-x y", "code percent- and plus-decoded");
	is_str(r.state, "s1", "state");
	is_str(r.error, "", "no error");
	is_int(loopback_redirect_parse(R("GET /?error=access_denied&"
	    "error_description=The+user+said+no&state=s1 HTTP/1.1\r\n\r\n"),
	    &r), 1, "a redirect with an error");
	is_str(r.error, "access_denied", "error");
	is_str(r.error_description, "The user said no", "error_description");
	is_int(loopback_redirect_parse(R("GET /favicon.ico HTTP/1.1\r\n\r\n"),
	    &r), 0, "a favicon request is not the redirect");
	is_int(loopback_redirect_parse(R("GET / HTTP/1.1\r\n\r\n"), &r), 0,
	    "no query: not the redirect");
	is_int(loopback_redirect_parse(R("GET /?foo=bar HTTP/1.1\r\n\r\n"),
	    &r), 0, "neither code nor error: not the redirect");
	is_int(loopback_redirect_parse(R("POST /?code=x&state=s HTTP/1.1\r\n"
	    "\r\n"), &r), 0, "only GET is the redirect");
	is_int(loopback_redirect_parse(R("GET /x?code=x&state=s HTTP/1.1\r\n"
	    "\r\n"), &r), 0, "only the path / is the redirect");
	is_int(loopback_redirect_parse(R("GET /?code=x&state=s\r\n\r\n"), &r),
	    -1, "no HTTP version: malformed");
	is_int(loopback_redirect_parse(R("GET /?code=a&code=b&state=s "
	    "HTTP/1.1\r\n\r\n"), &r), -1, "a code twice is refused");
	is_int(loopback_redirect_parse(R("GET /?code=a%0Ab&state=s "
	    "HTTP/1.1\r\n\r\n"), &r), -1, "a control character is refused");
	is_int(loopback_redirect_parse(R("GET /?code=a%00&state=s "
	    "HTTP/1.1\r\n\r\n"), &r), -1, "a NUL is refused");
	is_int(loopback_redirect_parse(R("GET /?code=a%G0&state=s "
	    "HTTP/1.1\r\n\r\n"), &r), -1, "a broken escape is refused");
	is_int(loopback_redirect_parse(R("GET /?state=s&code=a%4 "
	    "HTTP/1.1\r\n\r\n"), &r), -1, "a truncated escape is refused");
	is_int(loopback_redirect_parse(R("GET /?code HTTP/1.1\r\n\r\n"), &r),
	    -1, "a code without a value is refused");
	memcpy(big, "GET /?state=s&code=", 19);
	memset(big + 19, 'a', 4096);
	memcpy(big + 19 + 4096, " HTTP/1.1\r\n\r\n", 14);
	is_int(loopback_redirect_parse(big, strlen(big), &r), -1,
	    "a code longer than its field is refused, not cut");
	is_int(loopback_redirect_parse(R("GET /?code=c&state=s HTTP/1.0"),
	    &r), 1, "HTTP/1.0, no headers");
	is_str(r.code, "c", "code");
}

static void
test_listener(void)
{
	struct loopback_redirect r;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct perr err = { 0 };
	char line[4096];
	double t0;
	int lfd, port, c1, c2, lfd2;

	loopback_test_conn_wait(1);
	lfd = loopback_listen(0, &err);
	ok(lfd != -1, "listening on a free port");
	port = loopback_port(lfd);
	ok(port > 0, "the port is known: %d", port);
	ok(getsockname(lfd, (struct sockaddr *)&sin, &slen) == 0 &&
	    sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	    "bound to 127.0.0.1 only");
	lfd2 = loopback_listen(port, &err);
	ok(lfd2 == -1 && strstr(err.msg, "127.0.0.1") != NULL,
	    "a port in use is refused: %s", err.msg);
	perr_clear(&err);

	/* an idle preconnection, a favicon request, then the redirect */
	c1 = client(port, NULL);
	c2 = client(port, "GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(c1 != -1 && c2 != -1, "two clients connected");
	t0 = mono_now();
	/* the real one only after the idle one has been given up */
	{
		int c3 = client(port, "GET /?code=the%2Fcode&state=S HTTP/1.1\r\n"
		    "Host: 127.0.0.1\r\n\r\n");

		is_int(loopback_wait_redirect(lfd, "S", mono_now() + 10, &r,
		    &err), 0, "the redirect is taken: %s", err.msg);
		is_str(r.code, "the/code", "with its code");
		ok(mono_now() - t0 < 5, "an idle connection costs at most "
		    "the per-connection wait");
		status_line(c2, line, sizeof(line));
		is_str(line, "HTTP/1.1 404 Not Found", "the favicon got 404");
		status_line(c3, line, sizeof(line));
		is_str(line, "HTTP/1.1 200 OK", "the browser got a page");
		ok(strstr(line + strlen(line) + 2, "close this window") != NULL,
		    "which says the window can be closed");
		close(c3);
	}
	close(c1);
	close(c2);

	c1 = client(port, "GET /?code=x&state=WRONG HTTP/1.1\r\n\r\n");
	is_int(loopback_wait_redirect(lfd, "S", mono_now() + 5, &r, &err),
	    -1, "a wrong state ends the login");
	ok(err.code == EX_NOPERM && strstr(err.msg, "wrong state") != NULL,
	    "and says so: %s", err.msg);
	is_str(r.code, "", "the code is wiped");
	status_line(c1, line, sizeof(line));
	is_str(line, "HTTP/1.1 400 Bad Request", "the browser is told");
	close(c1);
	perr_clear(&err);

	c1 = client(port, "GET /?error=access_denied&error_description="
	    "AADSTS65004%3A+User+declined&state=S HTTP/1.1\r\n\r\n");
	is_int(loopback_wait_redirect(lfd, "S", mono_now() + 5, &r, &err),
	    -1, "error= ends the login");
	ok(err.code == EX_NOPERM && strcmp(err.msg, "authorization refused: "
	    "access_denied: AADSTS65004: User declined") == 0,
	    "with the provider's words: %s", err.msg);
	close(c1);
	perr_clear(&err);

	t0 = mono_now();
	is_int(loopback_wait_redirect(lfd, "S", mono_now() + 0.3, &r, &err),
	    -1, "nobody comes: the wait ends");
	ok(err.code == EX_TEMPFAIL && mono_now() - t0 < 2,
	    "at the deadline: %s", err.msg);
	perr_clear(&err);
	close(lfd);

	ok(loopback_listen(70000, &err) == -1 && err.code == EX_USAGE,
	    "a port out of range: %s", err.msg);
	loopback_test_conn_wait(0);
}

static void
test_replies(void)
{
	struct oauthlogin_tokens t;
	struct oauthlogin_devcode d;
	struct perr err = { 0 };
	static const char ms_pending[] = "{\"error\":\"authorization_pending\","
	    "\"error_description\":\"AADSTS70016: OAuth 2.0 device flow error. "
	    "Authorization is pending. Continue polling.\\r\\nTrace ID: "
	    "0000\\r\\nTimestamp: 2026-12-01 10:00:00Z\",\"error_codes\":"
	    "[70016],\"timestamp\":\"2026-12-01 10:00:00Z\"}";
	static const char tokens[] = "{\"token_type\":\"Bearer\",\"scope\":"
	    "\"https://outlook.office.com/SMTP.Send\",\"expires_in\":\"3599\","
	    "\"ext_expires_in\":3599,\"access_token\":\"AT.x\","
	    "\"refresh_token\":\"RT.y\",\"id_token\":{\"nested\":[1,2]}}";

	is_int(oauthlogin_token_reply(400, R(ms_pending), &t, &err),
	    LOGIN_PENDING, "Microsoft's authorization_pending (400)");
	is_int(oauthlogin_token_reply(428, R("{\n  \"error\": "
	    "\"authorization_pending\",\n  \"error_description\": "
	    "\"Precondition Required\"\n}"), &t, &err), LOGIN_PENDING,
	    "Google's authorization_pending (428)");
	is_int(oauthlogin_token_reply(403, R("{\"error\":\"slow_down\"}"), &t,
	    &err), LOGIN_SLOW_DOWN, "slow_down (Google: 403)");
	is_int(err.code, 0, "no error for pending or slow_down");
	is_int(oauthlogin_token_reply(200, R(tokens), &t, &err), LOGIN_TOKENS,
	    "tokens");
	is_str(t.access, "AT.x", "access token");
	is_str(t.refresh, "RT.y", "refresh token");
	is_int(t.expires_in, 3599, "expires_in as a string");
	oauthlogin_tokens_free(&t);
	ok(t.access == NULL && t.refresh == NULL, "tokens freed");

	is_int(oauthlogin_token_reply(400, R("{\"error\":\"expired_token\","
	    "\"error_description\":\"AADSTS70020: The code has expired.\\r\\n"
	    "Trace ID: 1\"}"), &t, &err), LOGIN_FAIL, "expired_token");
	ok(err.code == EX_NOPERM && strstr(err.msg, "code expired") != NULL &&
	    strstr(err.msg, "AADSTS70020: The code has expired.") != NULL &&
	    strstr(err.msg, "Trace ID") == NULL,
	    "says so with the first line of the description: %s", err.msg);
	perr_clear(&err);
	is_int(oauthlogin_token_reply(400, R("{\"error\":"
	    "\"authorization_declined\",\"error_description\":\"AADSTS70000: "
	    "The end user denied the authorization request.\"}"), &t, &err),
	    LOGIN_FAIL, "Microsoft's authorization_declined");
	ok(strstr(err.msg, "declined") != NULL, "%s", err.msg);
	perr_clear(&err);
	is_int(oauthlogin_token_reply(403, R("{\"error\":\"access_denied\","
	    "\"error_description\":\"Forbidden\"}"), &t, &err), LOGIN_FAIL,
	    "access_denied");
	ok(err.code == EX_NOPERM && strstr(err.msg, "sign-in was declined "
	    "(access_denied: Forbidden)") != NULL, "%s", err.msg);
	perr_clear(&err);
	is_int(oauthlogin_token_reply(401, R("{\"error\":\"invalid_client\"}"),
	    &t, &err), LOGIN_FAIL, "invalid_client");
	ok(strstr(err.msg, "client_id") != NULL, "points at the client: %s",
	    err.msg);
	perr_clear(&err);
	is_int(oauthlogin_token_reply(400, R("{\"error\":\"slow_downs\"}"), &t,
	    &err), LOGIN_FAIL, "an error code is compared whole");
	perr_clear(&err);
	is_int(oauthlogin_token_reply(503, R("{\"error\":{\"code\":503}}"), &t,
	    &err), LOGIN_RETRY, "503: the endpoint's trouble");
	is_int(err.code, EX_TEMPFAIL, "temporary");
	perr_clear(&err);
	is_int(oauthlogin_token_reply(429, R(""), &t, &err), LOGIN_RETRY,
	    "429 likewise");
	perr_clear(&err);
	is_int(oauthlogin_token_reply(400, R("<html>"), &t, &err), LOGIN_FAIL,
	    "a 400 that is not OAuth");
	is_int(err.code, EX_PROTOCOL, "is a protocol error");
	perr_clear(&err);
	is_int(oauthlogin_token_reply(302, R(""), &t, &err), LOGIN_FAIL,
	    "a redirect from the token endpoint");
	perr_clear(&err);
	is_int(oauthlogin_token_reply(200, R("{\"access_token\":\"a\","
	    "\"token_type\":\"Bearer\"}"), &t, &err), LOGIN_FAIL,
	    "no refresh token");
	ok(err.code == EX_CONFIG && strstr(err.msg, "offline_access") != NULL,
	    "names offline_access: %s", err.msg);
	ok(t.access == NULL, "and hands nothing out");
	perr_clear(&err);
	is_int(oauthlogin_token_reply(200, R("{\"access_token\":\"a\","
	    "\"refresh_token\":\"r\",\"token_type\":\"mac\"}"), &t, &err),
	    LOGIN_FAIL, "a token type other than Bearer");
	perr_clear(&err);
	is_int(oauthlogin_token_reply(200, R("{\"access_token\":\"a\\u001b[2J\","
	    "\"refresh_token\":\"r\"}"), &t, &err), LOGIN_FAIL,
	    "a control character in a token");
	perr_clear(&err);
	is_int(oauthlogin_token_reply(200, R("{\"access_token\":\"a\","
	    "\"refresh_token\":\"r\"} x"), &t, &err), LOGIN_FAIL,
	    "bytes after the JSON");
	ok(err.code == EX_PROTOCOL, "%s", err.msg);
	perr_clear(&err);

	ok(oauthlogin_devcode_reply(200, R("{\"user_code\":\"ABCD1234E\","
	    "\"device_code\":\"DC\",\"verification_uri\":"
	    "\"https://microsoft.com/devicelogin\",\"expires_in\":900,"
	    "\"interval\":5,\"message\":\"To sign in...\"}"), &d, &err) == 0,
	    "Microsoft's device reply");
	is_str(d.device_code, "DC", "device_code");
	is_str(d.user_code, "ABCD1234E", "user_code");
	is_str(d.uri, "https://microsoft.com/devicelogin", "verification_uri");
	ok(d.uri_complete == NULL, "no verification_uri_complete");
	ok(d.expires_in == 900 && d.interval == 5, "expires_in, interval");
	oauthlogin_devcode_free(&d);
	ok(oauthlogin_devcode_reply(200, R("{\"device_code\":\"DC\","
	    "\"user_code\":\"GQVQ-JKEC\",\"verification_url\":"
	    "\"https://www.google.com/device\",\"expires_in\":1800}"), &d,
	    &err) == 0, "Google's device reply");
	is_str(d.uri, "https://www.google.com/device", "verification_url");
	ok(d.expires_in == 1800 && d.interval == 5, "interval defaults to 5");
	oauthlogin_devcode_free(&d);
	ok(oauthlogin_devcode_reply(200, R("{\"device_code\":\"DC\","
	    "\"user_code\":\"U\",\"verification_uri\":\"https://e/d\","
	    "\"verification_uri_complete\":\"https://e/d?c=U\","
	    "\"expires_in\":99999,\"interval\":0}"), &d, &err) == 0,
	    "RFC 8628 reply with verification_uri_complete");
	is_str(d.uri_complete, "https://e/d?c=U", "verification_uri_complete");
	ok(d.expires_in == 3600 && d.interval == 5,
	    "expiry capped at an hour, interval 0 taken as the default");
	oauthlogin_devcode_free(&d);
	ok(oauthlogin_devcode_reply(200, R("{\"device_code\":\"DC\","
	    "\"user_code\":\"U\\u001b]0;x\\u0007\",\"verification_uri\":"
	    "\"https://e/d\"}"), &d, &err) == -1 && err.code == EX_PROTOCOL,
	    "no escape sequences to the terminal: %s", err.msg);
	perr_clear(&err);
	ok(oauthlogin_devcode_reply(200, R("{\"device_code\":\"DC\","
	    "\"verification_uri\":\"https://e/d\"}"), &d, &err) == -1,
	    "user_code missing: %s", err.msg);
	perr_clear(&err);
	ok(oauthlogin_devcode_reply(200, R("{\"device_code\":\"DC\","
	    "\"user_code\":\"U\",\"verification_uri\":\"javascript:x\"}"), &d,
	    &err) == -1, "a verification URI that is not http(s)");
	perr_clear(&err);
	ok(oauthlogin_devcode_reply(400, R("{\"error\":\"invalid_scope\","
	    "\"error_description\":\"Invalid device flow scope: "
	    "https://mail.google.com/\"}"), &d, &err) == -1 &&
	    strstr(err.msg, "invalid_scope: Invalid device flow scope") != NULL,
	    "the endpoint's refusal: %s", err.msg);
	perr_clear(&err);
	ok(oauthlogin_devcode_reply(503, R(""), &d, &err) == -1 &&
	    err.code == EX_TEMPFAIL, "503: temporary: %s", err.msg);
	perr_clear(&err);
}

int
main(void)
{
	test_pkce();
	test_auth_url();
	test_redirect();
	test_replies();
	test_listener();
	return done_testing();
}
