/* netaddr.c: see netaddr.h. Ranges from the IANA special-purpose registries. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "netaddr.h"

struct v4range {
	uint32_t net;
	int bits;
};

/* IANA IPv4 special-purpose address registry, plus multicast and 240/4. */
static const struct v4range v4blocked[] = {
	{ 0x00000000, 8 }, /* "this network" */
	{ 0x0a000000, 8 }, /* private */
	{ 0x64400000, 10 }, /* shared address space (CGNAT) */
	{ 0x7f000000, 8 }, /* loopback */
	{ 0xa9fe0000, 16 }, /* link-local, cloud metadata */
	{ 0xac100000, 12 }, /* private */
	{ 0xc0000000, 24 }, /* IETF protocol assignments */
	{ 0xc0000200, 24 }, /* TEST-NET-1 */
	{ 0xc0586300, 24 }, /* 6to4 relay anycast */
	{ 0xc0a80000, 16 }, /* private */
	{ 0xc6120000, 15 }, /* benchmarking */
	{ 0xc6336400, 24 }, /* TEST-NET-2 */
	{ 0xcb007100, 24 }, /* TEST-NET-3 */
	{ 0xe0000000, 4 }, /* multicast */
	{ 0xf0000000, 4 }, /* reserved, and broadcast */
};

static int
v4_public(uint32_t a)
{
	size_t i;
	uint32_t mask;

	for (i = 0; i < sizeof(v4blocked) / sizeof(v4blocked[0]); i++) {
		mask = v4blocked[i].bits == 0 ? 0 :
		    0xffffffffu << (32 - v4blocked[i].bits);
		if ((a & mask) == v4blocked[i].net)
			return 0;
	}
	return 1;
}

static uint32_t
v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
v6_public(const unsigned char *a)
{
	static const unsigned char zero[12] = { 0 };
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };

	/* ::/96 holds :: and ::1 and the old IPv4-compatible form. */
	if (memcmp(a, zero, 12) == 0)
		return 0;
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return v4_public(v4_at(a + 12));
	if (a[0] == 0x20 && a[1] == 0x02) /* 6to4 embeds a v4 address */
		return v4_public(v4_at(a + 2));
	if ((a[0] & 0xfe) == 0xfc) /* unique local fc00::/7 */
		return 0;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* link-local fe80::/10 */
		return 0;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) /* site-local fec0::/10 */
		return 0;
	if (a[0] == 0xff) /* multicast */
		return 0;
	if (a[0] == 0x01 && a[1] == 0x00 && memcmp(a + 2, zero, 6) == 0)
		return 0; /* discard-only 100::/64 */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return 0; /* documentation 2001:db8::/32 */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] < 0x02)
		return 0; /* IETF protocol assignments 2001::/23 (Teredo) */
	/* Only 2000::/3 is allocated global unicast. */
	return (a[0] & 0xe0) == 0x20;
}

int
netaddr_is_public(const struct sockaddr *sa)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	switch (sa->sa_family) {
	case AF_INET:
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return v4_public(ntohl(s4->sin_addr.s_addr));
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		return v6_public(s6->sin6_addr.s6_addr);
	default:
		return 0;
	}
}

void
netaddr_text(const struct sockaddr *sa, char *out, size_t outsz)
{
	const void *p = NULL;

	if (sa->sa_family == AF_INET)
		p = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (p == NULL || outsz > 0x7fffffff ||
	    inet_ntop(sa->sa_family, p, out, (socklen_t)outsz) == NULL)
		snprintf(out, outsz, "?");
}
