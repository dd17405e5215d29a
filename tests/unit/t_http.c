/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for http.c: URLs, form encoding and the response parser
 * (whole and split at every size), then POSTs over real TLS to
 * tests/lib/rawhttps.py on 127.0.0.1 with a throw-away CA: framings,
 * an unknown CA, a wrong host name, and the overall deadline.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "util.h"
#include "tap.h"

static void
test_url(void)
{
	static const char *bad[][2] = {
		{ "http://example.com/token", "must start with https://" },
		{ "ftp://example.com/", "must start with https://" },
		{ "https:/example.com/", "must start with https://" },
		{ "https://user:pw@example.com/", "no user name or password" },
		{ "https://user@example.com/", "no user name or password" },
		{ "https://example.com/token#frag", "no fragment" },
		{ "https://example.com/a b", "space, control or non-ASCII "
		    "character at offset 21" },
		{ "https://example.com/a\tb", "control" },
		{ "https://example.com/\r\nX: y", "control" },
		{ "https://ex\xc3\xa4mple.com/", "non-ASCII" },
		{ "https://[::1/", "unterminated [" },
		{ "https://[fe80::1%25eth0]/", "bad IPv6 address" },
		{ "https://[zz]/", "bad IPv6 address" },
		{ "https://[127.0.0.1]/", "bad IPv6 address" },
		{ "https://[::1]x/", "bad port" },
		{ "https://:443/", "no host" },
		{ "https:///token", "no host" },
		{ "https://", "no host" },
		{ "https://ho%73t/", "bad character in host name" },
		{ "https://host:/", "bad port" },
		{ "https://host:0/", "bad port" },
		{ "https://host:65536/", "bad port" },
		{ "https://host:12a/", "bad port" },
		{ "https://host:1234567/", "bad port" },
		{ "https://host:-1/", "bad port" },
	};
	struct http_url u;
	struct perr err = { 0, "" };
	char *big;
	size_t i;

	ok(http_url_parse("https://login.microsoftonline.com/contoso.onmicro"
	    "soft.com/oauth2/v2.0/token", &u, &err) == 0, "Microsoft URL");
	is_str(u.host, "login.microsoftonline.com", "host");
	is_int(u.port, 443, "default port");
	is_str(u.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token", "path");
	ok(http_url_parse("HTTPS://oauth2.googleapis.com", &u, &err) == 0 &&
	    strcmp(u.path, "/") == 0 && strcmp(u.host, "oauth2.googleapis.com")
	    == 0, "scheme in capitals, empty path is /");
	ok(http_url_parse("https://example.com:8443/t?x=1&y=%20", &u, &err) ==
	    0 && u.port == 8443 && strcmp(u.path, "/t?x=1&y=%20") == 0,
	    "port, path and query");
	ok(http_url_parse("https://example.com?x=1", &u, &err) == 0 &&
	    strcmp(u.path, "/?x=1") == 0, "query without a path");
	ok(http_url_parse("https://[::1]:9443/token", &u, &err) == 0 &&
	    strcmp(u.host, "::1") == 0 && u.port == 9443 &&
	    strcmp(u.path, "/token") == 0, "IPv6 literal and port");
	ok(http_url_parse("https://[2001:db8::1]", &u, &err) == 0 &&
	    strcmp(u.host, "2001:db8::1") == 0 && u.port == 443,
	    "IPv6 literal alone");
	ok(http_url_parse("https://127.0.0.1:65535/", &u, &err) == 0 &&
	    u.port == 65535, "IPv4 literal, highest port");
	ok(http_url_parse("https://my_host.example./", &u, &err) == 0,
	    "underscore and trailing dot");
	for (i = 0; i < nitems(bad); i++) {
		perr_clear(&err);
		ok(http_url_parse(bad[i][0], &u, &err) == -1 &&
		    err.code == EX_CONFIG && strstr(err.msg, bad[i][1]) != NULL,
		    "refused %zu: %s", i, err.msg);
	}

	big = malloc(HTTP_MAX_URL + 1);
	if (big == NULL)
		return;
	memcpy(big, "https://h/", 10);
	memset(big + 10, 'a', HTTP_MAX_URL - 11);
	big[HTTP_MAX_URL - 1] = '\0';
	perr_clear(&err);
	ok(http_url_parse(big, &u, &err) == 0 &&
	    strlen(u.path) == HTTP_MAX_URL - 10, "URL of %d bytes",
	    HTTP_MAX_URL - 1);
	big[HTTP_MAX_URL - 1] = 'a';
	big[HTTP_MAX_URL] = '\0';
	ok(http_url_parse(big, &u, &err) == -1 && strstr(err.msg, "longer")
	    != NULL, "one byte more: %s", err.msg);
	free(big);
}

static void
test_form(void)
{
	struct buf f;
	char *data;
	int i, r = 0;
	size_t len;

	ok(http_form_init(&f) == 0, "form init");
	is_int(f.cap, HTTP_MAX_FORM + 1, "all memory at once");
	data = f.data;
	ok(http_form_add(&f, "grant_type", "refresh_token") == 0 &&
	    http_form_add(&f, "scope",
	    "https://outlook.office.com/SMTP.Send offline_access") == 0,
	    "two pairs");
	is_str(buf_str(&f), "grant_type=refresh_token&scope=https%3A%2F%2F"
	    "outlook.office.com%2FSMTP.Send+offline_access", "encoded");
	buf_reset(&f);
	ok(http_form_add(&f, "a&b=c", "x+y%z~*-._\xc3\xa9\n") == 0 &&
	    http_form_add(&f, "empty", "") == 0, "specials");
	is_str(buf_str(&f), "a%26b%3Dc=x%2By%25z%7E*-._%C3%A9%0A&empty=",
	    "WHATWG urlencoded: only *-._ and alphanumerics stay");

	buf_reset(&f);
	for (i = 0; i < 100000 && (r = http_form_add(&f, "k", "v v")) == 0;
	    i++)
		;
	len = f.len;
	ok(r == -1 && errno == E2BIG, "past HTTP_MAX_FORM: E2BIG");
	ok(len > HTTP_MAX_FORM - 7 && len <= HTTP_MAX_FORM, "filled to %zu",
	    len);
	ok(memcmp(f.data + len - 6, "&k=v+v", 6) == 0 && f.len == len,
	    "a refused pair leaves nothing behind");
	ok(f.data == data && f.cap == HTTP_MAX_FORM + 1,
	    "never reallocated (no stray copies of secrets)");
	buf_wipe(&f);
}

/*
 * Feed s (len bytes) in pieces of step bytes (0: at once); with eof,
 * then report the close. Returns the last result.
 */
static int
parse(const char *s, size_t len, size_t step, int eof,
    struct http_response *r, struct perr *err)
{
	struct http_parser p;
	size_t off = 0, n;
	int rc = 0;

	http_response_init(r);
	http_parser_init(&p, r);
	perr_clear(err);
	if (step == 0)
		step = len > 0 ? len : 1;
	while (off < len) {
		n = len - off < step ? len - off : step;
		rc = http_parser_feed(&p, s + off, n, err);
		off += n;
		if (rc != 0)
			break;
	}
	if (rc == 0 && eof)
		rc = http_parser_eof(&p, err);
	return rc;
}

/* A response that must parse the same whole, byte by byte and in threes. */
static void
good(const char *s, int eof, int status, const char *body, const char *name)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7, 64 };
	struct http_response r;
	struct perr err;
	size_t i;
	int same = 1;

	for (i = 0; i < nitems(steps); i++) {
		if (parse(s, strlen(s), steps[i], eof, &r, &err) != 1 ||
		    r.status != status || r.body.len != strlen(body) ||
		    memcmp(buf_str(&r.body), body, r.body.len) != 0) {
			same = 0;
			fprintf(stderr, "# step %zu: status %d body \"%s\" %s\n",
			    steps[i], r.status, buf_str(&r.body), err.msg);
		}
		http_response_free(&r);
	}
	ok(same, "%s", name);
}

/* A response that must be refused, with want in the message. */
static void
bad(const char *s, size_t len, int eof, const char *want, const char *name)
{
	struct http_response r;
	struct perr err;
	int rc;

	rc = parse(s, len, 0, eof, &r, &err);
	ok(rc == -1 && strstr(err.msg, want) != NULL, "%s: %s", name,
	    err.msg);
	http_response_free(&r);
	rc = parse(s, len, 1, eof, &r, &err);
	ok(rc == -1 && strstr(err.msg, want) != NULL, "%s, byte by byte",
	    name);
	http_response_free(&r);
}

static void
bads(const char *s, const char *want, const char *name)
{
	bad(s, strlen(s), 1, want, name);
}

static void
test_parser(void)
{
	struct http_response r;
	struct http_parser p;
	struct perr err;
	struct buf big;
	int i;

	good("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 5\r\n\r\nhello", 0, 200, "hello",
	    "Content-Length");
	good("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", 0, 200,
	    "hello", "bytes after the body ignored");
	good("HTTP/1.1 400 Bad Request\r\ncontent-length:2\r\n\r\n{}", 0, 400,
	    "{}", "lower-case name, no space");
	good("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n"
	    "\r\nhello", 0, 200, "hello", "a repeated equal length");
	good("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n1;a=b\r\n,\r\nA  ;x\r\n0123456789\r\n0\r\n"
	    "X-T: 1\r\n\r\n", 0, 200, "hello,0123456789",
	    "chunked with extensions and a trailer");
	good("HTTP/1.1 200 OK\ntransfer-encoding: Chunked\n\n3\nabc\n0\n\n", 0,
	    200, "abc", "bare LF line ends, coding in any case");
	good("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    0, 200, "", "empty chunked body");
	good("HTTP/1.0 200 OK\r\n\r\nuntil close", 1, 200, "until close",
	    "body until the close");
	good("HTTP/1.1 200\r\n\r\n", 1, 200, "", "no reason phrase, empty body");
	good("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", 0, 204, "",
	    "204 has no body");
	good("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n"
	    "Content-Length: 99\r\n\r\nHTTP/1.1 201 Created\r\n"
	    "Content-Length: 2\r\n\r\nok", 0, 201, "ok",
	    "1xx interim responses skipped");
	good("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Obs: \xe9t\xe9\r\n"
	    "Content-Length: 0\r\n\r\n", 0, 200, "", "empty and obs-text values");

	ok(parse("HTTP/1.1 429 Too Many\r\nRetry-After: 120\r\n"
	    "Content-Length: 0\r\n\r\n", 64, 0, 0, &r, &err) == 1 &&
	    r.status == 429 && r.retry_after == 120, "Retry-After seconds");
	http_response_free(&r);
	ok(parse("HTTP/1.1 503 Busy\r\nRetry-After: Fri, 31 Dec 2027 23:59:59 "
	    "GMT\r\nContent-Length: 0\r\n\r\n", 85, 0, 0, &r, &err) == 1 &&
	    r.retry_after == -1, "Retry-After date left alone");
	http_response_free(&r);
	ok(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 42, 0, 0,
	    &r, &err) == 0, "incomplete: more wanted");
	http_response_free(&r);

	bad("", 0, 1, "connection closed without a response", "nothing");
	bads("HTTP/1.1 200 OK\r\n", "truncated", "close in the headers");
	bads("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "truncated",
	    "close in a Content-Length body");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello"
	    "\r\n", "truncated", "close before the last chunk");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
	    "truncated", "close in the trailers");
	bads("HTTP/2 200\r\n\r\n", "bad status line", "HTTP/2");
	bads("HTTP/1.1 20 OK\r\n\r\n", "bad status line", "two digits");
	bads("HTTP/1.1 200OK\r\n\r\n", "bad status line", "no space");
	bads("http/1.1 200 OK\r\n\r\n", "bad status line", "lower case");
	bads("SSH-2.0-OpenSSH\r\n\r\n", "bad status line", "not HTTP");
	bads("HTTP/1.1 099 X\r\n\r\n", "bad status code", "below 100");
	bads("HTTP/1.1 600 X\r\n\r\n", "bad status code", "above 599");
	bads("HTTP/1.1 101 Switching\r\n\r\n", "unexpected 101", "101");
	bads("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", "folded",
	    "obs-fold");
	bads("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "bad header line",
	    "no colon");
	bads("HTTP/1.1 200 OK\r\n: v\r\n\r\n", "bad header line", "no name");
	bads("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
	    "bad header field name", "space before the colon");
	bads("HTTP/1.1 200 OK\r\nX-A: a\x01z\r\n\r\n", "control character",
	    "control character in a value");
	bads("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", "bare CR", "bare CR");
	bad("HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n", 29, 1, "NUL", "NUL");
	bads("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
	    "bad Content-Length", "letters in the length");
	bads("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "bad Content-Length", "negative length");
	bads("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
	    "bad Content-Length", "a list of lengths");
	bads("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
	    "bad Content-Length", "empty length");
	bads("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n"
	    "\r\n", "bad Content-Length", "overflowing length");
	bads("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
	    "\r\n", "conflicting Content-Length", "two lengths");
	bads("HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n",
	    "body larger than 65536 bytes", "announced length over the cap");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "unsupported Transfer-Encoding", "gzip");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    "unsupported Transfer-Encoding", "gzip, chunked");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    "unsupported Transfer-Encoding", "chunked twice");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	    "both Transfer-Encoding and Content-Length", "both framings");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	    "bad chunk size", "not hex");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
	    "bad chunk size", "empty size line");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n",
	    "bad chunk size", "junk after the size");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n",
	    "bad chunk size", "negative size");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "ffffffffffffffffffff\r\n", "body larger than", "huge size");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabcd\r\n0\r\n\r\n", "chunk longer than its size",
	    "chunk data longer than its size");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3;a=\x01\r\nabc\r\n0\r\n\r\n", "control character",
	    "control character in an extension");
	bads("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n0\r\n folded\r\n\r\n", "folded", "folded trailer");

	/* the caps */
	buf_init(&big, 1 << 20);
	(void)buf_adds(&big, "HTTP/1.1 200 OK\r\nContent-Length: 65536\r\n\r\n");
	for (i = 0; i < 65536; i++)
		(void)buf_addc(&big, 'a' + i % 26);
	ok(parse(big.data, big.len, 1000, 0, &r, &err) == 1 &&
	    r.body.len == 65536, "a body of exactly HTTP_MAX_BODY");
	http_response_free(&r);

	buf_reset(&big);
	(void)buf_adds(&big, "HTTP/1.1 200 OK\r\n\r\n");
	for (i = 0; i < 65537; i++)
		(void)buf_addc(&big, 'x');
	bad(big.data, big.len, 1, "body larger than 65536 bytes",
	    "a close-delimited body over the cap");

	buf_reset(&big);
	(void)buf_adds(&big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n");
	(void)buf_printf(&big, "%x\r\n", 40000);
	for (i = 0; i < 40000; i++)
		(void)buf_addc(&big, 'x');
	(void)buf_printf(&big, "\r\n%x\r\n", 40000);
	bad(big.data, big.len, 1, "body larger than 65536 bytes",
	    "chunks adding up to more than the cap");

	buf_reset(&big);
	(void)buf_adds(&big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n");
	for (i = 0; i < 20000; i++)
		(void)buf_adds(&big, "1\r\nx\r\n");
	bad(big.data, big.len, 1, "chunk framing larger than 65536 bytes",
	    "tiny chunks: the framing has a cap too");

	buf_reset(&big);
	(void)buf_adds(&big, "HTTP/1.1 200 OK\r\nX-Long: ");
	for (i = 0; i < HTTP_MAX_LINE; i++)
		(void)buf_addc(&big, 'y');
	(void)buf_adds(&big, "\r\n\r\n");
	bad(big.data, big.len, 1, "line longer than 8192 bytes",
	    "a header line over HTTP_MAX_LINE");

	buf_reset(&big);
	(void)buf_adds(&big, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 2000; i++)
		(void)buf_adds(&big, "X-Many: abcdefgh\r\n");
	(void)buf_adds(&big, "\r\n");
	bad(big.data, big.len, 1, "header section larger than 16384 bytes",
	    "headers over HTTP_MAX_HEADER");

	buf_reset(&big);
	for (i = 0; i < 2000; i++)
		(void)buf_adds(&big, "HTTP/1.1 100 Continue\r\n\r\n");
	bad(big.data, big.len, 1, "header section larger than",
	    "endless 100 Continue");
	buf_free(&big);

	/* after an error the parser stays failed */
	http_response_init(&r);
	http_parser_init(&p, &r);
	perr_clear(&err);
	ok(http_parser_feed(&p, "XTTP/1.1 200 OK\r\n", 17, &err) == -1,
	    "error");
	perr_clear(&err);
	ok(http_parser_feed(&p, "\r\n", 2, &err) == -1 &&
	    http_parser_eof(&p, &err) == -1, "and stays an error");
	http_response_free(&r);
}

/* Network tests ------------------------------------------------------ */

struct httpsd {
	pid_t	pid;
	int	in;		/* its stdin: closing it stops the server */
	int	port;
	char	dir[64];
	char	ca[96], other_ca[96];
};

/* Run argv with stdout and stderr to /dev/null; returns the exit status. */
static int
run(const char *const argv[])
{
	int status, devnull;
	pid_t pid;

	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(devnull, 1) == -1 || dup2(devnull, 2) == -1)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
sh(const char *cmd)
{
	const char *argv[] = { "sh", "-c", cmd, NULL };

	return run(argv);
}

/* A test CA, another CA, and a certificate for DNS:localhost only. */
static int
make_certs(struct httpsd *s)
{
	char cmd[2048];

	(void)xsnprintf(s->ca, sizeof(s->ca), "%s/ca.crt", s->dir);
	(void)xsnprintf(s->other_ca, sizeof(s->other_ca), "%s/other.crt",
	    s->dir);
	if (xsnprintf(cmd, sizeof(cmd), "cd %s && "
	    "E='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes' && "
	    "openssl req -x509 $E -keyout ca.key -out ca.crt -days 2 "
	    "-subj /CN=posta-test-CA && "
	    "openssl req -x509 $E -keyout other.key -out other.crt -days 2 "
	    "-subj /CN=posta-other-CA && "
	    "openssl req -new $E -keyout srv.key -out srv.csr "
	    "-subj /CN=localhost && "
	    "printf 'subjectAltName=DNS:localhost\\n' > ext && "
	    "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile ext -out srv.crt", s->dir) == -1)
		return -1;
	return sh(cmd) == 0 ? 0 : -1;
}

static int
httpsd_start(struct httpsd *s)
{
	char cert[96], key[96], line[32];
	int in[2], out[2];
	size_t len = 0;
	ssize_t n;

	(void)xsnprintf(cert, sizeof(cert), "%s/srv.crt", s->dir);
	(void)xsnprintf(key, sizeof(key), "%s/srv.key", s->dir);
	if (pipe(in) == -1 || pipe(out) == -1)
		return -1;
	s->pid = fork();
	if (s->pid == -1)
		return -1;
	if (s->pid == 0) {
		const char *argv[] = { "python3", "tests/lib/rawhttps.py", cert,
		    key, s->dir, NULL };

		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1)
			_exit(127);
		(void)close(in[1]);
		(void)close(out[0]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	s->in = in[1];
	while (len < sizeof(line) - 1 &&
	    (n = read(out[0], line + len, 1)) == 1 && line[len] != '\n')
		len++;
	line[len] = '\0';
	(void)close(out[0]);
	s->port = (int)strtol(line, NULL, 10);
	return s->port > 0 ? 0 : -1;
}

static void
httpsd_stop(struct httpsd *s)
{
	int status;

	(void)close(s->in);
	(void)kill(s->pid, SIGTERM);
	(void)waitpid(s->pid, &status, 0);
}

/* The newest request the server stored, into b. */
static int
last_request(const struct httpsd *s, struct buf *b)
{
	char path[128], name[32];
	ssize_t n;
	int fd;

	buf_reset(b);
	(void)xsnprintf(path, sizeof(path), "%s/last", s->dir);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, name, sizeof(name) - 1);
	(void)close(fd);
	if (n <= 1)
		return -1;
	name[n - 1] = '\0';
	(void)xsnprintf(path, sizeof(path), "%s/%s", s->dir, name);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	while ((n = read(fd, name, sizeof(name))) > 0)
		(void)buf_add(b, name, (size_t)n);
	(void)close(fd);
	return 0;
}

static int
post(const struct httpsd *s, const char *host, const char *path,
    const char *ca, int timeout, const struct buf *form,
    struct http_response *r, struct perr *err)
{
	struct http_request req;
	char url[256];

	(void)xsnprintf(url, sizeof(url), "https://%s:%d%s", host, s->port,
	    path);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.ca_file = ca;
	req.form = form;
	req.timeout = timeout;
	perr_clear(err);
	return http_post_form(&req, r, err);
}

static const char body[] =
    "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"expires_in\":3599}";

static void
test_roundtrip(const struct httpsd *s, const struct buf *form)
{
	struct http_response r;
	struct perr err;
	struct buf req, want;
	static const char *paths[] = { "/length", "/chunked", "/close",
	    "/continue" };
	size_t i;

	buf_init(&req, 1 << 20);
	buf_init(&want, 1 << 20);
	for (i = 0; i < nitems(paths); i++) {
		ok(post(s, "localhost", paths[i], s->ca, 10, form, &r, &err) ==
		    0, "POST %s: %s", paths[i], err.msg);
		is_int(r.status, 200, "%s: status", paths[i]);
		is_mem(r.body.data, r.body.len, body, strlen(body),
		    "%s: body", paths[i]);
		http_response_free(&r);
	}

	ok(last_request(s, &req) == 0, "request stored by the server");
	buf_reset(&want);
	(void)buf_printf(&want, "POST /continue HTTP/1.1\r\n"
	    "Host: localhost:%d\r\nUser-Agent: posta/%s\r\n"
	    "Accept: application/json\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", s->port,
	    POSTA_VERSION, form->len, form->data);
	is_mem(req.data, req.len, want.data, want.len,
	    "the request, byte for byte");

	ok(post(s, "localhost", "/error", s->ca, 10, form, &r, &err) == 0,
	    "a 400 is a response, not an error");
	ok(r.status == 400 && r.retry_after == 120 &&
	    strstr(buf_str(&r.body), "invalid_grant") != NULL,
	    "status, Retry-After and body of the error");
	http_response_free(&r);

	ok(post(s, "localhost", "/big", s->ca, 10, form, &r, &err) == -1 &&
	    err.code == EX_PROTOCOL, "too large: %s", err.msg);
	ok(strstr(err.msg, "body larger than 65536 bytes") != NULL &&
	    strncmp(err.msg, "https://localhost:", 18) == 0,
	    "says which endpoint and why");
	ok(r.body.data == NULL && r.body.len == 0, "no body after an error");
	buf_free(&req);
	buf_free(&want);
}

static void
test_refusals(const struct httpsd *s, const struct buf *form)
{
	struct http_response r;
	struct perr err;

	ok(post(s, "localhost", "/length", s->other_ca, 10, form, &r, &err) ==
	    -1, "unknown CA refused");
	is_int(err.code, EX_TEMPFAIL, "unknown CA: EX_TEMPFAIL");
	ok(strstr(err.msg, "certificate verify failed") != NULL, "msg: %s",
	    err.msg);
	ok(post(s, "localhost", "/length", NULL, 10, form, &r, &err) == -1 &&
	    strstr(err.msg, "certificate verify failed") != NULL,
	    "test CA not in the system store");
	ok(post(s, "127.0.0.1", "/length", s->ca, 10, form, &r, &err) == -1,
	    "wrong host name refused");
	ok(strstr(err.msg, "IP address mismatch") != NULL, "msg: %s",
	    err.msg);
	ok(post(s, "localhost", "/length", "/nonexistent.pem", 10, form, &r,
	    &err) == -1 && err.code == EX_CONFIG, "missing ca_file: %s",
	    err.msg);
	http_response_free(&r);
}

static void
test_deadline(const struct httpsd *s, const struct buf *form)
{
	struct http_response r;
	struct perr err;
	double t0, dt;

	t0 = mono_now();
	ok(post(s, "localhost", "/silent", s->ca, 2, form, &r, &err) == -1,
	    "silent server");
	dt = mono_now() - t0;
	ok(dt > 1.9 && dt < 3.5, "gave up after about 2 s (%.2f s)", dt);
	is_int(err.code, EX_TEMPFAIL, "timeout: EX_TEMPFAIL");
	ok(strstr(err.msg, "no complete response within 2 s") != NULL,
	    "msg: %s", err.msg);

	/* every wait is short, but the whole must still end in time */
	t0 = mono_now();
	ok(post(s, "localhost", "/trickle", s->ca, 2, form, &r, &err) == -1,
	    "trickling server");
	dt = mono_now() - t0;
	ok(dt > 1.9 && dt < 3.5, "cut off after about 2 s (%.2f s)", dt);
	ok(strstr(err.msg, "no complete response within 2 s") != NULL,
	    "msg: %s", err.msg);
	http_response_free(&r);
}

/* A TCP server that accepts and never speaks TLS: the handshake is bounded. */
static void
test_silent_tcp(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct http_response r;
	struct http_request req;
	struct perr err = { 0, "" };
	struct buf form;
	char url[64];
	double t0, dt;
	int fd, cfd;
	pid_t pid;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1 ||
	    listen(fd, 1) == -1) {
		ok(0, "listening socket");
		return;
	}
	pid = fork();
	if (pid == 0) {
		cfd = accept(fd, NULL, NULL);
		(void)sleep(10);
		(void)close(cfd);
		_exit(0);
	}
	(void)close(fd);
	(void)xsnprintf(url, sizeof(url), "https://127.0.0.1:%d/token",
	    ntohs(sin.sin_port));
	buf_init(&form, 16);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.form = &form;
	req.timeout = 1;
	t0 = mono_now();
	ok(http_post_form(&req, &r, &err) == -1, "no TLS handshake");
	dt = mono_now() - t0;
	ok(dt > 0.9 && dt < 2.5, "bounded by the deadline (%.2f s)", dt);
	ok(strstr(err.msg, "no complete response within 1 s") != NULL,
	    "msg: %s", err.msg);
	http_response_free(&r);
	(void)kill(pid, SIGTERM);
	(void)waitpid(pid, NULL, 0);

	/* and nobody listening at all */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = 0;
	len = sizeof(sin);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return;
	(void)xsnprintf(url, sizeof(url), "https://127.0.0.1:%d/token",
	    ntohs(sin.sin_port));
	perr_clear(&err);
	ok(http_post_form(&req, &r, &err) == -1 && err.code == EX_TEMPFAIL &&
	    strstr(err.msg, "Connection refused") != NULL, "refused: %s",
	    err.msg);
	(void)close(fd);
}

/* -v shows what was asked and what came back, never the form. */
static void
test_verbose(const struct httpsd *s, const struct buf *form)
{
	struct http_response r;
	struct http_request req;
	struct perr err = { 0, "" };
	char url[128], path[96], out[1024];
	ssize_t n;
	int fd, saved;

	(void)xsnprintf(path, sizeof(path), "%s/stderr", s->dir);
	(void)xsnprintf(url, sizeof(url), "https://localhost:%d/length?x=q",
	    s->port);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.ca_file = s->ca;
	req.form = form;
	req.timeout = 10;
	req.verbose = 1;
	req.authorization = "Basic c2VjcmV0LWF1dGg=";
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	if (fd == -1 || saved == -1 || dup2(fd, 2) == -1) {
		ok(0, "capture stderr");
		return;
	}
	ok(http_post_form(&req, &r, &err) == 0, "verbose POST");
	(void)dup2(saved, 2);
	(void)close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	(void)close(fd);
	out[n > 0 ? n : 0] = '\0';
	(void)xsnprintf(path, sizeof(path), "http: POST https://localhost:%d"
	    "/length\nhttp: status 200, %zu bytes\n", s->port, strlen(body));
	is_str(out, path, "request line and status only");
	ok(strstr(out, "s3cr3t") == NULL && strstr(out, "c2VjcmV0") == NULL,
	    "no form, no Authorization value");
	http_response_free(&r);
}

static void
test_network(void)
{
	struct httpsd s;
	struct buf form;

	(void)xsnprintf(s.dir, sizeof(s.dir), "/tmp/t_http.XXXXXX");
	if (mkdtemp(s.dir) == NULL) {
		ok(0, "temporary directory");
		return;
	}
	if (make_certs(&s) == -1) {
		printf("# skip network tests: openssl failed\n");
		goto out;
	}
	if (httpsd_start(&s) == -1) {
		printf("# skip network tests: python3 tests/lib/rawhttps.py "
		    "did not start\n");
		goto out;
	}
	if (http_form_init(&form) == -1 ||
	    http_form_add(&form, "grant_type", "refresh_token") == -1 ||
	    http_form_add(&form, "client_secret", "s3cr3t &=+") == -1 ||
	    http_form_add(&form, "refresh_token", "0.AXoA/rt") == -1) {
		ok(0, "form");
		goto stop;
	}
	test_roundtrip(&s, &form);
	test_refusals(&s, &form);
	test_verbose(&s, &form);
	test_deadline(&s, &form);
	buf_wipe(&form);
stop:
	httpsd_stop(&s);
out:
	{
		char cmd[128];

		(void)xsnprintf(cmd, sizeof(cmd), "rm -rf %s", s.dir);
		(void)sh(cmd);
	}
}

int
main(void)
{
	(void)signal(SIGPIPE, SIG_IGN);
	test_url();
	test_form();
	test_parser();
	test_silent_tcp();
	test_network();
	return done_testing();
}
