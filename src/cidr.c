/* SPDX-License-Identifier: ISC */
/*
 * Networks and the listener's client test. Choices:
 * - A network with host bits set ("10.1.2.3/8") is refused rather than
 *   masked: it is most often a typo for a host or for another network,
 *   and guessing would widen or narrow who may send.
 * - A prefix of 0 is refused: "allow = 0.0.0.0/0" is an open relay,
 *   which the listener never is.
 * - IPv4-mapped IPv6 (::ffff:a.b.c.d), as a dual-stack socket reports
 *   IPv4 clients, is turned into IPv4 on both sides of a comparison.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "util.h"

/* clang-format off */
static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};
/* clang-format on */

/* The address of sa as family and bytes, IPv4-mapped IPv6 as IPv4. */
static int
sa_bytes(const struct sockaddr *sa, unsigned char *b, int *family)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		memcpy(b, &s4->sin_addr, 4);
		*family = AF_INET;
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	if (memcmp(s6->sin6_addr.s6_addr, v4mapped, 12) == 0) {
		memcpy(b, s6->sin6_addr.s6_addr + 12, 4);
		*family = AF_INET;
	} else {
		memcpy(b, s6->sin6_addr.s6_addr, 16);
		*family = AF_INET6;
	}
	return 0;
}

/* 1 when the first bits of a and b are equal. */
static int
prefix_eq(const unsigned char *a, const unsigned char *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* 1 when a bit past the first bits of the address is set. */
static int
host_bits(const unsigned char *a, size_t len, unsigned int bits)
{
	unsigned int i;

	for (i = bits; i < len * 8; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 1;
	return 0;
}

int
cidr_parse(const char *s, struct cidr *c, const char **why)
{
	char text[CIDR_STRLEN];
	const char *slash = strchr(s, '/'), *p;
	unsigned int bits = 0, max;
	size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);

	memset(c, 0, sizeof(*c));
	*why = "not an IPv4 or IPv6 address";
	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, c->net) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, text, c->net) == 1)
		c->family = AF_INET6;
	else
		return -1;
	max = c->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		bits = max;
	else {
		*why = "expected a prefix length after '/'";
		for (p = slash + 1; *p >= '0' && *p <= '9' && bits <= max; p++)
			bits = bits * 10 + (unsigned int)(*p - '0');
		if (p == slash + 1 || *p != '\0' || p - slash > 4)
			return -1;
		if (bits > max) {
			*why = "prefix length too long for the address";
			return -1;
		}
		if (bits == 0) {
			*why = "a /0 network would let anyone relay";
			return -1;
		}
	}
	/* ::ffff:10.0.0.0/104 is 10.0.0.0/8 */
	if (c->family == AF_INET6 && bits >= 96 &&
	    memcmp(c->net, v4mapped, 12) == 0) {
		memmove(c->net, c->net + 12, 4);
		memset(c->net + 4, 0, 12);
		c->family = AF_INET;
		bits -= 96;
		max = 32;
	}
	if (host_bits(c->net, max / 8, bits)) {
		*why = "host bits set after the prefix length (write the "
		       "network address)";
		return -1;
	}
	c->bits = bits;
	return 0;
}

int
cidr_list_parse(const char *s, struct cidr_list *l, char *bad, size_t badcap,
    const char **why)
{
	static const char sep[] = ", \t";
	char item[CIDR_STRLEN + 8];
	size_t len;

	l->n = 0;
	for (;;) {
		s += strspn(s, sep);
		if (*s == '\0')
			return 0;
		len = strcspn(s, sep);
		(void)snprintf(bad, badcap, "%.*s", (int)(len < 64 ? len : 64),
		    s);
		if (len >= sizeof(item)) {
			*why = "not an IPv4 or IPv6 address";
			return -1;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		if (l->n == CIDR_MAX) {
			*why = "too many networks in one list";
			return -1;
		}
		if (cidr_parse(item, &l->v[l->n], why) == -1)
			return -1;
		l->n++;
		s += len;
	}
}

int
cidr_list_match(const struct cidr_list *l, const struct sockaddr *sa)
{
	unsigned char b[16];
	int family;
	size_t i;

	if (sa_bytes(sa, b, &family) == -1)
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->v[i].family == family &&
		    prefix_eq(l->v[i].net, b, l->v[i].bits))
			return 1;
	return 0;
}

int
cidr_is_loopback(const struct sockaddr *sa)
{
	/* clang-format off */
	static const unsigned char v6lo[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	/* clang-format on */
	unsigned char b[16];
	int family;

	if (sa_bytes(sa, b, &family) == -1)
		return 0;
	if (family == AF_INET)
		return b[0] == 127;
	return memcmp(b, v6lo, 16) == 0;
}

int
cidr_sockaddr(const char *s, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
	char text[CIDR_STRLEN];
	size_t n = strlen(s);

	memset(ss, 0, sizeof(*ss));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

void
cidr_format(const struct sockaddr *sa, int with_port, char *buf, size_t cap)
{
	const struct sockaddr_in *s4 =
	    (const struct sockaddr_in *)(const void *)sa;
	const struct sockaddr_in6 *s6 =
	    (const struct sockaddr_in6 *)(const void *)sa;
	char a[INET6_ADDRSTRLEN];
	unsigned char b[16];
	int family, port;

	if (sa_bytes(sa, b, &family) == -1 ||
	    inet_ntop(family, b, a, sizeof(a)) == NULL) {
		(void)xstrlcpy(buf, "unknown", cap);
		return;
	}
	port = ntohs(sa->sa_family == AF_INET ? s4->sin_port : s6->sin6_port);
	if (!with_port)
		(void)xstrlcpy(buf, a, cap);
	else if (family == AF_INET)
		(void)snprintf(buf, cap, "%s:%d", a, port);
	else
		(void)snprintf(buf, cap, "[%s]:%d", a, port);
}
