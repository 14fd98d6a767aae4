/* Unit tests of the shared connection limits (src/net/conn_limits.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "net/conn_limits.h"

static void
test_per_ip(void **state)
{
	struct conn_limits *l = conn_limits_new();

	(void)state;
	assert_int_equal(conn_limits_add(l, "127.0.0.1", 0, 2), CONN_LIMITS_OK);
	assert_int_equal(conn_limits_add(l, "127.0.0.1", 0, 2), CONN_LIMITS_OK);
	assert_int_equal(conn_limits_add(l, "127.0.0.1", 0, 2), CONN_LIMITS_PER_IP);
	assert_int_equal(conn_limits_add(l, "::1", 0, 2), CONN_LIMITS_OK);
	assert_int_equal(conn_limits_total(l), 4);
	/* the refused one was counted too, as the contract says */
	conn_limits_remove(l, "127.0.0.1");
	assert_int_equal(conn_limits_add(l, "127.0.0.1", 0, 2), CONN_LIMITS_PER_IP);
	conn_limits_remove(l, "127.0.0.1");
	conn_limits_remove(l, "127.0.0.1");
	assert_int_equal(conn_limits_add(l, "127.0.0.1", 0, 2), CONN_LIMITS_OK);
	assert_int_equal(conn_limits_total(l), 3);
	conn_limits_free(&l);
	assert_null(l);
	conn_limits_free(&l);
}

static void
test_total(void **state)
{
	struct conn_limits *l = conn_limits_new();
	char ip[32];
	unsigned i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%u", i);
		assert_int_equal(conn_limits_add(l, ip, 5, 1), CONN_LIMITS_OK);
	}
	assert_int_equal(conn_limits_add(l, "10.0.0.99", 5, 1), CONN_LIMITS_TOTAL);
	conn_limits_remove(l, "10.0.0.99");
	conn_limits_remove(l, "10.0.0.0");
	assert_int_equal(conn_limits_add(l, "10.0.0.99", 5, 1), CONN_LIMITS_OK);
	assert_int_equal(conn_limits_total(l), 5);
	/* unlimited */
	for (i = 0; i < 1000; i++)
		assert_int_equal(conn_limits_add(l, "10.9.9.9", 0, 0), CONN_LIMITS_OK);
	assert_int_equal(conn_limits_total(l), 1005);
	conn_limits_free(&l);
}

static void
test_remove_unknown(void **state)
{
	struct conn_limits *l = conn_limits_new();

	(void)state;
	conn_limits_remove(l, "192.0.2.1"); /* never added: no underflow */
	assert_int_equal(conn_limits_total(l), 0);
	assert_int_equal(conn_limits_add(l, "192.0.2.1", 1, 1), CONN_LIMITS_OK);
	conn_limits_remove(l, "192.0.2.1");
	conn_limits_remove(l, "192.0.2.1");
	assert_int_equal(conn_limits_total(l), 0);
	assert_int_equal(conn_limits_add(l, "192.0.2.1", 1, 1), CONN_LIMITS_OK);
	conn_limits_free(&l);
}

/* Many clients coming and going: counts return to zero and the map stays correct. */
static void
test_churn(void **state)
{
	struct conn_limits *l = conn_limits_new();
	char ip[32];
	unsigned i, round;

	(void)state;
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 500; i++) {
			snprintf(ip, sizeof(ip), "10.%u.%u.1", round, i);
			assert_int_equal(conn_limits_add(l, ip, 0, 3), CONN_LIMITS_OK);
			assert_int_equal(conn_limits_add(l, ip, 0, 3), CONN_LIMITS_OK);
		}
		for (i = 0; i < 500; i += 2) {
			snprintf(ip, sizeof(ip), "10.%u.%u.1", round, i);
			conn_limits_remove(l, ip);
			conn_limits_remove(l, ip);
		}
		for (i = 1; i < 500; i += 2) {
			snprintf(ip, sizeof(ip), "10.%u.%u.1", round, i);
			assert_int_equal(conn_limits_add(l, ip, 0, 3), CONN_LIMITS_OK);
			assert_int_equal(conn_limits_add(l, ip, 0, 3), CONN_LIMITS_PER_IP);
			conn_limits_remove(l, ip);
			conn_limits_remove(l, ip);
			conn_limits_remove(l, ip);
			conn_limits_remove(l, ip);
		}
		assert_int_equal(conn_limits_total(l), 0);
	}
	conn_limits_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_ip),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_remove_unknown),
		cmocka_unit_test(test_churn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
