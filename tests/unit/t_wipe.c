/* SPDX-License-Identifier: ISC */
/*
 * No copy of a secret is left in freed memory (review dec02 F3): the
 * OAuth cache that tokcache_write() builds, and the service account's
 * key file read for a JWT grant. Linked with --wrap=realloc and
 * --wrap=free (Makefile): while a test watches, every block that our
 * code reallocates or frees is searched for the secrets first. A
 * realloc of a block that holds one is counted even when it does not
 * move: whether it moves is up to the allocator.
 */
#define _GNU_SOURCE /* memmem */
#include <sys/stat.h>

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "oauthreq.h"
#include "posta.h"
#include "tokcache.h"
#include "tap.h"

void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static const char *marks[2]; /* what is watched for; NULL: nothing */
static int reallocs, frees;  /* of blocks that held one of them */

static int
holds_mark(void *p)
{
	size_t n, i;

	if (p == NULL)
		return 0;
	n = malloc_usable_size(p);
	for (i = 0; i < nitems(marks); i++)
		if (marks[i] != NULL &&
		    memmem(p, n, marks[i], strlen(marks[i])) != NULL)
			return 1;
	return 0;
}

void *
__wrap_realloc(void *p, size_t n)
{
	if (holds_mark(p))
		reallocs++;
	return __real_realloc(p, n);
}

void
__wrap_free(void *p)
{
	if (holds_mark(p))
		frees++;
	__real_free(p);
}

static void
watch(const char *a, const char *b)
{
	marks[0] = a;
	marks[1] = b;
	reallocs = frees = 0;
}

/* A token of n characters that starts with mark. */
static void
token(char *t, size_t n, const char *mark)
{
	memset(t, 'x', n);
	memcpy(t, mark, strlen(mark));
	t[n] = '\0';
}

/*
 * Microsoft-sized tokens: the buffer passes 2048 octets after the
 * access token and 4096 after the refresh token, where growing by
 * realloc copied them.
 */
static void
test_cache(const char *dir)
{
	static char access[1601], refresh[1101];
	struct tokcache c, d;
	struct perr err = { 0, "" };
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/cache", dir);
	token(access, 1600, "ACCESS-MARK-7d1e");
	token(refresh, 1100, "REFRESH-MARK-c40b");
	memset(&c, 0, sizeof(c));
	ok(tokcache_set(&c.access, access) == 0 &&
		tokcache_set(&c.refresh, refresh) == 0,
	    "tokens set");
	tokcache_sha256("conf", 4, c.conf);
	c.access_obtained = 100;
	c.access_expires = 3700;
	c.refresh_obtained = 100;
	watch("ACCESS-MARK-7d1e", "REFRESH-MARK-c40b");
	ok(tokcache_write(path, &c, &err) == 0, "cache written: %s", err.msg);
	is_int(reallocs, 0, "cache: no realloc of a block holding a token");
	is_int(frees, 0, "cache: no block freed holding a token");
	watch(NULL, NULL);
	memset(&d, 0, sizeof(d));
	ok(tokcache_read(path, &d, &err) == 0, "cache read back: %s", err.msg);
	is_str(d.access, access, "access token read back");
	is_str(d.refresh, refresh, "refresh token read back");
	tokcache_free(&d);
	tokcache_free(&c);
	(void)unlink(path);
}

/*
 * A key file over 8 KiB, read in 4 KiB chunks: the first chunk made
 * room for 8 KiB, and the third one's realloc gave up that block with
 * the start of the key in it. It has no client_email, so the grant
 * stops there, before any network.
 */
static void
test_key(const char *dir)
{
	static char key[10001];
	struct config cfg;
	struct tokcache c;
	struct perr err = { 0, "" };
	char path[256];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/key.json", dir);
	token(key, 10000, "KEY-MARK-52a9");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && dprintf(fd, "{\"private_key\": \"%s\"}\n", key) > 8192 &&
		close(fd) == 0,
	    "key file written");
	memset(&cfg, 0, sizeof(cfg));
	cfg.oauth.set = 1;
	cfg.oauth.grant = GRANT_JWT_BEARER;
	cfg.oauth.key_file = path;
	cfg.oauth.token_url = (char *)"https://127.0.0.1:9/token";
	cfg.timeout = 1;
	memset(&c, 0, sizeof(c));
	watch("KEY-MARK-52a9", NULL);
	ok(oauthreq_grant(&cfg, &c, &err) == -1 &&
		strstr(err.msg, "no client_email") != NULL,
	    "grant stops at the key: %s", err.msg);
	is_int(reallocs, 0, "key file: no realloc of a block holding the key");
	is_int(frees, 0, "key file: no block freed holding the key");
	watch(NULL, NULL);
	tokcache_free(&c);
	(void)unlink(path);
}

int
main(void)
{
	char dir[] = "/tmp/posta-t_wipe.XXXXXX";

	log_init(0, NULL, 0);
	if (mkdtemp(dir) == NULL)
		return 1;
	test_cache(dir);
	test_key(dir);
	(void)rmdir(dir);
	return done_testing();
}
