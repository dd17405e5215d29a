/* SPDX-License-Identifier: ISC */
/*
 * cidr.c: [listen] allow networks, the client test, address literals.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "cidr.h"
#include "tap.h"

static struct sockaddr_storage ss;

/* A client address as accept() would give it. */
static const struct sockaddr *
peer(const char *ip, int port)
{
	socklen_t len;

	if (cidr_sockaddr(ip, port, &ss, &len) == -1)
		memset(&ss, 0, sizeof(ss));
	return (const struct sockaddr *)&ss;
}

static int
parses(const char *s)
{
	struct cidr c;
	const char *why;

	return cidr_parse(s, &c, &why) == 0;
}

static void
test_parse(void)
{
	struct cidr c;
	const char *why = NULL;

	ok(cidr_parse("192.0.2.0/24", &c, &why) == 0 && c.family == AF_INET &&
	    c.bits == 24, "IPv4 network");
	ok(cidr_parse("192.0.2.7", &c, &why) == 0 && c.bits == 32,
	    "an IPv4 host is /32");
	ok(cidr_parse("2001:db8::/32", &c, &why) == 0 &&
	    c.family == AF_INET6 && c.bits == 32, "IPv6 network");
	ok(cidr_parse("::1", &c, &why) == 0 && c.bits == 128,
	    "an IPv6 host is /128");
	ok(cidr_parse("::ffff:10.0.0.0/104", &c, &why) == 0 &&
	    c.family == AF_INET && c.bits == 8 && c.net[0] == 10,
	    "IPv4-mapped network taken as IPv4");
	ok(cidr_parse("10.1.2.3/8", &c, &why) == -1 &&
	    strstr(why, "host bits") != NULL, "host bits set: refused");
	ok(cidr_parse("0.0.0.0/0", &c, &why) == -1 &&
	    strstr(why, "relay") != NULL, "/0 refused");
	ok(!parses("::/0"), "IPv6 /0 refused");
	ok(!parses("10.0.0.0/33"), "prefix too long");
	ok(!parses("2001:db8::/129"), "IPv6 prefix too long");
	ok(!parses("10.0.0.0/"), "empty prefix");
	ok(!parses("10.0.0.0/8x"), "junk after the prefix");
	ok(!parses("10.0.0.0/-8"), "negative prefix");
	ok(!parses("10.0.0.0/08000"), "prefix too many digits");
	ok(!parses("localhost"), "a name is not an address");
	ok(!parses("10.0.0"), "short IPv4");
	ok(!parses(""), "empty");
	ok(!parses("/8"), "prefix alone");
	ok(!parses("192.168.1.0/24 "), "trailing blank inside one item");
	ok(parses("10.0.0.0/8"), "private network");
	ok(parses("fe80::/10"), "link-local");
}

static void
test_list(void)
{
	struct cidr_list l;
	const char *why = NULL;
	char bad[80];

	ok(cidr_list_parse("", &l, bad, sizeof(bad), &why) == 0 && l.n == 0,
	    "empty list");
	ok(cidr_list_parse("10.0.0.0/8, 192.168.0.0/16 fd00::/8,,",
	    &l, bad, sizeof(bad), &why) == 0 && l.n == 3,
	    "commas and blanks separate");
	ok(cidr_list_parse("10.0.0.0/8, 172.16.0.1/12", &l, bad, sizeof(bad),
	    &why) == -1 && strcmp(bad, "172.16.0.1/12") == 0,
	    "the bad item is named");
	ok(cidr_list_parse("10.0.0.0/8 nonsense", &l, bad, sizeof(bad),
	    &why) == -1 && strcmp(bad, "nonsense") == 0, "a word is bad");

	(void)cidr_list_parse("10.0.0.0/8, 192.168.1.0/24, 2001:db8::/32, "
	    "127.0.0.3", &l, bad, sizeof(bad), &why);
	ok(cidr_list_match(&l, peer("10.200.3.4", 1025)), "in 10/8");
	ok(cidr_list_match(&l, peer("192.168.1.255", 1)), "last of a /24");
	ok(!cidr_list_match(&l, peer("192.168.2.1", 1)), "next /24: no");
	ok(!cidr_list_match(&l, peer("11.0.0.1", 1)), "outside: no");
	ok(cidr_list_match(&l, peer("2001:db8:1::5", 1)), "IPv6 in");
	ok(!cidr_list_match(&l, peer("2001:db9::5", 1)), "IPv6 out");
	ok(cidr_list_match(&l, peer("::ffff:10.1.1.1", 1)),
	    "IPv4-mapped client matches an IPv4 network");
	ok(cidr_list_match(&l, peer("127.0.0.3", 1)), "one host");
	ok(!cidr_list_match(&l, peer("127.0.0.4", 1)), "the next host: no");
	ok(!cidr_list_match(&l, peer("::ffff:11.1.1.1", 1)),
	    "IPv4-mapped outside: no");
	(void)cidr_list_parse("192.168.0.0/23", &l, bad, sizeof(bad), &why);
	ok(cidr_list_match(&l, peer("192.168.1.9", 1)), "odd prefix, in");
	ok(!cidr_list_match(&l, peer("192.168.2.9", 1)), "odd prefix, out");
}

static void
test_loopback(void)
{
	ok(cidr_is_loopback(peer("127.0.0.1", 25)), "127.0.0.1");
	ok(cidr_is_loopback(peer("127.255.0.9", 25)), "all of 127/8");
	ok(cidr_is_loopback(peer("::1", 25)), "::1");
	ok(cidr_is_loopback(peer("::ffff:127.0.0.1", 25)), "mapped 127");
	ok(!cidr_is_loopback(peer("0.0.0.0", 25)), "any is not loopback");
	ok(!cidr_is_loopback(peer("::", 25)), ":: is not loopback");
	ok(!cidr_is_loopback(peer("10.0.0.1", 25)), "private");
	ok(!cidr_is_loopback(peer("::2", 25)), "::2");
}

static void
test_sockaddr(void)
{
	struct sockaddr_storage a;
	socklen_t len;
	char buf[CIDR_STRLEN];

	ok(cidr_sockaddr("[::1]", 2525, &a, &len) == 0 &&
	    a.ss_family == AF_INET6, "bracketed IPv6");
	cidr_format((struct sockaddr *)&a, 1, buf, sizeof(buf));
	is_str(buf, "[::1]:2525", "IPv6 with port");
	ok(cidr_sockaddr("192.0.2.1", 25, &a, &len) == 0 &&
	    len == sizeof(struct sockaddr_in), "IPv4");
	cidr_format((struct sockaddr *)&a, 1, buf, sizeof(buf));
	is_str(buf, "192.0.2.1:25", "IPv4 with port");
	cidr_format((struct sockaddr *)&a, 0, buf, sizeof(buf));
	is_str(buf, "192.0.2.1", "IPv4 without port");
	ok(cidr_sockaddr("::ffff:192.0.2.1", 7, &a, &len) == 0, "mapped");
	cidr_format((struct sockaddr *)&a, 0, buf, sizeof(buf));
	is_str(buf, "192.0.2.1", "mapped client shown as IPv4");
	ok(cidr_sockaddr("localhost", 25, &a, &len) == -1, "no names");
	ok(cidr_sockaddr("[]", 25, &a, &len) == -1, "empty brackets");
	ok(cidr_sockaddr("", 25, &a, &len) == -1, "empty");
}

int
main(void)
{
	test_parse();
	test_list();
	test_loopback();
	test_sockaddr();
	return done_testing();
}
