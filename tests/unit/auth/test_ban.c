/* Unit tests of the login bans (src/auth/ban.c): the threshold within the window, the ban's
 * end, the keys (IPv4, IPv4-mapped, an IPv6 /64), lifting a ban, and the persistence in a
 * db_kv file (a new table loads the live bans). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "auth/ban.h"
#include "db/db_kv.h"

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void
test_threshold_window_and_end(void **state)
{
	struct ban *b = ban_new(3, 60, 600, 100, NULL);
	struct sockaddr_storage a = addr("192.0.2.1"), other = addr("192.0.2.2");

	(void)state;
	assert_false(ban_fail(b, SA(a), 1000));
	assert_false(ban_fail(b, SA(a), 1010));
	/* the window (60 s from the first failure) ended: counting starts over */
	assert_false(ban_fail(b, SA(a), 1061));
	assert_false(ban_fail(b, SA(a), 1062));
	assert_int_equal(ban_until(b, SA(a), 1062), 0);
	assert_true(ban_fail(b, SA(a), 1063));
	assert_int_equal(ban_until(b, SA(a), 1063), 1663);
	assert_int_equal(ban_until(b, SA(other), 1063), 0);
	assert_int_equal(ban_until(b, SA(a), 1663), 0); /* over */
	ban_free(&b);
}

static void
test_keys(void **state)
{
	char key[BAN_KEY_MAX];
	struct sockaddr_storage v6 = addr("2001:db8:1:2:3:4:5:6"),
				mapped = addr("::ffff:192.0.2.9");

	(void)state;
	assert_int_equal(ban_key(SA(v6), key), 0);
	assert_string_equal(key, "2001:db8:1:2::/64");
	assert_int_equal(ban_key(SA(mapped), key), 0);
	assert_string_equal(key, "192.0.2.9");
	assert_int_equal(ban_key_of_text("2001:db8:1:2::99", key), 0);
	assert_string_equal(key, "2001:db8:1:2::/64");
	assert_int_equal(ban_key_of_text("2001:db8:1:2::/64", key), 0);
	assert_string_equal(key, "2001:db8:1:2::/64");
	assert_int_equal(ban_key_of_text("nonsense", key), -1);
}

static void
test_del_and_persistence(void **state)
{
	char dir[] = "/tmp/yubin-ban-XXXXXX", path[64];
	const char *error;
	struct sockaddr_storage a = addr("198.51.100.7"), b6 = addr("2001:db8::1");
	struct db_kv *kv;
	struct ban *b;
	time_t now = time(NULL);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bans.db", dir);
	kv = db_kv_open(path, NULL, &error);
	assert_non_null(kv);
	b = ban_new(1, 60, 3600, 100, kv);
	assert_true(ban_fail(b, SA(a), now));
	assert_true(ban_fail(b, SA(b6), now));
	assert_int_equal(ban_del(b, "2001:db8::/64", now), 1);
	assert_int_equal(ban_del(b, "2001:db8::/64", now), 0);
	assert_int_equal(ban_del(b, "x", now), -1);
	ban_free(&b);

	kv = db_kv_open(path, NULL, &error);
	b = ban_new(1, 60, 3600, 100, kv);
	assert_int_equal(ban_until(b, SA(a), now), now + 3600);
	assert_int_equal(ban_until(b, SA(b6), now), 0);
	ban_free(&b);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_window_and_end),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_del_and_persistence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
