/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the pure parts of http.c. Build and run (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_DEFAULT_SOURCE \
 *       -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED -Isrc \
 *       -o fuzz_http tests/fuzz/fuzz_http.c src/http.c src/buf.c \
 *       src/perr.c src/util.c src/conn.c src/tls.c -lssl -lcrypto
 *   ./fuzz_http -max_total_time=60 -max_len=100000
 * Besides memory errors it checks the promises http.h makes: the
 * response is the same whether the bytes come at once or one by one
 * (or in pieces whose size the input picks), a body never passes
 * HTTP_MAX_BODY, a complete response has a status of 100 to 599; a
 * parsed URL has a host, a port and a path starting with '/'; a form
 * value comes back unchanged after decoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "posta.h"
#include "http.h"

struct result {
	int	rc;
	int	status;
	long	retry_after;
	size_t	len;
	char	*body;
};

static void
run(const uint8_t *data, size_t size, size_t step, struct result *res)
{
	struct http_response r;
	struct http_parser p;
	struct perr err = { 0, "" };
	size_t off = 0, n;
	int rc = 0;

	http_response_init(&r);
	http_parser_init(&p, &r);
	while (off < size) {
		n = size - off < step ? size - off : step;
		rc = http_parser_feed(&p, data + off, n, &err);
		off += n;
		if (rc != 0)
			break;
	}
	if (rc == 0)
		rc = http_parser_eof(&p, &err);
	if ((rc == -1) != (err.code != 0) || r.body.len > HTTP_MAX_BODY)
		abort();
	if (rc == 1 && (r.status < 100 || r.status > 599))
		abort();
	res->rc = rc;
	res->status = r.status;
	res->retry_after = r.retry_after;
	res->len = r.body.len;
	res->body = malloc(r.body.len + 1);
	if (res->body == NULL)
		abort();
	memcpy(res->body, r.body.data != NULL ? r.body.data : "", r.body.len);
	http_response_free(&r);
}

static void
same(const struct result *a, const struct result *b)
{
	if (a->rc != b->rc)
		abort();
	if (a->rc == 1 && (a->status != b->status ||
	    a->retry_after != b->retry_after || a->len != b->len ||
	    memcmp(a->body, b->body, a->len) != 0))
		abort();
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c - 'A' + 10;
}

static void
check_url_form(const uint8_t *data, size_t size)
{
	struct http_url u;
	struct perr err = { 0, "" };
	struct buf form;
	char *s, *dec;
	size_t i, j, vstart;

	if ((s = malloc(size + 1)) == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_url_parse(s, &u, &err) == 0 && (u.host[0] == '\0' ||
	    u.port < 1 || u.port > 65535 || u.path[0] != '/' ||
	    strpbrk(u.path, " #\r\n") != NULL))
		abort();

	if (http_form_init(&form) == -1) {
		free(s);
		return;
	}
	if (http_form_add(&form, "k", s) == 0) {
		/* only the unreserved set, '+', '%', '=' and hex digits appear */
		vstart = 2;
		dec = malloc(form.len + 1);
		if (dec == NULL)
			abort();
		for (i = vstart, j = 0; i < form.len; i++) {
			if (form.data[i] == '+')
				dec[j++] = ' ';
			else if (form.data[i] == '%') {
				dec[j++] = (char)(hexval(form.data[i + 1]) << 4 |
				    hexval(form.data[i + 2]));
				i += 2;
			} else if (strchr("*-._", form.data[i]) != NULL ||
			    (form.data[i] >= '0' && form.data[i] <= '9') ||
			    (form.data[i] >= 'a' && form.data[i] <= 'z') ||
			    (form.data[i] >= 'A' && form.data[i] <= 'Z'))
				dec[j++] = form.data[i];
			else
				abort();
		}
		if (j != strlen(s) || memcmp(dec, s, j) != 0)
			abort();
		free(dec);
	}
	buf_wipe(&form);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, bytes, pieces;

	run(data, size, size > 0 ? size : 1, &whole);
	run(data, size, 1, &bytes);
	run(data, size, size > 0 ? (size_t)data[0] % 97 + 1 : 1, &pieces);
	same(&whole, &bytes);
	same(&whole, &pieces);
	free(whole.body);
	free(bytes.body);
	free(pieces.body);
	if (size < 4096)
		check_url_form(data, size);
	return 0;
}
