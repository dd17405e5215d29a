/* SPDX-License-Identifier: ISC */
/*
 * Envelope records: building them (the text file format is envfile.c's).
 * Values are single lines: control characters are replaced when a value
 * is set, so a hostile server reply cannot add lines to the file.
 *
 * Memory is a few dozen octets a recipient, whatever the servers say:
 * addresses are packed into blocks, a recipient refers to its reason
 * by number, reasons are kept once each and their number is bounded,
 * and the table that finds duplicates is dropped once a file has been
 * read (env_compact).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "envelope.h"
#include "envpriv.h"
#include "posta.h"
#include "util.h"

#define RHASH_CAP 4096 /* reason lookup: a power of two, half empty */

_Static_assert(RHASH_CAP >= 2 * ENV_MAX_REASONS, "reason table too small");
_Static_assert(MAX_RCPTS < INT32_MAX / 4, "recipient numbers are 32 bits");

/* Addresses, packed; a block is never moved, so pointers into it stay. */
struct env_block {
	struct env_block *next;
	size_t used;
	char data[64 * 1024 - 64];
};

int
env_set_str(char **field, const char *value, struct perr *err)
{
	char *p;

	if (value == NULL) {
		free(*field);
		*field = NULL;
		return 0;
	}
	if ((p = strdup(value)) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	free(*field);
	*field = p;
	str_blank_ctl(p);
	return 0;
}

int
env_set_sender(struct envelope *e, const char *sender, struct perr *err)
{
	return env_set_str(&e->sender, sender, err);
}

void
env_cut_text(char dst[MAX_REASON + 1], const char *src)
{
	size_t n = strnlen(src, MAX_REASON + 1);

	if (n > MAX_REASON) {
		n = MAX_REASON;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	str_blank_ctl(dst);
}

/*
 * Only the domain is folded: the local part is case-sensitive (RFC 5321
 * 2.4), and merging Bob@ with bob@ could lose a mailbox.
 */
static size_t
str_hash(const char *s, int fold)
{
	const char *at = fold ? strrchr(s, '@') : NULL;
	size_t h = 5381;

	for (; *s != '\0'; s++)
		h = h * 33 +
		    (size_t)(at != NULL && s > at ? tolower((unsigned char)*s) :
						    (unsigned char)*s);
	return h;
}

/* A copy of s[0..n) in the address store, or NULL out of memory. */
static const char *
store(struct envelope *e, const char *s, size_t n)
{
	struct env_block *b = e->blocks;
	char *p;

	if (b == NULL || sizeof(b->data) - b->used < n + 1) {
		if ((b = malloc(sizeof(*b))) == NULL)
			return NULL;
		b->next = e->blocks;
		b->used = 0;
		e->blocks = b;
	}
	p = b->data + b->used;
	memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

static int
addr_same(const char *a, const char *b)
{
	const char *ata = strrchr(a, '@'), *atb = strrchr(b, '@');

	if (ata == NULL || atb == NULL)
		return strcmp(a, b) == 0;
	return ata - a == atb - b && memcmp(a, b, (size_t)(ata - a)) == 0 &&
	    strcasecmp(ata, atb) == 0;
}

/* The table holds index + 1 of each recipient; 0 is an empty slot. */
static int
hash_grow(struct envelope *e)
{
	size_t ncap = 64, i, j;
	uint32_t *nh;

	while (ncap <= e->nrcpts * 2)
		ncap *= 2;
	if ((nh = calloc(ncap, sizeof(*nh))) == NULL)
		return -1;
	for (i = 0; i < e->nrcpts; i++) {
		j = str_hash(e->rcpts[i].addr, 1) & (ncap - 1);
		while (nh[j] != 0)
			j = (j + 1) & (ncap - 1);
		nh[j] = (uint32_t)(i + 1);
	}
	free(e->hash);
	e->hash = nh;
	e->hashcap = ncap;
	return 0;
}

/*
 * Add addr as it will be stored (control characters blanked, so that
 * what is compared is what a re-read finds). Returns 0 when added, 1
 * when it was there already, -1 with err.
 */
static int
add_rcpt(struct envelope *e, const char *addr, struct perr *err)
{
	char stored[MAX_ADDR + 1];
	struct env_rcpt *nr;
	size_t n = strlen(addr), j, ncap;

	if (n > MAX_ADDR)
		return perr_set(err, EX_DATAERR,
		    "address longer than %d "
		    "octets",
		    MAX_ADDR);
	memcpy(stored, addr, n + 1);
	str_blank_ctl(stored);
	if (e->nrcpts * 2 >= e->hashcap && hash_grow(e) == -1)
		return perr_set(err, EX_OSERR, "out of memory");
	j = str_hash(stored, 1) & (e->hashcap - 1);
	for (; e->hash[j] != 0; j = (j + 1) & (e->hashcap - 1))
		if (addr_same(e->rcpts[e->hash[j] - 1].addr, stored))
			return 1;
	if (e->nrcpts >= MAX_RCPTS)
		return perr_set(err, EX_DATAERR, "more than %d recipients",
		    MAX_RCPTS);
	if (e->nrcpts == e->cap) {
		ncap = e->cap == 0 ? 8 : e->cap * 2;
		if ((nr = reallocarray(e->rcpts, ncap, sizeof(*nr))) == NULL)
			return perr_set(err, EX_OSERR, "out of memory");
		e->rcpts = nr;
		e->cap = ncap;
	}
	nr = &e->rcpts[e->nrcpts];
	if ((nr->addr = store(e, stored, n)) == NULL)
		return perr_set(err, EX_OSERR, "out of memory");
	nr->state = RCPT_PENDING;
	nr->reason = 0;
	e->hash[j] = (uint32_t)++e->nrcpts;
	return 0;
}

int
env_add_rcpt(struct envelope *e, const char *addr, struct perr *err)
{
	return add_rcpt(e, addr, err) == -1 ? -1 : 0;
}

int
env_add_rcpt_new(struct envelope *e, const char *addr, struct perr *err)
{
	return add_rcpt(e, addr, err);
}

/* Index + 1 of text among the reasons, 0 when it is not there. */
static uint32_t
reason_find(const struct envelope *e, const char *text, size_t *slot)
{
	size_t j = str_hash(text, 0) & (RHASH_CAP - 1);

	for (; e->rhash[j] != 0; j = (j + 1) & (RHASH_CAP - 1))
		if (strcmp(e->reasons[e->rhash[j] - 1], text) == 0)
			return e->rhash[j];
	*slot = j;
	return 0;
}

/*
 * Index + 1 of text (cut and blanked) among the reasons, added when
 * new; 0 when out of memory. Past MAX_REASONS a new reason is reduced
 * to its reply code: there are at most 400 of those, so the table
 * never holds more than ENV_MAX_REASONS.
 */
static uint32_t
intern(struct envelope *e, const char *text)
{
	char buf[MAX_REASON + 1], code[4];
	size_t slot = 0;
	uint32_t k;

	/* both tables have their final size at once: they are small */
	if (e->rhash == NULL &&
	    ((e->rhash = calloc(RHASH_CAP, sizeof(*e->rhash))) == NULL ||
		(e->reasons = calloc(ENV_MAX_REASONS, sizeof(*e->reasons))) ==
		    NULL)) {
		free(e->rhash);
		e->rhash = NULL;
		return 0;
	}
	env_cut_text(buf, text);
	if ((k = reason_find(e, buf, &slot)) != 0)
		return k;
	if (e->nreasons >= MAX_REASONS) {
		if (buf[0] >= '2' && buf[0] <= '5' &&
		    isdigit((unsigned char)buf[1]) &&
		    isdigit((unsigned char)buf[2]) &&
		    (buf[3] == '\0' || buf[3] == ' ')) {
			memcpy(code, buf, 3);
			code[3] = '\0';
			(void)snprintf(buf, sizeof(buf),
			    "%s (reply not kept: "
			    "more than %d different replies)",
			    code, MAX_REASONS);
		} else
			(void)snprintf(buf, sizeof(buf),
			    "(reason not kept: "
			    "more than %d different reasons)",
			    MAX_REASONS);
		if ((k = reason_find(e, buf, &slot)) != 0)
			return k;
	}
	if (e->nreasons >= ENV_MAX_REASONS) /* cannot happen, see above */
		return 0;
	if ((e->reasons[e->nreasons] = strdup(buf)) == NULL)
		return 0;
	e->rhash[slot] = (uint32_t)++e->nreasons;
	return e->rhash[slot];
}

int
env_set_reason(struct envelope *e, size_t i, const char *text, struct perr *err)
{
	uint32_t k = 0;

	if (text != NULL && (k = intern(e, text)) == 0)
		return perr_set(err, EX_OSERR, "out of memory");
	e->rcpts[i].reason = k;
	return 0;
}

uint32_t
env_intern(struct envelope *e, const char *text)
{
	return intern(e, text);
}

const char *
env_reason(const struct envelope *e, size_t i)
{
	uint32_t k = e->rcpts[i].reason;

	return k == 0 ? NULL : e->reasons[k - 1];
}

void
env_attempted(struct envelope *e)
{
	/* a damaged or ancient entry must not wrap around */
	if (e->attempts < INT_MAX)
		e->attempts++;
}

size_t
env_count(const struct envelope *e, enum rcpt_state st)
{
	size_t i, n = 0;

	for (i = 0; i < e->nrcpts; i++)
		if (e->rcpts[i].state == st)
			n++;
	return n;
}

void
env_compact(struct envelope *e)
{
	struct env_rcpt *nr;

	free(e->hash);
	e->hash = NULL;
	e->hashcap = 0;
	if (e->cap > e->nrcpts && e->nrcpts > 0 &&
	    (nr = reallocarray(e->rcpts, e->nrcpts, sizeof(*nr))) != NULL) {
		e->rcpts = nr;
		e->cap = e->nrcpts;
	}
}

void
env_free(struct envelope *e)
{
	struct env_block *b;
	size_t i;

	while ((b = e->blocks) != NULL) {
		e->blocks = b->next;
		free(b);
	}
	for (i = 0; i < e->nreasons; i++)
		free(e->reasons[i]);
	free(e->reasons);
	free(e->rhash);
	free(e->rcpts);
	free(e->hash);
	free(e->sender);
	free(e->last_error);
	free(e->dsn_ret);
	free(e->dsn_envid);
	free(e->dsn_notify);
	memset(e, 0, sizeof(*e));
}
