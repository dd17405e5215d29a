/* SPDX-License-Identifier: ISC */
/*
 * For the fuzz targets that need a spool (fuzz_intake, fuzz_bs,
 * fuzz_dsn): a scratch spool made once per process in /dev/shm (or
 * $TMPDIR, or /tmp) as posta-fuzz.XXXXXX, emptied after every input and
 * removed at exit; a configuration loaded from memory that points at
 * it. A crash leaves the directory behind, named in the first line the
 * target prints. Define _GNU_SOURCE before the first #include.
 */
#ifndef POSTA_FUZZ_SCRATCH_H
#define POSTA_FUZZ_SCRATCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* fmemopen, memfd_create */
#endif
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "spool.h"

static char scratch_dir[4096];
static struct spool scratch_sp;
static struct config scratch_cfg;

/* Remove every file in dir/sub; how many there were. */
static size_t
scratch_empty(const char *sub)
{
	char path[8192];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	(void)snprintf(path, sizeof(path), "%s/%s", scratch_dir, sub);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1)
			abort();
		n++;
	}
	(void)closedir(d);
	return n;
}

static void
scratch_remove(void)
{
	static const char *const subs[] = { "tmp", "q", "failed", "corrupt" };
	char path[8192];
	size_t i;

	spool_close(&scratch_sp);
	config_free(&scratch_cfg);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		(void)scratch_empty(subs[i]);
		(void)snprintf(path, sizeof(path), "%s/%s", scratch_dir,
		    subs[i]);
		(void)rmdir(path);
	}
	(void)scratch_empty(".");
	(void)rmdir(scratch_dir);
}

/* The spool and configuration, made on the first call. */
static void
scratch_init(void)
{
	static const char conf[] =
	    "[upstream]\nhost = smtp.example.org\n"
	    "[sender]\nfrom = robot@example.org\ndomain = example.org\n"
	    "[aliases]\nroot = admin@example.org, ops\n"
	    "ops = o@example.net\n";
	struct perr err = { 0, "" };
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	FILE *fp;

	if (scratch_dir[0] != '\0')
		return;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	else if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	(void)snprintf(scratch_dir, sizeof(scratch_dir),
	    "%s/posta-fuzz.XXXXXX", tmp);
	if (mkdtemp(scratch_dir) == NULL)
		abort();
	fprintf(stderr, "scratch spool: %s\n", scratch_dir);
	if ((fp = fmemopen((void *)(uintptr_t)conf, sizeof(conf) - 1,
	    "r")) == NULL || config_load_stream(&scratch_cfg, fp, "fuzz.conf",
	    &err) == -1)
		abort();
	(void)fclose(fp);
	free(scratch_cfg.spooldir);
	if ((scratch_cfg.spooldir = strdup(scratch_dir)) == NULL ||
	    spool_open(&scratch_sp, scratch_dir, 1, &err) == -1)
		abort();
	if (atexit(scratch_remove) != 0)
		abort();
}

/* A memory file holding data, rewound. */
static int
scratch_memfd(const void *data, size_t size)
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

/* All of fd from its start, NUL-terminated, in *len bytes (caller frees). */
static char *
scratch_slurp(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	char *s;

	if (end < 0 || (s = malloc((size_t)end + 1)) == NULL)
		abort();
	if (end > 0 && pread(fd, s, (size_t)end, 0) != (ssize_t)end)
		abort();
	s[end] = '\0';
	*len = (size_t)end;
	return s;
}

#endif /* POSTA_FUZZ_SCRATCH_H */
