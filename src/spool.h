/* SPDX-License-Identifier: ISC */
/*
 * The spool on disk: making queue state changes durable, and nothing
 * else (what to deliver and when is deliver.c's and runner.c's job).
 * The state table is at the top of spool.c.
 */
#ifndef POSTA_SPOOL_H
#define POSTA_SPOOL_H

#include <sys/types.h>

#include "envelope.h"
#include "perr.h"

struct spool {
	int dirfd, tmpfd, qfd, failfd, corruptfd;
	char path[4096];
};

/* One entry: its message file, held open and locked while we own it. */
struct spool_entry {
	char id[32];
	int fd;	    /* the message, locked; -1 when not held */
	int in_tmp; /* intake not committed yet */
	off_t size;
	uid_t owner; /* of the message file: the submitter */
	struct envelope env;
};

/* Open (with create: make) DIR and its tmp/ q/ failed/ corrupt/ subdirectories. */
int spool_open(struct spool *sp, const char *dir, int create, struct perr *err);
void spool_close(struct spool *sp);

/*
 * 0 when this process may change the spool (tmp/, q/, failed/), or -1
 * with err (EX_CANTCREAT: read-only file system, no permission).
 */
int spool_writable(struct spool *sp, struct perr *err);

/*
 * Intake: create tmp/ID.msg, exclusively created and locked, for the
 * message to be written to ent->fd. ent->env gets the new id.
 */
int spool_create(struct spool *sp, struct spool_entry *ent, struct perr *err);

/*
 * Make an intake durable: fsync the message, write and fsync the
 * envelope, rename both into q/ (or failed/ with to_failed), fsync the
 * directory. Only after this returns 0 may posta say the message is
 * accepted. The entry stays locked and open for delivery. When its id
 * is taken there (the clock went back): -1 with EX_TEMPFAIL, nothing
 * replaced; spool_discard() removes what is left of the intake.
 */
int spool_commit(struct spool *sp, struct spool_entry *ent, int to_failed,
    struct perr *err);

/* Throw away an uncommitted intake. */
void spool_discard(struct spool *sp, struct spool_entry *ent);

/*
 * Take a queued entry: open and lock q/ID.msg without waiting and read
 * its envelope. Returns 0 when taken, 1 when another process holds it
 * or it is gone, -1 with err on error: EX_CANTCREAT when it cannot be
 * opened for writing (read-only spool, permissions), EX_DATAERR when
 * the envelope was unreadable and the entry has been moved to corrupt/
 * and logged (go on with the next).
 */
int spool_take(struct spool *sp, const char *id, struct spool_entry *ent,
    struct perr *err);

/*
 * Who submitted entry id: the owner of its message file in q/ (with
 * corrupt, in corrupt/), which intake creates with the submitter's
 * user id and nothing rewrites. 0 with *uid, or -1 when it cannot be
 * told (no such file).
 */
int spool_owner(struct spool *sp, const char *id, int corrupt, uid_t *uid);

/* Write ent->env over the queued envelope, atomically. */
int spool_update(struct spool *sp, struct spool_entry *ent, struct perr *err);

/* Delivered: remove the entry (envelope first, then the message). */
int spool_remove(struct spool *sp, struct spool_entry *ent, struct perr *err);

/*
 * Failed definitively: move the entry to failed/. The caller stores its
 * envelope with spool_update() first, so that a failure to record the
 * refusal is told apart from a failure to move it. A q/ entry left with
 * nothing to try (the move failed) is moved by the next delivery that
 * takes it. An entry of the same id in failed/ is not replaced: -1 with
 * EX_TEMPFAIL.
 */
int spool_fail(struct spool *sp, struct spool_entry *ent, struct perr *err);

/* Let go of an entry (unlock, close, free the envelope). */
void spool_release(struct spool_entry *ent);

/* An entry that holds nothing: spool_release() on it does nothing. */
void spool_entry_init(struct spool_entry *ent);

/*
 * List the ids in q/ (or failed/), oldest first, after cleaning up
 * what crashed processes left behind (see the state table). The
 * caller frees the array and each string.
 */
int spool_list(struct spool *sp, int failed, char ***ids, size_t *nids,
    struct perr *err);

/* Free what spool_list() returned. */
void spool_list_free(char **ids, size_t nids);

/* Remove an entry from q/ (when not locked) or failed/. 1 if not found. */
int spool_delete(struct spool *sp, const char *id, struct perr *err);

/* Read the envelope of an entry in q/ or failed/ without locking (for listing). */
int spool_peek(struct spool *sp, const char *id, int failed,
    struct spool_entry *ent, struct perr *err);

/*
 * corrupt/: the names of what was set aside there (entries as ID.env
 * and ID.msg, foreign files as they were), without the ID.told
 * markers; free with spool_list_free().
 */
int spool_list_corrupt(struct spool *sp, char ***names, size_t *nnames,
    struct perr *err);

/* 1 when the sender of corrupt entry id has been told (ID.told exists). */
int spool_corrupt_told(struct spool *sp, const char *id);

/*
 * Claim the telling of corrupt entry id's sender by making ID.told:
 * 0 when claimed, 1 when told or claimed already, -1 with err.
 * spool_corrupt_unclaim() gives it back when telling failed.
 */
int spool_corrupt_claim(struct spool *sp, const char *id, struct perr *err);
void spool_corrupt_unclaim(struct spool *sp, const char *id);

/*
 * What can be salvaged of corrupt/ID.env (env_salvage()) into ent->env,
 * and corrupt/ID.msg open read-only in ent->fd (-1 when it is not
 * there). Returns 0, or -1 with err when no sender could be read;
 * spool_release() either way.
 */
int spool_corrupt_peek(struct spool *sp, const char *id,
    struct spool_entry *ent, struct perr *err);

/* 1 when id looks like one of ours (a hex string of the right size). */
int spool_valid_id(const char *id);

#endif /* POSTA_SPOOL_H */
