/* SPDX-License-Identifier: ISC */
/*
 * The spool state machine: commit, take, lock, and repair of each crash
 * state. Linked with --wrap=renameat2 (Makefile): renameat2 can be made
 * to fail as on file systems and kernels without RENAME_NOREPLACE, or
 * in a sandbox that refuses it, so that the moves take their other way,
 * link() and unlink(). With --wrap=getrandom,--wrap=clock_gettime, the
 * queue ids drawn can be told, as under a clock that went back.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "tap.h"

static char dir[] = "/tmp/t_spool.XXXXXX";
static struct spool sp;

int __real_renameat2(int from, const char *fname, int to, const char *tname,
    unsigned int flags);
int __wrap_renameat2(int from, const char *fname, int to, const char *tname,
    unsigned int flags);

static int no_noreplace;     /* errno for renameat2 to fail with, or 0 */
static int renameat2_called; /* since the last reset */

int
__wrap_renameat2(int from, const char *fname, int to, const char *tname,
    unsigned int flags)
{
	renameat2_called++;
	if (no_noreplace != 0) {
		errno = no_noreplace;
		return -1;
	}
	return __real_renameat2(from, fname, to, tname, flags);
}

ssize_t __real_getrandom(void *buf, size_t len, unsigned int flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned int flags);
int __real_clock_gettime(clockid_t clk, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);

/* while ndraws > 0: the random part of the ids drawn, the last repeated */
static unsigned int draws[8];
static size_t ndraws, drawn;

ssize_t
__wrap_getrandom(void *buf, size_t len, unsigned int flags)
{
	unsigned int v;

	if (ndraws == 0 || len != sizeof(v))
		return __real_getrandom(buf, len, flags);
	v = draws[drawn < ndraws ? drawn : ndraws - 1];
	drawn++;
	memcpy(buf, &v, sizeof(v));
	return (ssize_t)len;
}

/* while ndraws > 0: a clock that stands still */
int
__wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (ndraws == 0 || clk != CLOCK_REALTIME)
		return __real_clock_gettime(clk, ts);
	ts->tv_sec = 1622548800;
	ts->tv_nsec = 123456000;
	return 0;
}

/* The next ids drawn end in the n given hex numbers; n 0: random again. */
static void
script_draws(size_t n, const unsigned int *v)
{
	if (n > 0) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(draws, v, n * sizeof(*v));
	ndraws = n;
	drawn = 0;
}

static void
path_of(char *p, size_t cap, const char *sub, const char *id, const char *ext)
{
	snprintf(p, cap, "%s/%s/%s.%s", dir, sub, id, ext);
}

static void
unlink_entry(const char *sub, const char *id)
{
	char p[512];

	path_of(p, sizeof(p), sub, id, "msg");
	unlink(p);
	path_of(p, sizeof(p), sub, id, "env");
	unlink(p);
}

/* The contents of file p into buf (NUL-terminated), or "(none)". */
static void
slurp_path(const char *p, char *buf, size_t cap)
{
	size_t n = 0;
	FILE *f;

	if ((f = fopen(p, "r")) == NULL) {
		snprintf(buf, cap, "(none)");
		return;
	}
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The contents of sub/id.ext into buf (NUL-terminated), or "(none)". */
static void
slurp(const char *sub, const char *id, const char *ext, char *buf, size_t cap)
{
	char p[512];

	path_of(p, sizeof(p), sub, id, ext);
	slurp_path(p, buf, cap);
}

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

/* An entry committed to q/ (failed/ with to_failed), released, in id. */
static void
commit_entry(char *id, size_t cap, int to_failed)
{
	struct spool_entry ent;
	struct perr err = { 0, "" };

	spool_create(&sp, &ent, &err);
	if (write(ent.fd, "Subject: x\r\n\r\nbody\r\n", 20) != 20)
		fprintf(stderr, "write failed\n");
	env_set_sender(&ent.env, "me@example.com", &err);
	env_add_rcpt(&ent.env, "a@example.com", &err);
	spool_commit(&sp, &ent, to_failed, &err);
	snprintf(id, cap, "%s", ent.id);
	spool_release(&ent);
}

static void
make_entry(char *id, size_t cap)
{
	commit_entry(id, cap, 0);
}

/*
 * An intake, not committed. With id, one that drew that queue id, as
 * spool_create() does when the clock has gone back to when id was
 * made: its message renamed in tmp/ to that id.
 */
static void
intake_as(struct spool_entry *ent, const char *id)
{
	struct perr err = { 0, "" };
	char a[512], b[512];

	spool_create(&sp, ent, &err);
	if (write(ent->fd, "Subject: new\r\n\r\nnew\r\n", 21) != 21)
		fprintf(stderr, "write failed\n");
	if (id != NULL) {
		path_of(a, sizeof(a), "tmp", ent->id, "msg");
		path_of(b, sizeof(b), "tmp", id, "msg");
		if (rename(a, b) == -1)
			fprintf(stderr, "rename failed\n");
		snprintf(ent->id, sizeof(ent->id), "%s", id);
		snprintf(ent->env.id, sizeof(ent->env.id), "%s", id);
	}
	env_set_sender(&ent->env, "new@example.com", &err);
	env_add_rcpt(&ent->env, "b@example.com", &err);
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

/*
 * A commit onto the id of an entry already in q/ (failed/ with
 * to_failed) fails as temporary, leaves that entry byte for byte as it
 * was and nothing of its own.
 */
static void
clash(int to_failed, const char *how)
{
	const char *sub = to_failed ? "failed" : "q";
	struct perr err = { 0, "" };
	struct spool_entry ent;
	char id[32], msg0[256], env0[1024], msg1[256], env1[1024];
	size_t n;

	commit_entry(id, sizeof(id), to_failed);
	n = count(to_failed);
	slurp(sub, id, "msg", msg0, sizeof(msg0));
	slurp(sub, id, "env", env0, sizeof(env0));
	intake_as(&ent, id);
	is_int(spool_commit(&sp, &ent, to_failed, &err), -1,
	    "%s: commit onto an id in %s/ fails", how, sub);
	is_int(err.code, EX_TEMPFAIL, "%s: ... as temporary (EX_TEMPFAIL)",
	    how);
	ok(strstr(err.msg, id) != NULL && strchr(err.msg, '\n') == NULL,
	    "%s: ... with one line naming the id: %s", how, err.msg);
	spool_discard(&sp, &ent);
	slurp(sub, id, "msg", msg1, sizeof(msg1));
	slurp(sub, id, "env", env1, sizeof(env1));
	is_str(msg1, msg0, "%s: the queued message is unchanged", how);
	is_str(env1, env0, "%s: the queued envelope is unchanged", how);
	ok(!exists("tmp", id, "msg") && !exists("tmp", id, "env"),
	    "%s: nothing of the intake left in tmp/", how);
	is_int(count(to_failed), n, "%s: as many entries listed in %s/", how,
	    sub);
	ok(spool_delete(&sp, id, &err) == 0, "%s: deleted", how);
}

/*
 * The envelope's name taken after the message moved: in q/ a foreign
 * file, in failed/ another entry of the id in state 7. The message
 * must not stay beside it.
 */
static void
clash_env(int to_failed, const char *how)
{
	const char *sub = to_failed ? "failed" : "q";
	struct perr err = { 0, "" };
	struct spool_entry ent;
	char name[64], p[512], env1[64];

	intake_as(&ent, NULL);
	snprintf(name, sizeof(name), "%s.env", ent.id);
	touch(sub, name, "other\n");
	is_int(spool_commit(&sp, &ent, to_failed, &err), -1,
	    "%s: commit onto a lone %s/ID.env fails", how, sub);
	is_int(err.code, EX_TEMPFAIL, "%s: ... as temporary (EX_TEMPFAIL)",
	    how);
	spool_discard(&sp, &ent);
	ok(!exists(sub, ent.id, "msg"),
	    "%s: the message did not stay beside that envelope", how);
	slurp(sub, ent.id, "env", env1, sizeof(env1));
	is_str(env1, "other\n", "%s: that envelope is unchanged", how);
	ok(!exists("tmp", ent.id, "msg") && !exists("tmp", ent.id, "env"),
	    "%s: nothing of the intake left in tmp/", how);
	path_of(p, sizeof(p), sub, ent.id, "env");
	unlink(p);
}

/*
 * A corrupt entry, and a foreign file, whose name corrupt/ has already
 * (an id that came again): left in q/, and corrupt/ byte for byte as it
 * was, since it may hold the only copy of an accepted message. A file
 * half moved there by link() is finished.
 */
static void
corrupt_kept(const char *how)
{
	struct perr err = { 0, "" };
	struct spool_entry ent;
	char id[32], name[64], got[64], a[512], b[512];

	make_entry(id, sizeof(id));
	snprintf(name, sizeof(name), "%s.env", id);
	touch("q", name, "garbage\n");
	touch("corrupt", name, "old envelope\n");
	snprintf(name, sizeof(name), "%s.msg", id);
	touch("corrupt", name, "old message\n");
	is_int(spool_take(&sp, id, &ent, &err), -1,
	    "%s: corrupt entry of an id in corrupt/: refused", how);
	slurp("corrupt", id, "msg", got, sizeof(got));
	is_str(got, "old message\n", "%s: corrupt/ID.msg unchanged", how);
	slurp("corrupt", id, "env", got, sizeof(got));
	is_str(got, "old envelope\n", "%s: corrupt/ID.env unchanged", how);
	slurp("q", id, "env", got, sizeof(got));
	ok(exists("q", id, "msg") && strcmp(got, "garbage\n") == 0,
	    "%s: ... and the entry left in q/", how);
	/* one name taken is enough: never a pair of two entries' files */
	path_of(a, sizeof(a), "corrupt", id, "msg");
	unlink(a);
	is_int(spool_take(&sp, id, &ent, &err), -1,
	    "%s: with only corrupt/ID.env there: refused", how);
	ok(exists("q", id, "msg") && exists("q", id, "env") &&
		!exists("corrupt", id, "msg"),
	    "%s: ... and the entry left in q/", how);
	unlink_entry("q", id);
	unlink_entry("corrupt", id);

	touch("q", "NOTES", "new\n");
	touch("corrupt", "NOTES", "old\n");
	count(0);
	snprintf(a, sizeof(a), "%s/corrupt/NOTES", dir);
	snprintf(b, sizeof(b), "%s/q/NOTES", dir);
	slurp_path(a, got, sizeof(got));
	is_str(got, "old\n", "%s: corrupt/NOTES unchanged", how);
	slurp_path(b, got, sizeof(got));
	is_str(got, "new\n",
	    "%s: ... and a foreign file of that name stays in q/", how);
	unlink(a);
	if (link(b, a) == -1)
		fprintf(stderr, "link failed\n");
	count(0);
	ok(access(a, F_OK) == 0 && access(b, F_OK) == -1,
	    "%s: a half-done move to corrupt/ is finished", how);
	unlink(a);
}

/* The moves that commit, one time each way. */
static void
clashes(const char *how)
{
	char id[32];

	renameat2_called = 0;
	make_entry(id, sizeof(id));
	ok(exists("q", id, "msg") && exists("q", id, "env") &&
		!exists("tmp", id, "msg") && !exists("tmp", id, "env"),
	    "%s: a plain commit works", how);
	ok(renameat2_called > 0, "%s: by renameat2 (%d calls)", how,
	    renameat2_called);
	ok(spool_delete(&sp, id, &(struct perr){ 0, "" }) == 0, "%s: deleted",
	    how);
	clash(0, how);
	clash(1, how);
	clash_env(0, how);
	clash_env(1, how);
	corrupt_kept(how);
}

/*
 * Queue ids in use in failed/ only, as after the clock went back: the
 * intake draws another, so that its entry, queued in q/, can later
 * move to failed/ (before, spool_fail() clashed there on every run).
 * Only with an id taken every time is it kept, and the commit refuses.
 */
static void
taken_in_failed(void)
{
	static const unsigned int five = 5, seq[] = { 5, 6, 7 };
	struct perr err = { 0, "" };
	struct spool_entry ent;
	char id5[32], id6[32], name[64], got[64];
	int rc;

	script_draws(1, &five);
	commit_entry(id5, sizeof(id5), 1);
	ok(exists("failed", id5, "msg") && !exists("q", id5, "msg"),
	    "id ...005 in failed/ only: %s", id5);
	snprintf(id6, sizeof(id6), "%.13s006", id5);
	snprintf(name, sizeof(name), "%s.env", id6);
	touch("failed", name, "state 7\n");

	script_draws(sizeof(seq) / sizeof(seq[0]), seq);
	ok(spool_create(&sp, &ent, &err) == 0, "intake at that time");
	ok(strncmp(ent.id, id5, 13) == 0 && strcmp(ent.id + 13, "007") == 0,
	    "... draws past the ids in failed/: %s", ent.id);
	if (write(ent.fd, "Subject: y\r\n\r\ny\r\n", 17) != 17)
		fprintf(stderr, "write failed\n");
	env_set_sender(&ent.env, "me@example.com", &err);
	env_add_rcpt(&ent.env, "a@example.com", &err);
	ok(spool_commit(&sp, &ent, 0, &err) == 0, "... queued");
	ok(spool_fail(&sp, &ent, &err) == 0, "... and it can fail later: %s",
	    err.msg);
	spool_release(&ent);
	ok(spool_delete(&sp, ent.id, &err) == 0, "... deleted");

	script_draws(1, &five);
	rc = spool_create(&sp, &ent, &err);
	ok(rc == 0 && strcmp(ent.id, id5) == 0 && drawn > 1 && drawn <= 32,
	    "id taken at every draw: kept after %zu draws", drawn);
	env_set_sender(&ent.env, "me@example.com", &err);
	env_add_rcpt(&ent.env, "a@example.com", &err);
	perr_clear(&err);
	is_int(spool_commit(&sp, &ent, 1, &err), -1,
	    "... and its commit refuses the clash");
	is_int(err.code, EX_TEMPFAIL, "... as temporary");
	spool_discard(&sp, &ent);
	slurp("failed", id6, "env", got, sizeof(got));
	is_str(got, "state 7\n", "failed/ID.env left as it was");
	script_draws(0, NULL);
	ok(spool_delete(&sp, id5, &err) == 0, "... deleted");
	snprintf(name, sizeof(name), "%s/failed/%s.env", dir, id6);
	unlink(name);
}

int
main(void)
{
	struct perr err = { 0, "" };
	struct spool_entry ent, ent2, live;
	char id[32], id2[32];
	size_t nfailed;

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

	/* a queue id that repeats (the clock went back) replaces nothing */
	clashes("renameat2");
	no_noreplace = EINVAL; /* a file system without RENAME_NOREPLACE */
	clashes("link, EINVAL");
	no_noreplace = ENOSYS; /* a kernel without renameat2 */
	clashes("link, ENOSYS");
	no_noreplace = EPERM; /* a sandbox (seccomp) refusing renameat2 */
	clashes("link, EPERM");
	no_noreplace = EOPNOTSUPP; /* a file system without it, too */
	clashes("link, EOPNOTSUPP");
	no_noreplace = 0;

	taken_in_failed();

	/* state 7 of an entry whose id failed/ holds already: not replaced */
	make_entry(id, sizeof(id));
	mv("q", "failed", id, "env");
	{
		char name[64], got[64];

		snprintf(name, sizeof(name), "%s.msg", id);
		touch("failed", name, "other\n");
		count(0);
		slurp("failed", id, "msg", got, sizeof(got));
		is_str(got, "other\n",
		    "recovery into failed/ replaces nothing");
		ok(exists("q", id, "msg"), "... and leaves the message in q/");
		unlink_entry("q", id);
		unlink_entry("failed", id);
	}

	/* a link() and unlink() move stopped halfway is finished */
	nfailed = count(1);
	make_entry(id, sizeof(id));
	mv("q", "failed", id, "env");
	{
		char a[512], b[512];

		path_of(a, sizeof(a), "q", id, "msg");
		path_of(b, sizeof(b), "failed", id, "msg");
		if (link(a, b) == -1)
			fprintf(stderr, "link failed\n");
	}
	is_int(count(0), 0, "half-linked message: q/ empty");
	ok(!exists("q", id, "msg") && exists("failed", id, "msg") &&
		exists("failed", id, "env"),
	    "... and the entry in failed/");
	is_int(count(1), nfailed + 1, "... listed there");
	ok(spool_delete(&sp, id, &err) == 0, "deleted");

	spool_close(&sp);
	return done_testing();
}
