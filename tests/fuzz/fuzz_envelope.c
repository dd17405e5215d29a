/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for envelope.c. Build and run (clang only):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_DEFAULT_SOURCE \
 *       -Isrc -o fuzz_envelope tests/fuzz/fuzz_envelope.c src/envelope.c \
 *       src/perr.c src/util.c
 *   ./fuzz_envelope -max_total_time=60 -max_len=65536
 * Besides memory errors it checks the promises envelope.h makes: the
 * buffer parser and the streaming reader agree; whatever parses is
 * written within the bounds (ENV_MAX_LINE, ENV_MAX_SIZE), parses back
 * to the same envelope and is written the same again (parse -> write ->
 * parse round trip); salvage takes anything.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "posta.h"

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
same(const struct envelope *a, const struct envelope *b)
{
	size_t i;

	if (strcmp(a->id, b->id) != 0 || a->created != b->created ||
	    !same_str(a->sender, b->sender) || a->attempts != b->attempts ||
	    a->next_try != b->next_try ||
	    !same_str(a->last_error, b->last_error) ||
	    a->body8bit != b->body8bit || a->smtputf8 != b->smtputf8 ||
	    !same_str(a->dsn_ret, b->dsn_ret) ||
	    !same_str(a->dsn_envid, b->dsn_envid) ||
	    !same_str(a->dsn_notify, b->dsn_notify) || a->nrcpts != b->nrcpts)
		return 0;
	for (i = 0; i < a->nrcpts; i++)
		if (strcmp(a->rcpts[i].addr, b->rcpts[i].addr) != 0 ||
		    a->rcpts[i].state != b->rcpts[i].state ||
		    !same_str(env_reason(a, i), env_reason(b, i)))
			return 0;
	return 1;
}

/* A memory file holding data, rewound. */
static int
memfile(const void *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);

	if (fd == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) == -1)
		abort();
	return fd;
}

/* e written to a memory file; its contents in *buf (caller frees). */
static size_t
written(const struct envelope *e, char **buf)
{
	struct perr err = { 0, "" };
	size_t len, i, line = 0;
	off_t end;
	int fd = memfile(NULL, 0);

	if (env_write(e, fd, &err) == -1)
		abort();	/* whatever parsed must be writable */
	if ((end = lseek(fd, 0, SEEK_END)) == -1)
		abort();
	len = (size_t)end;
	if (len > ENV_MAX_SIZE || (*buf = malloc(len + 1)) == NULL)
		abort();
	if (pread(fd, *buf, len, 0) != (ssize_t)len)
		abort();
	(void)close(fd);
	for (i = 0; i < len; i++) {
		if ((*buf)[i] != '\n') {
			if (++line > ENV_MAX_LINE)
				abort();
			continue;
		}
		line = 0;
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perr err = { 0, "" };
	struct envelope e, f, g;
	char *w1 = NULL, *w2 = NULL;
	size_t n1, n2;
	int fd, rp, rr;

	rp = env_parse(&e, (const char *)data, size, &err);
	fd = memfile(data, size);
	err.code = 0;
	rr = env_read(&f, fd, &err);
	if (rp != rr || (rp == 0 && !same(&e, &f)))
		abort();	/* the two readers must agree */
	env_free(&f);
	(void)lseek(fd, 0, SEEK_SET);
	err.code = 0;
	(void)env_salvage(&f, fd, &err);
	env_free(&f);
	(void)close(fd);
	if (rp == -1)
		return 0;

	n1 = written(&e, &w1);
	err.code = 0;
	if (env_parse(&g, w1, n1, &err) == -1 || !same(&e, &g))
		abort();	/* parse -> write -> parse */
	n2 = written(&g, &w2);
	if (n1 != n2 || memcmp(w1, w2, n1) != 0)
		abort();	/* and written the same again */
	env_free(&g);
	env_free(&e);
	free(w1);
	free(w2);
	return 0;
}
