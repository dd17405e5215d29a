/* SPDX-License-Identifier: ISC */
/* The spool state machine: commit, take, lock, and repair of each crash state. */
#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "tap.h"

static char dir[] = "/tmp/t_spool.XXXXXX";
static struct spool sp;

static int
exists(const char *sub, const char *id, const char *ext)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s/%s.%s", dir, sub, id, ext);
	return access(p, F_OK) == 0;
}

static void
touch(const char *sub, const char *name, const char *content)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	if ((f = fopen(p, "w")) != NULL) {
		fputs(content, f);
		fclose(f);
	}
}

/* A committed entry, released; returns its id in id. */
static void
make_entry(char *id, size_t cap)
{
	struct spool_entry ent;
	struct perr err = { 0, "" };

	spool_create(&sp, &ent, &err);
	if (write(ent.fd, "Subject: x\r\n\r\nbody\r\n", 20) != 20)
		fprintf(stderr, "write failed\n");
	env_set_sender(&ent.env, "me@example.com", &err);
	env_add_rcpt(&ent.env, "a@example.com", &err);
	spool_commit(&sp, &ent, 0, &err);
	snprintf(id, cap, "%s", ent.id);
	spool_release(&ent);
}

static size_t
count(int failed)
{
	struct perr err = { 0, "" };
	char **ids;
	size_t n, i;

	if (spool_list(&sp, failed, &ids, &n, &err) == -1)
		return 9999;
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return n;
}

static void
mv(const char *from, const char *to, const char *id, const char *ext)
{
	char a[512], b[512];

	snprintf(a, sizeof(a), "%s/%s/%s.%s", dir, from, id, ext);
	snprintf(b, sizeof(b), "%s/%s/%s.%s", dir, to, id, ext);
	rename(a, b);
}

int
main(void)
{
	struct perr err = { 0, "" };
	struct spool_entry ent, ent2, live;
	char id[32], id2[32];

	log_init(0, NULL, 0);
	if (mkdtemp(dir) == NULL || spool_open(&sp, dir, 1, &err) == -1)
		return 1;

	make_entry(id, sizeof(id));
	ok(spool_valid_id(id), "id looks right: %s", id);
	ok(exists("q", id, "msg") && exists("q", id, "env"), "committed to q/");
	is_int(count(0), 1, "listed");

	/* take locks; a second taker is told it is busy */
	ok(spool_take(&sp, id, &ent, &err) == 0, "taken");
	is_str(ent.env.sender, "me@example.com", "envelope read");
	is_int(ent.size, 20, "size known");
	is_int(spool_take(&sp, id, &ent2, &err), 1, "second take: busy");
	ent.env.attempts = 7;
	ok(spool_update(&sp, &ent, &err) == 0, "update");
	spool_release(&ent);
	ok(spool_take(&sp, id, &ent, &err) == 0 && ent.env.attempts == 7,
	    "update is durable");
	ok(spool_fail(&sp, &ent, &err) == 0, "fail");
	spool_release(&ent);
	ok(!exists("q", id, "msg") && exists("failed", id, "msg") &&
	    exists("failed", id, "env"), "moved to failed/");
	is_int(count(0), 0, "q/ empty");
	is_int(count(1), 1, "failed/ lists it");
	ok(spool_delete(&sp, id, &err) == 0 && count(1) == 0, "deleted from failed/");

	/* state 1/2: unlocked tmp debris goes, a live intake stays */
	touch("tmp", "00000000deadbeef.msg", "x");
	touch("tmp", "00000000deadbeef.env", "x");
	ok(spool_create(&sp, &live, &err) == 0, "live intake");
	count(0);
	ok(!exists("tmp", "00000000deadbeef", "msg") &&
	    !exists("tmp", "00000000deadbeef", "env"), "tmp debris removed");
	ok(exists("tmp", live.id, "msg"), "live intake untouched");
	spool_discard(&sp, &live);
	ok(!exists("tmp", live.id, "msg"), "discard removes it");

	/* state 3: message in q/, envelope still in tmp/: recovered */
	make_entry(id, sizeof(id));
	mv("q", "tmp", id, "env");
	is_int(count(0), 1, "interrupted commit recovered");
	ok(exists("q", id, "env") && !exists("tmp", id, "env"), "envelope moved in");

	/* state 6: message alone in q/: removed */
	mv("q", "tmp", id, "env");
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/tmp/%s.env", dir, id);
		unlink(p);
	}
	is_int(count(0), 0, "half-removed entry finished");
	ok(!exists("q", id, "msg"), "orphan message removed");

	/* state 7: envelope already in failed/: the message follows */
	make_entry(id, sizeof(id));
	mv("q", "failed", id, "env");
	is_int(count(0), 0, "interrupted failure finished");
	ok(exists("failed", id, "msg"), "message moved to failed/");

	/* a locked orphan is left alone */
	make_entry(id2, sizeof(id2));
	ok(spool_take(&sp, id2, &ent, &err) == 0, "take for the lock");
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/q/%s.env", dir, id2);
		unlink(p);
	}
	count(0);
	ok(exists("q", id2, "msg"), "locked message not touched by a scan");
	spool_release(&ent);
	count(0);
	ok(!exists("q", id2, "msg"), "... and cleaned once unlocked");

	/* foreign and corrupt files go to corrupt/ and do not stop the run */
	touch("q", "README", "hello");
	make_entry(id, sizeof(id));
	{
		char p[512];

		snprintf(p, sizeof(p), "%s.env", id);
		touch("q", p, "garbage\n");
	}
	is_int(count(0), 1, "corrupt entry still listed");
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/corrupt/README", dir);
		ok(access(p, F_OK) == 0, "foreign file moved to corrupt/");
	}
	perr_clear(&err);
	is_int(spool_take(&sp, id, &ent, &err), -1, "corrupt envelope refused");
	ok(exists("corrupt", id, "env") && exists("corrupt", id, "msg"),
	    "corrupt entry moved aside");
	is_int(count(0), 0, "queue clean");

	spool_close(&sp);
	return done_testing();
}
