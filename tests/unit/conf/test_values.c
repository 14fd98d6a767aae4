/* Unit tests for src/conf value syntax: durations, sizes, host:port, listen lists, CIDR
 * lists and matching (IPv4, IPv6, IPv4-mapped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "conf/settings.h"
#include "util/str.h"

static unsigned long long
dur(const char *s)
{
	unsigned long long v = 12345;
	if (settings_parse_duration(s, &v) < 0)
		fail_msg("duration \"%s\" rejected", s);
	return v;
}

static void
test_duration(void **state)
{
	unsigned long long v;

	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("300"), 300);
	assert_int_equal(dur("45s"), 45);
	assert_int_equal(dur("30m"), 1800);
	assert_int_equal(dur("2h"), 7200);
	assert_int_equal(dur("5d"), 432000);
	assert_int_equal(dur("1w"), 604800);
	const char *bad[] = {"",
			     "s",
			     "5x",
			     "-1",
			     "5 m",
			     "5mm",
			     "1.5h",
			     " 5",
			     "5M",
			     "99999999999999999999",
			     "18446744073709551615w"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (settings_parse_duration(bad[i], &v) == 0)
			fail_msg("duration \"%s\" accepted", bad[i]);
}

static void
test_size(void **state)
{
	unsigned long long v;

	assert_int_equal(settings_parse_size("26214400", &v), 0);
	assert_int_equal(v, 26214400);
	assert_int_equal(settings_parse_size("512k", &v), 0);
	assert_int_equal(v, 512 * 1024);
	assert_int_equal(settings_parse_size("10M", &v), 0);
	assert_int_equal(v, 10 * 1024 * 1024);
	assert_int_equal(settings_parse_size("2g", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	const char *bad[] = {"", "k", "10kb", "10 k", "-5", "1t", "99999999999999999g"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (settings_parse_size(bad[i], &v) == 0)
			fail_msg("size \"%s\" accepted", bad[i]);
}

static void
test_hostport(void **state)
{
	char *host;
	unsigned short port;
	bool br;

	assert_int_equal(settings_split_hostport("mx.example.com", 25, &host, &port, &br), 0);
	assert_string_equal(host, "mx.example.com");
	assert_int_equal(port, 25);
	assert_false(br);
	free(host);
	assert_int_equal(settings_split_hostport("[smart.example.com]:587", 25, &host, &port, &br),
			 0);
	assert_string_equal(host, "smart.example.com");
	assert_int_equal(port, 587);
	assert_true(br);
	free(host);
	assert_int_equal(settings_split_hostport("[::1]:2525", 25, &host, &port, NULL), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 2525);
	free(host);
	assert_int_equal(settings_split_hostport("2001:db8::1", 53, &host, &port, NULL), 0);
	assert_string_equal(host, "2001:db8::1");
	assert_int_equal(port, 53);
	free(host);
	assert_int_equal(settings_split_hostport("127.0.0.1:5353", 53, &host, &port, NULL), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 5353);
	free(host);
	const char *bad[] = {"h:0",   "h:65536",     "h:",     "[::1", "[::1]x",
			     "[]:25", "bad_host:25", "-x.com", "a..b", "h:2x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (settings_split_hostport(bad[i], 25, &host, &port, NULL) == 0)
			fail_msg("hostport \"%s\" accepted", bad[i]);
}

static void
test_hostname(void **state)
{
	assert_true(settings_valid_hostname("mail.example.com"));
	assert_true(settings_valid_hostname("localhost"));
	assert_true(settings_valid_hostname("a-b.c1"));
	assert_false(settings_valid_hostname(""));
	assert_false(settings_valid_hostname(".a"));
	assert_false(settings_valid_hostname("a."));
	assert_false(settings_valid_hostname("a..b"));
	assert_false(settings_valid_hostname("-a.b"));
	assert_false(settings_valid_hostname("a-.b"));
	assert_false(settings_valid_hostname("a_b.c"));
	assert_false(settings_valid_hostname("a b"));
	char label[70];
	memset(label, 'a', 64);
	label[64] = '\0';
	assert_false(settings_valid_hostname(label));
	label[63] = '\0';
	assert_true(settings_valid_hostname(label));
}

static void
test_listen(void **state)
{
	struct listen_list l;
	const char *error;
	char out[300];

	assert_int_equal(listen_list_parse(&l, ":25", &error), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.addrs[0].host, "");
	assert_int_equal(l.addrs[0].port, 25);
	listen_addr_format(&l.addrs[0], out, sizeof(out));
	assert_string_equal(out, ":25");
	listen_list_free(&l);

	assert_int_equal(listen_list_parse(&l, "127.0.0.1:2525, [::1]:2525 localhost:26", &error),
			 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.addrs[0].host, "127.0.0.1");
	assert_string_equal(l.addrs[1].host, "::1");
	assert_int_equal(l.addrs[1].port, 2525);
	listen_addr_format(&l.addrs[1], out, sizeof(out));
	assert_string_equal(out, "[::1]:2525");
	assert_string_equal(l.addrs[2].host, "localhost");
	listen_list_free(&l);

	assert_int_equal(listen_list_parse(&l, "", &error), 0);
	assert_int_equal(l.n, 0);
	assert_null(l.addrs);

	const char *bad[] = {"25",        "::1",           "127.0.0.1",       "[::1]",
			     "1.2.3.4:0", "1.2.3.4:65536", ":25,bad host:26", "[::1]:x",
			     "a_b:25"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (listen_list_parse(&l, bad[i], &error) == 0)
			fail_msg("listen \"%s\" accepted", bad[i]);
		assert_int_equal(l.n, 0);
	}
}

static struct sockaddr_storage
sa_of(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static bool
match(const struct cidr_list *l, const char *ip)
{
	struct sockaddr_storage ss = sa_of(ip);
	return cidr_list_match(l, (struct sockaddr *)&ss);
}

static void
test_cidr(void **state)
{
	struct cidr_list l;
	const char *error;
	char out[80];

	assert_int_equal(cidr_list_parse(&l,
					 "127.0.0.0/8, ::1/128 192.168.10.7/22 [2001:db8::]/32 "
					 "10.1.2.3 ::ffff:172.16.0.0/108",
					 &error),
			 0);
	assert_int_equal(l.n, 6);
	assert_true(match(&l, "127.0.0.1"));
	assert_true(match(&l, "127.255.255.255"));
	assert_false(match(&l, "128.0.0.1"));
	assert_true(match(&l, "::1"));
	assert_false(match(&l, "::2"));
	assert_true(match(&l, "::ffff:127.0.0.1")); /* v4-mapped counts as v4 */
	assert_false(match(&l, "::ffff:128.0.0.1"));
	assert_true(match(&l, "192.168.8.1")); /* host bits of /22 were cleared */
	assert_true(match(&l, "192.168.11.255"));
	assert_false(match(&l, "192.168.12.0"));
	assert_true(match(&l, "2001:db8:ffff::5"));
	assert_false(match(&l, "2001:db9::5"));
	assert_true(match(&l, "10.1.2.3"));
	assert_false(match(&l, "10.1.2.4"));
	assert_true(match(&l, "172.16.5.5")); /* ::ffff:172.16.0.0/108 became /12 */
	assert_true(match(&l, "172.31.255.255"));
	assert_false(match(&l, "172.32.0.0"));
	cidr_format(&l.items[2], out, sizeof(out));
	assert_string_equal(out, "192.168.8.0/22");
	cidr_format(&l.items[5], out, sizeof(out));
	assert_string_equal(out, "172.16.0.0/12");
	cidr_list_free(&l);

	assert_int_equal(cidr_list_parse(&l, "0.0.0.0/0", &error), 0);
	assert_true(match(&l, "8.8.8.8"));
	assert_false(match(&l, "2001:db8::1"));
	cidr_list_free(&l);

	assert_int_equal(cidr_list_parse(&l, "", &error), 0);
	assert_int_equal(l.n, 0);
	assert_false(match(&l, "127.0.0.1"));

	const char *bad[] = {"127.0.0.0/33", "::1/129",    "1.2.3/8",  "x",
			     "1.2.3.4/",     "1.2.3.4/-1", "[1.2.3.4", "127.0.0.0/8,,foo"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_list_parse(&l, bad[i], &error) == 0)
			fail_msg("cidr \"%s\" accepted", bad[i]);
}

static void
test_split_list(void **state)
{
	char **items = settings_split_list(" a, b\tc,,d  ");

	assert_int_equal(str_array_len(items), 4);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[3], "d");
	str_array_free(&items);
	items = settings_split_list("");
	assert_int_equal(str_array_len(items), 0);
	str_array_free(&items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),   cmocka_unit_test(test_size),
		cmocka_unit_test(test_hostport),   cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_listen),     cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_split_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
