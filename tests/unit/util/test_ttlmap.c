/* Unit tests of ttlmap (src/util/ttlmap.c): expiry, the bound (expired entries go first,
 * then the one that expires soonest), deletion and iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "util/ttlmap.h"

static void
test_expiry(void **state)
{
	struct ttlmap *m = ttlmap_new(10);
	struct ttlmap_entry *e;

	(void)state;
	e = ttlmap_put(m, "a", 100);
	assert_int_equal(e->expires, 0);
	e->expires = 110;
	e->a = 7;
	assert_ptr_equal(ttlmap_put(m, "a", 105), e);
	assert_int_equal(ttlmap_get(m, "a", 109)->a, 7);
	assert_null(ttlmap_get(m, "a", 110));
	assert_int_equal(ttlmap_count(m), 0);
	assert_int_equal(ttlmap_del(m, "a", 110), 0);
	ttlmap_free(&m);
	assert_null(m);
}

static void
count_one(const char *key, const struct ttlmap_entry *e, void *ctx)
{
	(void)key;
	(void)e;
	(*(int *)ctx)++;
}

static void
test_bound(void **state)
{
	struct ttlmap *m = ttlmap_new(4);
	char key[16];
	int n = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ttlmap_put(m, key, 0)->expires = 100 + i;
	}
	/* full, nothing expired: the soonest to expire (k0; a sixteenth of 4, rounded up)
	 * makes room */
	ttlmap_put(m, "new", 0)->expires = 1000;
	assert_int_equal(ttlmap_count(m), 4);
	assert_null(ttlmap_get(m, "k0", 0));
	assert_non_null(ttlmap_get(m, "k1", 0));
	/* at 102, k1 is expired: it goes, k2 and k3 stay */
	ttlmap_put(m, "newer", 102)->expires = 1000;
	assert_non_null(ttlmap_get(m, "k3", 102));
	assert_non_null(ttlmap_get(m, "new", 102));
	assert_true(ttlmap_count(m) <= 4);
	/* distinct keys never grow it past the bound */
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "x%d", i);
		ttlmap_put(m, key, 0)->expires = 50000 + i;
	}
	assert_int_equal(ttlmap_count(m), 4);
	ttlmap_foreach(m, 0, count_one, &n);
	assert_int_equal(n, 4);
	assert_int_equal(ttlmap_del(m, "x99999", 0), 1);
	assert_int_equal(ttlmap_count(m), 3);
	ttlmap_free(&m);
}

/* A big full map: each eviction round frees the sixteenth that expires soonest, and the
 * entries that expire last survive a flood of new keys that expire sooner. */
static void
test_flood(void **state)
{
	struct ttlmap *m = ttlmap_new(1600);
	char key[16];

	(void)state;
	for (int i = 0; i < 1600; i++) {
		snprintf(key, sizeof(key), "old%d", i);
		ttlmap_put(m, key, 0)->expires = 100000 + i;
	}
	ttlmap_put(m, "n", 0)->expires = 200000;
	assert_int_equal(ttlmap_count(m), 1600 - 101 + 1);
	assert_null(ttlmap_get(m, "old100", 0));
	assert_non_null(ttlmap_get(m, "old101", 0));
	for (int i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "x%d", i);
		ttlmap_put(m, key, 0)->expires = 1000 + i % 50000;
	}
	assert_true(ttlmap_count(m) <= 1600);
	assert_non_null(ttlmap_get(m, "n", 0));
	assert_non_null(ttlmap_get(m, "old1599", 0));
	ttlmap_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
