/* SPDX-License-Identifier: ISC */
/*
 * The error record every module fills in instead of exiting.
 * The first error wins: inner layers know the most, outer ones keep it.
 */
#ifndef POSTA_PERR_H
#define POSTA_PERR_H

#include "posta.h"

struct perr {
	int code;	/* sysexits code; 0 while no error is set */
	char msg[1024]; /* one line, no trailing newline, no secrets */
};

/* Set the error unless one is already set; returns -1 for "return perr_set(...)". */
int perr_set(struct perr *, int code, const char *fmt, ...) PRINTF(3, 4);

/* Forget the error, for loops that handle one error per item. */
void perr_clear(struct perr *);

#endif /* POSTA_PERR_H */
