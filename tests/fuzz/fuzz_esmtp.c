/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for esmtp.c's command side: paths, MAIL and RCPT
 * parameters, xtext. Build with "make fuzz" (clang), run as
 *   tests/fuzz/fuzz_esmtp -max_total_time=60 -max_len=4096
 * The input is the argument part of a MAIL or RCPT command. Besides
 * memory errors it checks that an address fits its buffer, that MAIL
 * parameters posta takes come back the same after the client writes
 * them out (the server reads what the client writes), that a NOTIFY
 * kept is valid, and that xtext decodes back to what it encoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esmtp.h"
#include "posta.h"

#define ALL_EXT	(ESMTP_EXT_SIZE | ESMTP_EXT_8BITMIME | ESMTP_EXT_DSN)

static void
check_mail(char *params)
{
	struct esmtp_mail m, back;
	char out[1024];
	const char *key = NULL;

	memset(&m, 0, sizeof(m));
	if (esmtp_mail_parse(params, &m, &key) != 0) {
		if (key == NULL)
			abort();
		return;
	}
	if (m.ret != NULL && strcmp(m.ret, "FULL") != 0 &&
	    strcmp(m.ret, "HDRS") != 0)
		abort();
	if (m.envid[0] != '\0' && !esmtp_envid_valid(m.envid))
		abort();
	if (m.size < 0)
		abort();
	/* the longest set of parameters fits: a failure here is a bug */
	if (esmtp_mail_format(&m, ALL_EXT, out, sizeof(out)) == -1)
		abort();
	memset(&back, 0, sizeof(back));
	if (esmtp_mail_parse(out, &back, &key) != 0 ||
	    back.size != m.size || back.body8bit != m.body8bit ||
	    back.smtputf8 != m.smtputf8 || (back.ret == NULL) !=
	    (m.ret == NULL) || (m.ret != NULL && strcmp(back.ret, m.ret) != 0) ||
	    strcmp(back.envid, m.envid) != 0)
		abort();
}

static void
check_rcpt(char *params)
{
	const char *notify = NULL, *key = NULL;

	if (esmtp_rcpt_parse(params, &notify, &key) != 0) {
		if (key == NULL)
			abort();
		return;
	}
	if (notify != NULL && !esmtp_notify_valid(notify))
		abort();
}

static void
check_xtext(const char *s)
{
	char dec[ESMTP_ENVID_MAX + 1], enc[3 * ESMTP_ENVID_MAX + 1],
	    back[ESMTP_ENVID_MAX + 1];

	if (esmtp_xtext_decode(s, dec, sizeof(dec)) == 0) {
		if (!esmtp_envid_valid(dec))
			abort();
		if (esmtp_xtext_encode(dec, enc, sizeof(enc)) == -1 ||
		    esmtp_xtext_decode(enc, back, sizeof(back)) == -1 ||
		    strcmp(back, dec) != 0)
			abort();
	}
	if (esmtp_envid_valid(s) && (esmtp_xtext_encode(s, enc,
	    sizeof(enc)) == -1 || esmtp_xtext_decode(enc, back,
	    sizeof(back)) == -1 || strcmp(back, s) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *copy, *params, addr[MAX_ADDR + 1];
	size_t verblen;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	if ((copy = malloc(size + 1)) == NULL) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	check_xtext(buf);
	(void)esmtp_ret_valid(buf);
	memcpy(copy, buf, size + 1);
	params = esmtp_args(copy, &verblen);
	if (verblen > strlen(buf) || params < copy || params > copy + size)
		abort();
	memcpy(copy, buf, size + 1);
	if (esmtp_path_parse(copy, "FROM:", addr, sizeof(addr),
	    &params) == 0) {
		if (strlen(addr) > MAX_ADDR || params < copy ||
		    params > copy + size)
			abort();
		check_mail(params);
	}
	memcpy(copy, buf, size + 1);
	if (esmtp_path_parse(copy, "TO:", addr, sizeof(addr),
	    &params) == 0) {
		if (strlen(addr) > MAX_ADDR)
			abort();
		check_rcpt(params);
	}
	free(copy);
	free(buf);
	return 0;
}
