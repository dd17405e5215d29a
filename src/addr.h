/* SPDX-License-Identifier: ISC */
/*
 * RFC 5322 addresses: address lists from header fields, mailboxes with
 * display names, and the checks applied to envelope addresses. Pure:
 * bytes in, strings out, no I/O.
 */
#ifndef POSTA_ADDR_H
#define POSTA_ADDR_H

#include <stddef.h>

/*
 * Walk an address list (an unfolded header field body such as the
 * value of To:, with display names, comments, quoted local parts,
 * groups "name: a, b;" and the empty group "undisclosed-recipients:;")
 * and call cb with each addr-spec, as a NUL-terminated string with
 * comments and folding white space removed and the local part kept as
 * written (quotes included). Obsolete forms (routes "<@a:b@c>", missing
 * commas between angle addresses) are accepted. A bare local name
 * ("root") is passed on as it is. Returns 0, -1 on a syntax error
 * (after the good addresses before it were passed on), or the first
 * non-zero value returned by cb.
 */
int addr_list_parse(const char *s, size_t len,
    int (*cb)(const char *addr, void *arg), void *arg);

/*
 * addr_list_parse, with the offset in s just after each addr-spec's
 * local part (where "@domain" goes when the address has none).
 */
int addr_list_walk(const char *s, size_t len,
    int (*cb)(const char *addr, size_t lend, void *arg), void *arg);

/*
 * Split one mailbox ("Name <a@b>", "a@b (Name)", "<a@b>", "a@b") into
 * its display name and addr-spec, written into the given buffers as
 * NUL-terminated strings. The display name is returned as it appears
 * in the header (quoted or encoded-words untouched, surrounding white
 * space removed), or "" when there is none; for the "a@b (Name)" form
 * it is the comment text. Returns 0, or -1 when s is not one mailbox
 * or a result does not fit.
 */
int addr_mailbox_parse(const char *s, size_t len, char *display,
    size_t displaycap, char *addr, size_t addrcap);

/*
 * Check an envelope address as given on the command line or in -bs:
 * "" (the null sender) is allowed only with allow_null; otherwise
 * 1..MAX_ADDR octets, no control characters (CR, LF, NUL, ...), no
 * unquoted white space or angle brackets, at most one unquoted '@',
 * not starting or ending with '@'. Returns 0 when valid, or -1 with a
 * static reason in *why.
 */
int addr_check_envelope(const char *s, int allow_null, const char **why);

/*
 * Strip one pair of surrounding angle brackets and white space, as in
 * "-f <me@x>" or "MAIL FROM:<me@x>", into out. Returns 0, or -1 when
 * the brackets are unbalanced or out is too small.
 */
int addr_strip_angle(const char *s, char *out, size_t cap);

/* 1 when the address has no unquoted '@' (a local name such as "root"). */
int addr_is_local(const char *addr);

/* 1 when the address has a byte >= 0x80 (needs SMTPUTF8). */
int addr_is_utf8(const char *addr);

#endif /* POSTA_ADDR_H */
