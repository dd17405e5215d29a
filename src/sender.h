/* SPDX-License-Identifier: ISC */
/*
 * Who a message is from: the one policy that picks the envelope sender,
 * for the command line and -bs alike, and the address a generated From:
 * shows.
 */
#ifndef POSTA_SENDER_H
#define POSTA_SENDER_H

#include <stddef.h>

#include "config.h"

/*
 * The envelope sender for given: what the caller named (-f, or MAIL
 * FROM in -bs), a bare address already checked with
 * addr_check_envelope(); NULL when it named none, then [sender] from,
 * else the login name. "" is the null sender and stays null; any other
 * sender is replaced by [sender] from with force_from. A bare local
 * name is qualified with [sender] domain, else the host name. Returns
 * 0, or -1 with *why when the result does not fit cap or is no usable
 * envelope address; out then holds the address that failed.
 */
int sender_envelope(const struct config *cfg, const char *given, char *out,
    size_t cap, const char **why);

/*
 * 1 when a delivery status notification may go to sender, a non-null
 * envelope sender: its domain is ours ([sender] domain, the domain of
 * [sender] from, and, without [sender] domain, the host name that
 * qualifies local names), or [sender] notify_any is set. Anyone can
 * claim any sender with -f: telling others would be backscatter.
 */
int sender_is_ours(const struct config *cfg, const char *sender);

/* The address a generated From: shows: sender, or for "" the default. */
void sender_from_addr(const struct config *cfg, const char *sender, char *out,
    size_t cap);

#endif /* POSTA_SENDER_H */
