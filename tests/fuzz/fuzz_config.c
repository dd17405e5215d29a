/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the configuration file: config.c with libinih
 * and the keys of cfgkeys.c, cfgoauth.c and cfgalias.c, through
 * config_load_stream(). Build with "make fuzz" (clang), run as
 *   tests/fuzz/fuzz_config -max_total_time=60 -max_len=8192 \
 *       -dict=tests/fuzz/config.dict
 * The input is a posta.conf. Besides memory errors it checks: a load
 * either succeeds or fails with an EX_ code and a message that names
 * the file, a line that exists and holds no control character (it goes
 * to a terminal); a loaded configuration has a host, a port in range,
 * a positive timeout, a spool directory, no username without a secret
 * source (or [oauth]) and aliases that each have a target and are found
 * by config_alias(); the same input gives the same result twice.
 */
#define _GNU_SOURCE	/* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "posta.h"

static int
load(const uint8_t *data, size_t size, struct config *cfg, struct perr *err)
{
	FILE *fp;
	int rc;

	if ((fp = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		abort();
	memset(err, 0, sizeof(*err));
	rc = config_load_stream(cfg, fp, "fuzz.conf", err);
	(void)fclose(fp);
	return rc;
}

static void
check_error(const struct perr *err, const uint8_t *data, size_t size)
{
	const char *p, *prefix = "fuzz.conf:";
	size_t i, lines = 1;
	long line;
	char *end;

	if (err->code != EX_CONFIG && err->code != EX_OSERR &&
	    err->code != EX_IOERR)
		abort();
	if (strncmp(err->msg, prefix, strlen(prefix)) != 0)
		abort();	/* it names the file */
	for (p = err->msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	p = err->msg + strlen(prefix);
	if (*p >= '0' && *p <= '9') {
		for (i = 0; i < size; i++)
			if (data[i] == '\n')
				lines++;
		line = strtol(p, &end, 10);
		if (*end != ':' || line < 1 || (size_t)line > lines)
			abort();	/* a line that exists */
	}
}

static void
check_config(const struct config *cfg)
{
	size_t i;

	if (cfg->host == NULL || cfg->host[0] == '\0' || cfg->port < 1 ||
	    cfg->port > 65535 || cfg->timeout <= 0 || cfg->spooldir == NULL)
		abort();
	if (cfg->tls != TLS_STARTTLS && cfg->tls != TLS_IMPLICIT &&
	    cfg->tls != TLS_NONE)
		abort();
	if (cfg->username != NULL && !cfg->oauth.set &&
	    cfg->password == NULL && cfg->password_file == NULL &&
	    cfg->password_command == NULL)
		abort();
	if (cfg->tls == TLS_NONE && cfg->username != NULL)
		abort();	/* never credentials in the clear */
	for (i = 0; i < cfg->naliases; i++)
		if (cfg->aliases[i].targets.n == 0 ||
		    config_alias(cfg, cfg->aliases[i].name) == NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, again;
	struct perr err, err2;
	int rc;

	if (size == 0)
		return 0;	/* fmemopen() wants a buffer */
	rc = load(data, size, &cfg, &err);
	if (rc == -1)
		check_error(&err, data, size);
	else if (rc == 0)
		check_config(&cfg);
	else
		abort();
	if (load(data, size, &again, &err2) != rc ||
	    strcmp(err.msg, err2.msg) != 0)
		abort();	/* the same input, the same result */
	if (rc == 0) {
		if (strcmp(cfg.host, again.host) != 0 || cfg.port != again.port)
			abort();
		config_free(&cfg);
		config_free(&again);
	}
	return 0;
}
