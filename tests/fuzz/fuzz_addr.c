/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for addr.c. Build with "make fuzz" (clang), run as
 *   tests/fuzz/fuzz_addr -max_total_time=60 -max_len=4096
 * Besides memory errors it checks the promises addr.h makes: every
 * address handed on fits MAX_ADDR and passes the envelope check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "posta.h"
#include "addr.h"

static int
check_cb(const char *addr, void *arg)
{
	const char *why;
	size_t *n = arg;

	if (strlen(addr) > MAX_ADDR || strlen(addr) == 0)
		abort();
	if (addr_check_envelope(addr, 0, &why) != 0)
		abort();
	if (strchr(addr, '\r') != NULL || strchr(addr, '\n') != NULL)
		abort();
	(*n)++;
	return 0;
}

struct one {
	char	addr[MAX_ADDR + 1];
	size_t	n;
};

static int
one_cb(const char *addr, void *arg)
{
	struct one *o = arg;

	if (o->n++ == 0)
		memcpy(o->addr, addr, strlen(addr) + 1);
	return 0;
}

static void
check_mailbox(const uint8_t *data, size_t size)
{
	char disp[MAX_ADDR + 1], addr[MAX_ADDR + 1];
	struct one o;
	const char *why;

	if (addr_mailbox_parse((const char *)data, size, disp, sizeof(disp),
	    addr, sizeof(addr)) != 0)
		return;
	if (addr_check_envelope(addr, 0, &why) != 0)
		abort();
	if (strchr(disp, '\r') != NULL || strchr(disp, '\n') != NULL)
		abort();
	/* a lone mailbox is also a list of exactly that one address */
	o.n = 0;
	if (addr_list_parse((const char *)data, size, one_cb, &o) != 0 ||
	    o.n != 1 || strcmp(o.addr, addr) != 0)
		abort();
}

static void
check_cstring(const uint8_t *data, size_t size)
{
	char *s, out[MAX_ADDR + 1];
	const char *why;

	if ((s = malloc(size + 1)) == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	why = NULL;
	if (addr_check_envelope(s, 1, &why) != 0 && why == NULL)
		abort();
	if (addr_strip_angle(s, out, sizeof(out)) == 0 &&
	    strlen(out) > strlen(s))
		abort();
	(void)addr_is_local(s);
	(void)addr_is_utf8(s);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	(void)addr_list_parse((const char *)data, size, check_cb, &n);
	check_mailbox(data, size);
	check_cstring(data, size);
	return 0;
}
