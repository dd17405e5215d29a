/* SPDX-License-Identifier: ISC */
/*
 * IP addresses and networks for the -bd listener: [listen] address (a
 * literal) and allow ("192.0.2.0/24, 2001:db8::/32"), and the test of
 * a client's address against them. An IPv4 client seen through an IPv6
 * socket (::ffff:192.0.2.1) is taken as the IPv4 address. Pure: no I/O.
 */
#ifndef POSTA_CIDR_H
#define POSTA_CIDR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#define CIDR_MAX    64 /* networks in one allow list */
#define CIDR_STRLEN 64 /* an address as text, with room */

struct cidr {
	int family;	       /* AF_INET or AF_INET6 */
	unsigned char net[16]; /* network address, host bits zero */
	unsigned int bits;     /* prefix length */
};

struct cidr_list {
	struct cidr v[CIDR_MAX];
	size_t n;
};

/*
 * "ADDR" (one host) or "ADDR/BITS". A prefix of 0 and host bits set
 * ("10.1.2.3/8") are refused. Returns 0, or -1 with why.
 */
int cidr_parse(const char *s, struct cidr *c, const char **why);

/*
 * A list separated by commas and/or blanks into l. Returns 0, or -1
 * with the item at fault copied into bad and why.
 */
int cidr_list_parse(const char *s, struct cidr_list *l, char *bad,
    size_t badcap, const char **why);

/* 1 when sa is in one of the networks of l, else 0. */
int cidr_list_match(const struct cidr_list *l, const struct sockaddr *sa);

/* 1 when sa is a loopback address (127.0.0.0/8, ::1), else 0. */
int cidr_is_loopback(const struct sockaddr *sa);

/*
 * An address literal ("127.0.0.1", "::1", "[::1]") and a port into a
 * socket address. Returns 0, or -1 when s is not an address literal.
 */
int cidr_sockaddr(const char *s, int port, struct sockaddr_storage *ss,
    socklen_t *len);

/* "192.0.2.1:25" or "[2001:db8::1]:25" for logs; the port left out when 0. */
void cidr_format(const struct sockaddr *sa, int with_port, char *buf,
    size_t cap);

#endif /* POSTA_CIDR_H */
