/* SPDX-License-Identifier: ISC */
/*
 * The spool directory and its state machine.
 *
 *	DIR/tmp/	intake in progress, envelope updates in progress
 *	DIR/q/		queued: ID.msg (the message, CR LF text) + ID.env
 *	DIR/failed/	failed definitively: ID.msg + ID.env with reasons
 *	DIR/corrupt/	files posta could not understand, moved aside;
 *			ID.told once the sender of entry ID was notified
 *
 * An entry is owned by whoever holds flock(LOCK_EX) on its .msg file;
 * the lock lives as long as the open file, so it follows the file
 * through renames and into a forked background child. Every change
 * below is a rename or an unlink, preceded by fsync of the file and
 * followed by fsync of the directory.
 *
 *	state				a crash here leaves		a later scan
 *	1 tmp/ID.msg being written	tmp/ID.msg, unlocked		unlinks it (never acknowledged)
 *	2 + tmp/ID.env written		tmp/ID.msg, tmp/ID.env		unlinks both
 *	3 msg renamed to q/		q/ID.msg, tmp/ID.env		renames the envelope in: queued
 *	4 env renamed to q/: QUEUED	q/ID.msg, q/ID.env		(this is the normal state)
 *	3f the same into failed/	failed/ID.msg, tmp/ID.env	renames the envelope in: failed
 *	 (an intake refused as data)
 *	5 envelope update		tmp/ID.upd			unlinks it; q/ID.env is the old one
 *	6 delivered: env unlinked	q/ID.msg alone			unlinks it
 *	7 failing: env to failed/	q/ID.msg, failed/ID.env		moves the message to failed/
 *
 * Acknowledgement (exit 0, or 250 in -bs) happens only after state 4
 * is on disk. A scan touches only files whose lock it can take, so it
 * never disturbs a live process. Anything in q/ that is not ID.msg or
 * ID.env, an envelope without its message, and any envelope that does
 * not parse, goes to corrupt/ with an error in the log. Nothing there
 * is changed again or replaced: a file whose name corrupt/ has already
 * (an entry's files: either name) stays in q/, with an error at each
 * scan. ID.told is only ever added (spool_corrupt_claim).
 *
 * No move into q/ or failed/ replaces a file there (move()); only an
 * envelope update does, by design (state 5). A queue id can repeat
 * when the clock steps back: spool_create() draws another when the id
 * is in use in tmp/, q/ or failed/. Only when ID_DRAWS ids in a row
 * are, or the id is taken between the draw and the commit, does an
 * intake meet its id taken at commit: it fails with EX_TEMPFAIL and
 * removes its own files, and the entry already there is left as it
 * was. Where the file system or kernel lacks RENAME_NOREPLACE, or a
 * sandbox refuses renameat2, a move is a link and an unlink. A crash
 * between them leaves the file under both names, unlocked: a scan
 * takes the message in tmp/ for debris, and the envelope in tmp/ too
 * once its entry is complete; a move tried again finds its own file at
 * the target and only unlinks the old name.
 */
#define _GNU_SOURCE /* renameat2 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "posta.h"
#include "spool.h"
#include "util.h"

#define ID_LEN	   16
#define ID_DRAWS   16 /* ids drawn against one taken elsewhere */
#define OPEN_FLAGS (O_NOFOLLOW | O_CLOEXEC)

static const char *const subdirs[] = { "tmp", "q", "failed", "corrupt" };

int
spool_valid_id(const char *id)
{
	size_t i;

	for (i = 0; i < ID_LEN; i++)
		if (!isxdigit((unsigned char)id[i]) ||
		    isupper((unsigned char)id[i]))
			return 0;
	return id[ID_LEN] == '\0';
}

static int
open_dir(int at, const char *name, int create, struct perr *err,
    const char *shown)
{
	int fd;

	fd = openat(at, name, O_RDONLY | O_DIRECTORY | OPEN_FLAGS);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(at, name, 0770) == -1 && errno != EEXIST)
			return perr_set(err,
			    errno == EACCES ? EX_NOPERM : EX_CANTCREAT,
			    "%s: cannot create: %s", shown, strerror(errno));
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | OPEN_FLAGS);
	}
	if (fd == -1)
		return perr_set(err, errno == EACCES ? EX_NOPERM : EX_CANTCREAT,
		    "%s: %s", shown, strerror(errno));
	return fd;
}

int
spool_open(struct spool *sp, const char *dir, int create, struct perr *err)
{
	char shown[4200];
	int *fds[] = { &sp->tmpfd, &sp->qfd, &sp->failfd, &sp->corruptfd };
	size_t i;

	memset(sp, 0, sizeof(*sp));
	sp->dirfd = sp->tmpfd = sp->qfd = sp->failfd = sp->corruptfd = -1;
	if (xstrlcpy(sp->path, dir, sizeof(sp->path)) == -1)
		return perr_set(err, EX_CONFIG, "spool path too long");
	if ((sp->dirfd = open_dir(AT_FDCWD, dir, create, err, dir)) == -1)
		goto fail;
	for (i = 0; i < nitems(subdirs); i++) {
		(void)snprintf(shown, sizeof(shown), "%s/%s", dir, subdirs[i]);
		if ((*fds[i] = open_dir(sp->dirfd, subdirs[i], create, err,
			 shown)) == -1)
			goto fail;
	}
	return 0;
fail:
	spool_close(sp);
	return -1;
}

int
spool_writable(struct spool *sp, struct perr *err)
{
	static const char *const need[] = { "tmp", "q", "failed" };
	size_t i;

	/* effective ids: what a set-group-id posta may do */
	for (i = 0; i < nitems(need); i++)
		if (faccessat(sp->dirfd, need[i], W_OK | X_OK, AT_EACCESS) ==
		    -1)
			return perr_set(err,
			    errno == EROFS || errno == EACCES ||
				    errno == EPERM ?
				EX_CANTCREAT :
				EX_IOERR,
			    "%s/%s: the spool cannot be written: %s", sp->path,
			    need[i], strerror(errno));
	return 0;
}

void
spool_close(struct spool *sp)
{
	int *fds[] = { &sp->dirfd, &sp->tmpfd, &sp->qfd, &sp->failfd,
		&sp->corruptfd };
	size_t i;

	for (i = 0; i < nitems(fds); i++) {
		if (*fds[i] != -1)
			(void)close(*fds[i]);
		*fds[i] = -1;
	}
}

static void
name_of(char *buf, size_t cap, const char *id, const char *ext)
{
	(void)snprintf(buf, cap, "%s.%s", id, ext);
}

static int
exists_at(int dirfd, const char *id, const char *ext)
{
	char name[64];
	struct stat st;

	name_of(name, sizeof(name), id, ext);
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * Ids sort in creation order, which is the order of a queue run: 8 hex
 * digits of the second, 5 of the microsecond, 3 random ones against
 * a clash (spool_create() draws again on one). Still the 16 lower-case
 * hex digits of the older second-and-random ids, so spools written
 * before read the same.
 */
static int
new_id(char *id, size_t cap)
{
	struct timespec ts;
	unsigned int rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd) ||
	    clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	return xsnprintf(id, cap, "%08llx%05lx%03x",
	    (unsigned long long)ts.tv_sec & 0xffffffffULL,
	    (unsigned long)ts.tv_nsec / 1000, rnd & 0xfffu);
}

/*
 * 1 when an entry or an intake already has id (the clock went back):
 * its envelope in tmp/, or its message or envelope in q/ or failed/.
 * The message in tmp/ is the O_EXCL create's to find.
 */
static int
id_taken(struct spool *sp, const char *id)
{
	return exists_at(sp->tmpfd, id, "env") ||
	    exists_at(sp->qfd, id, "msg") || exists_at(sp->qfd, id, "env") ||
	    exists_at(sp->failfd, id, "msg") ||
	    exists_at(sp->failfd, id, "env");
}

int
spool_create(struct spool *sp, struct spool_entry *ent, struct perr *err)
{
	char name[64];
	struct stat st;
	int fd, tries;

	spool_entry_init(ent);
	for (tries = 0; tries < 100; tries++) {
		if (new_id(ent->id, sizeof(ent->id)) == -1)
			return perr_set(err, EX_OSERR, "new queue id: %s",
			    strerror(errno));
		/*
		 * An id in use would clash at commit or, when only failed/
		 * has it, in spool_fail() later, which then could never
		 * move the entry: draw another. After ID_DRAWS, take what
		 * comes; the moves still refuse to replace anything.
		 */
		if (tries < ID_DRAWS && id_taken(sp, ent->id))
			continue;
		name_of(name, sizeof(name), ent->id, "msg");
		fd = openat(sp->tmpfd, name,
		    O_RDWR | O_CREAT | O_EXCL | OPEN_FLAGS, 0660);
		if (fd == -1 && errno == EEXIST)
			continue;
		if (fd == -1)
			return perr_set(err, EX_CANTCREAT, "%s/tmp/%s: %s",
			    sp->path, name, strerror(errno));
		/* a scan may have taken it for debris between open and lock */
		if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1 ||
		    st.st_nlink == 0) {
			(void)close(fd);
			continue;
		}
		ent->fd = fd;
		ent->owner = st.st_uid;
		ent->in_tmp = 1;
		(void)xstrlcpy(ent->env.id, ent->id, sizeof(ent->env.id));
		ent->env.created = time(NULL);
		return 0;
	}
	return perr_set(err, EX_CANTCREAT, "%s/tmp: cannot create a file",
	    sp->path);
}

/* Write env to tmp/ID.EXT and fsync it. */
static int
write_env(struct spool *sp, const struct spool_entry *ent, const char *ext,
    struct perr *err)
{
	char name[64];
	int fd, rc = -1;

	name_of(name, sizeof(name), ent->id, ext);
	fd = openat(sp->tmpfd, name, O_WRONLY | O_CREAT | O_TRUNC | OPEN_FLAGS,
	    0660);
	if (fd == -1)
		return perr_set(err, EX_CANTCREAT, "%s/tmp/%s: %s", sp->path,
		    name, strerror(errno));
	if (env_write(&ent->env, fd, err) == -1)
		goto out;
	if (fsync(fd) == -1) {
		perr_set(err, EX_CANTCREAT, "%s/tmp/%s: fsync: %s", sp->path,
		    name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (close(fd) == -1 && rc == 0)
		rc = perr_set(err, EX_CANTCREAT, "%s/tmp/%s: close: %s",
		    sp->path, name, strerror(errno));
	if (rc == -1)
		(void)unlinkat(sp->tmpfd, name, 0);
	return rc;
}

/* The name of one of the spool's directories, for messages. */
static const char *
dir_name(const struct spool *sp, int fd)
{
	if (fd == sp->qfd)
		return "q";
	if (fd == sp->failfd)
		return "failed";
	if (fd == sp->corruptfd)
		return "corrupt";
	return "tmp";
}

/*
 * rename() that never replaces: to/tname must not exist (EEXIST if it
 * does). Without RENAME_NOREPLACE in the file system (EINVAL,
 * EOPNOTSUPP) or the kernel (ENOSYS), or with renameat2 refused by a
 * sandbox (EPERM), link() and unlink(): the link fails on an existing
 * name too, and a real permission error fails there again. A crash
 * between the two leaves one file under both names, which the next
 * move of it finishes (see move()).
 */
static int
rename_noreplace(int from, const char *fname, int to, const char *tname)
{
	if (renameat2(from, fname, to, tname, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EPERM &&
	    errno != EOPNOTSUPP)
		return -1;
	if (linkat(from, fname, to, tname, 0) == -1)
		return -1;
	return unlinkat(from, fname, 0);
}

/* 1 when a/aname and b/bname are one file (two links to it). */
static int
same_file(int a, const char *aname, int b, const char *bname)
{
	struct stat sa, sb;

	return fstatat(a, aname, &sa, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fstatat(b, bname, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Move ID.fext in from to ID.text in to, never over a file already
 * there: a queue id repeats when the clock steps back, and a rename()
 * would silently replace the other entry's file. Such a clash is
 * EX_TEMPFAIL, and nothing has moved.
 */
static int
move(struct spool *sp, int from, int to, const char *id, const char *fext,
    const char *text, struct perr *err)
{
	char fname[64], tname[64];

	name_of(fname, sizeof(fname), id, fext);
	name_of(tname, sizeof(tname), id, text);
	if (rename_noreplace(from, fname, to, tname) == 0)
		return 0;
	if (errno != EEXIST)
		return perr_set(err, EX_IOERR, "%s: rename %s: %s", sp->path,
		    fname, strerror(errno));
	if (!same_file(from, fname, to, tname))
		return perr_set(err, EX_TEMPFAIL,
		    "%s/%s/%s exists: queue id %s is in use (has the clock "
		    "gone back?); nothing replaced, try again",
		    sp->path, dir_name(sp, to), tname, id);
	/* a link() and unlink() move of this file stopped halfway */
	if (unlinkat(from, fname, 0) == -1)
		return perr_set(err, EX_IOERR, "%s: unlink %s: %s", sp->path,
		    fname, strerror(errno));
	return 0;
}

/*
 * An intake's envelope found its name in dst taken after its message
 * had moved there. In q/ no state leaves an envelope without its
 * message, so that is a foreign file; in failed/ it is another entry of
 * the same id in state 7. Either way the message must not stay next to
 * it: take it out, with the envelope left in tmp/.
 */
static void
uncommit(struct spool *sp, int dst, const char *id)
{
	char name[64];

	name_of(name, sizeof(name), id, "msg");
	(void)unlinkat(dst, name, 0);
	(void)fsync_dir(dst);
	name_of(name, sizeof(name), id, "env");
	(void)unlinkat(sp->tmpfd, name, 0);
}

int
spool_commit(struct spool *sp, struct spool_entry *ent, int to_failed,
    struct perr *err)
{
	struct stat st;
	int dst = to_failed ? sp->failfd : sp->qfd;

	if (fsync(ent->fd) == -1 || fstat(ent->fd, &st) == -1)
		return perr_set(err, EX_CANTCREAT, "%s/tmp/%s.msg: %s",
		    sp->path, ent->id, strerror(errno));
	ent->size = st.st_size;
	if (write_env(sp, ent, "env", err) == -1)
		return -1;
	/* on a clash here both stay in tmp/, for spool_discard() */
	if (move(sp, sp->tmpfd, dst, ent->id, "msg", "msg", err) == -1)
		return -1;
	ent->in_tmp = 0;
	if (move(sp, sp->tmpfd, dst, ent->id, "env", "env", err) == -1) {
		if (err->code == EX_TEMPFAIL)
			uncommit(sp, dst, ent->id);
		return -1;
	}
	if (fsync_dir(dst) == -1)
		return perr_set(err, EX_IOERR, "%s: fsync: %s", sp->path,
		    strerror(errno));
	return 0;
}

void
spool_discard(struct spool *sp, struct spool_entry *ent)
{
	char name[64];

	if (ent->in_tmp) {
		name_of(name, sizeof(name), ent->id, "env");
		(void)unlinkat(sp->tmpfd, name, 0);
		name_of(name, sizeof(name), ent->id, "msg");
		(void)unlinkat(sp->tmpfd, name, 0);
		ent->in_tmp = 0;
	}
	spool_release(ent);
}

/*
 * Move a q/ file aside, keeping its name, and never over a file in
 * corrupt/: that may be the only copy of a message accepted under the
 * same id before. 0 when moved; -1 when it stays in q/, logged unless
 * it is gone (its owner finished with it). A later scan tries again.
 */
static int
quarantine(struct spool *sp, const char *name, const char *why)
{
	int rc, saved;

	rc = rename_noreplace(sp->qfd, name, sp->corruptfd, name);
	saved = errno;
	/* a link() and unlink() move of this file stopped halfway */
	if (rc == -1 && saved == EEXIST &&
	    same_file(sp->qfd, name, sp->corruptfd, name)) {
		rc = unlinkat(sp->qfd, name, 0);
		saved = errno;
	}
	if (rc == 0) {
		log_errx("%s/q/%s: %s; moved to %s/corrupt/", sp->path, name,
		    why, sp->path);
		return 0;
	}
	if (saved == EEXIST)
		log_errx("%s/q/%s: %s; left in q/: a file of that name is "
			 "already in %s/corrupt/",
		    sp->path, name, why, sp->path);
	else if (saved != ENOENT)
		log_errx("%s/q/%s: %s; cannot move it to corrupt/: %s",
		    sp->path, name, why, strerror(saved));
	return -1;
}

/*
 * Set entry id aside, both files or neither: beside another entry's
 * files of that id in corrupt/, a message would be taken for theirs.
 * The message goes first, since a q/ID.msg left alone is deleted by
 * the next scan (state 6), a lone q/ID.env only set aside.
 */
static void
quarantine_entry(struct spool *sp, const char *id, const char *why)
{
	char name[64];

	if (exists_at(sp->corruptfd, id, "msg") ||
	    exists_at(sp->corruptfd, id, "env")) {
		log_errx("%s/q/%s.env: %s; entry left in q/: %s/corrupt/ "
			 "has a file of id %s already",
		    sp->path, id, why, sp->path, id);
		return;
	}
	name_of(name, sizeof(name), id, "msg");
	if (quarantine(sp, name, "its envelope is unreadable") == -1)
		return;
	name_of(name, sizeof(name), id, "env");
	(void)quarantine(sp, name, why);
}

/*
 * Open and lock dirfd/name without waiting: fd, or -1 with errno
 * EWOULDBLOCK (busy), ENOENT (gone) or why it could not be opened.
 */
static int
try_lock(int dirfd, const char *name, int flags)
{
	struct stat st;
	int fd, saved;

	if ((fd = openat(dirfd, name, flags | OPEN_FLAGS)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || fstat(fd, &st) == -1)
		saved = errno;
	else if (st.st_nlink == 0)
		saved = ENOENT; /* removed between open and lock */
	else
		return fd;
	(void)close(fd);
	errno = saved;
	return -1;
}

int
spool_take(struct spool *sp, const char *id, struct spool_entry *ent,
    struct perr *err)
{
	struct perr rerr = { 0, "" };
	char name[64], why[sizeof(rerr.msg) + 32];
	struct stat st;
	int efd = -1, rc = -1;

	memset(ent, 0, sizeof(*ent));
	ent->fd = -1;
	if (!spool_valid_id(id))
		return 1;
	(void)xstrlcpy(ent->id, id, sizeof(ent->id));
	name_of(name, sizeof(name), id, "msg");
	if ((ent->fd = try_lock(sp->qfd, name, O_RDWR)) == -1) {
		if (errno == EWOULDBLOCK || errno == ENOENT)
			return 1;
		/* EROFS, EACCES, EPERM: not "busy", or nobody would know */
		return perr_set(err, EX_CANTCREAT, "%s/q/%s: %s", sp->path,
		    name, strerror(errno));
	}
	if (fstat(ent->fd, &st) == -1) {
		perr_set(err, EX_IOERR, "%s/q/%s: %s", sp->path, name,
		    strerror(errno));
		goto out;
	}
	ent->size = st.st_size;
	ent->owner = st.st_uid;
	name_of(name, sizeof(name), id, "env");
	if ((efd = openat(sp->qfd, name, O_RDONLY | OPEN_FLAGS)) == -1) {
		rc = 1; /* delivered or failed meanwhile */
		goto out;
	}
	if (env_read(&ent->env, efd, &rerr) == 0 &&
	    strcmp(ent->env.id, id) != 0)
		perr_set(&rerr, EX_DATAERR, "envelope of another id");
	if (rerr.code != 0 && rerr.code != EX_DATAERR) {
		/* out of memory or a read error: not the entry's fault */
		perr_set(err, rerr.code, "%s/q/%s: %s", sp->path, name,
		    rerr.msg);
		goto out;
	}
	if (rerr.code != 0) {
		(void)snprintf(why, sizeof(why), "unreadable envelope (%s)",
		    rerr.msg);
		perr_set(err, EX_DATAERR, "%s/q/%s: %s", sp->path, name, why);
		env_free(&ent->env);
		quarantine_entry(sp, id, why);
		goto out;
	}
	rc = 0;
out:
	if (efd != -1)
		(void)close(efd);
	if (rc != 0)
		spool_release(ent);
	return rc;
}

int
spool_owner(struct spool *sp, const char *id, int corrupt, uid_t *uid)
{
	char name[64];
	struct stat st;

	if (!spool_valid_id(id))
		return -1;
	name_of(name, sizeof(name), id, "msg");
	if (fstatat(corrupt ? sp->corruptfd : sp->qfd, name, &st,
		AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode))
		return -1;
	*uid = st.st_uid;
	return 0;
}

int
spool_update(struct spool *sp, struct spool_entry *ent, struct perr *err)
{
	char fname[64], tname[64];

	if (write_env(sp, ent, "upd", err) == -1)
		return -1;
	/* the one move that replaces: the new envelope over the old one */
	name_of(fname, sizeof(fname), ent->id, "upd");
	name_of(tname, sizeof(tname), ent->id, "env");
	if (renameat(sp->tmpfd, fname, sp->qfd, tname) == -1)
		return perr_set(err, EX_IOERR, "%s: rename %s: %s", sp->path,
		    fname, strerror(errno));
	if (fsync_dir(sp->qfd) == -1)
		return perr_set(err, EX_IOERR, "%s/q: fsync: %s", sp->path,
		    strerror(errno));
	return 0;
}

int
spool_remove(struct spool *sp, struct spool_entry *ent, struct perr *err)
{
	char name[64];

	name_of(name, sizeof(name), ent->id, "env");
	if (unlinkat(sp->qfd, name, 0) == -1 && errno != ENOENT)
		return perr_set(err, EX_IOERR, "%s/q/%s: unlink: %s", sp->path,
		    name, strerror(errno));
	name_of(name, sizeof(name), ent->id, "msg");
	if (unlinkat(sp->qfd, name, 0) == -1 && errno != ENOENT)
		return perr_set(err, EX_IOERR, "%s/q/%s: unlink: %s", sp->path,
		    name, strerror(errno));
	(void)fsync_dir(sp->qfd);
	return 0;
}

int
spool_fail(struct spool *sp, struct spool_entry *ent, struct perr *err)
{
	if (move(sp, sp->qfd, sp->failfd, ent->id, "env", "env", err) == -1 ||
	    move(sp, sp->qfd, sp->failfd, ent->id, "msg", "msg", err) == -1)
		return -1;
	if (fsync_dir(sp->failfd) == -1 || fsync_dir(sp->qfd) == -1)
		return perr_set(err, EX_IOERR, "%s: fsync: %s", sp->path,
		    strerror(errno));
	return 0;
}

void
spool_release(struct spool_entry *ent)
{
	if (ent->fd != -1)
		(void)close(ent->fd);
	ent->fd = -1;
	env_free(&ent->env);
}

void
spool_entry_init(struct spool_entry *ent)
{
	memset(ent, 0, sizeof(*ent));
	ent->fd = -1;
}

/* Split "ID.ext"; returns the extension or NULL when it is not ours. */
static const char *
split_name(const char *name, char *id, size_t cap)
{
	const char *dot = strchr(name, '.');

	if (dot == NULL || (size_t)(dot - name) != ID_LEN || cap <= ID_LEN)
		return NULL;
	memcpy(id, name, ID_LEN);
	id[ID_LEN] = '\0';
	if (!spool_valid_id(id))
		return NULL;
	return dot + 1;
}

/*
 * tmp/ID.env, whose message is in dst (q/ or failed/) and not locked:
 * an intake stopped between its two renames (state 3 or 3f). Finish
 * its commit, so that the entry is queued, or kept in failed/ and
 * listed there like any intake refused as data.
 */
static void
recover_env(struct spool *sp, int dst, const char *id)
{
	struct perr err = { 0, "" };

	if (move(sp, sp->tmpfd, dst, id, "env", "env", &err) == -1) {
		log_warnx("%s", err.msg);
		return;
	}
	(void)fsync_dir(dst);
	log_info("%s: recovered an interrupted intake%s", id,
	    dst == sp->failfd ? " into failed/" : "");
}

/* q/ID.msg without an envelope, not locked: finish what a crash interrupted. */
static void
recover_msg(struct spool *sp, const char *id)
{
	char name[64];
	struct perr err = { 0, "" };
	int fd;

	name_of(name, sizeof(name), id, "msg");
	if ((fd = try_lock(sp->qfd, name, O_RDONLY)) == -1)
		return;
	if (exists_at(sp->qfd, id, "env"))
		goto out;
	if (exists_at(sp->failfd, id, "env")) {
		if (move(sp, sp->qfd, sp->failfd, id, "msg", "msg", &err) == 0)
			(void)fsync_dir(sp->failfd);
		else
			log_warnx("%s", err.msg);
	} else if (exists_at(sp->tmpfd, id, "env"))
		recover_env(sp, sp->qfd, id);
	else
		(void)unlinkat(sp->qfd, name, 0);
out:
	(void)close(fd);
}

/* tmp/ debris: anything whose message is not locked by a live process. */
static void
clean_tmp(struct spool *sp)
{
	char id[ID_LEN + 1], name[64];
	const char *ext;
	struct dirent *de;
	DIR *d;
	int fd, dfd;

	if ((dfd = dup(sp->tmpfd)) == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			(void)close(dfd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((ext = split_name(de->d_name, id, sizeof(id))) == NULL)
			continue; /* not ours: leave it alone */
		name_of(name, sizeof(name), id, "msg");
		if ((fd = try_lock(sp->tmpfd, name, O_RDONLY)) == -1 &&
		    errno != ENOENT && exists_at(sp->tmpfd, id, "msg"))
			continue; /* an intake is writing it */
		if (fd == -1 && exists_at(sp->qfd, id, "msg")) {
			if ((fd = try_lock(sp->qfd, name, O_RDONLY)) == -1)
				continue; /* its owner is alive */
			if (strcmp(ext, "env") == 0 &&
			    !exists_at(sp->qfd, id, "env")) {
				(void)close(fd);
				continue; /* state 3: recover_msg's job */
			}
		} else if (fd == -1 && exists_at(sp->failfd, id, "msg")) {
			/*
			 * State 3f. Into failed/ too, the intake moves the
			 * message first: a half-done commit then looks the
			 * same for both, and the lock on the message, which
			 * follows it there, tells whether the intake is
			 * alive. The envelope first would, after a crash,
			 * leave failed/ID.env and the message in tmp/, where
			 * it looks like debris.
			 */
			if ((fd = try_lock(sp->failfd, name, O_RDONLY)) == -1)
				continue; /* its owner is alive */
			if (strcmp(ext, "env") == 0 &&
			    !exists_at(sp->failfd, id, "env")) {
				recover_env(sp, sp->failfd, id);
				(void)close(fd);
				continue;
			}
		}
		(void)unlinkat(sp->tmpfd, de->d_name, 0);
		if (fd != -1)
			(void)close(fd);
	}
	(void)closedir(d);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_list(struct spool *sp, int failed, char ***ids, size_t *nids,
    struct perr *err)
{
	char id[ID_LEN + 1];
	const char *ext;
	struct dirent *de;
	struct strvec sv;
	DIR *d = NULL;
	int dfd, pass, rc = -1;

	*ids = NULL;
	*nids = 0;
	strvec_init(&sv, SIZE_MAX); /* the directory is the bound */
	if (!failed)
		clean_tmp(sp);
	/* pass 0 repairs, pass 1 lists what is left */
	for (pass = failed ? 1 : 0; pass < 2; pass++) {
		if ((dfd = dup(failed ? sp->failfd : sp->qfd)) == -1 ||
		    (d = fdopendir(dfd)) == NULL) {
			if (dfd != -1)
				(void)close(dfd);
			perr_set(err, EX_IOERR, "%s: %s", sp->path,
			    strerror(errno));
			goto out;
		}
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			ext = split_name(de->d_name, id, sizeof(id));
			if (pass == 0 &&
			    (ext == NULL ||
				(strcmp(ext, "msg") != 0 &&
				    strcmp(ext, "env") != 0)))
				quarantine(sp, de->d_name, "not a spool file");
			else if (pass == 0 && strcmp(ext, "msg") == 0 &&
			    !exists_at(sp->qfd, id, "env"))
				recover_msg(sp, id);
			else if (pass == 0 && strcmp(ext, "env") == 0 &&
			    !exists_at(sp->qfd, id, "msg"))
				/* a quarantine stopped halfway (the message
				 * goes first), or not ours: set it aside */
				quarantine(sp, de->d_name,
				    "envelope without a message");
			else if (pass == 1 && ext != NULL &&
			    strcmp(ext, "env") == 0 &&
			    strvec_push(&sv, id) == -1) {
				perr_set(err, EX_OSERR, "out of memory");
				goto out;
			}
		}
		(void)closedir(d);
		d = NULL;
	}
	if (sv.n > 0)
		qsort(sv.v, sv.n, sizeof(*sv.v), cmp_str);
	*ids = sv.v;
	*nids = sv.n;
	rc = 0;
out:
	if (d != NULL)
		(void)closedir(d);
	if (rc == -1)
		strvec_free(&sv);
	return rc;
}

void
spool_list_free(char **ids, size_t nids)
{
	while (nids > 0)
		free(ids[--nids]);
	free(ids);
}

int
spool_peek(struct spool *sp, const char *id, int failed,
    struct spool_entry *ent, struct perr *err)
{
	char name[64];
	struct stat st;
	int dir = failed ? sp->failfd : sp->qfd, fd, rc;

	memset(ent, 0, sizeof(*ent));
	ent->fd = -1;
	(void)xstrlcpy(ent->id, id, sizeof(ent->id));
	name_of(name, sizeof(name), id, "msg");
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		ent->size = st.st_size;
	name_of(name, sizeof(name), id, "env");
	if ((fd = openat(dir, name, O_RDONLY | OPEN_FLAGS)) == -1) {
		if (errno == ENOENT)
			return 1;
		return perr_set(err, EX_IOERR, "%s: %s", name, strerror(errno));
	}
	rc = env_read(&ent->env, fd, err);
	(void)close(fd);
	return rc;
}

int
spool_delete(struct spool *sp, const char *id, struct perr *err)
{
	struct spool_entry ent;
	char name[64];
	int rc;

	if (!spool_valid_id(id))
		return perr_set(err, EX_USAGE, "%s: not a queue id", id);
	if ((rc = spool_take(sp, id, &ent, err)) == 0) {
		rc = spool_remove(sp, &ent, err);
		spool_release(&ent);
		return rc;
	}
	if (rc == -1)
		return -1;
	if (exists_at(sp->qfd, id, "env"))
		return perr_set(err, EX_TEMPFAIL,
		    "%s: being delivered right now; try again", id);
	if (!exists_at(sp->failfd, id, "env") &&
	    !exists_at(sp->failfd, id, "msg"))
		return 1;
	name_of(name, sizeof(name), id, "env");
	(void)unlinkat(sp->failfd, name, 0);
	name_of(name, sizeof(name), id, "msg");
	(void)unlinkat(sp->failfd, name, 0);
	(void)fsync_dir(sp->failfd);
	return 0;
}

int
spool_list_corrupt(struct spool *sp, char ***names, size_t *nnames,
    struct perr *err)
{
	struct dirent *de;
	struct strvec sv;
	size_t n;
	DIR *d;
	int dfd, rc = -1;

	*names = NULL;
	*nnames = 0;
	strvec_init(&sv, SIZE_MAX); /* the directory is the bound */
	if ((dfd = dup(sp->corruptfd)) == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			(void)close(dfd);
		return perr_set(err, EX_IOERR, "%s/corrupt: %s", sp->path,
		    strerror(errno));
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (n > 5 && strcmp(de->d_name + n - 5, ".told") == 0))
			continue;
		if (strvec_push(&sv, de->d_name) == -1) {
			perr_set(err, EX_OSERR, "out of memory");
			goto out;
		}
	}
	if (sv.n > 0)
		qsort(sv.v, sv.n, sizeof(*sv.v), cmp_str);
	*names = sv.v;
	*nnames = sv.n;
	rc = 0;
out:
	(void)closedir(d);
	if (rc == -1)
		strvec_free(&sv);
	return rc;
}

int
spool_corrupt_told(struct spool *sp, const char *id)
{
	return exists_at(sp->corruptfd, id, "told");
}

/*
 * The marker is made first, with O_EXCL: of two queue runners only
 * one tells the sender. A crash before the notification is queued
 * loses the notification, as in state 7 of the table above.
 */
int
spool_corrupt_claim(struct spool *sp, const char *id, struct perr *err)
{
	char name[64];
	int fd;

	if (!spool_valid_id(id))
		return 1;
	name_of(name, sizeof(name), id, "told");
	fd = openat(sp->corruptfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | OPEN_FLAGS, 0660);
	if (fd == -1 && errno == EEXIST)
		return 1;
	if (fd == -1)
		return perr_set(err, EX_CANTCREAT, "%s/corrupt/%s: %s",
		    sp->path, name, strerror(errno));
	(void)close(fd);
	(void)fsync_dir(sp->corruptfd);
	return 0;
}

void
spool_corrupt_unclaim(struct spool *sp, const char *id)
{
	char name[64];

	name_of(name, sizeof(name), id, "told");
	(void)unlinkat(sp->corruptfd, name, 0);
}

int
spool_corrupt_peek(struct spool *sp, const char *id, struct spool_entry *ent,
    struct perr *err)
{
	char name[64];
	struct stat st;
	int fd, rc;

	memset(ent, 0, sizeof(*ent));
	ent->fd = -1;
	(void)xstrlcpy(ent->id, id, sizeof(ent->id));
	name_of(name, sizeof(name), id, "msg");
	if ((ent->fd = openat(sp->corruptfd, name, O_RDONLY | OPEN_FLAGS)) !=
		-1 &&
	    fstat(ent->fd, &st) == 0)
		ent->size = st.st_size;
	name_of(name, sizeof(name), id, "env");
	if ((fd = openat(sp->corruptfd, name, O_RDONLY | OPEN_FLAGS)) == -1)
		return perr_set(err, EX_NOINPUT, "%s/corrupt/%s: %s", sp->path,
		    name, strerror(errno));
	rc = env_salvage(&ent->env, fd, err);
	(void)close(fd);
	/* the file name is the id that counts */
	(void)xstrlcpy(ent->env.id, id, sizeof(ent->env.id));
	return rc;
}
