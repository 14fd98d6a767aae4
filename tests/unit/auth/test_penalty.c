/* Unit tests for the per-IP failed-login delay table: doubling up to the cap, reset on
 * success, expiry, the size bound, IPv4-mapped and IPv6 /64 keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "auth/penalty.h"

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

static unsigned
record_fail(struct penalty *p, const char *ip, time_t now)
{
	struct sockaddr_storage ss = sa_of(ip);
	return penalty_fail(p, (struct sockaddr *)&ss, now);
}

static unsigned
peek(struct penalty *p, const char *ip, time_t now)
{
	struct sockaddr_storage ss = sa_of(ip);
	return penalty_peek(p, (struct sockaddr *)&ss, now);
}

static void
success(struct penalty *p, const char *ip)
{
	struct sockaddr_storage ss = sa_of(ip);
	penalty_success(p, (struct sockaddr *)&ss);
}

static void
test_growth(void **state)
{
	struct penalty *p = penalty_new(1000, PENALTY_MAX_DELAY_MS, 100, 900);

	assert_int_equal(peek(p, "192.0.2.1", 0), 0);
	assert_int_equal(record_fail(p, "192.0.2.1", 0), 1000);
	assert_int_equal(record_fail(p, "192.0.2.1", 1), 2000);
	assert_int_equal(record_fail(p, "192.0.2.1", 2), 4000);
	assert_int_equal(record_fail(p, "192.0.2.1", 3), 8000);
	assert_int_equal(peek(p, "192.0.2.1", 3), 15000);
	assert_int_equal(record_fail(p, "192.0.2.1", 4), 15000);
	for (int i = 0; i < 200; i++)
		assert_int_equal(record_fail(p, "192.0.2.1", 5), 15000);
	/* another IP is independent */
	assert_int_equal(record_fail(p, "192.0.2.2", 5), 1000);
	assert_int_equal(penalty_count(p), 2);
	success(p, "192.0.2.1");
	assert_int_equal(peek(p, "192.0.2.1", 5), 0);
	assert_int_equal(record_fail(p, "192.0.2.1", 5), 1000);
	success(p, "198.51.100.1"); /* unknown IP: nothing happens */
	penalty_free(&p);
	assert_null(p);
}

static void
test_expiry(void **state)
{
	struct penalty *p = penalty_new(500, 4000, 100, 60);

	assert_int_equal(record_fail(p, "192.0.2.1", 1000), 500);
	assert_int_equal(record_fail(p, "192.0.2.1", 1030), 1000);
	assert_int_equal(record_fail(p, "192.0.2.2", 1050), 500);
	/* 60 s after its last failure the first IP is forgotten, the second not yet */
	assert_int_equal(peek(p, "192.0.2.1", 1090), 0);
	assert_int_equal(peek(p, "192.0.2.2", 1090), 1000);
	assert_int_equal(penalty_count(p), 1);
	assert_int_equal(record_fail(p, "192.0.2.1", 1090), 500);
	penalty_free(&p);
}

static void
test_bound(void **state)
{
	struct penalty *p = penalty_new(1000, 15000, 64, 900);
	char ip[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(record_fail(p, ip, 100 + i / 10), 1000);
		assert_true(penalty_count(p) <= 64);
	}
	assert_int_equal(penalty_count(p), 64);
	/* the newest are kept, the oldest evicted */
	assert_int_equal(peek(p, "10.0.3.231", 200), 2000); /* i = 999 */
	assert_int_equal(peek(p, "10.0.0.0", 200), 0);
	penalty_free(&p);
}

static void
test_keys(void **state)
{
	struct penalty *p = penalty_new(1000, 15000, 64, 900);

	assert_int_equal(record_fail(p, "192.0.2.7", 0), 1000);
	assert_int_equal(record_fail(p, "::ffff:192.0.2.7", 0), 2000); /* same client */
	assert_int_equal(record_fail(p, "2001:db8:1:2::1", 0), 1000);
	assert_int_equal(record_fail(p, "2001:db8:1:2:ffff::9", 0), 2000); /* same /64 */
	assert_int_equal(record_fail(p, "2001:db8:1:3::1", 0), 1000);
	success(p, "2001:db8:1:2::77");
	assert_int_equal(peek(p, "2001:db8:1:2::1", 0), 0);
	struct sockaddr sa = {.sa_family = AF_UNIX};
	assert_int_equal(penalty_fail(p, &sa, 0), 1000); /* not tracked, base delay */
	penalty_free(&p);
}

static void
test_disabled(void **state)
{
	struct penalty *p = penalty_new(0, 15000, 16, 900);

	for (int i = 0; i < 10; i++)
		assert_int_equal(record_fail(p, "192.0.2.1", i), 0);
	penalty_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth),   cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_bound),    cmocka_unit_test(test_keys),
		cmocka_unit_test(test_disabled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
