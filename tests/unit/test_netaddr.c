/*
 * test_netaddr.c: which addresses a tenant's data may make us connect to
 * (src/netaddr.c): every special-purpose range refused, public ones taken,
 * IPv6 forms that embed an IPv4 address judged by that address.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

#include "core.h"
#include "netaddr.h"
#include "testlib.h"

static int
public(const char *text)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, text, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		return netaddr_is_public((struct sockaddr *)&s4);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, text, &s6.sin6_addr), 1);
	s6.sin6_family = AF_INET6;
	return netaddr_is_public((struct sockaddr *)&s6);
}

START_TEST(refused)
{
	static const char *const v[] = {
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255",
		"100.64.0.1", "100.127.255.254", "127.0.0.1", "127.1.2.3",
		"169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8",
		"192.0.2.1", "192.88.99.1", "192.168.1.1", "198.18.0.1",
		"198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1",
		"239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
		"::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::10.0.0.1",
		"2002:7f00:1::", "2002:c0a8:101::1", "fc00::1", "fd12:3456::1",
		"fe80::1", "febf::1", "fec0::1", "ff02::1", "2001:db8::1",
		"2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "100::1",
		"3fff:ffff::1" /* outside 2000::/3? no: inside; see below */,
	};
	size_t i;

	/* 3fff:: lies in 2000::/3; it is the one public case in the list. */
	for (i = 0; i < nitems(v) - 1; i++)
		ck_assert_msg(!public(v[i]), "%s taken as public", v[i]);
	ck_assert(public(v[nitems(v) - 1]));
}
END_TEST

START_TEST(taken)
{
	static const char *const v[] = { "1.1.1.1", "8.8.8.8", "100.63.255.255",
		"100.128.0.0", "172.15.255.255", "172.32.0.0", "192.167.1.1",
		"198.20.0.0", "223.255.255.255", "2606:4700:4700::1111",
		"2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8",
		"2002:808:808::1", "2001:4860:4860::8888" };
	size_t i;

	for (i = 0; i < nitems(v); i++)
		ck_assert_msg(public(v[i]), "%s refused", v[i]);
}
END_TEST

START_TEST(text)
{
	struct sockaddr_in6 s6;
	char out[64];

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "::1", &s6.sin6_addr), 1);
	netaddr_text((struct sockaddr *)&s6, out, sizeof(out));
	ck_assert_str_eq(out, "::1");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netaddr");
	TCase *tc = tcase_create("netaddr");

	tcase_add_test(tc, refused);
	tcase_add_test(tc, taken);
	tcase_add_test(tc, text);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
